// Trains one cohort: many steps per submit, results read back asynchronously per submit and per epoch.
import type { GpuContext } from '../gpu/device.ts';
import { scoped } from '../gpu/errors.ts';
import { singlePassWrites, type GpuTimer } from '../gpu/timing.ts';
import type { Cohort, EvalSplit, MetricsRead, TrialStatusRead } from './cohort.ts';

export interface ChunkReport {
  epoch: number;
  /** Cohort step index (0-based) of the chunk's first step. */
  firstStep: number;
  steps: number;
  /** Mean batch loss of every step and trial, [steps][T]. */
  losses: Float32Array;
  status: TrialStatusRead[];
  /** GPU time of the chunk's training pass (timestamp-query or wall clock, see the timer's source). */
  gpuMs: number;
}

export interface EpochReport {
  epoch: number;
  stepsDone: number;
  /** Training loss and accuracy accumulated over the epoch's batches (with dropout active). */
  train: MetricsRead[];
  validation: MetricsRead[];
}

export interface RunCohortOptions {
  epochs: number;
  /** Stop every trial after this many steps. */
  maxSteps?: number;
  timer: GpuTimer;
  /** Aim for submits of about this much GPU time (the chunk size adapts). Default 250 ms. */
  targetSubmitMs?: number;
  /** Evaluate the test split after the last epoch. */
  evaluateTest?: boolean;
  signal?: AbortSignal;
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

/** Evaluates every trial of the cohort on `split` (no dropout, no updates). */
export async function evaluateCohort(ctx: GpuContext, cohort: Cohort, split: EvalSplit): Promise<MetricsRead[]> {
  const { device } = ctx;
  const encoder = device.createCommandEncoder({ label: `${cohort.id}.eval-${split}` });
  cohort.clearEvalMetrics(encoder);
  const pass = encoder.beginComputePass({ label: `${cohort.id}.eval-${split}` });
  cohort.encodeEval(pass, split);
  pass.end();
  const { errors } = scoped(device, `evaluate ${cohort.id} on ${split}`, () => device.queue.submit([encoder.finish()]));
  await errors;
  return cohort.readMetrics('eval');
}

export async function runCohort(ctx: GpuContext, cohort: Cohort, options: RunCohortOptions): Promise<CohortRunResult> {
  const { device, memory } = ctx;
  const targetMs = options.targetSubmitMs ?? 250;
  const maxSteps = options.maxSteps ?? Infinity;
  const epochs: EpochReport[] = [];
  let chunkSteps = 2;
  let trainMs = 0;
  let status: TrialStatusRead[] = Array.from({ length: cohort.T }, () => ({ diverged: false, divergedStep: null }));
  let stopped = false;
  // Each chunk's results are handled after the previous chunk's, in order.
  let previous: Promise<void> = Promise.resolve();

  const submitChunk = (epoch: number, first: number, count: number, clearMetrics: boolean): Promise<void> => {
    const firstStep = cohort.stepsDone;
    const span = options.timer.span(`${cohort.id}.train`);
    const encoder = device.createCommandEncoder({ label: `${cohort.id}.train` });
    if (clearMetrics) cohort.clearTrainMetrics(encoder);
    const pass = encoder.beginComputePass({ label: `${cohort.id}.train`, timestampWrites: singlePassWrites(span) });
    cohort.encodeTrainSteps(pass, first, count);
    pass.end();
    const staging = memory.create(`${cohort.id}/staging`, cohort.chunkResultBytes(count), GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ);
    cohort.copyChunkResults(encoder, first, count, staging);
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
      const { parsed, gpuMs } = await results;
      trainMs += gpuMs;
      status = parsed.status;
      const msPerStep = gpuMs / count;
      if (msPerStep > 0) chunkSteps = Math.max(1, Math.min(cohort.ring.slots, Math.round(targetMs / msPerStep)));
      options.onChunk?.({ epoch, firstStep, steps: count, losses: parsed.losses, status: parsed.status, gpuMs });
    })();
    return previous;
  };

  for (let epoch = 0; epoch < options.epochs && !stopped; epoch++) {
    if (cohort.stepsDone >= maxSteps) break;
    cohort.beginEpoch(epoch);
    let first = 0;
    const inFlight: Promise<void>[] = [];
    try {
      while (first < cohort.stepsPerEpoch && cohort.stepsDone < maxSteps) {
        if (options.signal?.aborted) {
          stopped = true;
          break;
        }
        ctx.assertAlive();
        const count = Math.min(chunkSteps, cohort.stepsPerEpoch - first, maxSteps - cohort.stepsDone, cohort.ring.slots);
        inFlight.push(submitChunk(epoch, first, count, first === 0));
        // Keep two submits queued: the GPU never waits for the CPU, the CPU never runs far ahead.
        if (inFlight.length >= 2) await inFlight.shift();
        first += count;
      }
      await Promise.all(inFlight);
    } catch (error) {
      // Let every submitted chunk settle (and free its staging buffer) before reporting the first failure.
      await Promise.allSettled(inFlight);
      throw error;
    }
    if (stopped) break;
    const validation = await evaluateCohort(ctx, cohort, 'validation');
    const train = await cohort.readMetrics('train');
    const report: EpochReport = { epoch, stepsDone: cohort.stepsDone, train, validation };
    epochs.push(report);
    options.onEpoch?.(report);
    if (status.every((s, t) => s.diverged || cohort.isFrozen(t))) break;
  }
  const test = options.evaluateTest && !stopped ? await evaluateCohort(ctx, cohort, 'test') : null;
  return { stopped, stepsDone: cohort.stepsDone, trainMs, status, epochs, test, params: await cohort.readParams() };
}
