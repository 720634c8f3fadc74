// TPE's Parzen estimator (Optuna's _ParzenEstimator): a kernel per observation plus a prior, with
// Optuna's bandwidths and magic clip, as a mixture of products (probability-distributions.ts).
import type { Rng } from '../util/random.ts';
import { lowerBound, MixtureOfProducts, type CategoricalPart, type NumericPart, type Part } from './probability-distributions.ts';
import { clamp, type VariableAxis } from './transform.ts';
import { LOG_SQRT_2PI, logGaussMass } from './truncated-normal.ts';

/**
 * A mixture of product kernels, one per observation plus a prior (Optuna's _ParzenEstimator with
 * prior weight 1, magic clip on, endpoints off). Bandwidths: independent TPE takes each
 * observation's distance to its farther neighbour (the prior's mean and the range's ends count as
 * neighbours, except that the outermost use their inner gap); multivariate TPE takes Scott-like
 * 0.2·n^(−1/(d+4))·range. Both are clipped to [range / min(100, n + 2), range]; the prior sits
 * mid-range with σ = range. A categorical kernel puts weight 1 on its observed choice plus the
 * prior weight spread over all choices.
 */
export class ParzenEstimator {
  private readonly mixture: MixtureOfProducts;

  constructor(axes: readonly VariableAxis[], observations: readonly Float64Array[], weights: Float64Array, multivariate: boolean) {
    const n = weights.length;
    let total = 1;
    for (let k = 0; k < n; k++) total += weights[k];
    let mixture: Float64Array = new Float64Array(n + 1);
    const parts: Part[] = axes.map((axis, j) => (axis.kind === 'categorical' ? categoricalPart(axis, observations[j]) : numericPart(axis, observations[j], multivariate ? axes.length : 0)));
    const only = parts.length === 1 ? parts[0] : null;
    const order = only && 'mu' in only ? only.order : undefined;
    for (let k = 0; k <= n; k++) {
      const observation = order ? order[k] : k;
      mixture[k] = (observation < n ? weights[observation] : 1) / total;
    }
    let near: { prior: number; window: number } | undefined;
    if (only && 'mu' in only && only.axis.step === 0 && order) {
      // One continuous parameter, kernels sorted by μ: logPdf visits only those near each sample.
      let widest = 0;
      for (let k = 0; k <= n; k++) if (k !== only.prior && only.sigma[k] > widest) widest = only.sigma[k];
      near = { prior: only.prior, window: 9 * widest };
    } else if (only) {
      [parts[0], mixture] = mergeKernels(only, mixture);
    }
    this.mixture = new MixtureOfProducts(parts, mixture, near);
  }

  /** Kernels in the mixture (identical ones merged). */
  get kernels(): number {
    return this.mixture.kernels;
  }

  /** `count` draws: a kernel by weight, then each parameter from that kernel. One array per parameter. */
  sample(rng: Rng, count: number): Float64Array[] {
    return this.mixture.sample(rng, count);
  }

  /** ln of the mixture density at each sample. */
  logPdf(samples: readonly Float64Array[]): Float64Array {
    return this.mixture.logPdf(samples);
  }
}

/**
 * One parameter's kernels that are identical (the same choice; the same lattice point with the
 * clipped σ, as inside a run of repeated values) merged into one of their summed weight: the same
 * mixture with far fewer terms, e.g. at most choices + 1 for a categorical. The prior stays last.
 */
function mergeKernels(part: Part, weights: Float64Array): [Part, Float64Array] {
  const K = weights.length;
  const keep: number[] = [];
  const merged: number[] = [];
  if ('observed' in part) {
    const slot = new Int32Array(part.axis.choices.length).fill(-1);
    for (let k = 0; k < K - 1; k++) {
      const choice = part.observed[k];
      if (slot[choice] >= 0) merged[slot[choice]] += weights[k];
      else {
        slot[choice] = keep.length;
        keep.push(k);
        merged.push(weights[k]);
      }
    }
  } else {
    if (part.axis.step === 0 || !part.order) return [part, weights];
    // Kernels are in (μ, observation) order, where those of one lattice point with the clipped σ are consecutive.
    let run = -1;
    for (let k = 0; k < K; k++) {
      if (k === part.prior) continue;
      const clipped = part.sigma[k] === part.minSigma;
      if (clipped && run >= 0 && part.mu[keep[run]] === part.mu[k]) {
        merged[run] += weights[k];
        continue;
      }
      run = clipped ? keep.length : -1;
      keep.push(k);
      merged.push(weights[k]);
    }
  }
  const prior = 'observed' in part ? K - 1 : part.prior;
  keep.push(prior);
  merged.push(weights[prior]);
  return [selectKernels(part, keep), Float64Array.from(merged)];
}

/** The part with only the kernels `keep`, in that order. */
function selectKernels(part: Part, keep: ArrayLike<number>): Part {
  const pick = (a: Float64Array) => {
    if (a.length === 0) return a;
    const out = new Float64Array(keep.length);
    for (let i = 0; i < keep.length; i++) out[i] = a[keep[i]];
    return out;
  };
  if ('observed' in part) return { ...part, observed: Int32Array.from(keep, (k) => part.observed[k]) };
  return { ...part, mu: pick(part.mu), sigma: pick(part.sigma), invSigma: pick(part.invSigma), logNorm: pick(part.logNorm), logBinWidth: pick(part.logBinWidth), order: undefined, prior: keep.length - 1 };
}

function categoricalPart(axis: CategoricalPart['axis'], observations: Float64Array): CategoricalPart {
  const n = observations.length;
  const spread = 1 / (n + 1);
  const rowSum = axis.choices.length * spread + 1;
  const observed = new Int32Array(n + 1).fill(-1);
  observations.forEach((x, k) => (observed[k] = x));
  return { axis, observed, spread, logHit: Math.log(spread + 1) - Math.log(rowSum), logMiss: Math.log(spread) - Math.log(rowSum) };
}

function numericPart(axis: NumericPart['axis'], observations: Float64Array, jointDims: number): NumericPart {
  const { low, high, step } = axis;
  const n = observations.length;
  const range = high - low + step;
  const minSigma = range / Math.min(100, n + 2);
  const values = new Float64Array(n + 1);
  values.set(observations);
  values[n] = 0.5 * (low + high);
  const sigma = new Float64Array(n + 1);
  if (jointDims > 0) {
    // A joint kernel keeps the observations' order; Scott-like bandwidth, as Optuna 3.x.
    sigma.fill(0.2 * Math.max(n, 1) ** (-1 / (jointDims + 4)) * range);
    return finishNumericPart(axis, values, sigma, minSigma, n, undefined);
  }
  // Independent TPE keeps its kernels in (value, index) order, the prior's mean among them: each
  // goes to the first place of its value plus the earlier kernels of that value. Sorted, logPdf
  // visits only the kernels near each sample.
  const order = (step > 0 && latticeOrder(values, low, step)) || sortedOrder(values);
  const sorted = new Float64Array(n + 1);
  for (let i = 0; i <= n; i++) sorted[i] = values[order[i]];
  const at = (i: number) => (i < 0 ? low - step / 2 : i > n ? high + step / 2 : sorted[i]);
  let prior = n;
  for (let i = 0; i <= n; i++) {
    const left = at(i) - at(i - 1);
    const right = at(i + 1) - at(i);
    // Endpoints not considered: with two or more kernels the outermost take their inner gap.
    sigma[i] = n >= 1 && i === 0 ? right : n >= 1 && i === n ? left : Math.max(left, right);
    if (order[i] === n) prior = i;
  }
  return finishNumericPart(axis, sorted, sigma, minSigma, prior, order);
}

/** Indices in (value, index) order: each goes to the first place of its value plus the earlier indices of that value. */
function sortedOrder(values: Float64Array): Int32Array {
  const sorted = values.slice().sort();
  const order = new Int32Array(values.length);
  const earlier = new Int32Array(values.length);
  for (let k = 0; k < values.length; k++) {
    const first = lowerBound(sorted, values[k]);
    order[first + earlier[first]++] = k;
  }
  return order;
}

/**
 * sortedOrder for observations on a lattice (all but the last value, the prior's mean, which may
 * fall between points) by counting sort: linear, where many observations share few points. Null
 * when a value is not exactly low + k·step or the lattice is large.
 */
function latticeOrder(values: Float64Array, low: number, step: number): Int32Array | null {
  const n = values.length - 1;
  let top = 0;
  const index = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const i = Math.round((values[k] - low) / step);
    if (low + i * step !== values[k] || i > 4 * n + 64) return null;
    index[k] = i;
    if (i > top) top = i;
  }
  const start = new Int32Array(top + 2);
  for (let k = 0; k < n; k++) start[index[k] + 1]++;
  for (let i = 0; i <= top; i++) start[i + 1] += start[i];
  // The prior comes after every observation at or below its mean (its index, n, is the largest).
  let atOrBelow = 0;
  for (let k = 0; k < n; k++) if (values[k] <= values[n]) atOrBelow++;
  const order = new Int32Array(n + 1);
  for (let k = 0; k < n; k++) {
    const place = start[index[k]]++;
    order[place < atOrBelow ? place : place + 1] = k;
  }
  order[atOrBelow] = n;
  return order;
}

/** Magic clip, the prior's σ = range, and each kernel's normalizer (its mass inside the range). */
function finishNumericPart(axis: NumericPart['axis'], mu: Float64Array, sigma: Float64Array, minSigma: number, prior: number, order: Int32Array | undefined): NumericPart {
  const { low, high, step } = axis;
  const n = mu.length - 1;
  const range = high - low + step;
  for (let k = 0; k <= n; k++) sigma[k] = k === prior ? range : clamp(sigma[k], minSigma, range);
  const invSigma = new Float64Array(n + 1);
  const logNorm = new Float64Array(n + 1);
  const logBinWidth = new Float64Array(step > 0 ? n + 1 : 0);
  for (let k = 0; k <= n; k++) {
    invSigma[k] = 1 / sigma[k];
    const a = (low - step / 2 - mu[k]) * invSigma[k];
    const b = (high + step / 2 - mu[k]) * invSigma[k];
    // Both ends 8σ away: the mass misses 1 by < 1e-15.
    const mass = a < -8 && b > 8 ? 0 : logGaussMass(a, b);
    logNorm[k] = step > 0 ? -mass : -Math.log(sigma[k]) - LOG_SQRT_2PI - mass;
    if (step > 0) logBinWidth[k] = Math.log(step * invSigma[k]);
  }
  return { axis, mu, sigma, invSigma, logNorm, logBinWidth, minSigma, order, prior };
}
