// Cross-validation in the study loop: a trial trains as k runs, one per fold, each in a slot of its
// own; its evaluations, reports and outcome are the means over its folds, once every fold has one.
import type { MetricsRead } from '../engine/cohort.ts';
import { TASK_METRICS, type ObjectiveMetric } from '../model/objectives.ts';
import type { FoldValues } from '../store/records.ts';

/**
 * Run numbers: fold f of trial n is run n·k + f, so with k = 1 (no cross-validation) a run is its
 * trial. Slots, the slot planner and the cohort pool deal in runs; the trial book in trials.
 */
export class Runs {
  constructor(readonly k: number) {}

  of(trial: number, fold: number): number {
    return trial * this.k + fold;
  }

  trial(run: number): number {
    return Math.floor(run / this.k);
  }

  fold(run: number): number {
    return run % this.k;
  }

  /** The runs of `trial`, fold 0 first. */
  all(trial: number): number[] {
    return Array.from({ length: this.k }, (_, f) => this.of(trial, f));
  }
}

/** Collects each fold's value of a trial at a point (an epoch, a report, the end) until all k have one. */
export class FoldBook<T> {
  private readonly open = new Map<number, Map<string, (T | undefined)[]>>();

  constructor(private readonly k: number) {}

  /** Fold `fold`'s value at `key`; every fold's, in fold order, once all k are in (and the key is closed), else null. */
  add(trial: number, key: string, fold: number, value: T): T[] | null {
    let keys = this.open.get(trial);
    if (!keys) this.open.set(trial, (keys = new Map()));
    let values = keys.get(key);
    // Filled, not sparse: some() skips the holes of a sparse array.
    if (!values) keys.set(key, (values = Array.from<T | undefined>({ length: this.k })));
    values[fold] = value;
    if (values.some((v) => v === undefined)) return null;
    keys.delete(key);
    return values as T[];
  }

  /** Drops what a trial that stopped left open. */
  forget(trial: number): void {
    this.open.delete(trial);
  }
}

/** The value of a validation metric in a slot's evaluation (NaN where the task has none). */
export function evaluatedValue(m: MetricsRead, metric: ObjectiveMetric): number {
  switch (metric) {
    case 'val_accuracy':
      return m.accuracy;
    case 'val_loss':
      return m.loss;
    case 'val_rmse':
      return m.rmse ?? NaN;
    case 'val_mae':
      return m.mae ?? NaN;
    case 'val_r2':
      return m.r2 ?? NaN;
    default:
      return NaN;
  }
}

/** Field by field mean of several slots' metrics (one per fold); a single one is returned as it is. */
export function meanMetrics(folds: readonly MetricsRead[]): MetricsRead {
  if (folds.length === 1) return folds[0]!;
  const mean = (pick: (m: MetricsRead) => number | undefined) => folds.reduce((s, m) => s + (pick(m) ?? NaN), 0) / folds.length;
  const out: MetricsRead = { loss: mean((m) => m.loss), accuracy: mean((m) => m.accuracy), rows: mean((m) => m.rows) };
  for (const key of ['rmse', 'mae', 'r2'] as const) if (folds[0]![key] !== undefined) out[key] = mean((m) => m[key]);
  return out;
}

/** Every fold's value of the task's validation metrics, and their (population) standard deviation; metrics a fold has no finite value of are left out. */
export function foldValues(task: keyof typeof TASK_METRICS, folds: readonly MetricsRead[]): FoldValues {
  const out: FoldValues = { k: folds.length, values: {}, std: {} };
  for (const metric of TASK_METRICS[task]) {
    const values = folds.map((m) => evaluatedValue(m, metric));
    if (!values.every(Number.isFinite)) continue;
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    out.values[metric] = values;
    out.std[metric] = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
  }
  return out;
}
