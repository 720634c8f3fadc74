// Which data-set rows a slot trains and validates on (the splits, or a cross-validation fold), and
// the regression metrics of the rows it was evaluated on.
import type { Dataset } from '../data/dataset.ts';

/** A slot's own rows: data-set row indices, each list in ascending order. */
export interface SlotRows {
  /** Rows it trains on; each epoch visits a permutation of them (the last partial batch dropped). */
  readonly train: Uint32Array;
  /** Rows it is validated on. */
  readonly validation: Uint32Array;
}

const foldCache = new WeakMap<Dataset, SlotRows[]>();

/**
 * Fold `fold` of the data set's cross-validation: train on the training rows of every other fold,
 * validate on this fold's (both in row order). Built once per data set.
 */
export function foldRows(dataset: Dataset, fold: number): SlotRows {
  const { folds } = dataset;
  if (!folds) throw new Error(`data set "${dataset.name}" has no cross-validation folds`);
  if (!Number.isInteger(fold) || fold < 0 || fold >= folds.k) throw new RangeError(`data set "${dataset.name}": no fold ${fold} (it has ${folds.k})`);
  let all = foldCache.get(dataset);
  if (!all) {
    if (folds.ofRow.length !== dataset.split.train) throw new Error(`data set "${dataset.name}": folds cover ${folds.ofRow.length} rows, the training split has ${dataset.split.train}`);
    const sizes = new Array<number>(folds.k).fill(0);
    for (const f of folds.ofRow) sizes[f]!++;
    all = sizes.map((size, f) => {
      const validation = new Uint32Array(size);
      const train = new Uint32Array(folds.ofRow.length - size);
      let v = 0;
      let t = 0;
      folds.ofRow.forEach((of, row) => {
        if (of === f) validation[v++] = row;
        else train[t++] = row;
      });
      return { train, validation };
    });
    foldCache.set(dataset, all);
  }
  return all[fold]!;
}

/** Rows of the largest fold: what one slot of a cross-validation cohort validates on at most. */
export function largestFold(dataset: Dataset): number {
  if (!dataset.folds) return 0;
  let most = 0;
  for (let f = 0; f < dataset.folds.k; f++) most = Math.max(most, foldRows(dataset, f).validation.length);
  return most;
}

/** Σ (y − ȳ)² of the standardized target over `rows` (float64): R²'s denominator. */
export function targetSumOfSquares(target: Float32Array, rows: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < rows.length; i++) mean += target[rows[i]!]!;
  mean /= rows.length;
  let sum = 0;
  for (let i = 0; i < rows.length; i++) sum += (target[rows[i]!]! - mean) ** 2;
  return sum;
}

/** The rows first … first + count − 1, as an index list. */
export function rowRange(first: number, count: number): Uint32Array {
  return Uint32Array.from({ length: count }, (_, i) => first + i);
}

export interface RegressionMetrics {
  /** Root mean squared error, in the target's own units. */
  rmse: number;
  /** Mean absolute error, in the target's own units. */
  mae: number;
  /** 1 − SSE/SST against the evaluated rows' own mean (NaN where those rows' target is constant, or unknown). */
  r2: number;
}

/**
 * Regression metrics from a loss kernel's sums over `rows` rows (standardized units): errors scale
 * back by the target's std; R² is scale-free. `sst` NaN: no R² (training accumulators).
 */
export function regressionMetrics(sums: { absErr: number; sqErr: number; rows: number }, std: number, sst: number): RegressionMetrics {
  const { absErr, sqErr, rows } = sums;
  if (rows <= 0) return { rmse: NaN, mae: NaN, r2: NaN };
  return { rmse: Math.sqrt(sqErr / rows) * std, mae: (absErr / rows) * std, r2: sst > 0 ? 1 - sqErr / sst : NaN };
}
