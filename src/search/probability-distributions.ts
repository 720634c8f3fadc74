// TPE's kernels and their mixture (Optuna's probability_distributions): per parameter, truncated normals
// on a line or lattice, or categorical kernels; a mixture draws a kernel by weight and sums densities in log space.
import type { Rng } from '../util/random.ts';
import { clamp, type Axis } from './transform.ts';
import { LOG_SQRT_2PI, logBinMass, truncatedNormal } from './truncated-normal.ts';

/** One numeric parameter's kernels: truncated normals over the axis's range (a lattice's bins when step > 0). */
export interface NumericPart {
  axis: Extract<Axis, { kind: 'numeric' }>;
  mu: Float64Array;
  invSigma: Float64Array;
  sigma: Float64Array;
  /** Per kernel: −ln σ − ln √2π − ln Z for a continuum, −ln Z for a lattice (Z: the kernel's mass inside the range). */
  logNorm: Float64Array;
  /** Per kernel on a lattice: ln(step / σ), the log width of one bin in standard units. */
  logBinWidth: Float64Array;
  /** The clip's lower bound, which kernels inside a run of equal observations all get. */
  minSigma: number;
  /** Independent TPE keeps kernels in (μ, observation) order: order[i] is kernel i's observation (n: the prior). */
  order?: Int32Array;
  /** The prior kernel's index. */
  prior: number;
}

/** One categorical parameter's kernels: each favours its observed choice. */
export interface CategoricalPart {
  axis: Extract<Axis, { kind: 'categorical' }>;
  /** Per kernel the observed choice; −1 for the prior. */
  observed: Int32Array;
  /** Prior weight spread over the choices, 1/(n + 1), before each row is normalized. */
  spread: number;
  logHit: number;
  logMiss: number;
}
export type Part = NumericPart | CategoricalPart;

/** The first index of a sorted array whose value is ≥ x. */
export function lowerBound(sorted: Float64Array, x: number): number {
  let [lo, hi] = [0, sorted.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One draw from kernel `k` of a parameter. */
export function drawFrom(part: Part, k: number, rng: Rng): number {
  if ('observed' in part) {
    const choices = part.axis.choices.length;
    const hit = part.observed[k];
    if (hit < 0) return Math.min(choices - 1, Math.floor(rng.next() * choices));
    const u = rng.next() * (choices * part.spread + 1);
    return u < 1 ? hit : Math.min(choices - 1, Math.floor((u - 1) / part.spread));
  }
  const { low, high, step } = part.axis;
  const x = truncatedNormal(rng, part.mu[k], part.sigma[k], low - step / 2, high + step / 2);
  return step > 0 ? low + step * clamp(Math.round((x - low) / step), 0, Math.round((high - low) / step)) : x;
}

/** Adds each kernel's ln density of one parameter to acc[c·K + k]. */
export function addLogDensity(part: Part, xs: Float64Array, acc: Float64Array, K: number): void {
  if ('observed' in part) {
    const logPrior = -Math.log(part.axis.choices.length);
    for (let c = 0; c < xs.length; c++) {
      const base = c * K;
      for (let k = 0; k < K - 1; k++) acc[base + k] += part.observed[k] === xs[c] ? part.logHit : part.logMiss;
      acc[base + K - 1] += logPrior;
    }
    return;
  }
  const { mu, invSigma, logNorm } = part;
  const step = part.axis.step;
  if (step === 0) {
    for (let c = 0; c < xs.length; c++) {
      const base = c * K;
      const x = xs[c];
      for (let k = 0; k < K; k++) {
        const z = (x - mu[k]) * invSigma[k];
        acc[base + k] += logNorm[k] - 0.5 * z * z;
      }
    }
    return;
  }
  // A lattice: candidates repeat, so each distinct value's row of bin masses is computed once.
  const rows = new Map<number, Float64Array>();
  for (let c = 0; c < xs.length; c++) {
    let row = rows.get(xs[c]);
    if (!row) {
      row = new Float64Array(K);
      for (let k = 0; k < K; k++) {
        const z = (xs[c] - mu[k]) * invSigma[k];
        const w = step * invSigma[k];
        // A bin more than 10σ out has no share in any mixture: its midpoint value suffices.
        row[k] = logNorm[k] + (Math.abs(z) > 10 + w ? part.logBinWidth[k] - 0.5 * z * z - LOG_SQRT_2PI : logBinMass(z, w));
      }
      rows.set(xs[c], row);
    }
    const base = c * K;
    for (let k = 0; k < K; k++) acc[base + k] += row[k];
  }
}


/**
 * A weighted mixture of product kernels (Optuna's _MixtureOfProductDistribution): kernel k of the
 * mixture is kernel k of every part. With `near` (one continuous parameter, kernels sorted by μ),
 * logPdf visits only the kernels within `near.window` of each sample, and the prior.
 */
export class MixtureOfProducts {
  readonly kernels: number;
  private readonly logWeights: Float64Array;
  private readonly cumulative: Float64Array;

  constructor(
    private readonly parts: readonly Part[],
    weights: Float64Array,
    private readonly near?: { prior: number; window: number },
  ) {
    this.kernels = weights.length;
    this.logWeights = new Float64Array(this.kernels);
    this.cumulative = new Float64Array(this.kernels);
    let sum = 0;
    for (let k = 0; k < this.kernels; k++) {
      this.logWeights[k] = Math.log(weights[k]);
      this.cumulative[k] = sum += weights[k];
    }
  }

  /** `count` draws: a kernel by weight, then each parameter from that kernel. One array per parameter. */
  sample(rng: Rng, count: number): Float64Array[] {
    const out = this.parts.map(() => new Float64Array(count));
    for (let c = 0; c < count; c++) {
      const u = rng.next();
      let k = 0;
      while (k < this.kernels - 1 && this.cumulative[k] <= u) k++;
      this.parts.forEach((part, j) => (out[j][c] = drawFrom(part, k, rng)));
    }
    return out;
  }

  /** ln of the mixture density at each sample. */
  logPdf(samples: readonly Float64Array[]): Float64Array {
    if (this.near) return this.logPdfNear(samples[0], this.near);
    const count = samples[0].length;
    const K = this.kernels;
    const acc = new Float64Array(count * K);
    for (let c = 0; c < count; c++) acc.set(this.logWeights, c * K);
    this.parts.forEach((part, j) => addLogDensity(part, samples[j], acc, K));
    const out = new Float64Array(count);
    for (let c = 0; c < count; c++) {
      let max = -Infinity;
      for (let k = c * K; k < (c + 1) * K; k++) if (acc[k] > max) max = acc[k];
      if (max === -Infinity) {
        out[c] = -Infinity;
        continue;
      }
      // Terms below e^−36 of the largest cannot move the sum in double precision; most kernels are that far.
      let s = 0;
      for (let k = c * K; k < (c + 1) * K; k++) if (acc[k] - max > -36) s += Math.exp(acc[k] - max);
      out[c] = max + Math.log(s);
    }
    return out;
  }

  /**
   * logPdf of one continuous parameter, visiting only kernels within `window` of each sample (and
   * the prior): a kernel 9σ away weighs under e^−40 of its peak, which the prior's share (σ = range,
   * σ_k ≥ range/100, weights ≤ the prior's) makes < 1e-12 of the total even summed over 1,000 kernels.
   */
  private logPdfNear(xs: Float64Array, near: { prior: number; window: number }): Float64Array {
    const part = this.parts[0] as NumericPart;
    const { mu, invSigma, logNorm } = part;
    const out = new Float64Array(xs.length);
    const terms = new Float64Array(this.kernels);
    for (let c = 0; c < xs.length; c++) {
      const x = xs[c];
      const from = lowerBound(mu, x - near.window);
      const to = lowerBound(mu, x + near.window);
      const prior = near.prior < from || near.prior >= to;
      const count = to - from + (prior ? 1 : 0);
      let max = -Infinity;
      for (let i = 0; i < count; i++) {
        const k = i < to - from ? from + i : near.prior;
        const z = (x - mu[k]) * invSigma[k];
        const t = (terms[i] = this.logWeights[k] + logNorm[k] - 0.5 * z * z);
        if (t > max) max = t;
      }
      let sum = 0;
      for (let i = 0; i < count; i++) if (terms[i] - max > -36) sum += Math.exp(terms[i] - max);
      out[c] = max + Math.log(sum);
    }
    return out;
  }
}
