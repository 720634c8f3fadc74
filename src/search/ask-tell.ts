// The ask/tell study: ask(n) proposes trials from the sampler and the history, tell() records outcomes (pure TS).
import type { TrialConfig } from '../model/trial-config.ts';
import { createSampler } from './sampler-factory.ts';
import type { PastTrial, Sampler } from './samplers.ts';
import { isActive, type Distribution, type Params } from './space.ts';
import { trialCount, type Study } from './study.ts';
import { trialConfigOf } from './to-trial-config.ts';

/** A trial handed out by ask(): its number, parameters, their distributions and the config to train. */
export interface AskedTrial {
  number: number;
  /** The active parameters only (an inactive conditional parameter is absent). */
  params: Params;
  /** The distribution of every parameter in `params`. */
  distributions: Record<string, Distribution>;
  config: TrialConfig;
}

/** What a trial ended as; `values` in the study's objective order (complete trials only). */
export interface TellResult {
  state: 'complete' | 'pruned' | 'failed';
  values?: readonly number[] | null;
}

/**
 * A study as a sequence of asks and tells, usable from code (`new AskTellStudy(parseStudy(json))`),
 * by `fusetune run` and by the app. Numbers count from 0; each trial is seeded by its number, so a
 * trial's training does not depend on which trials were asked with it. NOTE: what ask() proposes is
 * a pure function of the study and the history told so far, so a run is reproducible from its
 * seed (the runner asks and tells in a deterministic order).
 */
export class AskTellStudy {
  readonly sampler: Sampler;
  private readonly trials = new Map<number, PastTrial & { config: TrialConfig }>();
  private readonly queued: { number: number; params: Params }[] = [];
  /** The lowest number never asked nor queued (numbers a resumed history skipped are asked first). */
  private next = 0;
  /** Trials asked here (not merely observed). */
  private readonly local = new Set<number>();
  /** history, sorted; dropped when a trial is added (its members change in place). */
  private sorted: PastTrial[] | null = null;

  constructor(
    readonly study: Study,
    options: { sampler?: Sampler; history?: readonly (PastTrial & { config?: TrialConfig })[] } = {},
  ) {
    this.sampler = options.sampler ?? createSampler(study);
    for (const trial of options.history ?? []) {
      const config = trial.config ?? trialConfigOf(study, trial.number, trial.params);
      this.sorted = null;
      this.trials.set(trial.number, { ...trial, intermediate: [...trial.intermediate], config });
    }
    this.advanceNext();
  }

  private advanceNext(): void {
    while (this.trials.has(this.next) || this.queued.some((q) => q.number === this.next)) this.next++;
  }

  /** Trials asked or queued so far, holes included: what counts against the budget's trial count. */
  private get used(): number {
    return this.trials.size + this.queued.filter((q) => !this.trials.has(q.number)).length;
  }

  /** Trials the budget's count still allows (Infinity when only samples or seconds bound the study). */
  get remaining(): number {
    return Math.max(0, trialCount(this.study, this.sampler) - this.used) + this.queued.length;
  }

  /** Every trial asked so far, by number: what the sampler learns from (kept sorted between changes). */
  get history(): readonly PastTrial[] {
    this.sorted ??= [...this.trials.values()].sort((a, b) => a.number - b.number);
    return this.sorted;
  }

  trial(number: number): (PastTrial & { config: TrialConfig }) | undefined {
    return this.trials.get(number);
  }

  /**
   * Hands out a known trial again, ahead of new ones (a resumed study retrains the trials its
   * interruption cut off, with the same number, parameters and seed).
   */
  enqueue(number: number, params: Params): void {
    if (this.trials.has(number)) throw new Error(`trial ${number} is known already`);
    this.queued.push({ number, params });
    this.queued.sort((a, b) => a.number - b.number);
    this.advanceNext();
  }

  /** Up to `n` new trials (fewer when the budget runs out); each counts as running until told. */
  ask(n = 1): AskedTrial[] {
    const out: AskedTrial[] = [];
    while (out.length < n && this.remaining > 0) {
      // In number order: a queued trial, or the lowest number never asked.
      const queued = this.queued[0] && this.queued[0].number < this.next ? this.queued.shift() : undefined;
      const number = queued?.number ?? this.next;
      const params = queued?.params ?? this.sampler.sample(number, this.history);
      const config = trialConfigOf(this.study, number, params);
      this.sorted = null;
      this.trials.set(number, { number, params, state: 'running', values: null, intermediate: [], config });
      this.local.add(number);
      this.advanceNext();
      out.push({ number, params, distributions: this.distributionsOf(params), config });
    }
    return out;
  }

  /** The study's distribution of every active parameter of `params`. */
  distributionsOf(params: Params): Record<string, Distribution> {
    const out: Record<string, Distribution> = {};
    for (const [name, d] of Object.entries(this.study.space)) if (Object.hasOwn(params, name) && isActive(d, params)) out[name] = d;
    return out;
  }

  /**
   * Trial `number` as another party assigned it (a shared journal hands out numbers): sampled from
   * the history unless `fixed.params` are given; sampled as, and trained with the seed of,
   * `fixed.seedNumber` when given (a retry is the trial it repeats). The budget is the assigner's to keep.
   */
  askAs(number: number, fixed: { params?: Params; seedNumber?: number } = {}): AskedTrial {
    if (this.local.has(number)) throw new Error(`trial ${number} was asked already`);
    // A retry without params is asked again as the trial it repeats: sampled as that number.
    const params = fixed.params ?? this.sampler.sample(fixed.seedNumber ?? number, this.history);
    const config = trialConfigOf(this.study, fixed.seedNumber ?? number, params);
    this.sorted = null;
    this.trials.set(number, { number, params, state: 'running', values: null, intermediate: [], config });
    this.local.add(number);
    this.advanceNext();
    return { number, params, distributions: this.distributionsOf(params), config };
  }

  /**
   * Trials recorded elsewhere (other workers of a shared study, or Optuna's own): they join the
   * history; a trial this study is training keeps its own, fresher record.
   */
  observe(trials: readonly PastTrial[]): void {
    for (const trial of trials) {
      const own = this.trials.get(trial.number);
      if (own?.state === 'running' && this.local.has(trial.number)) continue;
      // Unchanged trials keep their objects (samplers cache what they derive from them).
      if (own && own.state === trial.state && own.intermediate.length === trial.intermediate.length && String(own.values) === String(trial.values)) continue;
      this.sorted = null;
      this.trials.set(trial.number, { ...trial, intermediate: [...trial.intermediate], config: own?.config ?? trialConfigOf(this.study, trial.number, trial.params) });
    }
    this.advanceNext();
  }

  /** An intermediate value of the first objective at `step` (epochs or steps, as the study reports). */
  report(number: number, step: number, value: number): void {
    const trial = this.running(number);
    const last = trial.intermediate.at(-1);
    if (last && step <= last[0]) throw new RangeError(`trial ${number}: step ${step} reported after step ${last[0]}`);
    (trial.intermediate as [number, number][]).push([step, value]);
  }

  tell(number: number, result: TellResult): void {
    const trial = this.running(number);
    const objectives = this.study.objective.length;
    if (result.state === 'complete') {
      if (!result.values || result.values.length !== objectives) throw new RangeError(`trial ${number}: a complete trial needs ${objectives} value(s)`);
      if (result.values.some((v) => !Number.isFinite(v))) throw new RangeError(`trial ${number}: values must be finite (got ${result.values.join(', ')})`);
    }
    trial.state = result.state;
    trial.values = result.state === 'complete' ? [...result.values!] : null;
  }

  private running(number: number): PastTrial & { config: TrialConfig } {
    const trial = this.trials.get(number);
    if (!trial) throw new RangeError(`trial ${number} was never asked`);
    if (trial.state !== 'running') throw new Error(`trial ${number} is already ${trial.state}`);
    return trial;
  }
}
