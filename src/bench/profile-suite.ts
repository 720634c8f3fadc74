// The profile: where one fused training step's GPU time goes, dispatch by dispatch, for T = 1 … 256.
// Each dispatch of the step gets its own compute pass with timestamp writes at its beginning and end
// (a profiling mode only: training records the whole step in one pass). Dawn in Node reports raw
// timestamps; Chrome rounds them to 100 µs, so the suite needs timestamp-query in Node to mean much.
import type { Cohort, StepDispatch } from '../engine/cohort.ts';
import type { DeviceDataset } from '../engine/device-dataset.ts';
import { scoped } from '../gpu/errors.ts';
import { encodeBound } from '../kernels/kernel.ts';
import { RING_SLOTS } from '../model/structs.ts';
import { checkAborted, stamp, type BenchEnv } from './env.ts';
import { runCopySuite, runPeakSuite } from './kernel-suites.ts';
import { powersOfTwo, repetitions } from './plan.ts';
import { summarize, type Summary } from './stats.ts';
import { BENCH_MLP, cohortRefusal, mlpWorkload, timeCohort, type CohortTiming } from './training-suites.ts';

/** What a dispatch is for, as the profile adds up its shares. */
export const PROFILE_CATEGORIES = ['matmul', 'gather', 'loss', 'dropout', 'optimizer', 'gaps'] as const;
export type ProfileCategory = (typeof PROFILE_CATEGORIES)[number];

export function dispatchCategory(kernelId: string): Exclude<ProfileCategory, 'gaps'> {
  if (kernelId.startsWith('dense-')) return 'matmul';
  if (kernelId === 'gather') return 'gather';
  if (kernelId === 'softmax-xent' || kernelId === 'regression-loss') return 'loss';
  if (kernelId === 'dropout') return 'dropout';
  if (kernelId === 'optimizer') return 'optimizer';
  throw new Error(`profile: no category for kernel "${kernelId}"`);
}

export const PROFILE_MAX_TRIALS = 256;

export function profileTrialCounts(quick: boolean): number[] {
  return quick ? [1, 4, 16] : powersOfTwo(1, PROFILE_MAX_TRIALS);
}

/** WebGPU allows at most 4096 queries per set: two per dispatch. */
const MAX_QUERIES = 4096;

/** Timestamps of one profiled submit: per dispatch of each step, its begin and end in ns. */
export interface ProfiledSubmit {
  dispatches: number;
  steps: number;
  /** [step · dispatches + i] → [begin, end], nanoseconds. */
  stamps: BigInt64Array;
}

/** Per dispatch position: durations (ms); per step: the span from its first begin to the next step's first begin. */
export function splitTimestamps(submit: ProfiledSubmit): { durations: number[][]; stepSpans: number[]; totalMs: number } {
  const { dispatches: D, steps, stamps } = submit;
  const at = (step: number, i: number, end: 0 | 1) => stamps[2 * (step * D + i) + end]!;
  const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;
  const durations = Array.from({ length: D }, (_, i) => Array.from({ length: steps }, (_, s) => ms(at(s, i, 0), at(s, i, 1))));
  const stepSpans = Array.from({ length: steps }, (_, s) => (s + 1 < steps ? ms(at(s, 0, 0), at(s + 1, 0, 0)) : ms(at(s, 0, 0), at(s, D - 1, 1))));
  return { durations, stepSpans, totalMs: ms(at(0, 0, 0), at(steps - 1, D - 1, 1)) };
}

/** Records `steps` training steps with one timed compute pass per dispatch, submits, and reads the timestamps. */
async function profiledSubmit(env: BenchEnv, cohort: Cohort, steps: number): Promise<ProfiledSubmit> {
  const { device, memory } = env.ctx;
  checkAborted(env);
  const D = cohort.stepDispatches.length;
  const count = 2 * D * steps;
  const owner = `bench-profile-${cohort.id}`;
  const querySet = device.createQuerySet({ label: `${owner}.timestamps`, type: 'timestamp', count });
  try {
    const resolve = memory.create(`${owner}/resolve`, 8 * count, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC);
    const read = memory.create(`${owner}/read`, 8 * count, GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ);
    if (steps > cohort.stepsToEpochEnd()) cohort.skipToNextEpoch();
    const { errors } = scoped(device, `profile ${cohort.id}`, () => {
      const encoder = device.createCommandEncoder({ label: `${owner}.profile` });
      let query = 0;
      cohort.encodeTrainSteps((dispatch: StepDispatch, offset: number) => {
        const pass = encoder.beginComputePass({
          label: dispatch.name,
          timestampWrites: { querySet, beginningOfPassWriteIndex: query, endOfPassWriteIndex: query + 1 },
        });
        encodeBound(pass, dispatch.bound, offset);
        pass.end();
        query += 2;
      }, steps);
      encoder.resolveQuerySet(querySet, 0, count, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, read, 0, 8 * count);
      device.queue.submit([encoder.finish()]);
    });
    await errors;
    await read.mapAsync(GPUMapMode.READ);
    const stamps = new BigInt64Array(read.getMappedRange().slice(0));
    read.unmap();
    return { dispatches: D, steps, stamps };
  } finally {
    memory.freePrefix(`${owner}/`);
    querySet.destroy();
  }
}

export interface DispatchProfile {
  name: string;
  kernel: string;
  category: Exclude<ProfileCategory, 'gaps'>;
  flops: number;
  bytes: number;
  ms: Summary;
  /** Mean milliseconds per step (the shares add means, so they sum with the gaps to the step). */
  meanMs: number;
}

export interface StepProfile {
  dispatches: DispatchProfile[];
  /** Mean span of one step with a pass per dispatch (first begin to the next step's first begin). */
  profiledStepMs: number;
  kernelsMs: number;
  /** profiledStepMs − kernelsMs: the time between passes (launch, barriers, timestamp writes). */
  gapsMs: number;
  shares: Record<ProfileCategory, number>;
  stepsProfiled: number;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Profiles the cohort's step: profiled submits of `steps` steps, repeated as the budget allows. */
export async function profileStep(env: BenchEnv, cohort: Cohort, stepMs: number, steps: number): Promise<StepProfile> {
  const list = cohort.stepDispatches;
  const reps = repetitions(steps * stepMs, env.budget);
  const durations: number[][] = list.map(() => []);
  const spans: number[] = [];
  // The first submit warms the passes up (and is dropped): the single-pass timing came before.
  await profiledSubmit(env, cohort, 1);
  for (let r = 0; r < reps; r++) {
    const split = splitTimestamps(await profiledSubmit(env, cohort, steps));
    split.durations.forEach((d, i) => durations[i]!.push(...d));
    spans.push(...split.stepSpans);
  }
  const dispatches = list.map((d, i): DispatchProfile => ({
    name: d.name,
    kernel: d.bound.kernel.id,
    category: dispatchCategory(d.bound.kernel.id.split('@')[0]!),
    flops: d.bound.work.flops,
    bytes: d.bound.work.bytes,
    ms: summarize(durations[i]!),
    meanMs: mean(durations[i]!),
  }));
  const profiledStepMs = mean(spans);
  const kernelsMs = dispatches.reduce((sum, d) => sum + d.meanMs, 0);
  const shares = Object.fromEntries(PROFILE_CATEGORIES.map((c) => [c, 0])) as Record<ProfileCategory, number>;
  for (const d of dispatches) shares[d.category] += d.meanMs / profiledStepMs;
  shares.gaps = (profiledStepMs - kernelsMs) / profiledStepMs;
  return { dispatches, profiledStepMs, kernelsMs, gapsMs: profiledStepMs - kernelsMs, shares, stepsProfiled: spans.length };
}

/** GFLOP/s and GB/s of `work` done in `ms`, and their share of the ceilings where known. */
function rates(env: BenchEnv, flops: number, bytes: number, ms: number): Record<string, number | null> {
  // A dispatch shorter than the timer's resolution reads 0 ms: it has no rate, not an infinite one.
  if (!(ms > 0)) return { gflops: null, gbPerSec: null, peakShare: null, bandwidthShare: null };
  const gflops = flops / ms / 1e6;
  const gbPerSec = bytes / ms / 1e6;
  const { peakGflops, copyGbPerSec } = env.ceilings ?? {};
  return {
    gflops: flops > 0 ? gflops : null,
    gbPerSec,
    peakShare: flops > 0 && peakGflops ? gflops / peakGflops : null,
    bandwidthShare: copyGbPerSec ? gbPerSec / copyGbPerSec : null,
  };
}

function emitProfile(env: BenchEnv, T: number, timing: CohortTiming, profile: StepProfile): void {
  const B = BENCH_MLP.batchSize;
  const model = mlpWorkload(timing.shape.widths, B);
  const shape = { widths: timing.shape.widths, batch: B, matmul: timing.matmul, stepsProfiled: profile.stepsProfiled };
  profile.dispatches.forEach((d, position) => {
    env.emit(
      stamp(env, {
        suite: 'profile',
        kernel: d.kernel,
        workload: `${d.name}, ${T} × ${model}`,
        shape: { ...shape, position, dispatch: d.name, category: d.category, flops: d.flops, bytes: d.bytes },
        T,
        values: { ms: d.ms, meanMs: d.meanMs, share: d.meanMs / profile.profiledStepMs, ...rates(env, d.flops, d.bytes, d.meanMs) },
      }),
    );
  });
  const matmulFlops = profile.dispatches.reduce((sum, d) => sum + d.flops, 0);
  const stepMs = timing.stepMs.median;
  const { peakGflops, copyGbPerSec } = env.ceilings ?? {};
  const tflops = matmulFlops / stepMs / 1e9;
  env.emit(
    stamp(env, {
      suite: 'profile',
      kernel: 'train-step',
      workload: `${T} × ${model}`,
      shape: { ...shape, dispatches: profile.dispatches.length },
      T,
      values: {
        stepMs: timing.stepMs,
        profiledStepMs: profile.profiledStepMs,
        kernelsMs: profile.kernelsMs,
        gapsMs: profile.gapsMs,
        // The one-pass step against the kernels' own time: what dispatching costs when training runs as it does.
        onePassGapMs: stepMs - profile.kernelsMs,
        ...Object.fromEntries(PROFILE_CATEGORIES.map((c) => [`${c}Share`, profile.shares[c]])),
        tflops,
        peakShare: peakGflops ? (tflops * 1000) / peakGflops : null,
        peakGflops: peakGflops ?? null,
        copyGbPerSec: copyGbPerSec ?? null,
      },
      note: 'shares are of the profiled step (a compute pass per dispatch); tflops counts the step\'s matmul FLOPs over the one-pass step time',
    }),
  );
  const pct = (x: number) => `${Math.round(100 * x)}%`;
  env.progress(
    `profile T=${T}: ${stepMs.toPrecision(3)} ms/step (profiled ${profile.profiledStepMs.toPrecision(3)}), matmul ${pct(profile.shares.matmul)}, ` +
      `gather ${pct(profile.shares.gather)}, loss ${pct(profile.shares.loss)}, optimizer ${pct(profile.shares.optimizer)}, gaps ${pct(profile.shares.gaps)}; ${(tflops * 1000).toPrecision(3)} GFLOP/s`,
  );
}

export async function runProfileSuite(env: BenchEnv, data: DeviceDataset): Promise<void> {
  if (!env.ctx.hasTimestamps) {
    env.progress('profile: skipped, the device has no timestamp-query (per-dispatch times need it)');
    return;
  }
  if (env.ceilings?.peakGflops === undefined) await runPeakSuite(env);
  if (env.ceilings?.copyGbPerSec === undefined) await runCopySuite(env);
  const B = BENCH_MLP.batchSize;
  const limit = env.budget.maxStepMs ?? Infinity;
  let msPerTrial = 0;
  for (const T of profileTrialCounts(env.quick)) {
    const refusal = cohortRefusal(env.ctx.limits, data.source, T, B);
    if (refusal) {
      env.progress(`profile T=${T}: stops the profile (${refusal})`);
      break;
    }
    if (msPerTrial * T > limit) {
      env.progress(`profile T=${T}: stops the profile (a step would take about ${Math.round(msPerTrial * T)} ms; limit ${limit} ms)`);
      break;
    }
    const timing = await timeCohort(env, data, T, B, `bench-profile-${T}`, async (cohort, t) => {
      const D = cohort.stepDispatches.length;
      const steps = Math.max(1, Math.min(t.stepsPerPass, Math.floor(MAX_QUERIES / (2 * D)), RING_SLOTS, cohort.stepsPerEpoch));
      emitProfile(env, T, t, await profileStep(env, cohort, t.stepMs.median, steps));
    });
    msPerTrial = timing.stepMs.median / T;
  }
}
