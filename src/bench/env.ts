// What every suite gets: the device, a timer, the budget, and where records and progress lines go.
import type { GpuContext } from '../gpu/device.ts';
import { singlePassWrites, type GpuTimer } from '../gpu/timing.ts';
import { scoped } from '../gpu/errors.ts';
import type { MatmulVariant } from '../kernels/shaders.ts';
import type { BenchBudget } from './plan.ts';
import { perPass, repetitions } from './plan.ts';
import { adapterSummary, type BenchRecord } from './record.ts';

export interface BenchEnv {
  ctx: GpuContext;
  timer: GpuTimer;
  budget: BenchBudget;
  quick: boolean;
  emit(record: BenchRecord): void;
  /** A progress line for a person (stderr in the CLI, a status line in the app). */
  progress(line: string): void;
  signal?: AbortSignal;
  /** The matmul core of the training suites (`--matmul`); default: the engine's choice for the adapter. */
  matmul?: MatmulVariant;
  /** The ceilings measured so far in this run (the copy and peak suites set them; the profile compares with them). */
  ceilings?: Ceilings;
}

export interface Ceilings {
  /** FMA peak, GFLOP/s (shaders/fma-peak.wgsl). */
  peakGflops?: number;
  /** The best copy bandwidth measured, GB/s (bytes read + written). */
  copyGbPerSec?: number;
}

/** A record stamped with the env's adapter, timing source and the current time. */
export function stamp(env: BenchEnv, fields: Omit<BenchRecord, 'timing' | 'adapter' | 'date'>): BenchRecord {
  return { ...fields, timing: env.timer.source, adapter: adapterSummary(env.ctx.report), date: new Date().toISOString() };
}

export class BenchAborted extends Error {
  constructor() {
    super('benchmark stopped');
    this.name = 'BenchAborted';
  }
}

export function checkAborted(env: BenchEnv): void {
  if (env.signal?.aborted) throw new BenchAborted();
  env.ctx.assertAlive();
}

export interface PassTimes {
  /** Milliseconds per unit (dispatch or training step), one per repetition. */
  msPerUnit: number[];
  /** Units each timed pass recorded. */
  unitsPerPass: number;
  /** The excluded warm-up pass (one unit: first use, late compilation), in milliseconds. */
  warmupMs: number;
}

/**
 * Times `encode` (which records `count` units into a compute pass) the way the methodology asks:
 * one warm-up pass excluded (compilation, first touch), its time sizes the passes to about
 * targetPassMs, then repetitions sized to the budget. `cap` bounds units per pass (ring slots).
 */
export async function timePasses(
  env: BenchEnv,
  label: string,
  encode: (pass: GPUComputePassEncoder, count: number) => void,
  cap = env.budget.maxPerPass,
): Promise<PassTimes> {
  const { device } = env.ctx;
  const run = async (count: number): Promise<number> => {
    checkAborted(env);
    // NOTE: measure() encodes and submits before its first await, so the scopes hold the submit.
    const { result, errors } = scoped(device, `bench ${label}`, () =>
      env.timer.measure(label, (encoder, span) => {
        const pass = encoder.beginComputePass({ label, timestampWrites: singlePassWrites(span) });
        encode(pass, count);
        pass.end();
      }),
    );
    await errors;
    return result;
  };
  let units = 1;
  const warmupMs = await run(units);
  let msEach = warmupMs;
  // A fast unit: refine the estimate with a fuller pass (which also finishes warming up).
  const guess = perPass(msEach, env.budget, cap);
  if (guess > 1) {
    units = guess;
    msEach = (await run(units)) / units;
    units = perPass(msEach, env.budget, cap);
  }
  const reps = repetitions(units * msEach, env.budget);
  const msPerUnit: number[] = [];
  for (let r = 0; r < reps; r++) msPerUnit.push((await run(units)) / units);
  return { msPerUnit, unitsPerPass: units, warmupMs };
}
