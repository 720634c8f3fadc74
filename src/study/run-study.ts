// Runs a study as an ask/tell loop over fused cohorts: ask as many trials as free capacity allows,
// let the slot planner place them (refilling the slots of running cohorts first), train to the next
// event, report, prune or exploit, tell, repeat. The one library call behind `fusetune run` and the app.
import type { Dataset } from '../data/dataset.ts';
import { freeDataset, uploadDataset, type DeviceDataset } from '../engine/device-dataset.ts';
import type { MetricsRead } from '../engine/cohort.ts';
import { foldRows, largestFold } from '../engine/rows.ts';
import { advance, evaluateCohort, type ChunkReport } from '../engine/train.ts';
import type { GpuContext } from '../gpu/device.ts';
import { DeviceLostError } from '../gpu/errors.ts';
import { GpuTimer } from '../gpu/timing.ts';
import { defaultEvalBatch, trialBytes, type SlotBuffers } from '../model/cohort-layout.ts';
import { SHAPE_METRICS, type Objective } from '../model/objectives.ts';
import { isFinished } from '../model/states.ts';
import { plannedSteps } from '../model/steps.ts';
import { deviceBudget, type CohortPlan, type DeviceBudget } from '../schedule/plan.ts';
import { pbtRound } from '../schedule/pbt.ts';
import { createPruner, type Pruner } from '../schedule/pruners.ts';
import { eventAt, planSlots, refillReserve, reportPlan, reportStep, stepsToNextEvent, type ReportPlan, type SlotClock, type WaitingTrial } from '../schedule/slots.ts';
import type { AskedTrial } from '../search/ask-tell.ts';
import { LEARNING_SAMPLERS } from '../search/learning-samplers.ts';
import { checkStudyAgainstData, studyForTask, studyToJson, trialCount, type Study } from '../search/study.ts';
import { trialConfigOf } from '../search/to-trial-config.ts';
import { rankTrials, type EpochMetrics, type StudyRecord, type TestMetrics, type TrialRecord } from '../store/records.ts';
import { CohortPool, type RunningCohort } from './cohort-pool.ts';
import { DIVERGENCE_FACTOR, explosion } from './divergence.ts';
import type { StudyEvent } from './events.ts';
import { evaluatedValue, FoldBook, foldValues, meanMetrics, Runs } from './folds.ts';
import { chanceLoss } from '../model/loss.ts';
import { StudyStorageError, type JournalLedger } from './ledger.ts';
import { ShapeCosts } from './shape-costs.ts';
import { TrialBook } from './trial-book.ts';

export type { StudyEvent } from './events.ts';
export { reportPlan, type ReportPlan } from '../schedule/slots.ts';
export { summarizeTrials } from './trial-book.ts';

export interface RunStudyOptions {
  ctx: GpuContext;
  study: Study;
  dataset: Dataset;
  signal?: AbortSignal;
  onEvent?: (event: StudyEvent) => void;
  /** Cohorts training at once (their submits interleave on the queue). Default 4. */
  maxConcurrentCohorts?: number;
  /** Bytes the running cohorts may hold together. Default: the device's maxBufferSize, at most 2 GiB. */
  memoryBudget?: number;
  /** A trial whose batch loss exceeds this multiple of chance level (ln C) is stopped as diverged. Default 100. */
  divergenceFactor?: number;
  /** How many of the best trials get held-out test metrics. Default 3. */
  testTopK?: number;
  /**
   * Records of earlier runs of this study: finished ones are kept; the rest are trained again
   * (without a ledger; with one, the journal's retries do that).
   */
  previous?: readonly TrialRecord[];
  /** Record the study in Optuna's journal (a file, or Redis shared by several workers): numbers, budget and history come from it. */
  ledger?: JournalLedger;
  /** Slots of one cohort at most. Default 64. */
  maxTrialsPerCohort?: number;
  targetSubmitMs?: number;
}

export interface StudyOutcome {
  record: StudyRecord;
  /** What ended the run early (a lost device, a failed storage): the record's reason, as an error. */
  error?: Error;
  /** Final parameters (kernel layout) of the best trials that finished in this run, by trial index. */
  weights: Map<number, { params: Float32Array; widths: number[] }>;
}

export async function runStudy(options: RunStudyOptions): Promise<StudyOutcome> {
  const { ledger, signal } = options;
  const run = new StudyRun(options);
  try {
    // NOTE: a storage that fails ends the run like a lost device: the record says so and keeps what this run knows.
    while (!run.fatal && !signal?.aborted) {
      await run.ask();
      await run.arrange();
      if (run.pool.running.length === 0) {
        if (run.waiting.length > 0) continue;
        // Workers of a shared study wait while others still train: if one dies, its trials go
        // stale, fail, and the budget asks for them again, here.
        if (ledger?.shared && run.budgetLeft() && (await ledger.unfinished()) && !signal?.aborted) {
          await new Promise((done) => setTimeout(done, ledger.pollMs));
          continue;
        }
        break;
      }
      await run.trainRound();
    }
  } catch (error) {
    if (!(error instanceof StudyStorageError)) throw error;
    run.fatal ??= error;
  } finally {
    run.release();
  }
  return run.conclude();
}

/**
 * Checks a study against its loaded data (checkStudyAgainstData: the task's objectives, batch sizes
 * against the rows a trial trains on, PBT and folds); returns those rows: the training split, or
 * with cross-validation the smallest fold's training rows.
 */
export function checkStudyForData(study: Study, dataset: Dataset): number {
  const { folds } = dataset;
  const trainRows = folds ? Math.min(...Array.from({ length: folds.k }, (_, f) => foldRows(dataset, f).train.length)) : dataset.split.train;
  checkStudyAgainstData(study, trainRows, { task: dataset.task, ...(folds ? { folds: folds.k } : {}) });
  return trainRows;
}

/** Trials in flight for the samplers that learn, unless the study says otherwise: each batch learns from the last. */
const LEARNING_PARALLEL = 8;

/** The first objective that a trial has while it trains (accuracy or loss): what intermediate values report. */
function reportObjective(objectives: readonly Objective[]): Objective {
  return objectives.find((o) => !SHAPE_METRICS.has(o.metric)) ?? { metric: 'val_accuracy', direction: 'maximize' };
}

const errorOf = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** A slot's evaluation of the test split as a record's test metrics: the task's. */
function testMetrics(m: MetricsRead): TestMetrics {
  if (m.rmse === undefined) return { loss: m.loss, accuracy: m.accuracy };
  return { loss: m.loss, rmse: m.rmse, mae: m.mae!, ...(Number.isFinite(m.r2) ? { r2: m.r2! } : {}) };
}

/** A slot at an event: its run (a trial, or one fold of it), the steps it took, and what it reached. */
interface SlotAtEvent {
  t: number;
  run: number;
  steps: number;
  stepsPerEpoch: number;
  end: boolean;
  epochEnd: boolean;
  report: boolean;
}

/** What a run leaves when it ends: its last validation, and with cross-validation its test metrics and (fold 0) its weights. */
interface RunEnd {
  validation: MetricsRead;
  test?: MetricsRead;
  params?: Float32Array;
}

/** One run of a study: carries out the slot planner's decisions and writes every outcome through the trial book. */
class StudyRun {
  readonly started = performance.now();
  /** What ends the run with a reason: a lost device, a failing event handler. */
  fatal: Error | null = null;
  readonly record: StudyRecord;
  readonly book: TrialBook;
  readonly pool: CohortPool;
  /** Runs (trials, or their folds) asked and waiting for a slot, in the order they were asked. */
  readonly waiting: WaitingTrial[] = [];
  readonly weights = new Map<number, { params: Float32Array; widths: number[] }>();
  private readonly study: Study;
  private readonly ctx: GpuContext;
  private readonly timer: GpuTimer;
  private readonly data: DeviceDataset;
  private readonly costs: ShapeCosts;
  private readonly budget: DeviceBudget;
  private readonly evalBatch: number;
  /** The rows one run trains on (with cross-validation: the smallest fold's training rows). */
  private readonly trainRows: number;
  /** Cross-validation: k runs per trial, and each fold's evaluations, reports and ends until all k have them. */
  private readonly runs: Runs;
  private readonly foldMetrics: FoldBook<{ validation: MetricsRead; train?: MetricsRead }>;
  private readonly foldReports: FoldBook<number>;
  private readonly foldEnds: FoldBook<RunEnd>;
  private readonly reported: Objective;
  private readonly parallel: number;
  private readonly reserve: SlotBuffers;
  private plan: ReportPlan | null = null;
  private pruner: Pruner | null = null;
  private pbtRounds = 0;
  private lastRate = 0;

  constructor(private readonly options: RunStudyOptions) {
    const { ctx, dataset } = options;
    const study = studyForTask(options.study, dataset.task);
    const k = dataset.folds?.k ?? 1;
    this.runs = new Runs(k);
    this.foldMetrics = new FoldBook(k);
    this.foldReports = new FoldBook(k);
    this.foldEnds = new FoldBook(k);
    this.trainRows = checkStudyForData(study, dataset);
    this.ctx = ctx;
    this.study = study;
    this.reported = reportObjective(study.objective);
    this.timer = new GpuTimer(ctx);
    this.record = {
      version: 2,
      study: studyToJson(study),
      state: 'running',
      adapter: ctx.report,
      timing: this.timer.source,
      dataset: {
        name: dataset.name,
        description: dataset.description,
        features: dataset.features,
        classes: dataset.classes,
        split: dataset.split,
        task: dataset.task,
        ...(dataset.targetScale ? { target: dataset.targetScale.name } : {}),
        ...(dataset.folds ? { folds: k } : {}),
      },
      trials: [],
      best: null,
      samplesTrained: 0,
      occupancy: { busy: 0, dispatched: 0 },
      cohorts: [],
      startedAt: new Date().toISOString(),
    };
    this.book = new TrialBook(study, this.record, options.previous ?? [], options.ledger, this.emit);
    this.emit({ type: 'planned', record: this.record, cohorts: [] });

    this.budget = deviceBudget(ctx.limits, options.memoryBudget);
    const maxValidationRows = largestFold(dataset);
    this.evalBatch = defaultEvalBatch({ validation: Math.max(dataset.split.validation, maxValidationRows), test: dataset.split.test });
    const learning = LEARNING_SAMPLERS.includes(study.sampler.type);
    this.parallel = study.parallel ?? (study.sampler.type === 'pbt' ? study.sampler.population : learning ? LEARNING_PARALLEL : this.maxConcurrent * this.maxT);
    this.reserve = refillReserve(study);
    this.data = uploadDataset(ctx, dataset, 'study-data');
    this.pool = new CohortPool(ctx, this.data, this.evalBatch, this.record, {
      ...(dataset.folds ? { folds: { rows: (run: number) => foldRows(dataset, this.runs.fold(run)), maxValidationRows } } : {}),
      ...(study.loss ? { loss: study.loss } : {}),
    });
    const timed = study.objective.some((o) => o.metric === 'samples_per_sec' || o.metric === 'step_ms');
    this.costs = new ShapeCosts(ctx, this.data, this.evalBatch, this.timer, timed);
  }

  private get maxConcurrent(): number {
    return this.options.maxConcurrentCohorts ?? 4;
  }

  private get maxT(): number {
    return this.options.maxTrialsPerCohort ?? 64;
  }

  /** A failing event handler (the caller's: a full disk, say) ends the run with its reason, never silently. */
  readonly emit = (event: StudyEvent): void => {
    try {
      this.options.onEvent?.(event);
    } catch (error) {
      this.fatal ??= errorOf(error);
    }
  };

  budgetLeft(): boolean {
    const { samples, seconds } = this.study.budget;
    return !(samples !== undefined && (this.record.samplesTrained ?? 0) >= samples) && !(seconds !== undefined && performance.now() - this.started >= seconds * 1000);
  }

  /** Asks the sampler (or claims from the shared journal) as many trials as free capacity allows. */
  async ask(): Promise<void> {
    const { study } = this;
    const { ledger } = this.options;
    const search = this.book.search;
    const inFlight = Math.ceil((this.waiting.length + this.pool.training) / this.runs.k);
    if (inFlight >= this.parallel || !this.budgetLeft()) return;
    let asked: AskedTrial[];
    if (ledger) {
      // A shared journal hands out the numbers and keeps the budget across workers; its other
      // trials (other workers', Optuna's) are the sampler's history too.
      search.observe(await ledger.history());
      // A worker of a shared study claims no more than one cohort's worth ahead: the others get their share.
      const claims = await ledger.claim(Math.min(this.parallel - inFlight, ledger.shared ? this.maxT : Infinity), trialCount(study, search.sampler));
      asked = claims.map((c) => search.askAs(c.number, { params: c.params, seedNumber: c.seedNumber }));
    } else asked = search.ask(this.parallel - inFlight);
    if (asked.length === 0) return;
    this.book.asked(asked);
    for (const trial of asked) this.waiting.push(...this.runs.all(trial.number).map((number) => ({ number, config: trial.config })));
    if (!this.plan) {
      const first = asked[0]!.config;
      const plan = reportPlan(study, first, this.trainRows);
      this.plan = plan;
      this.record.reportUnit = plan.unit;
      const lastStep = plan.unit === 'epoch' ? first.epochs : plannedSteps(first, this.trainRows, study.budget.maxStepsPerTrial);
      this.pruner = createPruner(study.pruner, { direction: this.reported.direction, seed: study.seed, firstStep: plan.every, lastStep });
    }
  }

  private takeWaiting(run: number): WaitingTrial {
    return this.waiting.splice(this.waiting.findIndex((t) => t.number === run), 1)[0]!;
  }

  /** Where run `run` trains now (a trial's first run to start marks it running). */
  private placed(run: number, where: { cohort: string; slot: number; cohortTrials: number }, now: string): void {
    const index = this.runs.trial(run);
    this.book.placed(index, where, this.book.get(index).state === 'pending' ? now : undefined);
  }

  /**
   * Stops every run of a trial that ended early (pruned, diverged, failed): its slots freeze, its
   * runs still waiting are dropped. Without cross-validation that is the one slot.
   */
  private stopRuns(index: number): void {
    const runs = new Set(this.runs.all(index));
    for (const r of this.pool.running) r.members.forEach((run, t) => run !== null && runs.has(run) && this.pool.freeze(r, t));
    for (let i = this.waiting.length - 1; i >= 0; i--) if (runs.has(this.waiting[i]!.number)) this.waiting.splice(i, 1);
    this.foldMetrics.forget(index);
    this.foldReports.forget(index);
    this.foldEnds.forget(index);
  }

  /** Carries out the slot planner's decisions: close, refill, refuse, start, compact. */
  async arrange(): Promise<void> {
    const { dataset } = this.options;
    const cohorts = [...this.pool.running];
    const decided = planSlots({
      cohorts: this.pool.views(),
      waiting: this.waiting,
      moreToCome: this.book.search.remaining > 0 || this.study.sampler.type === 'pbt',
      maxConcurrent: this.maxConcurrent,
      packing: {
        features: dataset.features,
        classes: dataset.classes,
        trainRows: dataset.split.train,
        evalBatch: this.evalBatch,
        ...(dataset.folds ? { slotValidationRows: largestFold(dataset) } : {}),
        budget: this.budget,
        maxTrialsPerCohort: this.maxT,
      },
    });
    for (const i of decided.close) this.pool.close(cohorts[i]!);
    for (const { trial: run, cohort, slot } of decided.refill) {
      const r = cohorts[cohort]!;
      this.pool.refill(r, slot, run, this.takeWaiting(run).config);
      this.placed(run, { cohort: r.cohort.id, slot, cohortTrials: r.cohort.T }, new Date().toISOString());
      this.emit({ type: 'slot-refilled', cohort: r.cohort.id, slot, index: this.runs.trial(run) });
    }
    for (const refused of decided.refuse) {
      const index = this.runs.trial(refused.index);
      if (isFinished(this.book.get(index).state)) continue;
      this.stopRuns(index);
      this.book.finish(index, 'failed', { reason: refused.reason });
    }
    for (const { plan, reserve } of decided.start) await this.startCohort(plan, reserve);
    for (const { cohort, members } of decided.compact) {
      const r = cohorts[cohort]!;
      const moved = await this.pool.compact(
        r,
        members.map((m) => m.slot),
        members.map((m) => this.book.get(this.runs.trial(m.trial)).config),
      );
      // No room for a smaller copy now: the cohort trains on as it is.
      if (!moved) continue;
      const id = moved.cohort.id;
      members.forEach(({ trial: run }, slot) => this.book.placed(this.runs.trial(run), { cohort: id, slot, cohortTrials: moved.cohort.T }));
      this.emit({ type: 'cohort-started', cohort: id, trials: members.map((m) => this.runs.trial(m.trial)), slots: moved.cohort.T });
    }
  }

  private async startCohort(planned: CohortPlan, reserve: boolean): Promise<void> {
    const id = this.pool.nextId();
    const members = planned.trials.map((t) => t.index);
    for (const index of members) this.takeWaiting(index);
    try {
      if (this.costs.timed || this.study.objective.some((o) => o.metric === 'device_bytes')) await this.costs.measure(planned.shape, planned.trials[0]!.config);
      const r = await this.pool.start(id, planned.shape, planned.trials, reserve ? this.reserve : undefined);
      const now = new Date().toISOString();
      members.forEach((run, slot) => this.placed(run, { cohort: id, slot, cohortTrials: r.cohort.T }, now));
      this.emit({ type: 'cohort-started', cohort: id, trials: members.map((run) => this.runs.trial(run)), slots: r.cohort.T });
    } catch (error) {
      await this.failTrials(members, id, error);
    }
  }

  /** Every cohort trains to its next event; results are handled in cohort order (deterministic). */
  async trainRound(): Promise<void> {
    const { ctx, timer } = this;
    const { signal, targetSubmitMs, ledger } = this.options;
    const rounds = this.pool.running.map((r) => ({ r, steps: stepsToNextEvent(this.clocks(r).map((c) => c.clock), r.cohort.stepsPerEpoch, this.plan!), chunks: [] as ChunkReport[] }));
    const settled = await Promise.allSettled(
      rounds.map(({ r, steps, chunks }) => (Number.isFinite(steps) ? advance(ctx, r.cohort, steps, { timer, signal, targetSubmitMs, onChunk: (c) => chunks.push(c) }) : Promise.resolve(null))),
    );
    for (const [i, { r, chunks }] of rounds.entries()) {
      const outcome = settled[i]!;
      if (outcome.status === 'rejected') {
        await this.failCohort(r, outcome.reason);
        continue;
      }
      for (const chunk of chunks) this.onChunk(r, chunk);
      if (outcome.value?.stopped) continue;
      try {
        await this.handleEvents(r);
      } catch (error) {
        // Not a cohort's failure when none of its trials was left training: say so, loudly.
        if (r.members.every((m) => m === null)) this.fatal ??= errorOf(error);
        await this.failCohort(r, error);
      }
    }
    this.record.samplesTrained = this.pool.work().samples;
    // This round's reports and outcomes go into the journal as one append.
    ledger?.commit();
    this.progress();
  }

  /** The clock of every slot whose trial trains: its run's steps, planned steps and epoch (a fold's own). */
  private clocks(r: RunningCohort): { t: number; run: number; clock: Required<SlotClock> }[] {
    const { dataset } = this.options;
    return r.members.flatMap((run, t) => {
      if (run === null || this.book.get(this.runs.trial(run)).state !== 'running') return [];
      const rows = dataset.folds ? foldRows(dataset, this.runs.fold(run)).train.length : dataset.split.train;
      const end = plannedSteps(this.book.get(this.runs.trial(run)).config, rows, this.study.budget.maxStepsPerTrial);
      return [{ t, run, clock: { steps: r.cohort.slot(t).steps, end, stepsPerEpoch: r.cohort.slotStepsPerEpoch(t) } }];
    });
  }

  /** A chunk's losses go to its trials; a trial whose loss turned NaN/Inf or exploded is stopped as diverged. */
  private onChunk(r: RunningCohort, chunk: ChunkReport): void {
    const B = r.shape.batchSize;
    const stepMs = chunk.gpuMs / chunk.steps;
    const speed = { stepMs, samplesPerSec: (B / stepMs) * 1000, cohortSamplesPerSec: ((r.cohort.T * B) / stepMs) * 1000 };
    this.lastRate = ((r.cohort.activeSlots().length * B) / stepMs) * 1000;
    r.members.forEach((run, t) => {
      if (run === null) return;
      const index = this.runs.trial(run);
      if (this.book.get(index).state !== 'running') return;
      const losses = Array.from({ length: chunk.steps }, (_, s) => chunk.losses[s * r.cohort.T + t]!);
      const status = chunk.status[t]!;
      const first = chunk.slotSteps[t]!;
      const kept = status.diverged && status.divergedStep !== null ? losses.slice(0, Math.max(0, status.divergedStep - first)) : losses;
      // With cross-validation the trial's curve is its first fold's.
      if (this.runs.fold(run) === 0) this.book.trained(index, first, kept, speed);
      const blown = explosion(losses, chanceLoss(r.cohort.regression, this.options.dataset.classes), this.options.divergenceFactor ?? DIVERGENCE_FACTOR);
      if (status.diverged || blown) {
        const step = status.diverged ? (status.divergedStep ?? first) : first + blown!.at;
        const reason = status.diverged ? `loss or an update became NaN/Inf at step ${step}` : blown!.reason(step);
        const fold = this.runs.k > 1 ? ` (fold ${this.runs.fold(run)})` : '';
        this.stopRuns(index);
        this.book.finish(index, 'diverged', { divergedStep: step, reason: reason + fold });
      }
    });
  }

  /**
   * Evaluates where a slot reached an event and applies reports, prunes, exploits and ends. With
   * cross-validation a trial's evaluation, report or end waits for all its folds, then takes their mean.
   */
  private async handleEvents(r: RunningCohort): Promise<void> {
    const plan = this.plan!;
    const at: SlotAtEvent[] = this.clocks(r).flatMap(({ t, run, clock }) => {
      const event = eventAt(clock, clock.stepsPerEpoch, plan);
      return event ? [{ t, run, steps: clock.steps, stepsPerEpoch: clock.stepsPerEpoch, ...event }] : [];
    });
    if (at.length === 0) return;
    const validation = await evaluateCohort(this.ctx, r.cohort, 'validation');
    // Training accumulators matter only where an epoch (or a trial) ends.
    const train = at.some((e) => e.epochEnd || e.end) ? await r.cohort.readMetrics('train') : [];
    const ended: SlotAtEvent[] = [];
    for (const e of at) {
      const index = this.runs.trial(e.run);
      const fold = this.runs.fold(e.run);
      // Another fold of this trial may have ended it in this round.
      if (this.book.get(index).state !== 'running') continue;
      const atEpoch = e.epochEnd || e.end;
      const epochIndex = Math.ceil(e.steps / e.stepsPerEpoch) - 1;
      // Folds of different sizes may end (budget.maxStepsPerTrial) in different epochs: an end is its own point.
      const key = e.end ? 'end' : e.epochEnd ? `epoch ${epochIndex}` : `step ${e.steps}`;
      const folds = this.foldMetrics.add(index, key, fold, { validation: validation[e.t]!, train: train[e.t] });
      if (folds) {
        const v = meanMetrics(folds.map((f) => f.validation));
        const tr = atEpoch ? meanMetrics(folds.map((f) => f.train!)) : undefined;
        this.book.evaluated(index, this.latestOf(v, tr), tr && this.epochOf(epochIndex, e.steps, v, tr));
      }
      if (e.report) {
        const step = reportStep(e.steps, e.stepsPerEpoch, plan);
        const values = this.foldReports.add(index, `report ${step}`, fold, evaluatedValue(validation[e.t]!, this.reported.metric));
        if (values) {
          const value = values.reduce((sum, v) => sum + v, 0) / values.length;
          this.book.report(index, step, value);
          const search = this.book.search;
          if (!e.end && this.pruner?.shouldPrune(search.trial(index)!, search.history)) {
            this.stopRuns(index);
            this.book.finish(index, 'pruned', { reason: `pruned by ${this.pruner.name} at ${plan.unit} ${step}: ${this.reported.metric} ${value.toFixed(4)}` });
            continue;
          }
        }
      }
      if (e.end) ended.push(e);
    }
    if (this.study.sampler.type === 'pbt' && at.some((e) => e.report && !e.end)) this.exploit(r, validation.map((m) => evaluatedValue(m, this.reported.metric)));
    if (ended.length > 0) await this.complete(r, ended, validation);
  }

  /** A trial's latest validation metrics (and training loss) for its record. */
  private latestOf(v: MetricsRead, train?: MetricsRead): Pick<TrialRecord, 'valAccuracy' | 'valLoss' | 'valRmse' | 'valMae' | 'valR2'> & Partial<Pick<TrialRecord, 'trainLoss'>> {
    const regression = v.rmse !== undefined ? { valRmse: v.rmse, valMae: v.mae!, valR2: finiteOrNull(v.r2!) } : {};
    return { valAccuracy: v.rmse !== undefined ? null : v.accuracy, valLoss: v.loss, ...regression, ...(train ? { trainLoss: train.loss } : {}) };
  }

  private epochOf(epoch: number, step: number, v: MetricsRead, train: MetricsRead): EpochMetrics {
    const metrics: EpochMetrics = { epoch, step, trainLoss: train.loss, valLoss: v.loss };
    if (v.rmse === undefined) return { ...metrics, trainAccuracy: train.accuracy, valAccuracy: v.accuracy };
    return { ...metrics, trainRmse: train.rmse!, valRmse: v.rmse, valMae: v.mae!, ...(Number.isFinite(v.r2) ? { valR2: v.r2! } : {}) };
  }

  /** PBT's round over the cohort's trials: exploit (a copy on the device) and explore (new hyperparameters). */
  private exploit(r: RunningCohort, values: number[]): void {
    const { study } = this;
    if (study.sampler.type !== 'pbt') return;
    const slotOf = new Map(r.members.flatMap((index, t) => (index === null ? [] : [[index, t] as const])));
    const currentParams = (trial: TrialRecord) => trial.exploits?.at(-1)?.params ?? trial.params;
    const members = [...slotOf.entries()].map(([index, t]) => ({ number: index, value: values[t] ?? null, params: currentParams(this.book.get(index)) }));
    const commands = pbtRound(members, study.sampler, this.reported.direction, study.space, study.seed, this.pbtRounds++);
    for (const command of commands) {
      const config = { ...trialConfigOf(study, command.to, command.params), epochs: this.book.get(command.to).config.epochs };
      const from = slotOf.get(command.from)!;
      const step = r.cohort.slot(from).steps;
      r.cohort.copySlot(from, slotOf.get(command.to)!, config);
      this.book.exploited(command.to, { step, from: command.from, params: command.params }, config);
    }
  }

  /**
   * Runs that trained their whole budget leave their slots. A trial is done when all its runs are:
   * the best so far get held-out test metrics and keep their weights; the others are told.
   * Cross-validation: each fold's test metrics and fold 0's weights are kept as the fold ends (its
   * slot is refilled at once), and the trial's are their means, with every fold's values.
   */
  private async complete(r: RunningCohort, ended: readonly SlotAtEvent[], validation: readonly MetricsRead[]): Promise<void> {
    const { dataset } = this.options;
    const hasTest = dataset.split.test > 0;
    const cv = this.runs.k > 1;
    const foldTest = cv && hasTest ? await evaluateCohort(this.ctx, r.cohort, 'test') : null;
    /** Trials done now: their slot in `r` (no cross-validation) or their folds' ends. */
    const done = new Map<number, { t?: number; folds?: RunEnd[] }>();
    for (const e of ended) {
      const index = this.runs.trial(e.run);
      if (!cv) {
        done.set(index, { t: e.t });
        continue;
      }
      const fold = this.runs.fold(e.run);
      const end: RunEnd = { validation: validation[e.t]!, ...(foldTest ? { test: foldTest[e.t]! } : {}), ...(fold === 0 ? { params: await r.cohort.readSlotParams(e.t) } : {}) };
      this.pool.release(r, e.t);
      const folds = this.foldEnds.add(index, 'end', fold, end);
      if (folds) done.set(index, { folds });
    }
    if (done.size === 0) return;
    const extras = new Map(
      [...done.entries()].map(([index, { folds }]) => {
        const trial = this.book.get(index);
        const cost = this.costs.of(trial.config);
        const bytes = trialBytes(r.cohort.layout, trial.config);
        const extra: Partial<TrialRecord> = { ...(cost ? { cost } : {}), bytes: { ...bytes, total: bytes.weights + bytes.gradients + bytes.optimizer + bytes.activations } };
        if (folds) {
          extra.folds = foldValues(dataset.task, folds.map((f) => f.validation));
          if (hasTest) extra.test = testMetrics(meanMetrics(folds.map((f) => f.test!)));
        }
        return [index, extra] as const;
      }),
    );
    // The best so far by the first objective get held-out test metrics and keep their weights.
    const asDone = this.book.all().map((t) => (extras.has(t.index) ? { ...t, ...extras.get(t.index), state: 'done' as const } : t));
    const ranked = rankTrials(asDone, this.study.objective[0]!).filter((t) => t.state === 'done');
    const best = new Set(ranked.slice(0, this.options.testTopK ?? 3).map((t) => t.index));
    const keep = [...done.entries()].filter(([index]) => best.has(index));
    if (keep.length > 0) {
      const test = !cv && hasTest ? await evaluateCohort(this.ctx, r.cohort, 'test') : null;
      for (const [index, { t, folds }] of keep) {
        if (test) extras.get(index)!.test = testMetrics(test[t!]!);
        const final = { params: folds ? folds[0]!.params! : await r.cohort.readSlotParams(t!), widths: r.shape.widths };
        this.weights.set(index, final);
        this.emit({ type: 'weights', index, ...final });
      }
      for (const index of [...this.weights.keys()]) if (!best.has(index)) this.weights.delete(index);
    }
    for (const [index, { t }] of done) {
      if (t !== undefined) this.pool.release(r, t);
      this.book.finish(index, 'done', extras.get(index));
    }
  }

  /** A cohort that failed: its trials fail (or stop, when the device is lost), and it is freed. */
  private async failCohort(r: RunningCohort, error: unknown): Promise<void> {
    const members = [...r.members];
    r.members.fill(null);
    await this.failTrials(members, r.cohort.id, error);
    this.pool.close(r);
  }

  /** The trials of `runs` (slots' members, or runs about to start). */
  private trialsOf(runs: readonly (number | null)[]): number[] {
    return [...new Set(runs.flatMap((run) => (run === null ? [] : [this.runs.trial(run)])))];
  }

  private async failTrials(runs: readonly (number | null)[], id: string, error: unknown): Promise<void> {
    const { ctx } = this;
    const message = error instanceof Error ? error.message : String(error);
    // The failing call can report before device.lost resolves: give a loss a moment to show.
    const lost = await Promise.race([ctx.device.lost, new Promise<null>((done) => setTimeout(() => done(null), 250))]);
    if (error instanceof DeviceLostError || ctx.lost || lost) this.fatal ??= ctx.lost ?? (lost ? new DeviceLostError(lost.reason ?? 'unknown', lost.message) : (error as Error));
    for (const index of this.trialsOf(runs)) {
      if (isFinished(this.book.get(index).state)) continue;
      // A lost device is not the trials' fault: they stop, and a resumed run trains them again.
      if (this.fatal) this.book.stop(index, `cohort ${id}: ${message}`);
      else {
        this.stopRuns(index);
        this.book.finish(index, 'failed', { reason: `cohort ${id}: ${message}` });
      }
    }
  }

  private progress(): void {
    const all = this.book.all();
    const { maxStepsPerTrial } = this.study.budget;
    const trialsDone = all.filter((t) => isFinished(t.state)).length;
    const live = all.filter((t) => !isFinished(t.state));
    // Steps of every run: k folds per trial with cross-validation (a trial's steps are its first fold's).
    const { k } = this.runs;
    const plannedOf = (t: TrialRecord) => k * plannedSteps(t.config, this.trainRows, maxStepsPerTrial);
    const mean = all.length > 0 ? all.reduce((s, t) => s + plannedOf(t), 0) / all.length : 0;
    const remaining = this.book.search.remaining;
    const more = Number.isFinite(remaining) ? remaining : 0;
    const stepsTotal = all.filter((t) => isFinished(t.state)).reduce((s, t) => s + k * t.stepsDone, 0) + live.reduce((s, t) => s + plannedOf(t), 0) + more * mean;
    const { busy, dispatched } = this.pool.work();
    const occupancy = busy / Math.max(1, dispatched);
    this.emit({ type: 'progress', stepsDone: busy, stepsTotal: Math.max(busy, stepsTotal), samplesPerSec: this.lastRate, elapsedMs: performance.now() - this.started, trialsDone, trialsTotal: trialsDone + live.length + more, occupancy });
  }

  /** Stops the trials still training (a resumed run trains them again) and frees the device. */
  release(): void {
    for (const index of this.trialsOf(this.pool.running.flatMap((r) => r.members))) {
      if (!isFinished(this.book.get(index).state)) this.book.stop(index, 'the run stopped before the trial finished');
    }
    for (const r of [...this.pool.running]) this.pool.close(r);
    freeDataset(this.ctx, this.data);
  }

  /** Stops the trials that never started, and writes the study's result. */
  async conclude(): Promise<StudyOutcome> {
    const { fatal, record } = this;
    for (const index of this.trialsOf(this.waiting.map((w) => w.number))) {
      if (!isFinished(this.book.get(index).state)) this.book.stop(index, fatal ? `not started: ${fatal.message}` : 'not started before the run stopped');
    }
    await this.options.ledger?.flush().catch((error: unknown) => {
      if (!(error instanceof StudyStorageError)) throw error;
      this.fatal ??= error;
    });
    const { fatal: ended } = this;
    record.samplesTrained = this.pool.work().samples;
    this.book.summarize(this.options.testTopK ?? 3);
    record.state = ended ? 'failed' : this.options.signal?.aborted ? 'stopped' : 'done';
    if (ended) record.reason = ended.message;
    record.finishedAt = new Date().toISOString();
    record.wallMs = performance.now() - this.started;
    this.emit({ type: 'done', record });
    return { record, weights: this.weights, ...(ended ? { error: ended } : {}) };
  }
}
