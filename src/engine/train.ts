// Trains a cohort: many steps per submit, results read back asynchronously, evaluation between submits.
import type { GpuContext } from '../gpu/device.ts';
import { scoped } from '../gpu/errors.ts';
import { singlePassWrites, type GpuTimer } from '../gpu/timing.ts';
import type { Cohort, EvalSplit, MetricsRead, TrialStatusRead } from './cohort.ts';

export interface ChunkReport {
  /** Cohort step (dispatched steps before this submit) of the chunk's first step. */
  firstStep: number;
  steps: number;
  /** Per slot, the steps its trial had taken before the chunk (its own count). */
  slotSteps: number[];
  /** Mean batch loss of every step and slot, [steps][T]. */
  losses: Float32Array;
  status: TrialStatusRead[];
  /** GPU time of the chunk's training pass (timestamp-query or wall clock, see the timer's source). */
  gpuMs: number;
}

export interface AdvanceOptions {
  timer: GpuTimer;
  /** Aim for submits of about this much GPU time (the chunk size adapts; results do not). Default 250 ms. */
  targetSubmitMs?: number;
  signal?: AbortSignal;
  onChunk?: (report: ChunkReport) => void;
}

export interface AdvanceResult {
  /** Steps dispatched (fewer than asked only when the signal stopped it). */
  steps: number;
  stopped: boolean;
  /** GPU milliseconds of the training passes. */
  gpuMs: number;
  status: TrialStatusRead[];
}

/** Submit sizes carry over between calls for one cohort, so the next call starts at the learned size. */
const chunkSizes = new WeakMap<Cohort, number>();

/**
 * Trains every training slot of `cohort` for `steps` more steps, in submits that never cross a
 * trial's epoch boundary (see Cohort.stepsToEpochEnd): the caller evaluates, prunes, refills or
 * copies between calls. Two submits stay queued, so the GPU never waits for the CPU.
 */
export async function advance(ctx: GpuContext, cohort: Cohort, steps: number, options: AdvanceOptions): Promise<AdvanceResult> {
  const { device, memory } = ctx;
  const targetMs = options.targetSubmitMs ?? 250;
  let status: TrialStatusRead[] = Array.from({ length: cohort.T }, () => ({ diverged: false, divergedStep: null }));
  let gpuMs = 0;
  let done = 0;
  let stopped = false;
  // Each chunk's results are handled after the previous chunk's, in order.
  let previous: Promise<void> = Promise.resolve();

  const submitChunk = (count: number): Promise<void> => {
    const firstStep = cohort.stepsDone;
    const slotSteps = Array.from({ length: cohort.T }, (_, t) => cohort.slot(t).steps);
    const span = options.timer.span(`${cohort.id}.train`);
    const encoder = device.createCommandEncoder({ label: `${cohort.id}.train` });
    const pass = encoder.beginComputePass({ label: `${cohort.id}.train`, timestampWrites: singlePassWrites(span) });
    cohort.encodeTrainSteps(pass, count);
    pass.end();
    const staging = memory.create(`${cohort.id}/staging`, cohort.chunkResultBytes(count), GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ);
    cohort.copyChunkResults(encoder, count, staging);
    span.resolve(encoder);
    const { errors } = scoped(device, `train ${cohort.id} steps ${firstStep}..${firstStep + count - 1}`, () => device.queue.submit([encoder.finish()]));
    span.submitted();
    const results = (async () => {
      try {
        await errors;
        await staging.mapAsync(GPUMapMode.READ);
        const parsed = cohort.parseChunkResults(staging.getMappedRange(), count);
        staging.unmap();
        return { parsed, gpuMs: await span.ms };
      } finally {
        memory.free(staging);
      }
    })();
    const prior = previous;
    previous = (async () => {
      await prior;
      const { parsed, gpuMs: ms } = await results;
      gpuMs += ms;
      status = parsed.status;
      const msPerStep = ms / count;
      if (msPerStep > 0) chunkSizes.set(cohort, Math.max(1, Math.min(cohort.ring.slots, Math.round(targetMs / msPerStep))));
      options.onChunk?.({ firstStep, steps: count, slotSteps, losses: parsed.losses, status: parsed.status, gpuMs: ms });
    })();
    return previous;
  };

  const inFlight: Promise<void>[] = [];
  try {
    while (done < steps) {
      if (options.signal?.aborted) {
        stopped = true;
        break;
      }
      ctx.assertAlive();
      const count = Math.min(chunkSizes.get(cohort) ?? 2, steps - done, cohort.stepsToEpochEnd(), cohort.ring.slots);
      inFlight.push(submitChunk(count));
      // Keep two submits queued: the GPU never waits for the CPU, the CPU never runs far ahead.
      if (inFlight.length >= 2) await inFlight.shift();
      done += count;
    }
    await Promise.all(inFlight);
  } catch (error) {
    // Let every submitted chunk settle (and free its staging buffer) before reporting the first failure.
    await Promise.allSettled(inFlight);
    throw error;
  }
  return { steps: done, stopped, gpuMs, status };
}

/** Evaluates every slot of the cohort on `split` (no dropout, no updates). */
export async function evaluateCohort(ctx: GpuContext, cohort: Cohort, split: EvalSplit): Promise<MetricsRead[]> {
  const { device } = ctx;
  const encoder = device.createCommandEncoder({ label: `${cohort.id}.eval-${split}` });
  cohort.clearEvalMetrics(encoder);
  const pass = encoder.beginComputePass({ label: `${cohort.id}.eval-${split}` });
  cohort.encodeEval(pass, split);
  pass.end();
  const { errors } = scoped(device, `evaluate ${cohort.id} on ${split}`, () => device.queue.submit([encoder.finish()]));
  await errors;
  return cohort.readMetrics(split);
}

export interface EpochReport {
  /** The epoch (0-based) that just ended for the reporting slots. */
  epoch: number;
  stepsDone: number;
  /** The slots whose epoch (or planned training) ended here: every training slot, unless slots differ in epoch length (own rows). */
  slots: number[];
  /** Training loss and accuracy accumulated over the epoch's batches (with dropout active). */
  train: MetricsRead[];
  validation: MetricsRead[];
}

export interface RunCohortOptions extends Omit<AdvanceOptions, 'onChunk'> {
  epochs: number;
  /** Stop every trial after this many of its own steps. */
  maxSteps?: number;
  /** Evaluate the test split after the last epoch. */
  evaluateTest?: boolean;
  onChunk?: (report: ChunkReport) => void;
  onEpoch?: (report: EpochReport) => void;
}

export interface CohortRunResult {
  /** true when the signal stopped training before the planned steps. */
  stopped: boolean;
  stepsDone: number;
  /** GPU milliseconds spent in training passes (evaluation excluded). */
  trainMs: number;
  status: TrialStatusRead[];
  epochs: EpochReport[];
  test: MetricsRead[] | null;
  /** Final parameters, [T][P]. */
  params: Float32Array;
}

/**
 * Trains a cohort's training slots for `epochs` epochs of their own rows (or `maxSteps` of their
 * own steps), evaluating whenever a slot ends an epoch; a slot whose training ends before the
 * others' is frozen. `fusetune train`, the benchmarks and the engine's tests; studies drive
 * cohorts slot by slot.
 */
export async function runCohort(ctx: GpuContext, cohort: Cohort, options: RunCohortOptions): Promise<CohortRunResult> {
  const planned = (t: number) => Math.min(options.maxSteps ?? Infinity, options.epochs * cohort.slotStepsPerEpoch(t));
  const training = () => cohort.activeSlots().filter((t) => cohort.slot(t).steps < planned(t));
  const epochs: EpochReport[] = [];
  let trainMs = 0;
  let status: TrialStatusRead[] = Array.from({ length: cohort.T }, () => ({ diverged: false, divergedStep: null }));
  let stopped = false;
  for (let active = training(); active.length > 0; active = training()) {
    const steps = Math.min(cohort.stepsToEpochEnd(), ...active.map((t) => planned(t) - cohort.slot(t).steps));
    const result = await advance(ctx, cohort, steps, options);
    trainMs += result.gpuMs;
    status = result.status;
    if (result.stopped) {
      stopped = true;
      break;
    }
    const ending = active.filter((t) => {
      const own = cohort.slot(t).steps;
      return own % cohort.slotStepsPerEpoch(t) === 0 || own >= planned(t);
    });
    if (ending.length === 0) continue;
    const validation = await evaluateCohort(ctx, cohort, 'validation');
    const train = await cohort.readMetrics('train');
    const first = ending[0]!;
    const report: EpochReport = { epoch: Math.ceil(cohort.slot(first).steps / cohort.slotStepsPerEpoch(first)) - 1, stepsDone: cohort.stepsDone, slots: ending, train, validation };
    epochs.push(report);
    options.onEpoch?.(report);
    if (status.every((s, t) => s.diverged || cohort.isFrozen(t))) break;
    // Slots done while others train on stop updating; when all are done, none is frozen.
    const rest = training();
    if (rest.length > 0) for (const t of active) if (!rest.includes(t)) cohort.freeze(t);
  }
  const test = options.evaluateTest && !stopped ? await evaluateCohort(ctx, cohort, 'test') : null;
  return { stopped, stepsDone: cohort.stepsDone, trainMs, status, epochs, test, params: await cohort.readParams() };
}
