// NSGA-II after Optuna's NSGAIISampler: generations by trial number, elitist survival by rank and crowding, crossover and mutation.
import { z } from 'zod';
import { deriveSeed, Rng } from '../util/random.ts';
import { crowdingDistances, lossFronts, selectByRankAndCrowding, toLosses } from './pareto.ts';
import { RandomSampler, sampleDistribution, type Direction, type PastTrial, type Sampler } from './samplers.ts';
import { isActive, type Params, type Scalar, type Space } from './space.ts';
import { axisOf, internal, type Axis, type VariableAxis } from './transform.ts';

/** Optuna's NSGAIISampler defaults (mutationProb: 1 / the parameters that are not fixed). */
export const NSGA2_DEFAULTS = { population: 50, crossoverProb: 0.9, swappingProb: 0.5, crossover: 'uniform' } as const;

export const nsga2SamplerSchema = z
  .object({
    type: z.literal('nsga2'),
    /** Trials per generation; survivors kept between generations. */
    population: z.number().int().min(2).default(NSGA2_DEFAULTS.population),
    /** Chance that each parameter of a child is redrawn at random; default 1 / (parameters in the space that are not fixed). */
    mutationProb: z.number().min(0).max(1).optional(),
    /** Chance that a child is bred from two parents rather than copied from one. */
    crossoverProb: z.number().min(0).max(1).default(NSGA2_DEFAULTS.crossoverProb),
    /** Uniform crossover: chance that a parameter comes from the second parent. */
    swappingProb: z.number().min(0).max(1).default(NSGA2_DEFAULTS.swappingProb),
    /** `uniform` swaps whole values; `sbx` blends numbers by simulated binary crossover (categoricals still swap). */
    crossover: z.enum(['uniform', 'sbx']).default(NSGA2_DEFAULTS.crossover),
    /** Overrides the study's seed for this sampler. */
    seed: z.number().int().min(0).max(0xffff_ffff).optional(),
  })
  .strict();
export type Nsga2SamplerSpec = z.output<typeof nsga2SamplerSchema>;
export type Nsga2Options = Omit<Nsga2SamplerSpec, 'type' | 'seed'>;

/**
 * NSGA-II. Trial numbers [g·P, (g+1)·P) form generation g (P = population). Generation 0 is
 * RandomSampler's draws for the seed. Survivors after generation g are the best P of (survivors
 * after g − 1) ∪ (g's complete trials) by non-domination rank, then crowding distance (see
 * selectByRankAndCrowding); pruned, failed and running trials take no part, so a generation whose
 * members fail simply contributes fewer. A child of generation g picks two parents among the
 * survivors after g − 1 by binary tournament (lower rank, then larger crowding distance), breeds
 * them with probability crossoverProb (else copies one), and redraws each parameter with
 * probability mutationProb. A parameter neither parent has (a condition switched it on) is drawn
 * at random. Without two survivors yet (the parents' generation is still running), it draws at
 * random. NOTE: a pure function of the construction and (number, history).
 */
export class Nsga2Sampler implements Sampler {
  readonly name = 'nsga2';
  private readonly options: Nsga2Options;
  private readonly random: RandomSampler;
  private readonly axes: Map<string, Axis>;
  /** Per generation: its complete trials and the survivors after it (a cache; see survivors). */
  private readonly memo: { members: PastTrial[]; population: PastTrial[] }[] = [];

  constructor(
    private readonly space: Space,
    private readonly seed: number,
    private readonly directions: readonly Direction[] = ['minimize'],
    options: Partial<Nsga2Options> = {},
  ) {
    if (directions.length === 0) throw new RangeError('NSGA-II needs at least one objective direction');
    this.options = { ...NSGA2_DEFAULTS, ...options };
    if (!Number.isInteger(this.options.population) || this.options.population < 2) throw new RangeError(`population must be an integer ≥ 2 (got ${this.options.population})`);
    this.random = new RandomSampler(space, seed);
    this.axes = new Map(Object.entries(space).map(([name, d]) => [name, axisOf(d)]));
  }

  generationOf(number: number): number {
    return Math.floor(number / this.options.population);
  }

  sample(number: number, history: readonly PastTrial[] = []): Params {
    if (!Number.isInteger(number) || number < 0) throw new RangeError(`trial index must be an integer ≥ 0 (got ${number})`);
    const parents = this.survivors(this.generationOf(number), history);
    if (parents.length < 2) return this.random.sample(number);
    const rng = new Rng(deriveSeed(this.seed, 'nsga2', number));
    const losses = toLosses(
      parents.map((t) => t.values!),
      this.directions,
    );
    const rank = new Array<number>(parents.length);
    const crowding = new Array<number>(parents.length);
    lossFronts(losses).forEach((front, r) => {
      const distances = crowdingDistances(losses, front);
      front.forEach((i, j) => ((rank[i] = r), (crowding[i] = distances[j])));
    });
    const tournament = (excluded: number) => {
      const pick = () => {
        const i = rng.int(excluded < 0 ? parents.length : parents.length - 1);
        return excluded >= 0 && i >= excluded ? i + 1 : i;
      };
      const [a, b] = [pick(), pick()];
      return rank[b] < rank[a] || (rank[b] === rank[a] && crowding[b] > crowding[a]) ? b : a;
    };
    let first: Params;
    let second: Params | null = null;
    if (rng.next() < this.options.crossoverProb) {
      const a = tournament(-1);
      first = parents[a].params;
      second = parents[tournament(a)].params;
    } else {
      first = parents[rng.int(parents.length)].params;
    }
    const variable = [...this.axes.values()].filter((axis) => axis.kind !== 'constant').length;
    const mutationProb = this.options.mutationProb ?? 1 / Math.max(1, variable);
    const params: Params = {};
    for (const [name, d] of Object.entries(this.space)) {
      if (!isActive(d, params)) continue;
      const axis = this.axes.get(name)!;
      if (axis.kind === 'constant') {
        params[name] = axis.value;
        continue;
      }
      const inherited = this.inherit(axis, first[name], second?.[name], second !== null, rng);
      params[name] = inherited === undefined || rng.next() < mutationProb ? sampleDistribution(d, new Rng(deriveSeed(this.seed, 'param', number, name))) : inherited;
    }
    return params;
  }

  /**
   * The population that breeds generation g: survivors of generations 0 … g − 1 (their complete
   * trials only). Each generation's survivors are remembered with the members they came from and
   * reused while those members are unchanged, so a study's asks do not redo every generation.
   */
  private survivors(generation: number, history: readonly PastTrial[]): PastTrial[] {
    const byGeneration = new Map<number, PastTrial[]>();
    for (const t of history) {
      const g = this.generationOf(t.number);
      if (g >= generation || t.state !== 'complete' || t.values === null || t.values.length !== this.directions.length) continue;
      const members = byGeneration.get(g);
      if (members) members.push(t);
      else byGeneration.set(g, [t]);
    }
    let population: PastTrial[] = [];
    for (let g = 0; g < generation; g++) {
      const members = byGeneration.get(g) ?? [];
      const known = this.memo[g];
      if (known && sameTrials(known.members, members)) {
        population = known.population;
        continue;
      }
      if (members.length > 0) {
        const pool = [...population, ...members].sort((a, b) => a.number - b.number);
        const losses = toLosses(
          pool.map((t) => t.values!),
          this.directions,
        );
        population = selectByRankAndCrowding(losses, this.options.population).map((i) => pool[i]);
      }
      this.memo.length = g;
      this.memo.push({ members, population });
    }
    return population;
  }

  /** A child's value for one parameter from its parents' (undefined: neither has a usable one). */
  private inherit(axis: VariableAxis, a: Scalar | undefined, b: Scalar | undefined, bred: boolean, rng: Rng): Scalar | undefined {
    const xa = internal(axis, a);
    const xb = bred ? internal(axis, b) : NaN;
    const out = (x: number) => (axis.kind === 'categorical' ? axis.choices[x] : axis.out(x));
    if (Number.isNaN(xa) || Number.isNaN(xb)) return Number.isNaN(xa) ? (Number.isNaN(xb) ? undefined : out(xb)) : out(xa);
    if (axis.kind === 'numeric' && this.options.crossover === 'sbx') return out(this.sbx(xa, xb, axis.low, axis.high, rng));
    return out(rng.next() < this.options.swappingProb ? xb : xa);
  }

  /**
   * Simulated binary crossover (Deb and Agrawal 1995, bounded form, as Optuna's SBXCrossover):
   * two children spread around the parents by a polynomial law (eta 20 with several objectives,
   * 2 with one); the result is either child or either parent with equal chance.
   */
  private sbx(xa: number, xb: number, low: number, high: number, rng: Rng): number {
    const eta = this.directions.length > 1 ? 20 : 2;
    const [x1, x2] = xa < xb ? [xa, xb] : [xb, xa];
    const diff = Math.max(x2 - x1, 1e-10);
    const u = rng.next();
    const spread = (beta: number) => {
      const alpha = 2 - beta ** -(eta + 1);
      return u <= 1 / alpha ? (u * alpha) ** (1 / (eta + 1)) : (1 / (2 - u * alpha)) ** (1 / (eta + 1));
    };
    const children = [0.5 * (x1 + x2 - spread(1 + (2 * (x1 - low)) / diff) * diff), 0.5 * (x1 + x2 + spread(1 + (2 * (high - x2)) / diff) * diff)];
    const pick = [children[0], children[1], xa, xb][rng.int(4)];
    return Math.min(high, Math.max(low, pick));
  }
}

/** Whether two lists hold the same trials with the same values, in order. */
function sameTrials(a: readonly PastTrial[], b: readonly PastTrial[]): boolean {
  return a.length === b.length && a.every((t, i) => t.number === b[i].number && t.values!.every((v, j) => Object.is(v, b[i].values![j])));
}
