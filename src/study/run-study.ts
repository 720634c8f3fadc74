// Runs a study as an ask/tell loop over fused cohorts: ask as many trials as free capacity allows,
// let the slot planner place them (refilling the slots of running cohorts first), train to the next
// event, report, prune or exploit, tell, repeat. The one library call behind `fusetune run` and the app.
import type { Dataset } from '../data/dataset.ts';
import { freeDataset, uploadDataset, type DeviceDataset } from '../engine/device-dataset.ts';
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
import { eventAt, planSlots, refillReserve, reportPlan, reportStep, stepsToNextEvent, type ReportPlan, type SlotClock } from '../schedule/slots.ts';
import type { AskedTrial } from '../search/ask-tell.ts';
import { LEARNING_SAMPLERS } from '../search/learning-samplers.ts';
import { checkStudyAgainstData, studyToJson, trialCount, type Study } from '../search/study.ts';
import { trialConfigOf } from '../search/to-trial-config.ts';
import { rankTrials, type EpochMetrics, type StudyRecord, type TrialRecord } from '../store/records.ts';
import { CohortPool, type RunningCohort } from './cohort-pool.ts';
import { DIVERGENCE_FACTOR, explosion } from './divergence.ts';
import type { StudyEvent } from './events.ts';
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

/** Trials in flight for the samplers that learn, unless the study says otherwise: each batch learns from the last. */
const LEARNING_PARALLEL = 8;

/** The first objective that a trial has while it trains (accuracy or loss): what intermediate values report. */
function reportObjective(objectives: readonly Objective[]): Objective {
  return objectives.find((o) => !SHAPE_METRICS.has(o.metric)) ?? { metric: 'val_accuracy', direction: 'maximize' };
}

const errorOf = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/** A slot at an event: its trial, the steps it took, and what it reached. */
interface SlotAtEvent {
  t: number;
  index: number;
  steps: number;
  end: boolean;
  epochEnd: boolean;
  report: boolean;
}

/** One run of a study: carries out the slot planner's decisions and writes every outcome through the trial book. */
class StudyRun {
  readonly started = performance.now();
  /** What ends the run with a reason: a lost device, a failing event handler. */
  fatal: Error | null = null;
  readonly record: StudyRecord;
  readonly book: TrialBook;
  readonly pool: CohortPool;
  /** Trials asked and waiting for a slot, in the order they were asked. */
  readonly waiting: AskedTrial[] = [];
  readonly weights = new Map<number, { params: Float32Array; widths: number[] }>();
  private readonly study: Study;
  private readonly ctx: GpuContext;
  private readonly timer: GpuTimer;
  private readonly data: DeviceDataset;
  private readonly costs: ShapeCosts;
  private readonly budget: DeviceBudget;
  private readonly evalBatch: number;
  private readonly trainRows: number;
  private readonly reported: Objective;
  private readonly parallel: number;
  private readonly reserve: SlotBuffers;
  private plan: ReportPlan | null = null;
  private pruner: Pruner | null = null;
  private pbtRounds = 0;
  private lastRate = 0;

  constructor(private readonly options: RunStudyOptions) {
    const { ctx, study, dataset } = options;
    checkStudyAgainstData(study, dataset.split.train);
    this.ctx = ctx;
    this.study = study;
    this.trainRows = dataset.split.train;
    this.reported = reportObjective(study.objective);
    this.timer = new GpuTimer(ctx);
    this.record = {
      version: 2,
      study: studyToJson(study),
      state: 'running',
      adapter: ctx.report,
      timing: this.timer.source,
      dataset: { name: dataset.name, description: dataset.description, features: dataset.features, classes: dataset.classes, split: dataset.split },
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
    this.evalBatch = defaultEvalBatch(dataset.split);
    const learning = LEARNING_SAMPLERS.includes(study.sampler.type);
    this.parallel = study.parallel ?? (study.sampler.type === 'pbt' ? study.sampler.population : learning ? LEARNING_PARALLEL : this.maxConcurrent * this.maxT);
    this.reserve = refillReserve(study);
    this.data = uploadDataset(ctx, dataset, 'study-data');
    this.pool = new CohortPool(ctx, this.data, this.evalBatch, this.record);
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
    const inFlight = this.waiting.length + this.pool.training;
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
    this.waiting.push(...asked);
    if (!this.plan) {
      const first = asked[0]!.config;
      const plan = reportPlan(study, first, this.trainRows);
      this.plan = plan;
      this.record.reportUnit = plan.unit;
      const lastStep = plan.unit === 'epoch' ? first.epochs : plannedSteps(first, this.trainRows, study.budget.maxStepsPerTrial);
      this.pruner = createPruner(study.pruner, { direction: this.reported.direction, seed: study.seed, firstStep: plan.every, lastStep });
    }
  }

  private takeWaiting(number: number): AskedTrial {
    return this.waiting.splice(this.waiting.findIndex((t) => t.number === number), 1)[0]!;
  }

  /** Carries out the slot planner's decisions: close, refill, refuse, start, compact. */
  async arrange(): Promise<void> {
    const { dataset } = this.options;
    const cohorts = [...this.pool.running];
    const decided = planSlots({
      cohorts: this.pool.views(),
      waiting: this.waiting.map((t) => ({ number: t.number, config: t.config })),
      moreToCome: this.book.search.remaining > 0 || this.study.sampler.type === 'pbt',
      maxConcurrent: this.maxConcurrent,
      packing: { features: dataset.features, classes: dataset.classes, trainRows: this.trainRows, evalBatch: this.evalBatch, budget: this.budget, maxTrialsPerCohort: this.maxT },
    });
    for (const i of decided.close) this.pool.close(cohorts[i]!);
    for (const { trial, cohort, slot } of decided.refill) {
      const r = cohorts[cohort]!;
      this.pool.refill(r, slot, trial, this.takeWaiting(trial).config);
      this.book.placed(trial, { cohort: r.cohort.id, slot, cohortTrials: r.cohort.T }, new Date().toISOString());
      this.emit({ type: 'slot-refilled', cohort: r.cohort.id, slot, index: trial });
    }
    for (const refused of decided.refuse) {
      this.takeWaiting(refused.index);
      this.book.finish(refused.index, 'failed', { reason: refused.reason });
    }
    for (const { plan, reserve } of decided.start) await this.startCohort(plan, reserve);
    for (const { cohort, members } of decided.compact) {
      const r = cohorts[cohort]!;
      const moved = await this.pool.compact(
        r,
        members.map((m) => m.slot),
        members.map((m) => this.book.get(m.trial).config),
      );
      // No room for a smaller copy now: the cohort trains on as it is.
      if (!moved) continue;
      const id = moved.cohort.id;
      members.forEach(({ trial }, slot) => this.book.placed(trial, { cohort: id, slot, cohortTrials: moved.cohort.T }));
      this.emit({ type: 'cohort-started', cohort: id, trials: members.map((m) => m.trial), slots: moved.cohort.T });
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
      members.forEach((index, slot) => this.book.placed(index, { cohort: id, slot, cohortTrials: r.cohort.T }, now));
      this.emit({ type: 'cohort-started', cohort: id, trials: members, slots: r.cohort.T });
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

  /** The clock of every slot whose trial trains. */
  private clocks(r: RunningCohort): { t: number; index: number; clock: SlotClock }[] {
    return r.members.flatMap((index, t) => {
      if (index === null || this.book.get(index).state !== 'running') return [];
      const end = plannedSteps(this.book.get(index).config, this.trainRows, this.study.budget.maxStepsPerTrial);
      return [{ t, index, clock: { steps: r.cohort.slot(t).steps, end } }];
    });
  }

  /** A chunk's losses go to its trials; a trial whose loss turned NaN/Inf or exploded is stopped as diverged. */
  private onChunk(r: RunningCohort, chunk: ChunkReport): void {
    const B = r.shape.batchSize;
    const stepMs = chunk.gpuMs / chunk.steps;
    const speed = { stepMs, samplesPerSec: (B / stepMs) * 1000, cohortSamplesPerSec: ((r.cohort.T * B) / stepMs) * 1000 };
    this.lastRate = ((r.cohort.activeSlots().length * B) / stepMs) * 1000;
    r.members.forEach((index, t) => {
      if (index === null || this.book.get(index).state !== 'running') return;
      const losses = Array.from({ length: chunk.steps }, (_, s) => chunk.losses[s * r.cohort.T + t]!);
      const status = chunk.status[t]!;
      const first = chunk.slotSteps[t]!;
      const kept = status.diverged && status.divergedStep !== null ? losses.slice(0, Math.max(0, status.divergedStep - first)) : losses;
      this.book.trained(index, first, kept, speed);
      const blown = explosion(losses, chanceLoss(r.cohort.regression, this.options.dataset.classes), this.options.divergenceFactor ?? DIVERGENCE_FACTOR);
      if (status.diverged || blown) {
        const step = status.diverged ? (status.divergedStep ?? first) : first + blown!.at;
        const reason = status.diverged ? `loss or an update became NaN/Inf at step ${step}` : blown!.reason(step);
        this.pool.freeze(r, t);
        this.book.finish(index, 'diverged', { divergedStep: step, reason });
      }
    });
  }

  /** Evaluates where a slot reached an event and applies reports, prunes, exploits and ends. */
  private async handleEvents(r: RunningCohort): Promise<void> {
    const spe = r.cohort.stepsPerEpoch;
    const plan = this.plan!;
    const at: SlotAtEvent[] = this.clocks(r).flatMap(({ t, index, clock }) => {
      const event = eventAt(clock, spe, plan);
      return event ? [{ t, index, steps: clock.steps, ...event }] : [];
    });
    if (at.length === 0) return;
    const validation = await evaluateCohort(this.ctx, r.cohort, 'validation');
    // Training accumulators matter only where an epoch (or a trial) ends.
    const train = at.some((e) => e.epochEnd || e.end) ? await r.cohort.readMetrics('train') : [];
    const valueOf = (m: { loss: number; accuracy: number }) => (this.reported.metric === 'val_loss' ? m.loss : m.accuracy);
    const done: SlotAtEvent[] = [];
    for (const e of at) {
      const v = validation[e.t]!;
      const epoch: EpochMetrics | undefined =
        e.epochEnd || e.end ? { epoch: Math.ceil(e.steps / spe) - 1, step: e.steps, trainLoss: train[e.t]!.loss, trainAccuracy: train[e.t]!.accuracy, valLoss: v.loss, valAccuracy: v.accuracy } : undefined;
      this.book.evaluated(e.index, { valAccuracy: v.accuracy, valLoss: v.loss, ...(train[e.t] ? { trainLoss: train[e.t]!.loss } : {}) }, epoch);
      if (e.report) {
        const step = reportStep(e.steps, spe, plan);
        const value = valueOf(v);
        this.book.report(e.index, step, value);
        const search = this.book.search;
        if (!e.end && this.pruner?.shouldPrune(search.trial(e.index)!, search.history)) {
          this.pool.freeze(r, e.t);
          this.book.finish(e.index, 'pruned', { reason: `pruned by ${this.pruner.name} at ${plan.unit} ${step}: ${this.reported.metric} ${value.toFixed(4)}` });
          continue;
        }
      }
      if (e.end) done.push(e);
    }
    if (this.study.sampler.type === 'pbt' && at.some((e) => e.report && !e.end)) this.exploit(r, validation.map(valueOf));
    if (done.length > 0) await this.complete(r, done);
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

  /** Trials that trained their whole budget: test metrics and weights for the best so far, slots freed, outcomes told. */
  private async complete(r: RunningCohort, done: readonly SlotAtEvent[]): Promise<void> {
    const extras = new Map(
      done.map(({ index }) => {
        const trial = this.book.get(index);
        const cost = this.costs.of(trial.config);
        const bytes = trialBytes(r.cohort.layout, trial.config);
        return [index, { ...(cost ? { cost } : {}), bytes: { ...bytes, total: bytes.weights + bytes.gradients + bytes.optimizer + bytes.activations } }] as const;
      }),
    );
    // The best so far by the first objective get held-out test metrics and keep their weights.
    const asDone = this.book.all().map((t) => (extras.has(t.index) ? { ...t, ...extras.get(t.index), state: 'done' as const } : t));
    const ranked = rankTrials(asDone, this.study.objective[0]!).filter((t) => t.state === 'done');
    const best = new Set(ranked.slice(0, this.options.testTopK ?? 3).map((t) => t.index));
    const keep = done.filter(({ index }) => best.has(index));
    if (keep.length > 0) {
      const test = await evaluateCohort(this.ctx, r.cohort, 'test');
      for (const { t, index } of keep) {
        Object.assign(extras.get(index)!, { test: { accuracy: test[t]!.accuracy, loss: test[t]!.loss } });
        const final = { params: await r.cohort.readSlotParams(t), widths: r.shape.widths };
        this.weights.set(index, final);
        this.emit({ type: 'weights', index, ...final });
      }
      for (const index of [...this.weights.keys()]) if (!best.has(index)) this.weights.delete(index);
    }
    for (const { t, index } of done) {
      this.pool.release(r, t);
      this.book.finish(index, 'done', extras.get(index));
    }
  }

  /** A cohort that failed: its trials fail (or stop, when the device is lost), and it is freed. */
  private async failCohort(r: RunningCohort, error: unknown): Promise<void> {
    await this.failTrials(r.members, r.cohort.id, error);
    r.members.fill(null);
    this.pool.close(r);
  }

  private async failTrials(members: readonly (number | null)[], id: string, error: unknown): Promise<void> {
    const { ctx } = this;
    const message = error instanceof Error ? error.message : String(error);
    // The failing call can report before device.lost resolves: give a loss a moment to show.
    const lost = await Promise.race([ctx.device.lost, new Promise<null>((done) => setTimeout(() => done(null), 250))]);
    if (error instanceof DeviceLostError || ctx.lost || lost) this.fatal ??= ctx.lost ?? (lost ? new DeviceLostError(lost.reason ?? 'unknown', lost.message) : (error as Error));
    for (const index of members) {
      if (index === null || isFinished(this.book.get(index).state)) continue;
      // A lost device is not the trials' fault: they stop, and a resumed run trains them again.
      if (this.fatal) this.book.stop(index, `cohort ${id}: ${message}`);
      else this.book.finish(index, 'failed', { reason: `cohort ${id}: ${message}` });
    }
  }

  private progress(): void {
    const all = this.book.all();
    const { maxStepsPerTrial } = this.study.budget;
    const trialsDone = all.filter((t) => isFinished(t.state)).length;
    const live = all.filter((t) => !isFinished(t.state));
    const plannedOf = (t: TrialRecord) => plannedSteps(t.config, this.trainRows, maxStepsPerTrial);
    const mean = all.length > 0 ? all.reduce((s, t) => s + plannedOf(t), 0) / all.length : 0;
    const remaining = this.book.search.remaining;
    const more = Number.isFinite(remaining) ? remaining : 0;
    const stepsTotal = all.filter((t) => isFinished(t.state)).reduce((s, t) => s + t.stepsDone, 0) + live.reduce((s, t) => s + plannedOf(t), 0) + more * mean;
    const { busy, dispatched } = this.pool.work();
    const occupancy = busy / Math.max(1, dispatched);
    this.emit({ type: 'progress', stepsDone: busy, stepsTotal: Math.max(busy, stepsTotal), samplesPerSec: this.lastRate, elapsedMs: performance.now() - this.started, trialsDone, trialsTotal: trialsDone + live.length + more, occupancy });
  }

  /** Stops the trials still training (a resumed run trains them again) and frees the device. */
  release(): void {
    for (const r of [...this.pool.running]) {
      for (const index of r.members) if (index !== null && !isFinished(this.book.get(index).state)) this.book.stop(index, 'the run stopped before the trial finished');
      this.pool.close(r);
    }
    freeDataset(this.ctx, this.data);
  }

  /** Stops the trials that never started, and writes the study's result. */
  async conclude(): Promise<StudyOutcome> {
    const { fatal, record } = this;
    for (const trial of this.waiting) this.book.stop(trial.number, fatal ? `not started: ${fatal.message}` : 'not started before the run stopped');
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
