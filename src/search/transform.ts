// The search-space transform (Optuna's _SearchSpaceTransform): each parameter as a number on a line
// or a choice's index, and back. TPE fits its kernels there; NSGA-II breeds there.
import { isNormal, stepCount, stepValue, type Distribution, type Scalar } from './space.ts';

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

/** x limited to [low, high]. */
export const clamp = (x: number, low: number, high: number) => Math.min(high, Math.max(low, x));
const constant = (value: Scalar): Axis => ({ kind: 'constant', value });

function lattice(low: number, step: number, count: number, out: (k: number) => Scalar): Axis {
  if (count === 1) return constant(out(0));
  return { kind: 'numeric', low, high: low + (count - 1) * step, step, log: false, out: (x) => out(clamp(Math.round((x - low) / step), 0, count - 1)) };
}

/** The axis of one distribution: constant where it can take one value only. */
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
