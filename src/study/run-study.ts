// Runs a whole study: propose trials (search), pack and admit cohorts (schedule), train them (engine),
// and keep every trial's record; the one library call behind `fusetune run` and the app.
import { FINISHED_STATES } from '../model/states.ts';
import { plannedSteps } from '../model/steps.ts';
import type { Dataset } from '../data/dataset.ts';
import { Cohort } from '../engine/cohort.ts';
import { freeDataset, uploadDataset } from '../engine/device-dataset.ts';
import { defaultEvalBatch, trialBytes } from '../model/cohort-layout.ts';
import { runCohort } from '../engine/train.ts';
import type { GpuContext } from '../gpu/device.ts';
import { DeviceLostError } from '../gpu/errors.ts';
import { GpuTimer } from '../gpu/timing.ts';
import { admit, deviceBudget, planCohorts, type CohortPlan } from '../schedule/plan.ts';
import { createSampler, proposeTrial, trialCount } from '../search/samplers.ts';
import { checkStudyAgainstData, studyToJson, type Study } from '../search/study.ts';
import { rankTrials, type EpochMetrics, type StudyRecord, type TrialRecord } from '../store/records.ts';

export type StudyEvent =
  | { type: 'planned'; record: StudyRecord; cohorts: { id: string; trials: number[]; bytes: number }[] }
  | { type: 'cohort-started'; cohort: string; trials: number[] }
  | { type: 'progress'; stepsDone: number; stepsTotal: number; samplesPerSec: number; elapsedMs: number }
  | { type: 'curve'; index: number; fromStep: number; losses: number[] }
  | { type: 'epoch'; index: number; metrics: EpochMetrics }
  | { type: 'trial-finished'; trial: TrialRecord }
  /** Final parameters (kernel layout) of a finished trial, once its cohort is done. */
  | { type: 'weights'; index: number; params: Float32Array; widths: number[] }
  | { type: 'done'; record: StudyRecord };

export interface RunStudyOptions {
  ctx: GpuContext;
  study: Study;
  dataset: Dataset;
  signal?: AbortSignal;
  onEvent?: (event: StudyEvent) => void;
  /** Cohorts trained at once on the queue (interleaved submits). Default 2. */
  maxConcurrentCohorts?: number;
  /** Bytes the running cohorts may hold together. Default: a quarter of maxBufferSize × 4, at most 2 GiB. */
  memoryBudget?: number;
  /** A trial whose batch loss exceeds this multiple of chance level (ln C) is stopped as diverged. Default 100. */
  divergenceFactor?: number;
  /** How many of the best trials get held-out test metrics. Default 3. */
  testTopK?: number;
  /** Records of earlier runs of this study (a resumed journal): finished ones are kept, not re-run. */
  previous?: readonly TrialRecord[];
  /** Planning knobs, mostly for tests. */
  maxTrialsPerCohort?: number;
  targetSubmitMs?: number;
}

export interface StudyOutcome {
  record: StudyRecord;
  /** Final parameters (kernel layout) of every trial that finished, by trial index. */
  weights: Map<number, { params: Float32Array; widths: number[] }>;
}

export async function runStudy(options: RunStudyOptions): Promise<StudyOutcome> {
  const { ctx, study, dataset } = options;
  const started = performance.now();
  checkStudyAgainstData(study, dataset.split.train);
  const sampler = createSampler(study);
  const n = trialCount(study, sampler);
  const previous = new Map((options.previous ?? []).map((t) => [t.index, t]));
  const trials: TrialRecord[] = Array.from({ length: n }, (_, index) => {
    const kept = previous.get(index);
    if (kept && FINISHED_STATES.has(kept.state)) return kept;
    const { params, config } = proposeTrial(study, sampler, index);
    return { index, params, config, state: 'pending', epochs: [], intermediate: [], curve: [], stepsDone: 0, valAccuracy: null, valLoss: null, trainLoss: null, stepMs: null, samplesPerSec: null, cohortSamplesPerSec: null };
  });
  const timer = new GpuTimer(ctx);
  const record: StudyRecord = {
    version: 2,
    study: studyToJson(study),
    state: 'running',
    adapter: ctx.report,
    timing: timer.source,
    dataset: { name: dataset.name, description: dataset.description, features: dataset.features, classes: dataset.classes, split: dataset.split },
    trials,
    best: null,
    startedAt: new Date().toISOString(),
  };
  const emit = (event: StudyEvent) => options.onEvent?.(event);

  const budget = deviceBudget(ctx.limits, options.memoryBudget);
  const evalBatch = defaultEvalBatch(dataset.split);
  const plan = planCohorts({
    trials: trials.filter((t) => t.state === 'pending').map((t) => ({ index: t.index, config: t.config })),
    features: dataset.features,
    classes: dataset.classes,
    trainRows: dataset.split.train,
    evalBatch,
    budget,
    maxTrialsPerCohort: options.maxTrialsPerCohort,
  });
  for (const refused of plan.refused) {
    Object.assign(trials[refused.index]!, { state: 'failed', reason: refused.reason });
    emit({ type: 'trial-finished', trial: trials[refused.index]! });
  }
  emit({ type: 'planned', record, cohorts: plan.cohorts.map((c) => ({ id: c.id, trials: c.trials.map((t) => t.index), bytes: c.bytes })) });

  const stepsOf = (t: TrialRecord) => plannedSteps(t.config, dataset.split.train, study.budget.maxStepsPerTrial);
  const stepsTotal = plan.cohorts.reduce((sum, c) => sum + c.trials.reduce((s, t) => s + stepsOf(trials[t.index]!), 0), 0);
  let stepsDone = 0;
  const weights = new Map<number, { params: Float32Array; widths: number[] }>();
  const tests = new Map<number, { accuracy: number; loss: number }>();
  const chance = Math.log(dataset.classes);
  const explode = (options.divergenceFactor ?? 100) * chance;
  let fatal: Error | null = null;

  const data = uploadDataset(ctx, dataset, 'study-data');
  const runOne = async (planned: CohortPlan): Promise<void> => {
    const members = planned.trials.map((t) => trials[t.index]!);
    const now = new Date().toISOString();
    for (const trial of members) Object.assign(trial, { state: 'running', cohort: planned.id, cohortTrials: members.length, startedAt: now });
    emit({ type: 'cohort-started', cohort: planned.id, trials: members.map((t) => t.index) });
    let cohort: Cohort | null = null;
    try {
      cohort = await Cohort.create(ctx, { id: planned.id, shape: planned.shape, trials: members.map((t) => t.config), data, evalBatch });
      const live = cohort;
      const B = planned.shape.batchSize;
      const epochs = Math.max(...members.map((t) => t.config.epochs));
      // Trials with fewer epochs than their cohort's longest stop (freeze) when theirs are done.
      const result = await runCohort(ctx, live, {
        epochs,
        maxSteps: study.budget.maxStepsPerTrial,
        timer,
        evaluateTest: true,
        signal: options.signal,
        targetSubmitMs: options.targetSubmitMs,
        onChunk: (chunk) => {
          const stepMs = chunk.gpuMs / chunk.steps;
          members.forEach((trial, t) => {
            if (trial.state !== 'running') return;
            const losses = Array.from({ length: chunk.steps }, (_, s) => chunk.losses[s * live.T + t]!);
            const status = chunk.status[t]!;
            const kept = status.diverged && status.divergedStep !== null ? losses.slice(0, Math.max(0, status.divergedStep - chunk.firstStep)) : losses;
            trial.curve.push(...kept);
            trial.stepsDone = chunk.firstStep + kept.length;
            trial.stepMs = stepMs;
            trial.samplesPerSec = (B / stepMs) * 1000;
            trial.cohortSamplesPerSec = ((live.T * B) / stepMs) * 1000;
            emit({ type: 'curve', index: trial.index, fromStep: chunk.firstStep, losses: kept });
            const blown = losses.findIndex((l) => l > explode);
            let divergence: Partial<TrialRecord> | null = null;
            if (status.diverged) {
              divergence = { divergedStep: status.divergedStep ?? chunk.firstStep, reason: `loss or an update became NaN/Inf at step ${status.divergedStep ?? '?'}` };
            } else if (blown >= 0) {
              const step = chunk.firstStep + blown;
              const reason = `batch loss ${losses[blown]!.toPrecision(3)} at step ${step} exceeds ${options.divergenceFactor ?? 100}× chance level (${chance.toFixed(2)})`;
              divergence = { divergedStep: step, reason };
            }
            if (divergence) {
              live.freeze(t);
              Object.assign(trial, divergence, { state: 'diverged', finishedAt: new Date().toISOString() });
              emit({ type: 'trial-finished', trial });
            }
          });
          stepsDone += chunk.steps * members.filter((m) => m.state === 'running').length;
          emit({ type: 'progress', stepsDone, stepsTotal, samplesPerSec: ((live.T * B) / stepMs) * 1000, elapsedMs: performance.now() - started });
        },
        onEpoch: (report) => {
          members.forEach((trial, t) => {
            if (trial.state !== 'running') return;
            const metrics: EpochMetrics = {
              epoch: report.epoch,
              step: report.stepsDone,
              trainLoss: report.train[t]!.loss,
              trainAccuracy: report.train[t]!.accuracy,
              valLoss: report.validation[t]!.loss,
              valAccuracy: report.validation[t]!.accuracy,
            };
            trial.epochs.push(metrics);
            Object.assign(trial, { valAccuracy: metrics.valAccuracy, valLoss: metrics.valLoss, trainLoss: metrics.trainLoss });
            emit({ type: 'epoch', index: trial.index, metrics });
            if (report.epoch + 1 >= trial.config.epochs && report.epoch + 1 < epochs) {
              // Done before its cohort: frozen from here, its record complete.
              live.freeze(t);
              Object.assign(trial, { state: 'done', finishedAt: new Date().toISOString() });
              emit({ type: 'trial-finished', trial });
            }
          });
        },
      });
      members.forEach((trial, t) => {
        const bytes = trialBytes(live.layout, trial.config);
        trial.bytes = { ...bytes, total: bytes.weights + bytes.gradients + bytes.optimizer + bytes.activations };
        if (trial.state === 'running') {
          const status = result.status[t]!;
          if (status.diverged) Object.assign(trial, { state: 'diverged', divergedStep: status.divergedStep, reason: `loss or an update became NaN/Inf at step ${status.divergedStep}` });
          else if (result.stopped) Object.assign(trial, { state: 'stopped', reason: 'stopped before the planned steps' });
          else trial.state = 'done';
          trial.finishedAt = new Date().toISOString();
          emit({ type: 'trial-finished', trial });
        }
        if (trial.state === 'done') {
          const final = { params: result.params.slice(t * live.layout.P, (t + 1) * live.layout.P), widths: planned.shape.widths };
          weights.set(trial.index, final);
          emit({ type: 'weights', index: trial.index, ...final });
          if (result.test) tests.set(trial.index, { accuracy: result.test[t]!.accuracy, loss: result.test[t]!.loss });
        }
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // The failing call can report before device.lost resolves: give a loss a moment to show.
      const lost = await Promise.race([ctx.device.lost, new Promise<null>((done) => setTimeout(() => done(null), 250))]);
      if (error instanceof DeviceLostError || ctx.lost || lost) fatal = ctx.lost ?? (lost ? new DeviceLostError(lost.reason ?? 'unknown', lost.message) : (error as Error));
      // A lost device is not the trials' fault: they stop, and a resumed run trains them again.
      const state = fatal ? 'stopped' : 'failed';
      for (const trial of members) {
        if (trial.state !== 'running') continue;
        Object.assign(trial, { state, reason: `cohort ${planned.id}: ${message}`, finishedAt: new Date().toISOString() });
        emit({ type: 'trial-finished', trial });
      }
    } finally {
      cohort?.destroy();
    }
  };

  const maxConcurrent = options.maxConcurrentCohorts ?? 2;
  const pending = [...plan.cohorts];
  const running = new Map<CohortPlan, Promise<void>>();
  try {
    while ((pending.length > 0 || running.size > 0) && !fatal) {
      if (!options.signal?.aborted) {
        const runningBytes = [...running.keys()].reduce((s, c) => s + c.bytes, 0);
        for (const next of admit(pending, runningBytes, running.size, budget, maxConcurrent)) {
          pending.splice(pending.indexOf(next), 1);
          running.set(next, runOne(next).finally(() => running.delete(next)));
        }
      } else if (running.size === 0) break;
      if (running.size > 0) await Promise.race(running.values());
    }
  } finally {
    // Cohorts still in flight (after a device loss) settle before their data set is freed.
    await Promise.allSettled(running.values());
    freeDataset(ctx, data);
  }

  const ranked = rankTrials(trials, study.objective[0]!).filter((t) => t.state === 'done');
  for (const trial of ranked.slice(0, options.testTopK ?? 3)) {
    const test = tests.get(trial.index);
    if (test) trial.test = test;
  }
  record.best = ranked[0]?.index ?? null;
  record.state = fatal ? 'failed' : options.signal?.aborted ? 'stopped' : 'done';
  if (fatal) record.reason = (fatal as Error).message;
  record.finishedAt = new Date().toISOString();
  record.wallMs = performance.now() - started;
  emit({ type: 'done', record });
  return { record, weights };
}
