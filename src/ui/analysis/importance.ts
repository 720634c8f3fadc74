// Hyperparameter importance as Optuna computes it: fANOVA (Hutter et al. 2014; Optuna's FanovaImportanceEvaluator) and PED-ANOVA (Watanabe et al. 2023; Optuna's default since its PedAnovaImportanceEvaluator).
//
// fANOVA: a random forest of regression trees fits the objective from the parameters, encoded as
// Optuna's fANOVA encodes them (numbers as they are, over their distribution's bounds, log ones
// too; a categorical as one column per choice, 0 or 1). Each tree is a piecewise constant function
// over boxes of that space; under the uniform measure its variance splits into a part each
// parameter explains alone (the variance of its marginal, over its columns together) and the rest.
// A parameter's importance is that share, averaged over the trees, normalized to sum to 1.
//
// PED-ANOVA: how differently a parameter is distributed among the best trials (the top 10%) than
// among all of them: the Pearson divergence between two Parzen estimators of it on a grid,
// normalized to sum to 1. It needs no model, so it is fast at any number of trials.
import type { Scalar } from '../../search/space.ts';
import { logGaussMass } from '../../search/truncated-normal.ts';
import { Rng } from '../../util/random.ts';

/** A parameter's domain in one regime (the distribution trials sampled it from). */
export interface ParamDomain {
  kind: 'float' | 'int' | 'categorical';
  low?: number;
  high?: number;
  log?: boolean;
  /** A float's or int's step (null: continuous). */
  step?: number | null;
  choices?: readonly Scalar[];
}

export interface ImportanceParam {
  name: string;
  /** Its domain in each regime, by the key rows give (trials may sample it from different distributions). */
  domains: Readonly<Record<string, ParamDomain>>;
}

export interface ImportanceRow {
  /** Parameter values in `params` order; undefined where the trial lacks it (inactive). */
  x: readonly (Scalar | undefined)[];
  /** Each parameter's regime key, undefined where inactive. */
  regime: readonly (string | undefined)[];
  /** The objective, finite. */
  y: number;
}

export interface ImportanceInput {
  params: ImportanceParam[];
  /** One row per finished trial with a finite objective. */
  rows: ImportanceRow[];
  direction: 'minimize' | 'maximize';
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
  /** Normalized: the importances of a study sum to 1 (0 for every parameter when nothing can be said). */
  importance: number;
  /** fANOVA: the fraction of the objective's variance this parameter explains alone (its main effect), mean over trees; PED-ANOVA: the divergence before normalizing. */
  share: number;
  /** fANOVA: standard deviation of `share` over the trees; PED-ANOVA: 0. */
  std: number;
}

export interface ImportanceResult {
  method: 'fanova' | 'ped-anova';
  importances: Importance[];
  /** Parameters left out, and why (conditional ones for fANOVA, as Optuna's intersection search space leaves them out). */
  excluded: { name: string; why: string }[];
  /** Rows used. */
  trials: number;
}

// ---------------------------------------------------------------------------------------------
// fANOVA

/** NOTE: Optuna's FanovaImportanceEvaluator defaults: 64 trees of depth ≤ 64, leaves of ≥ 1 sample, splits of ≥ 2 (sklearn's RandomForestRegressor, every feature tried at each split). */
export const FANOVA_DEFAULTS: Required<ImportanceOptions> = { trees: 64, seed: 0, maxDepth: 64, minLeaf: 1 };

interface Encoded {
  /** Column-major: columns[c][row]. */
  columns: Float64Array[];
  /** Each column's domain [lo, hi], integrated uniformly. */
  bounds: [number, number][];
  /** The columns of each parameter (one, or one per choice). */
  groups: number[][];
}

function sameScalar(a: Scalar | undefined, b: Scalar): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}

/** The domain a parameter has in every row, or why it has none (missing in some rows, or several distributions). */
function commonDomain(input: ImportanceInput, f: number): ParamDomain | string {
  let key: string | undefined;
  for (const row of input.rows) {
    const k = row.regime[f];
    if (k === undefined) return 'conditional: not in every finished trial (Optuna’s fANOVA leaves such parameters out)';
    if (key === undefined) key = k;
    else if (k !== key) return 'sampled from different distributions (Optuna’s fANOVA leaves such parameters out)';
  }
  return key === undefined ? 'no finished trial has it' : input.params[f]!.domains[key]!;
}

/** Optuna's fANOVA encoding (transform_log and transform_step off): numbers as they are over [low, high]; a categorical one-hot, each column over [0, 1]. */
function encode(input: ImportanceInput, used: { f: number; domain: ParamDomain }[]): Encoded {
  const n = input.rows.length;
  const columns: Float64Array[] = [];
  const bounds: [number, number][] = [];
  const groups: number[][] = [];
  for (const { f, domain } of used) {
    if (domain.kind === 'categorical') {
      const choices = domain.choices ?? [];
      const group: number[] = [];
      for (const choice of choices) {
        const column = new Float64Array(n);
        input.rows.forEach((r, i) => (column[i] = sameScalar(r.x[f], choice) ? 1 : 0));
        group.push(columns.length);
        columns.push(column);
        bounds.push([0, 1]);
      }
      groups.push(group);
      continue;
    }
    const column = Float64Array.from(input.rows, (r) => r.x[f] as number);
    let lo = domain.low ?? Infinity;
    let hi = domain.high ?? -Infinity;
    for (const v of column) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    groups.push([columns.length]);
    columns.push(column);
    bounds.push([lo, hi]);
  }
  return { columns, bounds, groups };
}

interface Leaf {
  value: number;
  lo: Float64Array;
  hi: Float64Array;
}

/** NOTE: sklearn's tree makes a node a leaf when its impurity (weighted variance) is at most the float64 epsilon. */
const EPSILON = 2.220446049250313e-16;

/**
 * A regression tree on the rows with weight > 0 (bootstrap counts), grown as sklearn grows one: at
 * each node every column (in a random order, for ties) and every threshold between distinct
 * neighbouring values; the split of least weighted squared error wins. Returns its leaves as boxes.
 */
function growTree(data: Encoded, y: Float64Array, weight: Float64Array, rng: Rng, options: Required<ImportanceOptions>): Leaf[] {
  const features = data.columns.length;
  const samples: number[] = [];
  for (let i = 0; i < y.length; i++) if (weight[i]! > 0) samples.push(i);
  const n = samples.length;
  // One sorted order per column over the node's range, partitioned stably at each split.
  const order = data.columns.map((col) => Int32Array.from([...samples].sort((a, b) => col[a]! - col[b]! || a - b)));
  const goesLeft = new Uint8Array(y.length);
  const scratch = new Int32Array(n);
  const leaves: Leaf[] = [];
  const stack: { start: number; end: number; depth: number; lo: Float64Array; hi: Float64Array }[] = [
    { start: 0, end: n, depth: 0, lo: Float64Array.from(data.bounds, (b) => b[0]), hi: Float64Array.from(data.bounds, (b) => b[1]) },
  ];
  const featureOrder = Array.from({ length: features }, (_, f) => f);
  while (stack.length > 0) {
    const node = stack.pop()!;
    const first = order[0]!;
    let w = 0;
    let wy = 0;
    let wyy = 0;
    for (let i = node.start; i < node.end; i++) {
      const r = first[i]!;
      const wr = weight[r]!;
      w += wr;
      wy += wr * y[r]!;
      wyy += wr * y[r]! * y[r]!;
    }
    const mean = wy / w;
    const impurity = wyy / w - mean * mean;
    const count = node.end - node.start;
    let best: { feature: number; threshold: number; proxy: number; pos: number } | null = null;
    if (node.depth < options.maxDepth && count >= 2 && count >= 2 * options.minLeaf && impurity > EPSILON) {
      for (let k = features - 1; k > 0; k--) {
        const j = rng.int(k + 1);
        [featureOrder[k], featureOrder[j]] = [featureOrder[j]!, featureOrder[k]!];
      }
      for (const f of featureOrder) {
        const col = data.columns[f]!;
        const sorted = order[f]!;
        if (col[sorted[node.start]!] === col[sorted[node.end - 1]!]) continue;
        let lw = 0;
        let lwy = 0;
        for (let i = node.start; i < node.end - 1; i++) {
          const r = sorted[i]!;
          lw += weight[r]!;
          lwy += weight[r]! * y[r]!;
          const left = i + 1 - node.start;
          const a = col[r]!;
          const b = col[sorted[i + 1]!]!;
          if (a === b || left < options.minLeaf || count - left < options.minLeaf) continue;
          // sklearn's proxy: maximizing Σ_left² / w_left + Σ_right² / w_right minimizes the children's squared error.
          const rw = w - lw;
          const rwy = wy - lwy;
          const proxy = (lwy * lwy) / lw + (rwy * rwy) / rw;
          if (!best || proxy > best.proxy) {
            let threshold = a / 2 + b / 2;
            if (threshold === b || !Number.isFinite(threshold)) threshold = a;
            best = { feature: f, threshold, proxy, pos: i + 1 };
          }
        }
      }
    }
    if (!best) {
      leaves.push({ value: mean, lo: node.lo, hi: node.hi });
      continue;
    }
    const { feature, threshold, pos } = best;
    const col = data.columns[feature]!;
    for (let i = node.start; i < node.end; i++) {
      const r = first[i]!;
      goesLeft[r] = col[r]! <= threshold ? 1 : 0;
    }
    for (const sorted of order) {
      let l = node.start;
      let s = 0;
      for (let i = node.start; i < node.end; i++) {
        const r = sorted[i]!;
        if (goesLeft[r]) sorted[l++] = r;
        else scratch[s++] = r;
      }
      sorted.set(scratch.subarray(0, s), l);
    }
    const leftHi = node.hi.slice();
    leftHi[feature] = threshold;
    const rightLo = node.lo.slice();
    rightLo[feature] = threshold;
    const split = node.start + (pos - node.start);
    stack.push({ start: split, end: node.end, depth: node.depth + 1, lo: rightLo, hi: node.hi });
    stack.push({ start: node.start, end: split, depth: node.depth + 1, lo: node.lo, hi: leftHi });
  }
  return leaves;
}

/** The first index of a sorted array whose value is ≥ x. */
function lowerBound(sorted: Float64Array, x: number): number {
  let [lo, hi] = [0, sorted.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** NOTE: a parameter's columns form a grid of at most this many cells (2^16: a categorical of 16 choices all split on); past it its share is not computed. */
const MAX_CELLS = 1 << 16;

/**
 * Each group's main-effect variance over the tree's total variance under the uniform measure on the
 * bounds, as Optuna's _FanovaTree.get_marginal_variance computes it (the marginal on the grid of
 * the group's split points, weighted by cell size); null for a tree of no variance.
 */
function treeShares(leaves: Leaf[], data: Encoded): (number | null)[] | null {
  const width = data.bounds.map(([lo, hi]) => hi - lo || 1);
  const volume = leaves.map((leaf) => {
    let v = 1;
    for (let c = 0; c < width.length; c++) v *= (leaf.hi[c]! - leaf.lo[c]!) / width[c]!;
    return v;
  });
  let mean = 0;
  for (let l = 0; l < leaves.length; l++) mean += volume[l]! * leaves[l]!.value;
  let total = 0;
  for (let l = 0; l < leaves.length; l++) total += volume[l]! * (leaves[l]!.value - mean) ** 2;
  if (!(total > 0)) return null;
  return data.groups.map((group) => {
    // The cut points of each column of the group (its bounds and every split on it), and the cells between.
    const cuts = group.map((c) => {
      const set = new Set<number>([data.bounds[c]![0], data.bounds[c]![1]]);
      for (const leaf of leaves) {
        set.add(leaf.lo[c]!);
        set.add(leaf.hi[c]!);
      }
      return Float64Array.from([...set].sort((a, b) => a - b));
    });
    const dims = cuts.map((c) => c.length - 1);
    const cells = dims.reduce((p, d) => p * d, 1);
    if (cells > MAX_CELLS) return null;
    const strides = dims.map((_, i) => dims.slice(i + 1).reduce((p, d) => p * d, 1));
    // The marginal of each cell: every leaf over it, weighted by its share of the other columns.
    const marginal = new Float64Array(cells);
    for (let l = 0; l < leaves.length; l++) {
      const leaf = leaves[l]!;
      let inGroup = 1;
      const from: number[] = [];
      const to: number[] = [];
      group.forEach((c, i) => {
        inGroup *= (leaf.hi[c]! - leaf.lo[c]!) / width[c]!;
        from.push(lowerBound(cuts[i]!, leaf.lo[c]!));
        to.push(lowerBound(cuts[i]!, leaf.hi[c]!));
      });
      if (!(inGroup > 0)) continue;
      const weight = (leaf.value * volume[l]!) / inGroup;
      if (group.length === 1) {
        // One column: a difference array over its cells, summed below.
        marginal[from[0]!] += weight;
        if (to[0]! < cells) marginal[to[0]!] -= weight;
        continue;
      }
      const at = [...from];
      for (;;) {
        let cell = 0;
        for (let i = 0; i < at.length; i++) cell += at[i]! * strides[i]!;
        marginal[cell] += weight;
        let i = at.length - 1;
        while (i >= 0 && ++at[i]! >= to[i]!) at[i] = from[i--]!;
        if (i < 0) break;
      }
    }
    if (group.length === 1) for (let i = 1; i < cells; i++) marginal[i] += marginal[i - 1]!;
    let variance = 0;
    const at = new Array<number>(group.length).fill(0);
    for (let cell = 0; cell < cells; cell++) {
      let size = 1;
      let rest = cell;
      for (let i = 0; i < group.length; i++) {
        at[i] = Math.floor(rest / strides[i]!);
        rest -= at[i]! * strides[i]!;
        size *= (cuts[i]![at[i]! + 1]! - cuts[i]![at[i]!]!) / width[group[i]!]!;
      }
      variance += size * (marginal[cell]! - mean) ** 2;
    }
    return variance / total;
  });
}

/** fANOVA importances of the parameters for the objective, as Optuna's FanovaImportanceEvaluator computes them; deterministic for a given seed. */
export function fanovaImportance(input: ImportanceInput, options: ImportanceOptions = {}): ImportanceResult {
  const opts: Required<ImportanceOptions> = { ...FANOVA_DEFAULTS, ...options };
  const rows = input.rows.filter((r) => Number.isFinite(r.y));
  const excluded: ImportanceResult['excluded'] = [];
  const used: { f: number; domain: ParamDomain }[] = [];
  input.params.forEach((p, f) => {
    const domain = commonDomain({ ...input, rows }, f);
    if (typeof domain === 'string') excluded.push({ name: p.name, why: domain });
    else used.push({ f, domain });
  });
  const zero = (): ImportanceResult => ({ method: 'fanova', importances: used.map(({ f }) => ({ name: input.params[f]!.name, importance: 0, share: 0, std: 0 })), excluded, trials: rows.length });
  if (used.length === 0 || rows.length < 2) return zero();
  const data = encode({ ...input, rows }, used);
  const y = Float64Array.from(rows, (r) => r.y);
  const rng = new Rng(opts.seed);
  const shares: (number | null)[][] = [];
  const weight = new Float64Array(rows.length);
  for (let t = 0; t < opts.trees; t++) {
    weight.fill(0);
    for (let i = 0; i < rows.length; i++) weight[rng.int(rows.length)]++;
    const tree = treeShares(growTree(data, y, weight, rng, opts), data);
    if (tree) shares.push(tree);
  }
  if (shares.length === 0) return zero();
  const stats = used.map((_, g) => {
    const values = shares.map((s) => s[g]).filter((v): v is number => v !== null);
    const mean = values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
    const std = values.length ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length) : NaN;
    return { mean, std };
  });
  const sum = stats.reduce((s, x) => s + (Number.isFinite(x.mean) ? x.mean : 0), 0);
  const importances = used
    .map(({ f }, g) => ({ name: input.params[f]!.name, importance: sum > 0 && Number.isFinite(stats[g]!.mean) ? stats[g]!.mean / sum : 0, share: stats[g]!.mean, std: stats[g]!.std }))
    .sort((a, b) => b.importance - a.importance);
  return { method: 'fanova', importances, excluded, trials: rows.length };
}

// ---------------------------------------------------------------------------------------------
// PED-ANOVA

/** NOTE: Optuna's PedAnovaImportanceEvaluator defaults: the top 10% against every trial, a 50-point grid, prior weight 1, regimes of ≥ 2 trials. */
export const PED_ANOVA = { targetQuantile: 0.1, steps: 50, priorWeight: 1, minTrialsInRegime: 2 } as const;

/** The rows at or better than the q-quantile of the objective (ties kept), as Optuna's _QuantileFilter picks them. */
function topQuantile(rows: readonly ImportanceRow[], q: number, direction: 'minimize' | 'maximize'): ImportanceRow[] {
  const sign = direction === 'maximize' ? -1 : 1;
  const losses = rows.map((r) => sign * r.y).sort((a, b) => a - b);
  const cutoff = losses[Math.ceil(q * losses.length) - 1]!;
  return rows.filter((r) => sign * r.y <= cutoff);
}

/** Counts of a parameter's values on the grid Optuna's PED-ANOVA puts over its domain (the choices, for a categorical). */
function gridCounts(domain: ParamDomain, values: readonly Scalar[]): number[] {
  if (domain.kind === 'categorical') {
    const choices = domain.choices ?? [];
    const counts = new Array<number>(choices.length).fill(0);
    for (const v of values) {
      const i = choices.findIndex((c) => sameScalar(v, c));
      if (i >= 0) counts[i]!++;
    }
    return counts;
  }
  const low0 = domain.low!;
  const high0 = domain.high!;
  let steps: number = PED_ANOVA.steps;
  if (domain.kind === 'int' && domain.log) steps = Math.min(Math.ceil(Math.log(high0 - low0 + 1) / Math.log(2)) + 1, steps);
  else if (domain.step !== null && domain.step !== undefined) steps = Math.min(Math.round((high0 - low0) / domain.step) + 1, steps);
  else if (domain.kind === 'int') steps = Math.min(high0 - low0 + 1, steps);
  const f = domain.log ? Math.log : (x: number) => x;
  const low = f(low0);
  const high = f(high0);
  const stepSize = (high - low) / (steps - 1);
  const counts = new Array<number>(steps).fill(0);
  for (const v of values) {
    // Ties at a midpoint go to the lower point, as Optuna's do.
    const i = Math.ceil((f(v as number) - low) / stepSize - 0.5);
    counts[Math.max(0, Math.min(steps - 1, i))]!++;
  }
  return counts;
}

/** The Parzen estimator's probabilities on the grid 0…size−1, as Optuna's ScottParzenEstimator builds them from grid counts. */
function parzenOnGrid(counts: readonly number[], categorical: boolean): Float64Array {
  const size = counts.length;
  const prior = PED_ANOVA.priorWeight;
  const observed = counts.flatMap((c, i) => (c > 0 ? [i] : []));
  const weights = observed.map((i) => counts[i]!);
  const pdf = new Float64Array(size);
  const mixture = observed.length === 0 ? [1] : [...weights, prior];
  const total = mixture.reduce((a, b) => a + b, 0);
  if (categorical) {
    if (observed.length === 0) return pdf.fill(1 / size);
    const kernels = observed.length + 1;
    const base = prior / kernels;
    observed.forEach((o, k) => {
      const row = base * size + 1;
      for (let x = 0; x < size; x++) pdf[x] += (mixture[k]! / total) * ((base + (x === o ? 1 : 0)) / row);
    });
    for (let x = 0; x < size; x++) pdf[x] += (mixture.at(-1)! / total) * (1 / size);
    return pdf;
  }
  const low = 0;
  const high = size - 1;
  const cumulative: number[] = [];
  let sum = 0;
  for (const w of weights) cumulative.push((sum += w));
  let mus: number[];
  let sigmas: number[];
  if (observed.length === 0) {
    mus = [(low + high) / 2];
    sigmas = [high - low + 1];
  } else {
    const mean = observed.reduce((s, o, k) => s + o * weights[k]!, 0) / sum;
    let sigma = Math.sqrt(observed.reduce((s, o, k) => s + (o - mean) ** 2 * weights[k]!, 0) / Math.max(1, sum - 1));
    // numpy's searchsorted on the cumulative weights, with Python's integer floor division.
    const q1 = cumulative.findIndex((c) => c >= Math.floor(sum / 4));
    const q3raw = cumulative.findIndex((c) => c > Math.floor((sum * 3) / 4));
    const q3 = q3raw < 0 ? observed.length : q3raw;
    const iqr = observed[Math.min(observed.length - 1, q3)]! - observed[q1 < 0 ? observed.length - 1 : q1]!;
    sigma = 1.059 * Math.min(iqr / 1.34, sigma) * sum ** -0.2;
    const sigmaMin = 0.5 / 1.64;
    mus = [...observed, (low + high) / 2];
    sigmas = [...observed.map(() => Math.max(sigma, sigmaMin)), high - low + 1];
  }
  mus.forEach((mu, k) => {
    const s = sigmas[k]!;
    const norm = logGaussMass((low - 0.5 - mu) / s, (high + 0.5 - mu) / s);
    for (let x = 0; x < size; x++) pdf[x] += (mixture[k]! / total) * Math.exp(logGaussMass((x - 0.5 - mu) / s, (x + 0.5 - mu) / s) - norm);
  });
  return pdf;
}

function isSingle(domain: ParamDomain): boolean {
  return domain.kind === 'categorical' ? (domain.choices?.length ?? 0) <= 1 : domain.low === domain.high;
}

/** The Pearson divergence of the top trials' Parzen estimator from the region's, on the grid. */
function pearsonDivergence(domain: ParamDomain, top: readonly Scalar[], region: readonly Scalar[]): number {
  const categorical = domain.kind === 'categorical';
  const pTop = parzenOnGrid(gridCounts(domain, top), categorical);
  const pRegion = parzenOnGrid(gridCounts(domain, region), categorical);
  let divergence = 0;
  for (let x = 0; x < pTop.length; x++) {
    const a = pTop[x]! + 1e-12;
    const b = pRegion[x]! + 1e-12;
    divergence += b * (a / b - 1) ** 2;
  }
  return divergence;
}

/**
 * PED-ANOVA importances, as Optuna's PedAnovaImportanceEvaluator computes them (target quantile
 * 0.1 against every trial, evaluated on the trials' own distribution), normalized to sum to 1 as
 * get_param_importances does. A conditional parameter counts in each regime it has (Optuna's
 * conditional PED-ANOVA): trials sampling it from one distribution, weighted by their share.
 */
export function pedAnovaImportance(input: ImportanceInput): ImportanceResult {
  const rows = input.rows.filter((r) => Number.isFinite(r.y));
  const raw = input.params.map((p) => ({ name: p.name, value: 0 }));
  const excluded: ImportanceResult['excluded'] = [];
  if (rows.length > 1) {
    const top = new Set(topQuantile(rows, PED_ANOVA.targetQuantile, input.direction));
    const quantile = top.size / rows.length;
    input.params.forEach((p, f) => {
      const regimes = new Map<string | undefined, ImportanceRow[]>();
      for (const r of rows) {
        const key = r.regime[f];
        let list = regimes.get(key);
        if (!list) regimes.set(key, (list = []));
        list.push(r);
      }
      for (const [key, regionRows] of regimes) {
        if (key === undefined || regionRows.length < PED_ANOVA.minTrialsInRegime) continue;
        const domain = p.domains[key]!;
        const topRows = regionRows.filter((r) => top.has(r));
        if (isSingle(domain) || topRows.length === 0) continue;
        const alpha = topRows.length / top.size;
        const beta = regionRows.length / rows.length;
        raw[f]!.value += ((alpha * alpha) / beta) * pearsonDivergence(domain, topRows.map((r) => r.x[f]!), regionRows.map((r) => r.x[f]!));
      }
      raw[f]!.value *= quantile * quantile;
    });
  }
  const sum = raw.reduce((s, r) => s + r.value, 0);
  const importances = raw.map((r) => ({ name: r.name, importance: sum > 0 ? r.value / sum : 0, share: r.value, std: 0 })).sort((a, b) => b.importance - a.importance);
  return { method: 'ped-anova', importances, excluded, trials: rows.length };
}
