// Population-based training's decisions (exploit and explore), as data for the runner to carry out (pure).
import type { Direction } from '../model/objectives.ts';
import { deriveSeed, Rng } from '../util/random.ts';
import { sampleDistribution } from '../search/samplers.ts';
import { isActive, stepCount, stepValue, type Distribution, type Params, type Scalar, type Space } from '../search/space.ts';

export interface PbtSpec {
  quantile: number;
  perturb: readonly number[];
  resample: number;
  mutable: readonly string[];
}

export interface PbtMember {
  /** The trial's number. */
  number: number;
  /** Its latest validation value of the objective (NaN or null when it has none: ranked last). */
  value: number | null;
  /** Its hyperparameters now. */
  params: Params;
}

/** One exploit: trial `to` takes `from`'s weights, optimizer state and step count, and `params`. */
export interface ExploitCommand {
  to: number;
  from: number;
  params: Params;
}

/**
 * One exploit/explore round (Ray Tune's PBT, truncation selection): rank the population on its
 * latest value; each trial in the bottom `quantile` copies a trial drawn from the top `quantile`
 * and explores from that trial's hyperparameters. Ties rank by trial number, so the round is a
 * pure function of the values, the seed and the round number.
 */
export function pbtRound(members: readonly PbtMember[], spec: PbtSpec, direction: Direction, space: Space, seed: number, round: number): ExploitCommand[] {
  const score = (m: PbtMember) => (m.value === null || Number.isNaN(m.value) ? -Infinity : direction === 'maximize' ? m.value : -m.value);
  const ranked = [...members].sort((a, b) => score(b) - score(a) || a.number - b.number);
  const n = Math.min(Math.floor(ranked.length / 2), Math.max(1, Math.floor(ranked.length * spec.quantile)));
  if (n === 0) return [];
  const top = ranked.slice(0, n);
  const bottom = ranked.slice(ranked.length - n);
  return bottom.map((member) => {
    const rng = new Rng(deriveSeed(seed, 'pbt', round, member.number));
    const source = top[rng.int(top.length)]!;
    return { to: member.number, from: source.number, params: explore(source.params, spec, space, rng) };
  });
}

/**
 * New hyperparameters from `params`: each mutable one is drawn afresh from its distribution with
 * probability `resample`, else a number is multiplied by one of `perturb` (then clipped to its
 * bounds and snapped to its step or to an integer) and a categorical moves to a neighbouring choice.
 */
export function explore(params: Params, spec: PbtSpec, space: Space, rng: Rng): Params {
  const out: Params = { ...params };
  for (const name of spec.mutable) {
    const d = space[name];
    if (!d || !Object.hasOwn(out, name) || !isActive(d, out)) continue;
    const value = rng.next() < spec.resample ? sampleDistribution(d, rng) : perturb(d, out[name]!, spec.perturb, rng);
    // A perturbed number that leaves the finite range (a distribution without a bound) keeps its value.
    if (typeof value !== 'number' || Number.isFinite(value)) out[name] = value;
  }
  return out;
}

function perturb(d: Distribution, value: Scalar, factors: readonly number[], rng: Rng): Scalar {
  switch (d.type) {
    case 'fixed':
      return d.value;
    case 'categorical': {
      const i = d.choices.indexOf(value);
      const j = Math.min(d.choices.length - 1, Math.max(0, i + (rng.next() < 0.5 ? -1 : 1)));
      return d.choices[i < 0 ? 0 : j]!;
    }
    case 'int': {
      const scaled = Math.round((value as number) * factors[rng.int(factors.length)]!);
      const step = d.step ?? 1;
      const k = Math.round((scaled - d.low) / step);
      return stepValue(d.low, step, Math.min(stepCount(d.low, d.high, step) - 1, Math.max(0, k)));
    }
    case 'float': {
      const scaled = (value as number) * factors[rng.int(factors.length)]!;
      const low = d.low ?? -Infinity;
      const high = d.high ?? Infinity;
      const clipped = Math.min(high, Math.max(low, scaled));
      if (d.distribution !== 'normal' && d.step !== undefined) {
        const k = Math.round((clipped - d.low) / d.step);
        return stepValue(d.low, d.step, Math.min(stepCount(d.low, d.high, d.step) - 1, Math.max(0, k)));
      }
      return clipped;
    }
  }
}
