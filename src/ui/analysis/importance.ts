// Hyperparameter importance: fANOVA (Hutter et al. 2014) over a small random forest, as Optuna's default evaluator does.
//
// A forest of regression trees fits the objective from the parameters. Each tree is a piecewise
// constant function over boxes of the (encoded) parameter space; under a uniform measure on that
// space its variance splits exactly into a part explained by each parameter alone (the variance of
// its marginal) and the rest (interactions). A parameter's importance is its marginal variance over
// the tree's total, averaged over the trees, then normalized so the importances sum to 1.
import { Rng } from '../../util/random.ts';

export interface ImportanceParam {
  name: string;
  /** `numeric` values are ordered (on a log10 axis when `log`); `categorical` ones are not. */
  kind: 'numeric' | 'categorical';
  log?: boolean;
}

export interface ImportanceInput {
  params: ImportanceParam[];
  /** One row per finished trial: its parameter values in `params` order (undefined when inactive) and the objective. */
  rows: { x: unknown[]; y: number }[];
}

export interface ImportanceOptions {
  trees?: number;
  seed?: number;
  maxDepth?: number;
  /** Rows a leaf holds at least. */
  minLeaf?: number;
}

export interface Importance {
  name: string;
  /** Normalized: the importances of a study sum to 1. */
  importance: number;
  /** The fraction of the objective's variance this parameter explains alone (fANOVA's main effect), mean over trees. */
  share: number;
  /** Standard deviation of `share` over the trees. */
  std: number;
}

interface Encoded {
  /** Column-major: x[f][row]. */
  x: Float64Array[];
  /** Each feature's domain [lo, hi], integrated uniformly. */
  domain: [number, number][];
}

/**
 * Numbers map to themselves (log10 for log parameters), categories to 0…k−1 with domain
 * [−½, k−½] so each category weighs the same. NOTE: an inactive (conditional) parameter counts as
 * one more value: a category of its own, or for numbers a point a quarter-span below the range,
 * its slice of the domain the same as a quarter of the span.
 */
function encode(input: ImportanceInput): Encoded {
  const x: Float64Array[] = [];
  const domain: [number, number][] = [];
  input.params.forEach((param, f) => {
    const raw = input.rows.map((r) => r.x[f]);
    const column = new Float64Array(raw.length);
    const numeric = param.kind === 'numeric' && raw.every((v) => v === undefined || v === null || (typeof v === 'number' && Number.isFinite(v)));
    if (numeric) {
      const log = param.log === true && raw.every((v) => v === undefined || v === null || (v as number) > 0);
      const values = raw.map((v) => (v === undefined || v === null ? NaN : log ? Math.log10(v as number) : (v as number)));
      const finite = values.filter((v) => !Number.isNaN(v));
      const lo = Math.min(...finite);
      const hi = Math.max(...finite);
      const span = hi - lo || 1;
      const inactive = values.some(Number.isNaN);
      values.forEach((v, i) => (column[i] = Number.isNaN(v) ? lo - span / 8 : v));
      domain.push([inactive ? lo - span / 4 : lo, hi]);
    } else {
      const keys = raw.map((v) => (v === undefined ? '\u0000inactive' : JSON.stringify(v)));
      const categories = [...new Set(keys)].sort();
      keys.forEach((k, i) => (column[i] = categories.indexOf(k)));
      domain.push([-0.5, categories.length - 0.5]);
    }
    x.push(column);
  });
  return { x, domain };
}

interface Leaf {
  value: number;
  lo: number[];
  hi: number[];
}

/** A regression tree on the rows `index`, grown by the best squared-error split of any feature; returns its leaves as boxes. */
function growTree(data: Encoded, y: Float64Array, index: number[], options: Required<ImportanceOptions>): Leaf[] {
  const leaves: Leaf[] = [];
  const features = data.x.length;
  const grow = (rows: number[], depth: number, lo: number[], hi: number[]) => {
    let sum = 0;
    let sumSq = 0;
    for (const r of rows) {
      sum += y[r]!;
      sumSq += y[r]! ** 2;
    }
    const n = rows.length;
    const sse = sumSq - (sum * sum) / n;
    let best: { feature: number; threshold: number; gain: number } | null = null;
    if (depth < options.maxDepth && n >= 2 * options.minLeaf && sse > 1e-12) {
      for (let f = 0; f < features; f++) {
        const col = data.x[f]!;
        const sorted = [...rows].sort((a, b) => col[a]! - col[b]!);
        let leftSum = 0;
        let leftSq = 0;
        for (let i = 0; i < n - 1; i++) {
          const r = sorted[i]!;
          leftSum += y[r]!;
          leftSq += y[r]! ** 2;
          const left = i + 1;
          if (left < options.minLeaf || n - left < options.minLeaf || col[r]! === col[sorted[i + 1]!]!) continue;
          const rightSum = sum - leftSum;
          const split = leftSq - (leftSum * leftSum) / left + (sumSq - leftSq) - (rightSum * rightSum) / (n - left);
          const gain = sse - split;
          if (gain > 1e-12 && (!best || gain > best.gain)) best = { feature: f, threshold: (col[r]! + col[sorted[i + 1]!]!) / 2, gain };
        }
      }
    }
    if (!best) {
      leaves.push({ value: sum / n, lo, hi });
      return;
    }
    const { feature, threshold } = best;
    const col = data.x[feature]!;
    const leftHi = [...hi];
    leftHi[feature] = threshold;
    const rightLo = [...lo];
    rightLo[feature] = threshold;
    grow(rows.filter((r) => col[r]! <= threshold), depth + 1, lo, leftHi);
    grow(rows.filter((r) => col[r]! > threshold), depth + 1, rightLo, hi);
  };
  grow(index, 0, data.domain.map((d) => d[0]), data.domain.map((d) => d[1]));
  return leaves;
}

/** Each feature's main-effect variance over the tree's total variance under the uniform measure; null for a constant tree. */
function treeShares(leaves: Leaf[], domain: [number, number][]): number[] | null {
  const width = domain.map(([lo, hi]) => hi - lo || 1);
  const fraction = leaves.map((leaf) => leaf.lo.reduce((p, lo, f) => p * ((leaf.hi[f]! - lo) / width[f]!), 1));
  const mean = leaves.reduce((s, leaf, l) => s + fraction[l]! * leaf.value, 0);
  const total = leaves.reduce((s, leaf, l) => s + fraction[l]! * (leaf.value - mean) ** 2, 0);
  if (total <= 1e-15) return null;
  return domain.map((_, f) => {
    const cuts = [...new Set(leaves.flatMap((leaf) => [leaf.lo[f]!, leaf.hi[f]!]))].sort((a, b) => a - b);
    let variance = 0;
    for (let i = 0; i + 1 < cuts.length; i++) {
      const a = cuts[i]!;
      const b = cuts[i + 1]!;
      // The marginal over this interval: each leaf covering it, weighted by its share of the other dimensions.
      let marginal = 0;
      leaves.forEach((leaf, l) => {
        if (leaf.lo[f]! <= a && leaf.hi[f]! >= b) marginal += (leaf.value * fraction[l]! * width[f]!) / (leaf.hi[f]! - leaf.lo[f]!);
      });
      variance += ((b - a) / width[f]!) * (marginal - mean) ** 2;
    }
    return variance / total;
  });
}

/** fANOVA importances of `input.params` for the objective; deterministic for a given seed. Needs at least 2 rows. */
export function fanovaImportance(input: ImportanceInput, options: ImportanceOptions = {}): Importance[] {
  const opts: Required<ImportanceOptions> = { trees: 32, seed: 0, maxDepth: 12, minLeaf: 2, ...options };
  const rows = input.rows.filter((r) => Number.isFinite(r.y));
  if (input.params.length === 0) return [];
  if (rows.length < 2) return input.params.map((p) => ({ name: p.name, importance: 0, share: 0, std: 0 }));
  const data = encode({ params: input.params, rows });
  const y = Float64Array.from(rows, (r) => r.y);
  const rng = new Rng(opts.seed);
  const shares: number[][] = [];
  for (let t = 0; t < opts.trees; t++) {
    const sample = Array.from({ length: rows.length }, () => rng.int(rows.length));
    const tree = treeShares(growTree(data, y, sample, opts), data.domain);
    if (tree) shares.push(tree);
  }
  const mean = input.params.map((_, f) => (shares.length ? shares.reduce((s, t) => s + t[f]!, 0) / shares.length : 0));
  const std = input.params.map((_, f) => (shares.length ? Math.sqrt(shares.reduce((s, t) => s + (t[f]! - mean[f]!) ** 2, 0) / shares.length) : 0));
  const sum = mean.reduce((a, b) => a + b, 0);
  return input.params
    .map((p, f) => ({ name: p.name, importance: sum > 0 ? mean[f]! / sum : 0, share: mean[f]!, std: std[f]! }))
    .sort((a, b) => b.importance - a.importance);
}
