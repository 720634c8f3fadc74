// The training suites: batch-size sweep (T=1) and fused scaling (T = 1…64) of one MLP, per fused step.
import { RING_SLOTS } from '../model/structs.ts';
import type { Dataset } from '../data/dataset.ts';
import { Cohort } from '../engine/cohort.ts';
import { freeDataset, uploadDataset, type DeviceDataset } from '../engine/device-dataset.ts';
import { bytesByCategory, defaultEvalBatch, shapeOf, totalBytes, type CohortShape } from '../model/cohort-layout.ts';
import { preferredMatmulVariant, type MatmulVariant } from '../kernels/shaders.ts';
import { deviceBudget, doesNotFit } from '../schedule/plan.ts';
import { optimizerConfig, type Activation, type OptimizerKind, type TrialConfig } from '../model/trial-config.ts';
import { stamp, timePasses, type BenchEnv } from './env.ts';
import { findKnee, KNEE_GROWTH } from './knee.ts';
import { powersOfTwo } from './plan.ts';
import { invert, perSecond, ratio, scale, summarize, type Summary } from './stats.ts';

/** The network a training measurement trains: hidden widths (the data gives the input and output), activation, optimizer. */
export interface BenchNetwork {
  hidden: readonly number[];
  activation: Activation;
  optimizer: OptimizerKind;
  lr: number;
}

/** The model every training measurement uses unless told otherwise (and the peer comparison trains in TF.js). */
export const BENCH_MLP = { hidden: [128, 64], activation: 'relu', optimizer: 'adam', lr: 1e-3, batchSize: 64 } as const satisfies BenchNetwork & { batchSize: number };

export const MAX_BATCH = 1024;
export const MAX_TRIALS = 256;

/**
 * FLOPs of the products of one training step per trial: forward and weight gradient of every layer,
 * input gradient of every layer but the first (2·B·I·O each; elementwise work not counted).
 */
export function mlpStepFlops(widths: readonly number[], batchSize: number): number {
  let flops = 0;
  for (let l = 0; l + 1 < widths.length; l++) flops += 2 * batchSize * widths[l]! * widths[l + 1]! * (l > 0 ? 3 : 2);
  return flops;
}

/** T trials of the benchmark MLP (or `network`) with batch `batchSize`, differing only in their seeds. */
export function benchTrials(T: number, batchSize: number, network: BenchNetwork = BENCH_MLP): TrialConfig[] {
  return Array.from({ length: T }, (_, t) => ({
    hidden: [...network.hidden],
    activation: network.activation,
    batchSize,
    epochs: 1,
    optimizer: optimizerConfig(network.optimizer, network.lr),
    l1: 0,
    l2: 0,
    dropout: 0,
    seed: 1000 + t,
  }));
}

const OPTIMIZER_NAMES: Readonly<Record<OptimizerKind, string>> = { sgd: 'SGD', momentum: 'momentum', rmsprop: 'RMSprop', adam: 'Adam', adamw: 'AdamW' };

export function mlpWorkload(widths: readonly number[], batchSize: number, network: BenchNetwork = BENCH_MLP): string {
  return `MLP ${widths.join('-')} ${network.activation}, ${OPTIMIZER_NAMES[network.optimizer] ?? network.optimizer}, batch ${batchSize}`;
}

/** Why T trials at `batchSize` cannot run on this device and data set; null when they can. */
export function cohortRefusal(limits: GPUSupportedLimits, dataset: Dataset, T: number, batchSize: number, network: BenchNetwork = BENCH_MLP): string | null {
  if (batchSize > dataset.split.train) return `batch ${batchSize} exceeds the ${dataset.split.train} training rows`;
  const trials = benchTrials(T, batchSize, network).map((config, index) => ({ index, config }));
  const shape = shapeOf(trials[0]!.config, dataset.features, dataset.classes);
  return doesNotFit(
    { trials, features: dataset.features, classes: dataset.classes, trainRows: dataset.split.train, evalBatch: defaultEvalBatch(dataset.split), budget: deviceBudget(limits) },
    shape,
    trials,
  );
}

export interface CohortTiming {
  shape: CohortShape;
  /** The matmul core the dense kernels ran with (the engine's choice for this adapter). */
  matmul: MatmulVariant;
  /** Milliseconds per fused step (all T trials), one summary over the repetitions. */
  stepMs: Summary;
  stepsPerPass: number;
  /** Bytes of the training buffers by component (evaluation buffers left out), and their total. */
  bytes: Record<string, number>;
  /** Wall milliseconds to build the cohort (pipelines, buffers, uploads), and the excluded first step. */
  setupMs: number;
  warmupMs: number;
}

/**
 * Builds a cohort of T benchmark trials, times its training steps, runs `inspect` on it (the profile)
 * and frees it.
 */
export async function timeCohort(
  env: BenchEnv,
  data: DeviceDataset,
  T: number,
  batchSize: number,
  label: string,
  inspect?: (cohort: Cohort, timing: CohortTiming) => Promise<void>,
  network: BenchNetwork = BENCH_MLP,
): Promise<CohortTiming> {
  const { ctx } = env;
  const trials = benchTrials(T, batchSize, network);
  const shape = shapeOf(trials[0]!, data.source.features, data.source.classes);
  const matmul = env.matmul ?? preferredMatmulVariant(ctx.report);
  const started = performance.now();
  const cohort = await Cohort.create(ctx, { id: label, shape, trials, data, evalBatch: defaultEvalBatch(data.source.split), matmul });
  const setupMs = performance.now() - started;
  try {
    const times = await timePasses(
      env,
      label,
      (pass, count) => {
        // A pass never crosses an epoch boundary: start the next epoch early (its speed is the same).
        if (count > cohort.stepsToEpochEnd()) cohort.skipToNextEpoch();
        cohort.encodeTrainSteps(pass, count);
      },
      Math.min(RING_SLOTS, cohort.stepsPerEpoch),
    );
    const training = cohort.layout.buffers.filter((b) => !b.name.startsWith('eval-'));
    const bytes: Record<string, number> = { ...bytesByCategory(training), total: totalBytes(training) };
    const timing: CohortTiming = { shape, matmul, stepMs: summarize(times.msPerUnit), stepsPerPass: times.unitsPerPass, bytes, setupMs, warmupMs: times.warmupMs };
    await inspect?.(cohort, timing);
    return timing;
  } finally {
    cohort.destroy();
  }
}

/** Every power of two, quick or not: the knee needs the doubling steps. */
export function batchSizes(): number[] {
  return powersOfTwo(1, MAX_BATCH);
}

export function trialCounts(quick: boolean): number[] {
  return quick ? [1, 4, 16, 32] : powersOfTwo(1, MAX_TRIALS);
}

/** Batch sizes of the fused scaling run. */
export function fusedBatches(quick: boolean): number[] {
  return quick ? [BENCH_MLP.batchSize] : [32, 64, 128, 256];
}


/** The batch-size sweep of `network` on a data set of its own (a study's network on the study's data), uploaded for it and freed after. */
export async function sweepNetwork(env: BenchEnv, dataset: Dataset, network: BenchNetwork): Promise<void> {
  const data = uploadDataset(env.ctx, dataset, 'bench-network-data');
  try {
    await runBatchSuite(env, data, network);
  } finally {
    freeDataset(env.ctx, data);
  }
}

/** The batch-size sweep (T = 1) of the benchmark MLP, or of `network` (a study's own shape, on its own data). */
export async function runBatchSuite(env: BenchEnv, data: DeviceDataset, network: BenchNetwork = BENCH_MLP): Promise<void> {
  const points: { x: number; y: number }[] = [];
  let widths: number[] = [];
  for (const B of batchSizes()) {
    const refusal = cohortRefusal(env.ctx.limits, data.source, 1, B, network);
    if (refusal) {
      env.progress(`batch ${B}: stops the sweep (${refusal})`);
      break;
    }
    const timing = await timeCohort(env, data, 1, B, `bench-batch-${B}`, undefined, network);
    widths = timing.shape.widths;
    const samplesPerSec = invert(timing.stepMs, (ms) => perSecond(B, ms));
    points.push({ x: B, y: samplesPerSec.median });
    env.emit(
      stamp(env, {
        suite: 'batch',
        kernel: 'train-step',
        workload: mlpWorkload(widths, B, network),
        shape: { widths, batch: B, matmul: timing.matmul, stepsPerPass: timing.stepsPerPass },
        T: 1,
        values: { stepMs: timing.stepMs, samplesPerSec, setupMs: timing.setupMs, warmupMs: timing.warmupMs },
        bytes: timing.bytes,
      }),
    );
    env.progress(`batch ${B}: ${timing.stepMs.median.toFixed(2)} ms/step, ${Math.round(samplesPerSec.median)} samples/s`);
  }
  if (points.length === 0) return;
  const knee = findKnee(points);
  env.emit(
    stamp(env, {
      suite: 'batch',
      kernel: 'knee',
      workload: mlpWorkload(widths, 0, network).replace(/, batch 0$/, ''),
      shape: { widths, batches: points.map((p) => p.x) },
      T: 1,
      values: { kneeBatch: knee, growth: KNEE_GROWTH },
      note:
        knee === null
          ? 'samples/s still grew by more than 10% at the largest batch measured'
          : `no batch above ${knee} trains more than ${KNEE_GROWTH * 100}% more samples/s than the best up to ${knee}`,
    }),
  );
  env.progress(`batch knee: ${knee ?? 'not reached'}`);
}

export async function runFusedSuite(env: BenchEnv, data: DeviceDataset): Promise<void> {
  for (const B of fusedBatches(env.quick)) await runFusedBatch(env, data, B);
}

/** Fused scaling at one batch size: T = 1, 2, 4 … until the device, the data or the time limit stops it, then the knee in T. */
async function runFusedBatch(env: BenchEnv, data: DeviceDataset, B: number): Promise<void> {
  let alone: Summary | null = null;
  let msPerTrial = 0;
  const points: { x: number; y: number }[] = [];
  const byT = new Map<number, { tflops: number; bytes: number }>();
  let widths: number[] = [];
  const peak = env.ceilings?.peakGflops;
  for (const T of trialCounts(env.quick)) {
    const refusal = cohortRefusal(env.ctx.limits, data.source, T, B);
    if (refusal) {
      env.progress(`batch ${B}, T=${T}: stops the scaling run (${refusal})`);
      break;
    }
    if (msPerTrial * T > (env.budget.maxStepMs ?? Infinity)) {
      env.progress(`batch ${B}, T=${T}: stops the scaling run (a step would take about ${Math.round(msPerTrial * T)} ms)`);
      break;
    }
    const timing = await timeCohort(env, data, T, B, `bench-fused-${T}`);
    msPerTrial = timing.stepMs.median / T;
    widths = timing.shape.widths;
    alone ??= timing.stepMs;
    const samplesPerSec = invert(timing.stepMs, (ms) => perSecond(T * B, ms));
    // T trials one after another take T times the step of one trial alone (same shape, same work).
    const speedup = ratio(scale(alone, T), timing.stepMs);
    const tflops = invert(timing.stepMs, (ms) => (T * mlpStepFlops(widths, B)) / ms / 1e9);
    points.push({ x: T, y: samplesPerSec.median });
    byT.set(T, { tflops: tflops.median, bytes: timing.bytes.total! });
    env.emit(
      stamp(env, {
        suite: 'fused',
        kernel: 'train-step',
        workload: `${T} × ${mlpWorkload(widths, B)}`,
        shape: { widths, batch: B, matmul: timing.matmul, stepsPerPass: timing.stepsPerPass },
        T,
        values: {
          stepMs: timing.stepMs,
          samplesPerSec,
          perTrialSamplesPerSec: scale(samplesPerSec, 1 / T),
          speedup,
          tflops,
          peakShare: peak ? (tflops.median * 1000) / peak : null,
          setupMs: timing.setupMs,
          warmupMs: timing.warmupMs,
        },
        bytes: timing.bytes,
        note: 'speedup: T × (step time of T=1, measured in this run) ÷ fused step time of T trials; tflops: the step\'s matmul FLOPs (forward, weight and input gradients) ÷ step time',
      }),
    );
    env.progress(`batch ${B}, T=${T}: ${Math.round(samplesPerSec.median)} samples/s aggregate, ${speedup.median.toFixed(2)}× over one after another, ${(tflops.median * 1000).toPrecision(3)} GFLOP/s`);
  }
  if (points.length === 0) return;
  const knee = findKnee(points);
  const at = knee === null ? null : points.find((p) => p.x === knee)!;
  const trainRows = data.source.split.train;
  env.emit(
    stamp(env, {
      suite: 'fused',
      kernel: 'knee',
      workload: `T × ${mlpWorkload(widths, B)}`,
      shape: { widths, batch: B, trials: points.map((p) => p.x), trainRows },
      T: knee ?? points.at(-1)!.x,
      values: {
        kneeT: knee,
        growth: KNEE_GROWTH,
        samplesPerSec: at?.y ?? null,
        // Trials of one epoch over the training rows, finished per second, at the knee.
        trialEpochsPerSec: at ? at.y / trainRows : null,
        tflops: knee === null ? null : byT.get(knee)!.tflops,
        peakShare: knee !== null && peak ? (byT.get(knee)!.tflops * 1000) / peak : null,
        bytes: knee === null ? null : byT.get(knee)!.bytes,
      },
      note:
        knee === null
          ? 'aggregate samples/s still grew by more than 10% at the largest T measured'
          : `no T above ${knee} trains more than ${KNEE_GROWTH * 100}% more samples/s than the best up to ${knee}`,
    }),
  );
  env.progress(`batch ${B}: knee at T=${knee ?? 'not reached'}`);
}
