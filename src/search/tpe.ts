// Tree-structured Parzen estimator after Optuna 3.x's TPESampler: one objective (TPE) or several (MOTPE), constant liar for batch asks.
import { z } from 'zod';
import { deriveSeed, Rng } from '../util/random.ts';
import { lossFronts, selectHypervolumeSubset, toLosses } from './pareto.ts';
import { ParzenEstimator } from './parzen-estimator.ts';
import { RandomSampler, type Direction, type PastTrial, type Sampler } from './samplers.ts';
import { isActive, type Params, type Scalar, type Space } from './space.ts';
import { axisOf, internal, type Axis, type VariableAxis } from './transform.ts';

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
