// Runs a study as an ask/tell loop over fused cohorts: ask as many trials as free capacity allows,
// pack them by shape (refilling the slots of running cohorts first), train to the next event,
// report, prune or exploit, tell, repeat. The one library call behind `fusetune run` and the app.
import type { Dataset } from '../data/dataset.ts';
import { Cohort } from '../engine/cohort.ts';
import { freeDataset, uploadDataset, type DeviceDataset } from '../engine/device-dataset.ts';
import { advance, evaluateCohort, type ChunkReport } from '../engine/train.ts';
import type { GpuContext } from '../gpu/device.ts';
import { DeviceLostError } from '../gpu/errors.ts';
import { GpuTimer } from '../gpu/timing.ts';
import { cohortLayout, defaultEvalBatch, optimizerState, totalBytes, trialBytes, type CohortShape } from '../model/cohort-layout.ts';
import { SHAPE_METRICS, type Objective } from '../model/objectives.ts';
import { isFinished } from '../model/states.ts';
import { plannedSteps, stepsPerEpoch } from '../model/steps.ts';
import { OPTIMIZERS, shapeKey, TRIAL_DEFAULTS, type OptimizerKind, type TrialConfig } from '../model/trial-config.ts';
import { admit, deviceBudget, planCohorts, type CohortPlan } from '../schedule/plan.ts';
import { pbtRound } from '../schedule/pbt.ts';
import { createPruner, type Pruner } from '../schedule/pruners.ts';
import { AskTellStudy, type AskedTrial } from '../search/ask-tell.ts';
import { trialCount, type PastTrial } from '../search/samplers.ts';
import { trialConfigOf } from '../search/to-trial-config.ts';
import { paretoFront } from '../search/pareto.ts';
import { checkStudyAgainstData, studyToJson, type Study } from '../search/study.ts';
import { metricValue, newTrialRecord, objectiveValues, rankTrials, type EpochMetrics, type Exploit, type ShapeCost, type StudyRecord, type TrialRecord } from '../store/records.ts';
import { DIVERGENCE_FACTOR, explosion } from './divergence.ts';
import type { JournalLedger } from './ledger.ts';

export type StudyEvent =
  /** The study record as the run begins (trials kept from an earlier run, if any). */
  | { type: 'planned'; record: StudyRecord; cohorts: { id: string; trials: number[]; bytes: number }[] }
  /** New trials asked from the sampler; they are in record.trials already. */
  | { type: 'asked'; trials: TrialRecord[] }
  | { type: 'cohort-started'; cohort: string; trials: number[]; slots: number }
  /** A trial put in a free slot of a running cohort. */
  | { type: 'slot-refilled'; cohort: string; slot: number; index: number }
  | { type: 'progress'; stepsDone: number; stepsTotal: number; samplesPerSec: number; elapsedMs: number; trialsDone: number; trialsTotal: number; occupancy: number }
  | { type: 'curve'; index: number; fromStep: number; losses: number[] }
  | { type: 'epoch'; index: number; metrics: EpochMetrics }
  /** An intermediate value of the objective at `step` (the study's report unit). */
  | { type: 'report'; index: number; step: number; value: number }
  | { type: 'exploit'; index: number; exploit: Exploit }
  | { type: 'trial-finished'; trial: TrialRecord }
  /** Final parameters (kernel layout) of a finished trial among the best so far. */
  | { type: 'weights'; index: number; params: Float32Array; widths: number[] }
  | { type: 'done'; record: StudyRecord };

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
  /** Final parameters (kernel layout) of the best trials that finished in this run, by trial index. */
  weights: Map<number, { params: Float32Array; widths: number[] }>;
}

/** Trials in flight for the samplers that learn, unless the study says otherwise: each batch learns from the last. */
const LEARNING_PARALLEL = 8;
/** Timed steps of a shape alone, for speed objectives (after two warm-up steps). */
const PROBE_STEPS = 16;

/** Where a trial reports, in its own steps: every epoch, or every `every` steps. */
export interface ReportPlan {
  unit: 'epoch' | 'step';
  /** Report every this many units (epochs or steps). */
  every: number;
}

/**
 * The report unit: the pruner's or PBT's if given; else epochs, unless trials are cut short by
 * budget.maxStepsPerTrial below two epochs of `first` (then steps, eight reports a trial).
 */
export function reportPlan(study: Study, first: TrialConfig, trainRows: number): ReportPlan {
  if (study.sampler.type === 'pbt') return { unit: 'step', every: study.sampler.interval };
  const pruner = study.pruner.type === 'none' ? null : study.pruner;
  const spe = stepsPerEpoch(trainRows, first.batchSize);
  const planned = plannedSteps(first, trainRows, study.budget.maxStepsPerTrial);
  const unit = pruner?.unit ?? (planned < 2 * spe ? 'step' : 'epoch');
  return { unit, every: pruner?.every ?? (unit === 'epoch' ? 1 : Math.max(1, Math.floor(planned / 8))) };
}

/** The first objective that a trial has while it trains (accuracy or loss): what intermediate values report. */
function reportObjective(objectives: readonly Objective[]): Objective {
  return objectives.find((o) => !SHAPE_METRICS.has(o.metric)) ?? { metric: 'val_accuracy', direction: 'maximize' };
}

/** Optimizer state and dropout buffers any trial of the study may need (so a refill always fits). */
function reserveFor(study: Study): { m: boolean; v: boolean; dropout: boolean } {
  const optimizer = study.space.optimizer;
  const kinds: OptimizerKind[] =
    optimizer?.type === 'categorical' ? (optimizer.choices.filter((c) => OPTIMIZERS.includes(c as OptimizerKind)) as OptimizerKind[]) : optimizer?.type === 'fixed' ? [optimizer.value as OptimizerKind] : [(study.defaults.optimizer as OptimizerKind | undefined) ?? TRIAL_DEFAULTS.optimizer];
  const reserve = { m: false, v: false, dropout: 'dropout' in study.space || Number(study.defaults.dropout ?? 0) > 0 };
  for (const kind of kinds) {
    const need = optimizerState(kind, 1);
    reserve.m ||= need.m;
    reserve.v ||= need.v;
  }
  return reserve;
}

function pastTrialOf(trial: TrialRecord, objectives: readonly Objective[]): PastTrial & { config: TrialConfig } {
  const state = trial.state === 'done' ? 'complete' : trial.state === 'pruned' ? 'pruned' : 'failed';
  return {
    number: trial.index,
    params: trial.params,
    state,
    values: state === 'complete' ? (trial.values ?? objectiveValues(trial, objectives)) : null,
    intermediate: (trial.intermediate ?? []).map(({ step, value }) => [step, value] as const),
    config: trial.config,
  };
}

/** A cohort while it trains: which trial holds each slot. */
interface RunningCohort {
  cohort: Cohort;
  key: string;
  shape: CohortShape;
  bytes: number;
  /** Trial index per slot; null while the slot idles. */
  members: (number | null)[];
  /** Every trial that trained in it. */
  history: number[];
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

export async function runStudy(options: RunStudyOptions): Promise<StudyOutcome> {
  const { ctx, study, dataset, ledger } = options;
  const started = performance.now();
  checkStudyAgainstData(study, dataset.split.train);
  const objectives = study.objective;
  const reported = reportObjective(objectives);
  const trainRows = dataset.split.train;
  let fatal: Error | null = null;
  // A failing event handler (the caller's: a full disk, say) ends the run with its reason, never silently.
  const emit = (event: StudyEvent) => {
    try {
      options.onEvent?.(event);
    } catch (error) {
      fatal ??= error instanceof Error ? error : new Error(String(error));
    }
  };

  // Trials of an earlier run: finished ones are history; the others train again with their numbers.
  const records = new Map<number, TrialRecord>();
  const finished = (options.previous ?? []).filter((t) => isFinished(t.state));
  const search = new AskTellStudy(study, { history: finished.map((t) => pastTrialOf(t, objectives)) });
  for (const trial of finished) records.set(trial.index, trial);
  for (const trial of [...(options.previous ?? [])].filter((t) => !isFinished(t.state)).sort((a, b) => a.index - b.index)) {
    if (ledger) records.set(trial.index, trial);
    else search.enqueue(trial.index, trial.params);
  }

  const timer = new GpuTimer(ctx);
  const record: StudyRecord = {
    version: 2,
    study: studyToJson(study),
    state: 'running',
    adapter: ctx.report,
    timing: timer.source,
    dataset: { name: dataset.name, description: dataset.description, features: dataset.features, classes: dataset.classes, split: dataset.split },
    trials: [],
    best: null,
    samplesTrained: 0,
    occupancy: { busy: 0, dispatched: 0 },
    cohorts: [],
    startedAt: new Date().toISOString(),
  };
  const sortTrials = () => (record.trials = [...records.values()].sort((a, b) => a.index - b.index));
  sortTrials();
  emit({ type: 'planned', record, cohorts: [] });

  const budget = deviceBudget(ctx.limits, options.memoryBudget);
  const evalBatch = defaultEvalBatch(dataset.split);
  const maxConcurrent = options.maxConcurrentCohorts ?? 4;
  const maxT = options.maxTrialsPerCohort ?? 64;
  const learning = study.sampler.type === 'tpe' || study.sampler.type === 'motpe' || study.sampler.type === 'nsga2';
  const parallel = study.parallel ?? (study.sampler.type === 'pbt' ? study.sampler.population : learning ? LEARNING_PARALLEL : maxConcurrent * maxT);
  const reserve = reserveFor(study);
  const factor = options.divergenceFactor ?? DIVERGENCE_FACTOR;
  const topK = options.testTopK ?? 3;
  const probeCosts = objectives.some((o) => o.metric === 'samples_per_sec' || o.metric === 'step_ms');

  let plan: ReportPlan | null = null;
  let pruner: Pruner | null = null;
  const pending: AskedTrial[] = [];
  const running: RunningCohort[] = [];
  const weights = new Map<number, { params: Float32Array; widths: number[] }>();
  const costs = new Map<string, ShapeCost>();
  let cohortCount = 0;
  /** Samples trained by cohorts already freed (busy trial-steps × batch). */
  let closedSamples = 0;
  let pbtRounds = 0;
  let lastRate = 0;
  const data: DeviceDataset = uploadDataset(ctx, dataset, 'study-data');

  const trialOf = (index: number) => records.get(index)!;
  const budgetLeft = () =>
    !(study.budget.samples !== undefined && (record.samplesTrained ?? 0) >= study.budget.samples) && !(study.budget.seconds !== undefined && performance.now() - started >= study.budget.seconds * 1000);

  const finish = (trial: TrialRecord, state: TrialRecord['state'], extra: Partial<TrialRecord> = {}) => {
    Object.assign(trial, extra, { state, finishedAt: new Date().toISOString() });
    if (state === 'done') {
      trial.values = objectiveValues(trial, objectives) ?? undefined;
      if (trial.values) search.tell(trial.index, { state: 'complete', values: trial.values });
      else search.tell(trial.index, { state: 'failed' });
    } else if (state === 'pruned') search.tell(trial.index, { state: 'pruned' });
    else if (state === 'diverged' || state === 'failed') search.tell(trial.index, { state: 'failed' });
    ledger?.finished(trial);
    emit({ type: 'trial-finished', trial });
  };

  const ask = async () => {
    const inFlight = pending.length + running.reduce((n, r) => n + r.members.filter((m) => m !== null).length, 0);
    if (inFlight >= parallel || !budgetLeft()) return;
    let asked: AskedTrial[];
    if (ledger) {
      // A shared journal hands out the numbers and keeps the budget across workers; its other
      // trials (other workers', Optuna's) are the sampler's history too.
      search.observe(await ledger.history());
      // A worker of a shared study claims no more than one cohort's worth ahead: the others get their share.
      const claims = await ledger.claim(Math.min(parallel - inFlight, ledger.shared ? maxT : Infinity), trialCount(study, search.sampler));
      asked = claims.map((c) => search.askAs(c.number, { params: c.params, seedNumber: c.seedNumber }));
    } else asked = search.ask(parallel - inFlight);
    if (asked.length === 0) return;
    for (const trial of asked) {
      const fresh = newTrialRecord(trial.number, trial.params, trial.config);
      records.set(trial.number, fresh);
      pending.push(trial);
      ledger?.started(fresh);
    }
    sortTrials();
    emit({ type: 'asked', trials: asked.map((t) => trialOf(t.number)) });
    if (!plan) {
      plan = reportPlan(study, asked[0]!.config, trainRows);
      record.reportUnit = plan.unit;
      const firstStep = plan.every;
      const lastStep = plan.unit === 'epoch' ? asked[0]!.config.epochs : plannedSteps(asked[0]!.config, trainRows, study.budget.maxStepsPerTrial);
      pruner = createPruner(study.pruner, { direction: reported.direction, seed: study.seed, firstStep, lastStep });
    }
  };

  const measureCost = async (shape: CohortShape, config: TrialConfig): Promise<ShapeCost> => {
    const key = shapeKey(config);
    const known = costs.get(key);
    if (known) return known;
    const layout = cohortLayout({ shape, trials: [config], trainRows, evalBatch, offsetAlignment: ctx.limits.minStorageBufferOffsetAlignment });
    let stepMs = NaN;
    if (probeCosts) {
      const probe = await Cohort.create(ctx, { id: `probe-${costs.size}`, shape, trials: [config], data, evalBatch });
      try {
        await advance(ctx, probe, 2, { timer });
        const timed = await advance(ctx, probe, PROBE_STEPS, { timer, targetSubmitMs: Infinity });
        stepMs = timed.gpuMs / timed.steps;
      } finally {
        probe.destroy();
      }
    }
    const cost = { stepMs, samplesPerSec: (shape.batchSize / stepMs) * 1000, bytes: totalBytes(layout.buffers) };
    costs.set(key, cost);
    return cost;
  };

  /** Puts pending trials in free slots of running cohorts of their shape, in trial order. */
  const refill = () => {
    for (const trial of [...pending]) {
      const key = shapeKey(trial.config);
      for (const r of running) {
        if (r.key !== key || r.cohort.incompatibility(trial.config)) continue;
        const slot = r.members.findIndex((m) => m === null);
        if (slot < 0) continue;
        r.cohort.assign(slot, trial.config);
        r.members[slot] = trial.number;
        r.history.push(trial.number);
        pending.splice(pending.indexOf(trial), 1);
        Object.assign(trialOf(trial.number), { state: 'running', cohort: r.cohort.id, slot, cohortTrials: r.cohort.T, startedAt: new Date().toISOString() });
        emit({ type: 'slot-refilled', cohort: r.cohort.id, slot, index: trial.number });
        break;
      }
    }
  };

  /** Starts cohorts for the pending trials (by shape, largest fitting groups) while capacity allows. */
  const startCohorts = async () => {
    if (pending.length === 0 || running.length >= maxConcurrent) return;
    const planned = planCohorts({
      trials: pending.map((t) => ({ index: t.number, config: t.config })),
      features: dataset.features,
      classes: dataset.classes,
      trainRows,
      evalBatch,
      budget,
      maxTrialsPerCohort: maxT,
    });
    for (const refused of planned.refused) {
      pending.splice(
        pending.findIndex((t) => t.number === refused.index),
        1,
      );
      finish(trialOf(refused.index), 'failed', { reason: refused.reason });
    }
    // Oldest trials first: a group waits no longer than its first trial's number says.
    const order = [...planned.cohorts].sort((a, b) => a.trials[0]!.index - b.trials[0]!.index);
    const runningBytes = running.reduce((s, r) => s + r.bytes, 0);
    for (const next of admit(order, runningBytes, running.length, budget, maxConcurrent)) await startCohort(next);
  };

  const startCohort = async (planned: CohortPlan) => {
    const id = `cohort-${cohortCount++}`;
    const configs = planned.trials.map((t) => t.config);
    // Slots stay open for refills while more trials may come: reserve what any of them could need.
    const refills = search.remaining > 0 || pending.length > planned.trials.length || study.sampler.type === 'pbt';
    const members = planned.trials.map((t) => t.index);
    for (const index of members) pending.splice(pending.findIndex((t) => t.number === index), 1);
    try {
      if (probeCosts || objectives.some((o) => o.metric === 'device_bytes')) await measureCost(planned.shape, configs[0]!);
      const cohort = await Cohort.create(ctx, { id, shape: planned.shape, trials: configs, data, evalBatch, reserve: refills ? reserve : undefined });
      running.push({ cohort, key: shapeKey(configs[0]!), shape: planned.shape, bytes: cohort.bytesHeld, members: [...members], history: [...members] });
      const now = new Date().toISOString();
      members.forEach((index, slot) => Object.assign(trialOf(index), { state: 'running', cohort: id, slot, cohortTrials: cohort.T, startedAt: now }));
      emit({ type: 'cohort-started', cohort: id, trials: members, slots: cohort.T });
    } catch (error) {
      await failCohortTrials(members, id, error);
    }
  };

  const failCohortTrials = async (members: readonly (number | null)[], id: string, error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    // The failing call can report before device.lost resolves: give a loss a moment to show.
    const lost = await Promise.race([ctx.device.lost, new Promise<null>((done) => setTimeout(() => done(null), 250))]);
    if (error instanceof DeviceLostError || ctx.lost || lost) fatal ??= ctx.lost ?? (lost ? new DeviceLostError(lost.reason ?? 'unknown', lost.message) : (error as Error));
    for (const index of members) {
      if (index === null) continue;
      const trial = trialOf(index);
      if (isFinished(trial.state)) continue;
      // A lost device is not the trials' fault: they stop, and a resumed run trains them again.
      if (fatal) Object.assign(trial, { state: 'stopped', reason: `cohort ${id}: ${message}`, finishedAt: new Date().toISOString() });
      else finish(trial, 'failed', { reason: `cohort ${id}: ${message}` });
      if (fatal) emit({ type: 'trial-finished', trial });
    }
  };

  /** Steps until the next event of any training slot: an epoch end, a report, a trial's end. */
  const stepsToEvent = (r: RunningCohort): number => {
    let steps = Infinity;
    for (const t of r.cohort.activeSlots()) {
      const { config, steps: done } = r.cohort.slot(t);
      const spe = r.cohort.stepsPerEpoch;
      const end = plannedSteps(config!, trainRows, study.budget.maxStepsPerTrial);
      const every = plan!.unit === 'epoch' ? spe * plan!.every : plan!.every;
      const nextReport = (Math.floor(done / every) + 1) * every;
      steps = Math.min(steps, spe - (done % spe), nextReport - done, end - done);
    }
    return steps;
  };

  const onChunk = (r: RunningCohort, chunk: ChunkReport) => {
    const B = r.shape.batchSize;
    const stepMs = chunk.gpuMs / chunk.steps;
    lastRate = ((r.cohort.activeSlots().length * B) / stepMs) * 1000;
    r.members.forEach((index, t) => {
      if (index === null) return;
      const trial = trialOf(index);
      if (trial.state !== 'running') return;
      const losses = Array.from({ length: chunk.steps }, (_, s) => chunk.losses[s * r.cohort.T + t]!);
      const status = chunk.status[t]!;
      const first = chunk.slotSteps[t]!;
      const kept = status.diverged && status.divergedStep !== null ? losses.slice(0, Math.max(0, status.divergedStep - first)) : losses;
      trial.curve.push(...kept);
      trial.stepsDone = first + kept.length;
      Object.assign(trial, { stepMs, samplesPerSec: (B / stepMs) * 1000, cohortSamplesPerSec: ((r.cohort.T * B) / stepMs) * 1000 });
      emit({ type: 'curve', index, fromStep: first, losses: kept });
      const blown = explosion(losses, dataset.classes, factor);
      if (status.diverged || blown) {
        const step = status.diverged ? (status.divergedStep ?? first) : first + blown!.at;
        const reason = status.diverged ? `loss or an update became NaN/Inf at step ${step}` : blown!.reason(step);
        r.cohort.freeze(t);
        r.members[t] = null;
        finish(trial, 'diverged', { divergedStep: step, reason });
      }
    });
  };

  /** Evaluates where a slot reached an event and applies reports, prunes, ends; returns the trials that ended done. */
  const handleEvents = async (r: RunningCohort) => {
    const spe = r.cohort.stepsPerEpoch;
    const at = r.members.flatMap((index, t) => {
      if (index === null || trialOf(index).state !== 'running') return [];
      const steps = r.cohort.slot(t).steps;
      const config = trialOf(index).config;
      const end = steps >= plannedSteps(config, trainRows, study.budget.maxStepsPerTrial);
      const epochEnd = steps % spe === 0;
      const report = plan!.unit === 'epoch' ? epochEnd && (steps / spe) % plan!.every === 0 : steps % plan!.every === 0;
      return end || epochEnd || report ? [{ t, index, steps, end, epochEnd, report }] : [];
    });
    if (at.length === 0) return;
    const validation = await evaluateCohort(ctx, r.cohort, 'validation');
    // Training accumulators matter only where an epoch (or a trial) ends.
    const train = at.some((e) => e.epochEnd || e.end) ? await r.cohort.readMetrics('train') : [];
    const done: { t: number; index: number }[] = [];
    for (const e of at) {
      const trial = trialOf(e.index);
      const v = validation[e.t]!;
      if (e.epochEnd || e.end) {
        const metrics: EpochMetrics = { epoch: Math.ceil(e.steps / spe) - 1, step: e.steps, trainLoss: train[e.t]!.loss, trainAccuracy: train[e.t]!.accuracy, valLoss: v.loss, valAccuracy: v.accuracy };
        trial.epochs.push(metrics);
        emit({ type: 'epoch', index: e.index, metrics });
      }
      Object.assign(trial, { valAccuracy: v.accuracy, valLoss: v.loss, ...(train[e.t] ? { trainLoss: train[e.t]!.loss } : {}) });
      if (e.report) {
        const step = plan!.unit === 'epoch' ? e.steps / spe : e.steps;
        const value = reported.metric === 'val_loss' ? v.loss : v.accuracy;
        trial.intermediate.push({ step, value });
        search.report(e.index, step, value);
        ledger?.reported(e.index, step, value);
        emit({ type: 'report', index: e.index, step, value });
        if (!e.end && pruner?.shouldPrune(search.trial(e.index)!, search.history)) {
          r.cohort.freeze(e.t);
          r.members[e.t] = null;
          finish(trial, 'pruned', { reason: `pruned by ${pruner.name} at ${plan!.unit} ${step}: ${reported.metric} ${value.toFixed(4)}` });
          continue;
        }
      }
      if (e.end) done.push(e);
    }
    if (study.sampler.type === 'pbt' && at.some((e) => e.report && !e.end)) exploit(r, validation.map((m) => (reported.metric === 'val_loss' ? m.loss : m.accuracy)));
    if (done.length > 0) await complete(r, done);
  };

  const exploit = (r: RunningCohort, values: number[]) => {
    if (study.sampler.type !== 'pbt') return;
    const slotOf = new Map(r.members.flatMap((index, t) => (index === null ? [] : [[index, t] as const])));
    const members = [...slotOf.entries()].map(([index, t]) => ({ number: index, value: values[t] ?? null, params: currentParams(trialOf(index)) }));
    const commands = pbtRound(members, study.sampler, reported.direction, study.space, study.seed, pbtRounds++);
    for (const command of commands) {
      const target = trialOf(command.to);
      const config = { ...trialConfigOf(study, command.to, command.params), epochs: target.config.epochs };
      const step = r.cohort.slot(slotOf.get(command.from)!).steps;
      r.cohort.copySlot(slotOf.get(command.from)!, slotOf.get(command.to)!, config);
      const exploit: Exploit = { step, from: command.from, params: command.params };
      target.exploits = [...(target.exploits ?? []), exploit];
      target.config = config;
      target.stepsDone = step;
      emit({ type: 'exploit', index: command.to, exploit });
    }
  };

  /** Trials that trained their whole budget: values, test metrics and weights for the best, slots freed. */
  const complete = async (r: RunningCohort, done: { t: number; index: number }[]) => {
    const finishedTrials = done.map(({ index }) => trialOf(index));
    for (const trial of finishedTrials) {
      const cost = costs.get(shapeKey(trial.config));
      if (cost) trial.cost = cost;
      const bytes = trialBytes(r.cohort.layout, trial.config);
      trial.bytes = { ...bytes, total: bytes.weights + bytes.gradients + bytes.optimizer + bytes.activations };
      trial.state = 'done';
    }
    // The best so far by the first objective get held-out test metrics and keep their weights.
    const ranked = rankTrials([...records.values()], objectives[0]!).filter((t) => t.state === 'done');
    const best = new Set(ranked.slice(0, topK).map((t) => t.index));
    const keep = done.filter(({ index }) => best.has(index));
    if (keep.length > 0) {
      const test = await evaluateCohort(ctx, r.cohort, 'test');
      for (const { t, index } of keep) {
        const trial = trialOf(index);
        trial.test = { accuracy: test[t]!.accuracy, loss: test[t]!.loss };
        const final = { params: await r.cohort.readSlotParams(t), widths: r.shape.widths };
        weights.set(index, final);
        emit({ type: 'weights', index, ...final });
      }
      for (const index of [...weights.keys()]) if (!best.has(index)) weights.delete(index);
    }
    for (const { t, index } of done) {
      r.cohort.release(t);
      r.members[t] = null;
      finish(trialOf(index), 'done');
    }
  };

  const currentParams = (trial: TrialRecord) => trial.exploits?.at(-1)?.params ?? trial.params;

  /**
   * NOTE: a cohort none of whose trials still trains is freed, even when trials of its shape wait:
   * they get a cohort of their own size, where refilling the old one would leave slots idle.
   * Refills go only into cohorts that still train (their free slots would idle anyway).
   */
  const closeEmpty = () => {
    for (const r of [...running]) if (r.members.every((m) => m === null)) closeCohort(r);
  };

  /**
   * NOTE: a cohort whose training trials fill at most half its slots, with no trial of its shape
   * waiting, moves them into a cohort of their own size (on the device, buffer to buffer; they train
   * on bit for bit), so idle slots stop costing a dispatch lane each.
   */
  const compact = async () => {
    for (const r of [...running]) {
      const live = r.members.flatMap((index, t) => (index === null ? [] : [[index, t] as const]));
      if (live.length === 0 || 2 * live.length > r.cohort.T) continue;
      if (pending.some((t) => shapeKey(t.config) === r.key)) continue;
      const id = `cohort-${cohortCount++}`;
      const { state, dropout } = r.cohort.layout;
      let cohort: Cohort;
      try {
        cohort = await Cohort.create(ctx, { id, shape: r.shape, trials: live.map(([index]) => trialOf(index).config), data, evalBatch, reserve: { m: state.m, v: state.v, dropout } });
      } catch {
        // No room for a smaller copy now: the cohort trains on as it is.
        cohortCount--;
        continue;
      }
      live.forEach(([, t], i) => cohort.adopt(r.cohort, t, i));
      const members = live.map(([index]) => index);
      r.members.fill(null);
      closeCohort(r);
      running.push({ cohort, key: r.key, shape: r.shape, bytes: cohort.bytesHeld, members: [...members], history: [...members] });
      members.forEach((index, slot) => Object.assign(trialOf(index), { cohort: id, slot, cohortTrials: cohort.T }));
      emit({ type: 'cohort-started', cohort: id, trials: members, slots: cohort.T });
    }
  };

  /** Busy and dispatched trial-steps and samples trained so far, from the cohorts' own counts. */
  const work = () => {
    let { busy, dispatched } = record.occupancy!;
    let samples = closedSamples;
    for (const r of running) {
      busy += r.cohort.occupancy.busy;
      dispatched += r.cohort.occupancy.dispatched;
      samples += r.cohort.occupancy.busy * r.shape.batchSize;
    }
    return { busy, dispatched, samples };
  };

  const closeCohort = (r: RunningCohort) => {
    const { busy, dispatched } = r.cohort.occupancy;
    closedSamples += busy * r.shape.batchSize;
    record.cohorts!.push({ id: r.cohort.id, shape: r.key, slots: r.cohort.T, trials: r.history, occupancy: { busy, dispatched } });
    record.occupancy!.busy += busy;
    record.occupancy!.dispatched += dispatched;
    r.cohort.destroy();
    running.splice(running.indexOf(r), 1);
  };

  const progress = () => {
    const all = [...records.values()];
    const trialsDone = all.filter((t) => isFinished(t.state)).length;
    const live = all.filter((t) => !isFinished(t.state));
    const plannedOf = (t: TrialRecord) => plannedSteps(t.config, trainRows, study.budget.maxStepsPerTrial);
    const mean = all.length > 0 ? all.reduce((s, t) => s + plannedOf(t), 0) / all.length : 0;
    const more = Number.isFinite(search.remaining) ? search.remaining : 0;
    const stepsTotal = all.filter((t) => isFinished(t.state)).reduce((s, t) => s + t.stepsDone, 0) + live.reduce((s, t) => s + plannedOf(t), 0) + more * mean;
    const { busy, dispatched } = work();
    const occupancy = busy / Math.max(1, dispatched);
    emit({ type: 'progress', stepsDone: busy, stepsTotal: Math.max(busy, stepsTotal), samplesPerSec: lastRate, elapsedMs: performance.now() - started, trialsDone, trialsTotal: trialsDone + live.length + more, occupancy });
  };

  try {
    while (!fatal) {
      if (options.signal?.aborted) break;
      await ask();
      closeEmpty();
      refill();
      await startCohorts();
      await compact();
      if (running.length === 0) {
        if (pending.length > 0) continue;
        // Workers of a shared study wait while others still train: if one dies, its trials go
        // stale, fail, and the budget asks for them again, here.
        if (ledger?.shared && budgetLeft() && (await ledger.unfinished()) && !options.signal?.aborted) {
          await new Promise((done) => setTimeout(done, ledger.pollMs));
          continue;
        }
        break;
      }
      // Every cohort trains to its next event; results are handled in cohort order (deterministic).
      const rounds = running.map((r) => ({ r, steps: stepsToEvent(r), chunks: [] as ChunkReport[] }));
      const settled = await Promise.allSettled(
        rounds.map(({ r, steps, chunks }) =>
          Number.isFinite(steps) ? advance(ctx, r.cohort, steps, { timer, signal: options.signal, targetSubmitMs: options.targetSubmitMs, onChunk: (c) => chunks.push(c) }) : Promise.resolve(null),
        ),
      );
      for (const [i, { r, chunks }] of rounds.entries()) {
        const outcome = settled[i]!;
        if (outcome.status === 'rejected') {
          await failCohortTrials(r.members, r.cohort.id, outcome.reason);
          r.members.fill(null);
          closeCohort(r);
          continue;
        }
        for (const chunk of chunks) onChunk(r, chunk);
        if (outcome.value?.stopped) continue;
        try {
          await handleEvents(r);
        } catch (error) {
          // Not a cohort's failure when none of its trials was left training: say so, loudly.
          if (r.members.every((m) => m === null)) fatal ??= error instanceof Error ? error : new Error(String(error));
          await failCohortTrials(r.members, r.cohort.id, error);
          r.members.fill(null);
          closeCohort(r);
        }
      }
      record.samplesTrained = work().samples;
      // This round's reports and outcomes go into the journal as one append.
      ledger?.commit();
      progress();
    }
  } finally {
    for (const r of [...running]) {
      for (const index of r.members) {
        if (index === null) continue;
        const trial = trialOf(index);
        if (isFinished(trial.state)) continue;
        Object.assign(trial, { state: 'stopped', reason: trial.reason ?? 'the run stopped before the trial finished', finishedAt: new Date().toISOString() });
        ledger?.finished(trial);
      }
      closeCohort(r);
    }
    freeDataset(ctx, data);
  }
  for (const trial of pending) {
    const t = trialOf(trial.number);
    Object.assign(t, { state: 'stopped', reason: fatal ? `not started: ${(fatal as Error).message}` : 'not started before the run stopped' });
    ledger?.finished(t);
  }
  await ledger?.flush();

  record.samplesTrained = closedSamples;
  sortTrials();
  summarizeTrials(record, objectives, topK);
  record.state = fatal ? 'failed' : options.signal?.aborted ? 'stopped' : 'done';
  if (fatal) record.reason = (fatal as Error).message;
  record.finishedAt = new Date().toISOString();
  record.wallMs = performance.now() - started;
  emit({ type: 'done', record });
  return { record, weights };
}
