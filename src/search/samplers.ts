// Samplers propose each trial's parameters from the space: random (seeded, order-free) and grid (every valid combination).
import { deriveSeed, Rng } from '../util/random.ts';
import { StudyError } from './errors.ts';
import { gridCombinations, isActive, spaceGrids, stepCount, stepValue, type Distribution, type Params, type Scalar, type Space } from './space.ts';

/** Which way an objective is better (re-exported for samplers). */
export type { Direction } from '../model/objectives.ts';

/** A trial as samplers see it (Optuna's FrozenTrial, reduced to what sampling needs). */
export interface PastTrial {
  /** The trial's number in the study (0, 1, …). */
  number: number;
  /** Its active parameters, as sampled (external values: a categorical's choice, not its index). */
  params: Params;
  /** `running`: asked and not yet told (a batch ask's earlier members are running too). */
  state: 'running' | 'complete' | 'pruned' | 'failed';
  /** One value per objective, in the study's objective order; null unless complete. */
  values: readonly number[] | null;
  /** Intermediate values of the first objective, reported at increasing steps (epochs or steps). */
  intermediate: readonly (readonly [step: number, value: number])[];
}

/**
 * Proposes trial `number`'s parameters from the history of the study: every other trial asked so
 * far (finished and running), ordered by number; absent means none. NOTE: a pure function of the sampler's
 * construction (space, seed, options), `number` and `history`, so a study is reproducible from its
 * seed and a resumed study proposes what the uninterrupted one would have.
 */
export interface Sampler {
  readonly name: string;
  /** How many distinct trials the sampler can propose; absent when unbounded. */
  readonly size?: number;
  sample(number: number, history?: readonly PastTrial[]): Params;
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`trial index must be an integer ≥ 0 (got ${index})`);
}

/** One draw from `d`; inclusive int bounds, a float range half-open except where step reaches high. */
export function sampleDistribution(d: Distribution, rng: Rng): Scalar {
  switch (d.type) {
    case 'fixed':
      return d.value;
    case 'categorical':
      return d.choices[rng.int(d.choices.length)];
    case 'int': {
      if (d.log) {
        // Optuna's rule: log-uniform over [low − ½, high + ½], rounded, so each end gets its full share.
        const value = Math.round(Math.exp(rng.uniform(Math.log(d.low - 0.5), Math.log(d.high + 0.5))));
        return Math.min(d.high, Math.max(d.low, value));
      }
      const step = d.step ?? 1;
      return d.low + step * rng.int(stepCount(d.low, d.high, step));
    }
    case 'float': {
      if (d.distribution === 'normal') {
        const value = d.mean + d.std * rng.normal();
        return Math.min(d.high ?? Infinity, Math.max(d.low ?? -Infinity, value));
      }
      if (d.log) {
        // exp(log x) can land an ulp outside the range, so clamp.
        const value = Math.exp(rng.uniform(Math.log(d.low), Math.log(d.high)));
        return Math.min(d.high, Math.max(d.low, value));
      }
      if (d.step !== undefined) return stepValue(d.low, d.step, rng.int(stepCount(d.low, d.high, d.step)));
      return rng.uniform(d.low, d.high);
    }
  }
}

/**
 * Each parameter of trial i draws from its own stream deriveSeed(seed, 'param', i, name): results
 * do not depend on which trials were drawn before, and adding a parameter leaves the others' draws alone.
 */
export class RandomSampler implements Sampler {
  readonly name = 'random';

  constructor(
    private readonly space: Space,
    private readonly seed: number,
  ) {}

  sample(index: number, _history: readonly PastTrial[] = []): Params {
    checkIndex(index);
    const params: Params = {};
    for (const [name, d] of Object.entries(this.space)) {
      if (isActive(d, params)) params[name] = sampleDistribution(d, new Rng(deriveSeed(this.seed, 'param', index, name)));
    }
    return params;
  }
}

/**
 * Every valid combination of the parameters' grid points (see gridPoints), in declaration order
 * with the first parameter varying slowest; a parameter inactive in a combination is absent from it.
 */
export class GridSampler implements Sampler {
  readonly name = 'grid';
  readonly size: number;
  private readonly combinations: Params[];

  /** `shuffleSeed`: visit the combinations in a seeded random order (a random subset when the budget caps the grid). */
  constructor(space: Space, shuffleSeed?: number) {
    const { grids, problems } = spaceGrids(space);
    if (problems.length > 0) throw new StudyError(problems.map(([name, message]) => ({ path: `space.${name}`, message })), 'no grid for this space');
    this.combinations = [...gridCombinations(space, grids)];
    if (shuffleSeed !== undefined) new Rng(deriveSeed(shuffleSeed, 'grid-order')).shuffle(this.combinations);
    this.size = this.combinations.length;
  }

  sample(index: number, _history: readonly PastTrial[] = []): Params {
    checkIndex(index);
    if (index >= this.size) throw new RangeError(`grid index ${index} is past the grid's ${this.size} combinations`);
    return { ...this.combinations[index] };
  }
}
