// Tree-structured Parzen estimator after Optuna 3.x's TPESampler: one objective (TPE) or several (MOTPE), constant liar for batch asks.
import { z } from 'zod';
import { deriveSeed, Rng } from '../util/random.ts';
import { lossFronts, selectHypervolumeSubset, toLosses } from './pareto.ts';
import { RandomSampler, type Direction, type PastTrial, type Sampler } from './samplers.ts';
import { isActive, isNormal, stepCount, stepValue, type Distribution, type Params, type Scalar, type Space } from './space.ts';

/** Optuna's TPESampler defaults, but for the constant liar (on: a study asks in batches). */
export const TPE_DEFAULTS = { startupTrials: 10, candidates: 24, multivariate: false, constantLiar: true } as const;

const tpeOptionsShape = {
  /** Trials drawn at random (RandomSampler's draws for the seed) until this many have finished (complete or pruned). */
  startupTrials: z.number().int().min(0).default(TPE_DEFAULTS.startupTrials),
  /** Candidates drawn from l(x) per parameter (or per joint group), of which the best l(x)/g(x) wins. */
  candidates: z.number().int().min(1).max(10_000).default(TPE_DEFAULTS.candidates),
  /** One joint kernel over the parameters present in every finished trial, instead of one per parameter. */
  multivariate: z.boolean().default(TPE_DEFAULTS.multivariate),
  /** Running trials (e.g. earlier members of a batch ask) count as bad observations, so a batch spreads out. */
  constantLiar: z.boolean().default(TPE_DEFAULTS.constantLiar),
  /** Overrides the study's seed for this sampler. */
  seed: z.number().int().min(0).max(0xffff_ffff).optional(),
};
export const tpeSamplerSchema = z.object({ type: z.literal('tpe'), ...tpeOptionsShape }).strict();
/** MOTPE is TPE with several objectives; the name exists so a study file can say what it means. */
export const motpeSamplerSchema = z.object({ type: z.literal('motpe'), ...tpeOptionsShape }).strict();
export type TpeSamplerSpec = z.output<typeof tpeSamplerSchema> | z.output<typeof motpeSamplerSchema>;
export type TpeOptions = Omit<z.output<typeof tpeSamplerSchema>, 'type' | 'seed'>;

/** Optuna's default gamma: how many finished trials form the good group l(x). */
export function belowCount(finished: number): number {
  return Math.min(Math.ceil(0.1 * finished), 25);
}

/** Optuna's default weights: the 25 newest observations weigh 1, older ones ramp linearly down to 1/n. */
export function observationWeights(n: number): Float64Array {
  const w = new Float64Array(n).fill(1);
  const ramp = n - 25;
  for (let i = 0; i < ramp; i++) w[i] = ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1);
  return w;
}

/**
 * A parameter in TPE's coordinates: a number on a line (the log of the value for log ranges;
 * `step` > 0 for a lattice, 0 for a continuum) or a choice's index. NOTE: a normal distribution is
 * treated as a float over [low, high] ∩ [mean − 4·std, mean + 4·std]; the prior kernel is then
 * centred on the mean.
 */
export type Axis =
  | { kind: 'constant'; value: Scalar }
  | { kind: 'numeric'; low: number; high: number; step: number; log: boolean; out(x: number): Scalar }
  | { kind: 'categorical'; choices: readonly Scalar[] };

const clamp = (x: number, low: number, high: number) => Math.min(high, Math.max(low, x));
const constant = (value: Scalar): Axis => ({ kind: 'constant', value });

function lattice(low: number, step: number, count: number, out: (k: number) => Scalar): Axis {
  if (count === 1) return constant(out(0));
  return { kind: 'numeric', low, high: low + (count - 1) * step, step, log: false, out: (x) => out(clamp(Math.round((x - low) / step), 0, count - 1)) };
}

export function axisOf(d: Distribution): Axis {
  switch (d.type) {
    case 'fixed':
      return constant(d.value);
    case 'categorical':
      return d.choices.length === 1 ? constant(d.choices[0]) : { kind: 'categorical', choices: d.choices };
    case 'int': {
      if (d.low === d.high) return constant(d.low);
      // Optuna's rule for log ints: continuous over [ln(low − ½), ln(high + ½)], then rounded.
      if (d.log) return { kind: 'numeric', low: Math.log(d.low - 0.5), high: Math.log(d.high + 0.5), step: 0, log: true, out: (x) => clamp(Math.round(Math.exp(x)), d.low, d.high) };
      const step = d.step ?? 1;
      return lattice(d.low, step, stepCount(d.low, d.high, step), (k) => d.low + k * step);
    }
    case 'float': {
      if (isNormal(d)) {
        const low = Math.max(d.low ?? -Infinity, d.mean - 4 * d.std);
        const high = Math.min(d.high ?? Infinity, d.mean + 4 * d.std);
        if (!(low < high)) return constant(clamp(d.mean, d.low ?? -Infinity, d.high ?? Infinity));
        return { kind: 'numeric', low, high, step: 0, log: false, out: (x) => clamp(x, low, high) };
      }
      if (d.step !== undefined) return lattice(d.low, d.step, stepCount(d.low, d.high, d.step), (k) => stepValue(d.low, d.step!, k));
      if (d.low === d.high) return constant(d.low);
      if (d.log) return { kind: 'numeric', low: Math.log(d.low), high: Math.log(d.high), step: 0, log: true, out: (x) => clamp(Math.exp(x), d.low, d.high) };
      return { kind: 'numeric', low: d.low, high: d.high, step: 0, log: false, out: (x) => clamp(x, d.low, d.high) };
    }
  }
}

export type VariableAxis = Exclude<Axis, { kind: 'constant' }>;

/** A recorded value in the axis's coordinates; NaN when it cannot be one (wrong type, unknown choice). */
export function internal(axis: VariableAxis, value: Scalar | undefined): number {
  if (axis.kind === 'categorical') {
    const index = axis.choices.indexOf(value as Scalar);
    return index < 0 ? NaN : index;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || (axis.log && value <= 0)) return NaN;
  return clamp(axis.log ? Math.log(value) : value, axis.low, axis.high);
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * ln P(Z > z) for z ≥ 0, Z standard normal: Numerical Recipes' Chebyshev fit of erfc (relative
 * error < 1.2e-7 everywhere), in log space so that it never underflows.
 */
function logUpperTail(z: number): number {
  if (z === Infinity) return -Infinity;
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  return Math.log(0.5 * t) - x * x + erfcPoly(t);
}

/** P(Z > z) for 0 ≤ z < 37 (beyond, it underflows): the same fit, one exp. */
function upperTail(z: number): number {
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  return 0.5 * t * Math.exp(-x * x + erfcPoly(t));
}

function erfcPoly(t: number): number {
  return -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
}

/** ln(e^a − e^b) for a ≥ b. */
const logDiffExp = (a: number, b: number) => (b === -Infinity ? a : a + Math.log1p(-Math.exp(b - a)));

/** ln P(a < Z < b), in whichever tail keeps precision; linear space while P(Z > a) cannot underflow (a < 25). */
function logGaussMass(a: number, b: number): number {
  if (b <= 0) [a, b] = [-b, -a];
  if (a >= 0) return a < 25 ? Math.log(upperTail(a) - (b < 37 ? upperTail(b) : 0)) : logDiffExp(logUpperTail(a), logUpperTail(b));
  return Math.log1p(-(b < 37 ? upperTail(b) : 0) - (a > -37 ? upperTail(-a) : 0));
}

/** ln of the standard normal mass in a bin [z − w/2, z + w/2]; narrow bins by the midpoint rule with its w² correction. */
function logBinMass(z: number, w: number): number {
  if (w < 0.01) return Math.log(w) - 0.5 * z * z - LOG_SQRT_2PI + Math.log1p((w * w * (z * z - 1)) / 24);
  return logGaussMass(z - w / 2, z + w / 2);
}

/** The first index of a sorted array whose value is ≥ x. */
function lowerBound(sorted: Float64Array, x: number): number {
  let [lo, hi] = [0, sorted.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A draw of N(mu, sigma²) inside [low, high]. NOTE: mu lies in the interval and sigma ≤ its width, so ≥ 34% of draws are accepted. */
function truncatedNormal(rng: Rng, mu: number, sigma: number, low: number, high: number): number {
  for (let i = 0; i < 64; i++) {
    const x = mu + sigma * rng.normal();
    if (x >= low && x <= high) return x;
  }
  return mu;
}

interface NumericPart {
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
interface CategoricalPart {
  axis: Extract<Axis, { kind: 'categorical' }>;
  /** Per kernel the observed choice; −1 for the prior. */
  observed: Int32Array;
  /** Prior weight spread over the choices, 1/(n + 1), before each row is normalized. */
  spread: number;
  logHit: number;
  logMiss: number;
}
type Part = NumericPart | CategoricalPart;

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
  readonly kernels: number;
  private readonly logWeights: Float64Array;
  private readonly cumulative: Float64Array;
  private readonly parts: Part[];
  /** One continuous parameter with kernels sorted by μ: the half-width beyond which no kernel but the prior counts (9 of the widest σ). */
  private readonly window: number = -1;
  private readonly prior: number = -1;

  constructor(axes: readonly VariableAxis[], observations: readonly Float64Array[], weights: Float64Array, multivariate: boolean) {
    const n = weights.length;
    let total = 1;
    for (let k = 0; k < n; k++) total += weights[k];
    let mixture: Float64Array = new Float64Array(n + 1);
    this.parts = axes.map((axis, j) => (axis.kind === 'categorical' ? categoricalPart(axis, observations[j]) : numericPart(axis, observations[j], multivariate ? axes.length : 0)));
    const only = this.parts.length === 1 ? this.parts[0] : null;
    const order = only && 'mu' in only ? only.order : undefined;
    for (let k = 0; k <= n; k++) {
      const observation = order ? order[k] : k;
      mixture[k] = (observation < n ? weights[observation] : 1) / total;
    }
    if (only && 'mu' in only && only.axis.step === 0 && order) {
      // One continuous parameter, kernels sorted by μ: logPdf visits only those near each sample.
      this.prior = only.prior;
      let widest = 0;
      for (let k = 0; k <= n; k++) if (k !== only.prior && only.sigma[k] > widest) widest = only.sigma[k];
      this.window = 9 * widest;
    } else if (only) {
      [this.parts[0], mixture] = mergeKernels(only, mixture);
    }
    this.kernels = mixture.length;
    this.logWeights = new Float64Array(this.kernels);
    this.cumulative = new Float64Array(this.kernels);
    let sum = 0;
    for (let k = 0; k < this.kernels; k++) {
      this.logWeights[k] = Math.log(mixture[k]);
      this.cumulative[k] = sum += mixture[k];
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
    if (this.window >= 0) return this.logPdfNear(samples[0]);
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
  private logPdfNear(xs: Float64Array): Float64Array {
    const part = this.parts[0] as NumericPart;
    const { mu, invSigma, logNorm } = part;
    const out = new Float64Array(xs.length);
    const terms = new Float64Array(this.kernels);
    for (let c = 0; c < xs.length; c++) {
      const x = xs[c];
      const from = lowerBound(mu, x - this.window);
      const to = lowerBound(mu, x + this.window);
      const prior = this.prior < from || this.prior >= to;
      const count = to - from + (prior ? 1 : 0);
      let max = -Infinity;
      for (let i = 0; i < count; i++) {
        const k = i < to - from ? from + i : this.prior;
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

function drawFrom(part: Part, k: number, rng: Rng): number {
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
function addLogDensity(part: Part, xs: Float64Array, acc: Float64Array, K: number): void {
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

/** The history split into l(x)'s trials (below) and g(x)'s (above), each by trial number. */
export interface TpeSplit {
  below: PastTrial[];
  above: PastTrial[];
  /** Complete and pruned trials: what startupTrials and gamma count. */
  finished: number;
}

/**
 * Optuna's split: the best belowCount(finished) complete trials go below (one objective: by value,
 * ties by number; several: whole non-domination fronts, the border front cut by hypervolume, see
 * selectHypervolumeSubset); if fewer complete trials exist, pruned ones fill in, ranked by their
 * last step (later first), then their last intermediate value (NaN worst; none at all last).
 * Everything else goes above, with running trials when `constantLiar` (their outcome is unknown,
 * so they count as bad: candidates move away from them). Failed trials are ignored.
 */
export function splitTrials(history: readonly PastTrial[], directions: readonly Direction[], constantLiar: boolean): TpeSplit {
  const isComplete = (t: PastTrial) => t.state === 'complete' && t.values !== null && t.values.length === directions.length;
  const complete: PastTrial[] = [];
  const pruned: PastTrial[] = [];
  for (const t of history) {
    if (t.state === 'pruned') pruned.push(t);
    else if (isComplete(t)) complete.push(t);
  }
  const finished = complete.length + pruned.length;
  let wanted = belowCount(finished);
  let chosen: number[] = [];
  if (directions.length === 1) {
    const sign = directions[0] === 'maximize' ? -1 : 1;
    const loss = new Float64Array(complete.length);
    complete.forEach((t, i) => (loss[i] = Number.isNaN(t.values![0]) ? Infinity : sign * t.values![0]));
    // The best `wanted` by insertion: at most 25 are kept, so this beats sorting every trial.
    const worse = (a: number, b: number) => loss[a] > loss[b] || (!(loss[a] < loss[b]) && complete[a].number > complete[b].number);
    for (let i = 0; i < complete.length; i++) {
      if (chosen.length === wanted) {
        if (wanted === 0 || worse(i, chosen[wanted - 1])) continue;
        chosen.pop();
      }
      let at = chosen.length;
      while (at > 0 && worse(chosen[at - 1], i)) at--;
      chosen.splice(at, 0, i);
    }
  } else {
    const losses = toLosses(
      complete.map((t) => t.values!),
      directions,
    );
    for (const front of lossFronts(losses, wanted)) {
      chosen.push(...(chosen.length + front.length <= wanted ? front : selectHypervolumeSubset(losses, front, wanted - chosen.length)));
    }
  }
  const below = chosen.map((i) => complete[i]);
  wanted -= below.length;
  const score = (t: PastTrial): [number, number] => {
    if (t.intermediate.length === 0) return [1, 0];
    const [step, value] = t.intermediate.reduce((a, b) => (b[0] >= a[0] ? b : a));
    return [-step, Number.isNaN(value) ? Infinity : directions[0] === 'maximize' ? -value : value];
  };
  const ranked = pruned.map((t) => [t, score(t)] as const).sort(([ta, a], [tb, b]) => a[0] - b[0] || a[1] - b[1] || ta.number - tb.number);
  below.push(...ranked.slice(0, Math.max(0, wanted)).map(([t]) => t));
  const inBelow = new Set(below);
  const above: PastTrial[] = [];
  let ordered = true;
  for (const t of history) {
    if (t.state === 'running' ? !constantLiar : inBelow.has(t) || !(t.state === 'pruned' || isComplete(t))) continue;
    ordered &&= above.length === 0 || above[above.length - 1].number < t.number;
    above.push(t);
  }
  const byNumber = (a: PastTrial, b: PastTrial) => a.number - b.number;
  return { below: below.sort(byNumber), above: ordered ? above : above.sort(byNumber), finished };
}

/** The good and bad trials' parameters in TPE's coordinates, by trial number. */
interface Rows {
  below: Float64Array[];
  above: Float64Array[];
}

/**
 * TPE (one direction) or MOTPE (several). Until `startupTrials` trials have finished it proposes
 * exactly what RandomSampler would for the same seed. Then, per parameter in declaration order
 * (an inactive one stays absent), it fits l(x) to the parameter's values in the good trials that
 * have it and g(x) to the rest, draws `candidates` from l and keeps the one of largest l/g.
 * MOTPE gives its good trials equal weights (as Optuna 4 does). NOTE: a pure function of the
 * construction and (number, history): each trial's draws come from deriveSeed(seed, 'tpe', number, …).
 */
export class TpeSampler implements Sampler {
  readonly name: string;
  private readonly options: TpeOptions;
  private readonly random: RandomSampler;
  private readonly axes: Map<string, Axis>;
  /** Each parameter's column in `rows`. */
  private readonly column: Map<string, number>;
  /**
   * A trial's parameters in TPE's coordinates (NaN where absent), by its params object: a study
   * hands the same objects back ask after ask, so each is converted once. NOTE: assumes, as the
   * Sampler contract does, that a recorded trial's parameters never change.
   */
  private readonly rows = new WeakMap<Params, Float64Array>();

  constructor(
    private readonly space: Space,
    private readonly seed: number,
    private readonly directions: readonly Direction[] = ['minimize'],
    options: Partial<TpeOptions> = {},
  ) {
    if (directions.length === 0) throw new RangeError('TPE needs at least one objective direction');
    this.options = { ...TPE_DEFAULTS, ...options };
    this.name = directions.length > 1 ? 'motpe' : 'tpe';
    this.random = new RandomSampler(space, seed);
    this.axes = new Map(Object.entries(space).map(([name, d]) => [name, axisOf(d)]));
    this.column = new Map(Object.keys(space).map((name, j) => [name, j]));
  }

  private row(params: Params): Float64Array {
    let row = this.rows.get(params);
    if (!row) {
      row = new Float64Array(this.axes.size);
      let j = 0;
      for (const [name, axis] of this.axes) row[j++] = axis.kind === 'constant' ? NaN : internal(axis, params[name]);
      this.rows.set(params, row);
    }
    return row;
  }

  sample(number: number, history: readonly PastTrial[] = []): Params {
    if (!Number.isInteger(number) || number < 0) throw new RangeError(`trial index must be an integer ≥ 0 (got ${number})`);
    const others = history.filter((t) => t.number !== number);
    const split = splitTrials(others, this.directions, this.options.constantLiar);
    if (split.finished < this.options.startupTrials) return this.random.sample(number);
    const rows: Rows = { below: split.below.map((t) => this.row(t.params)), above: split.above.map((t) => this.row(t.params)) };
    const joint = this.options.multivariate ? this.sampleJoint(number, others, rows) : new Map<string, Scalar>();
    const params: Params = {};
    for (const [name, d] of Object.entries(this.space)) {
      if (!isActive(d, params)) continue;
      const axis = this.axes.get(name)!;
      if (axis.kind === 'constant') params[name] = axis.value;
      else if (joint.has(name)) params[name] = joint.get(name)!;
      else params[name] = this.sampleGroup([name], [axis], rows, new Rng(deriveSeed(this.seed, 'tpe', number, 'param', name)))[0];
    }
    return params;
  }

  /** Multivariate TPE: one joint draw over the parameters every finished trial has (Optuna's intersection search space). */
  private sampleJoint(number: number, history: readonly PastTrial[], rows: Rows): Map<string, Scalar> {
    const finished = history.filter((t) => t.state === 'complete' || t.state === 'pruned');
    const names = [...this.axes].filter(([name, axis]) => axis.kind !== 'constant' && finished.every((t) => !Number.isNaN(this.row(t.params)[this.column.get(name)!]))).map(([name]) => name);
    if (names.length === 0) return new Map();
    const axes = names.map((name) => this.axes.get(name) as VariableAxis);
    const values = this.sampleGroup(names, axes, rows, new Rng(deriveSeed(this.seed, 'tpe', number, 'multivariate')), true);
    return new Map(names.map((name, j) => [name, values[j]]));
  }

  private sampleGroup(names: readonly string[], axes: readonly VariableAxis[], rows: Rows, rng: Rng, multivariate = false): Scalar[] {
    const at = names.map((name) => this.column.get(name)!);
    const fit = (trials: readonly Float64Array[], below: boolean) => {
      const columns = axes.map(() => new Float64Array(trials.length));
      let n = 0;
      for (const row of trials) {
        let usable = true;
        for (let j = 0; j < axes.length && usable; j++) usable = !Number.isNaN((columns[j][n] = row[at[j]]));
        if (usable) n++;
      }
      const weights = below && this.directions.length > 1 ? new Float64Array(n).fill(1) : observationWeights(n);
      return new ParzenEstimator(axes, columns.map((column) => column.subarray(0, n)), weights, multivariate);
    };
    const below = fit(rows.below, true);
    const above = fit(rows.above, false);
    const candidates = below.sample(rng, this.options.candidates);
    const good = below.logPdf(candidates);
    const bad = above.logPdf(candidates);
    let best = 0;
    for (let c = 1; c < good.length; c++) if (good[c] - bad[c] > good[best] - bad[best]) best = c;
    return axes.map((axis, j) => (axis.kind === 'categorical' ? axis.choices[candidates[j][best]] : axis.out(candidates[j][best])));
  }
}
