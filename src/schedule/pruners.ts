// Pruners: pure functions of the study's recorded history that say whether a trial stops at its latest report.
import type { Direction } from '../model/objectives.ts';
import { deriveSeed } from '../util/random.ts';
import type { PastTrial } from '../search/samplers.ts';
import type { PrunerSpec } from '../search/specs.ts';

/**
 * Decides at each report of a running trial whether to stop it. NOTE: like Optuna's pruners these
 * read only the recorded history (intermediate values and states), never their own memory, so a
 * resumed study prunes as the uninterrupted one would for the same history.
 */
export interface Pruner {
  readonly name: string;
  /** Whether `trial` (running, with its reports so far) should stop now; `history` holds every other trial. */
  shouldPrune(trial: PastTrial, history: readonly PastTrial[]): boolean;
}

/** What a pruner needs of the study beyond its spec. */
export interface PrunerContext {
  direction: Direction;
  seed: number;
  /** The first report's step (1 epoch, or `every` steps): the default minimum resource. */
  firstStep: number;
  /** The step of a trial's last report (its planned epochs or steps): Hyperband's maximum resource. */
  lastStep: number;
}

const worse = (a: number, b: number, direction: Direction) => (direction === 'maximize' ? a < b : a > b);

/** numpy's nanpercentile with linear interpolation, over finite and infinite values (NaN left out). */
export function percentile(values: readonly number[], q: number): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const at = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/**
 * Optuna's MedianPruner (a 50th-percentile pruner): once `startupTrials` trials have completed, a
 * trial whose best value so far is worse than the median of the completed trials' values at the
 * same step stops. Reports before `warmup` (in the report unit) never prune.
 */
export class MedianPruner implements Pruner {
  readonly name = 'median';

  constructor(
    private readonly spec: { startupTrials: number; warmup: number },
    private readonly direction: Direction,
  ) {}

  shouldPrune(trial: PastTrial, history: readonly PastTrial[]): boolean {
    const last = trial.intermediate.at(-1);
    if (!last) return false;
    const [step] = last;
    if (step < this.spec.warmup) return false;
    const completed = history.filter((t) => t.state === 'complete' && t.number !== trial.number);
    if (completed.length === 0 || completed.length < this.spec.startupTrials) return false;
    const values = trial.intermediate.map(([, v]) => v);
    if (values.every(Number.isNaN)) return true;
    const best = this.direction === 'maximize' ? Math.max(...values.filter((v) => !Number.isNaN(v))) : Math.min(...values.filter((v) => !Number.isNaN(v)));
    const atStep = completed.flatMap((t) => t.intermediate.filter(([s]) => s === step).map(([, v]) => v));
    if (atStep.length === 0) return false;
    const median = percentile(atStep, 50);
    return !Number.isNaN(median) && worse(best, median, this.direction);
  }
}

/** A trial's value at rung step `step`: its first report at or after it (null if it has not got there). */
function rungValue(trial: PastTrial, step: number): number | null {
  for (const [s, v] of trial.intermediate) if (s >= step) return v;
  return null;
}

/**
 * Asynchronous successive halving (ASHA), as Optuna's SuccessiveHalvingPruner: rung r lies at
 * minResource·η^(rate + r) (in the report unit). A trial reaching a rung is promoted when its value
 * there is among the top 1/η of every trial's value at that rung so far (its own included); with
 * fewer than η values, only when it is the best of them. No trial waits for another: each is
 * judged against whoever reached the rung before it. Rung values are read from the intermediate
 * values, so the pruner keeps no state of its own.
 */
export class SuccessiveHalvingPruner implements Pruner {
  readonly name: string = 'successive-halving';

  constructor(
    protected readonly minResource: number,
    protected readonly reductionFactor: number,
    protected readonly minEarlyStoppingRate: number,
    protected readonly direction: Direction,
  ) {}

  rungStep(rung: number): number {
    return this.minResource * this.reductionFactor ** (this.minEarlyStoppingRate + rung);
  }

  shouldPrune(trial: PastTrial, history: readonly PastTrial[]): boolean {
    const last = trial.intermediate.at(-1);
    if (!last) return false;
    const [step, value] = last;
    if (Number.isNaN(value)) return true;
    // Every rung this report reaches (a report can pass several when reports are sparse).
    for (let rung = 0; this.rungStep(rung) <= step; rung++) {
      const rungStep = this.rungStep(rung);
      const own = rungValue(trial, rungStep)!;
      // Judged once, at the report that first reached the rung.
      const firstReach = trial.intermediate.find(([s]) => s >= rungStep)![0];
      if (firstReach !== step) continue;
      const competing = this.competitors(trial, history).flatMap((t) => {
        const v = rungValue(t, rungStep);
        return v === null ? [] : [v];
      });
      competing.push(own);
      if (!promotable(own, competing, this.reductionFactor, this.direction)) return true;
    }
    return false;
  }

  protected competitors(trial: PastTrial, history: readonly PastTrial[]): readonly PastTrial[] {
    return history.filter((t) => t.number !== trial.number && t.state !== 'failed');
  }
}

/** Optuna's promotion rule: in the top ⌊n/η⌋ (at least the best one) of the rung's n values. */
export function promotable(value: number, competing: readonly number[], reductionFactor: number, direction: Direction): boolean {
  const index = Math.max(0, Math.floor(competing.length / reductionFactor) - 1);
  const sorted = competing.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return false;
  return direction === 'maximize' ? value >= sorted[Math.max(0, sorted.length - 1 - index)]! : value <= sorted[Math.min(index, sorted.length - 1)]!;
}

/**
 * Hyperband as Optuna's HyperbandPruner: brackets b = 0 … n−1 of successive halving with early
 * stopping rates b, n = ⌊log_η(max/min)⌋ + 1; each trial joins one bracket, drawn from its number
 * with weights ⌈n·η^s/(s+1)⌉ (s = n−1−b, so aggressive brackets get more trials), and competes only
 * with trials of its own bracket.
 */
export class HyperbandPruner implements Pruner {
  readonly name = 'hyperband';
  readonly brackets: SuccessiveHalvingPruner[];
  private readonly budgets: number[];

  constructor(
    minResource: number,
    maxResource: number,
    private readonly reductionFactor: number,
    direction: Direction,
    private readonly seed: number,
  ) {
    const n = Math.max(1, Math.floor(Math.log(Math.max(1, maxResource / minResource)) / Math.log(reductionFactor) + 1e-9) + 1);
    this.budgets = Array.from({ length: n }, (_, b) => {
      const s = n - 1 - b;
      return Math.ceil((n * reductionFactor ** s) / (s + 1));
    });
    const bracketOf = (number: number) => this.bracketOf(number);
    this.brackets = Array.from({ length: n }, (_, b) => {
      const pruner = new (class extends SuccessiveHalvingPruner {
        protected override competitors(trial: PastTrial, history: readonly PastTrial[]): readonly PastTrial[] {
          return super.competitors(trial, history).filter((t) => bracketOf(t.number) === b);
        }
      })(minResource, reductionFactor, b, direction);
      return pruner;
    });
  }

  /** The bracket trial `number` belongs to: a pure function of the study's seed and the number. */
  bracketOf(number: number): number {
    const total = this.budgets.reduce((a, b) => a + b, 0);
    let n = deriveSeed(this.seed, 'hyperband', number) % total;
    for (let b = 0; b < this.budgets.length; b++) {
      if (n < this.budgets[b]!) return b;
      n -= this.budgets[b]!;
    }
    return this.budgets.length - 1;
  }

  shouldPrune(trial: PastTrial, history: readonly PastTrial[]): boolean {
    return this.brackets[this.bracketOf(trial.number)]!.shouldPrune(trial, history);
  }

  get reduction(): number {
    return this.reductionFactor;
  }
}

/** The pruner a study names, or null for none. */
export function createPruner(spec: PrunerSpec, context: PrunerContext): Pruner | null {
  switch (spec.type) {
    case 'none':
      return null;
    case 'median':
      return new MedianPruner(spec, context.direction);
    case 'successive-halving':
      return new SuccessiveHalvingPruner(spec.minResource ?? context.firstStep, spec.reductionFactor, spec.minEarlyStoppingRate, context.direction);
    case 'hyperband':
      return new HyperbandPruner(spec.minResource ?? context.firstStep, spec.maxResource ?? context.lastStep, spec.reductionFactor, context.direction, context.seed);
  }
}
