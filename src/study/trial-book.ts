// The trial book: the one place a trial's record is written. An outcome goes to the record, the
// sampler (tell or report), the journal (ledger) and the caller (an event), always together.
import type { Objective } from '../model/objectives.ts';
import { isFinished, type TrialState } from '../model/states.ts';
import type { TrialConfig } from '../model/trial-config.ts';
import { AskTellStudy, type AskedTrial, type TellResult } from '../search/ask-tell.ts';
import { paretoFront } from '../search/pareto.ts';
import type { PastTrial } from '../search/samplers.ts';
import type { Study } from '../search/study.ts';
import { metricValue, newTrialRecord, objectiveValues, rankTrials, type EpochMetrics, type Exploit, type StudyRecord, type TrialRecord } from '../store/records.ts';
import type { StudyEvent } from './events.ts';
import type { JournalLedger } from './ledger.ts';

/** How a trial ended in this run: trained its budget, or stopped for a reason of its own. */
export type TrialEnd = 'done' | 'pruned' | 'diverged' | 'failed';

export class TrialBook {
  readonly search: AskTellStudy;
  private readonly trials = new Map<number, TrialRecord>();
  private readonly objectives: readonly Objective[];

  /**
   * The study's trials so far: finished trials of an earlier run are history and stay as they were;
   * the others train again with their numbers (enqueued here; with a ledger, its retries do that).
   */
  constructor(
    study: Study,
    private readonly record: StudyRecord,
    previous: readonly TrialRecord[],
    private readonly ledger: JournalLedger | undefined,
    private readonly emit: (event: StudyEvent) => void,
  ) {
    this.objectives = study.objective;
    const finished = previous.filter((t) => isFinished(t.state));
    this.search = new AskTellStudy(study, { history: finished.map((t) => pastTrialOf(t, this.objectives)) });
    for (const trial of finished) this.trials.set(trial.index, trial);
    for (const trial of previous.filter((t) => !isFinished(t.state)).sort((a, b) => a.index - b.index)) {
      if (ledger) this.trials.set(trial.index, trial);
      else this.search.enqueue(trial.index, trial.params);
    }
    this.sort();
  }

  get(index: number): TrialRecord {
    const trial = this.trials.get(index);
    if (!trial) throw new RangeError(`trial ${index} is not in the book`);
    return trial;
  }

  /** Every trial of the study, in the order the book learnt of them. */
  all(): TrialRecord[] {
    return [...this.trials.values()];
  }

  /** New trials from the sampler: a record each, started in the journal, announced. */
  asked(trials: readonly AskedTrial[]): void {
    for (const trial of trials) {
      const fresh = newTrialRecord(trial.number, trial.params, trial.config);
      this.trials.set(trial.number, fresh);
      this.ledger?.started(fresh);
    }
    this.sort();
    this.emit({ type: 'asked', trials: trials.map((t) => this.get(t.number)) });
  }

  /** Where a trial trains now; `startedAt` when it starts there (a compacted trial only moves). */
  placed(index: number, where: { cohort: string; slot: number; cohortTrials: number }, startedAt?: string): void {
    Object.assign(this.get(index), where, startedAt ? { state: 'running', startedAt } : {});
  }

  /** Losses of the steps a trial took from `fromStep`, and its cohort's speed. */
  trained(index: number, fromStep: number, losses: number[], speed: Pick<TrialRecord, 'stepMs' | 'samplesPerSec' | 'cohortSamplesPerSec'>): void {
    const trial = this.get(index);
    trial.curve.push(...losses);
    trial.stepsDone = fromStep + losses.length;
    Object.assign(trial, speed);
    this.emit({ type: 'curve', index, fromStep, losses });
  }

  /** Metrics at an evaluation: the epoch's (where one ended), then the latest validation and training loss. */
  evaluated(index: number, latest: Pick<TrialRecord, 'valAccuracy' | 'valLoss'> & Partial<Pick<TrialRecord, 'trainLoss'>>, epoch?: EpochMetrics): void {
    const trial = this.get(index);
    if (epoch) {
      trial.epochs.push(epoch);
      this.emit({ type: 'epoch', index, metrics: epoch });
    }
    Object.assign(trial, latest);
  }

  /** PBT's exploit: the trial took another's state at `exploit.step` and trains on with `config`. */
  exploited(index: number, exploit: Exploit, config: TrialConfig): void {
    const trial = this.get(index);
    trial.exploits = [...(trial.exploits ?? []), exploit];
    trial.config = config;
    trial.stepsDone = exploit.step;
    this.emit({ type: 'exploit', index, exploit });
  }

  /** An intermediate value of the reported objective at `step` (the study's report unit). */
  report(index: number, step: number, value: number): void {
    this.get(index).intermediate.push({ step, value });
    this.search.report(index, step, value);
    this.ledger?.reported(index, step, value);
    this.emit({ type: 'report', index, step, value });
  }

  /** A trial's end: its record, the sampler told, the journal, the event. */
  finish(index: number, state: TrialEnd, extra: Partial<TrialRecord> = {}): void {
    const trial = this.get(index);
    Object.assign(trial, extra, { state, finishedAt: new Date().toISOString() });
    if (state === 'done') trial.values = objectiveValues(trial, this.objectives) ?? undefined;
    this.search.tell(index, toldAs(state, trial.values ?? null));
    this.ledger?.finished(trial);
    this.emit({ type: 'trial-finished', trial });
  }

  /**
   * A trial cut off through no fault of its own (the run stopped, the device was lost): recorded
   * as stopped, so a resumed study trains it again. The sampler is not told: it never ended.
   */
  stop(index: number, reason: string): void {
    const trial = this.get(index);
    Object.assign(trial, { state: 'stopped', reason, finishedAt: new Date().toISOString() });
    this.ledger?.finished(trial);
    this.emit({ type: 'trial-finished', trial });
  }

  private sort(): void {
    this.record.trials = this.all().sort((a, b) => a.index - b.index);
  }

  /**
   * The study's result from its trials: the best trial by the first objective (held-out test
   * metrics stay with the best `topK` only) and, with several objectives, the Pareto front.
   */
  summarize(topK: number): void {
    this.sort();
    summarizeTrials(this.record, this.objectives, topK);
  }
}

/** What the sampler learns of a trial that ended: complete with its values (done, with every objective's), pruned, or failed. */
function toldAs(state: TrialState, values: readonly number[] | null): Required<TellResult> {
  if (state === 'done' && values) return { state: 'complete', values };
  return { state: state === 'pruned' ? 'pruned' : 'failed', values: null };
}

function pastTrialOf(trial: TrialRecord, objectives: readonly Objective[]): PastTrial & { config: TrialConfig } {
  const { state, values } = toldAs(trial.state, trial.values ?? objectiveValues(trial, objectives));
  return {
    number: trial.index,
    params: trial.params,
    state,
    values,
    intermediate: (trial.intermediate ?? []).map(({ step, value }) => [step, value] as const),
    config: trial.config,
  };
}

/**
 * The study's result from its trials: the best trial by the first objective (held-out test metrics
 * stay with the best `topK` only) and, with several objectives, the Pareto front best first.
 */
export function summarizeTrials(record: StudyRecord, objectives: readonly Objective[], topK = 3): void {
  const ranked = rankTrials(record.trials, objectives[0]!).filter((t) => t.state === 'done');
  const best = new Set(ranked.slice(0, topK).map((t) => t.index));
  for (const trial of record.trials) if (trial.test && !best.has(trial.index)) delete trial.test;
  record.best = ranked[0]?.index ?? null;
  if (objectives.length > 1) {
    const done = record.trials.filter((t) => t.state === 'done' && objectiveValues(t, objectives) !== null);
    const sign = objectives[0]!.direction === 'maximize' ? 1 : -1;
    const first = (t: TrialRecord) => metricValue(t, objectives[0]!.metric)!;
    record.paretoFront = paretoFront(
      done.map((t) => objectiveValues(t, objectives)!),
      objectives.map((o) => o.direction),
    )
      .map((i) => done[i]!)
      .sort((a, b) => sign * (first(b) - first(a)) || a.index - b.index)
      .map((t) => t.index);
  }
}
