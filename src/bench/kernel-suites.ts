// The kernel suites: the ceilings (copy bandwidth in GB/s, FMA peak in GFLOP/s) and dense-forward GFLOP/s by size and matmul variant.
import { createCopy } from '../kernels/copy.ts';
import { createDenseForward } from '../kernels/dense-forward.ts';
import { createFmaPeak, PEAK_FLOPS_PER_ROUND } from '../kernels/fma-peak.ts';
import { availableMatmulVariants, denseForwardId, type MatmulVariant } from '../kernels/shaders.ts';
import { Rng } from '../util/random.ts';
import { stamp, timePasses, type BenchEnv } from './env.ts';
import { invert, summarize } from './stats.ts';

const MiB = 1024 * 1024;

/** Copy sizes in MiB; sizes above the device's binding and buffer limits are left out. */
export function copySizesMiB(quick: boolean): number[] {
  return quick ? [1, 16] : [1, 4, 16, 64];
}

/** Square matmul sizes (M = N = K). */
export function matmulSizes(quick: boolean): number[] {
  return quick ? [128, 256, 512] : [128, 256, 512, 1024];
}

/** The fused shape of the MLP's first layer: T trials of [B×I]·[I×O]. */
export const FUSED_MATMUL = { T: 32, M: 64, K: 784, N: 128 } as const;

/**
 * A variant is skipped at a size when one dispatch would take longer than this (predicted from its
 * speed at the size before), so the slowest variants cannot eat the suite's time on a CPU adapter.
 */
export function maxDispatchMs(quick: boolean): number {
  return quick ? 1500 : 4000;
}

export async function runCopySuite(env: BenchEnv): Promise<void> {
  const { ctx } = env;
  const copy = await createCopy(ctx);
  const limit = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  for (const mib of copySizesMiB(env.quick)) {
    const bytes = mib * MiB;
    if (bytes > limit) {
      env.progress(`copy ${mib} MiB: skipped, above the device's binding limit of ${limit} bytes`);
      continue;
    }
    const owner = `bench-copy-${mib}`;
    try {
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
      const src = ctx.memory.create(`${owner}/src`, bytes, usage);
      const dst = ctx.memory.create(`${owner}/dst`, bytes, usage);
      const binding = copy.bind(owner, src, dst, bytes / 4);
      const times = await timePasses(env, `copy-${mib}MiB`, (pass, count) => {
        for (let i = 0; i < count; i++) copy.encode(pass, binding);
      });
      const ms = summarize(times.msPerUnit);
      // Every byte is read once and written once.
      const gbPerSec = invert(ms, (t) => (2 * bytes) / t / 1e6);
      env.emit(
        stamp(env, {
          suite: 'copy',
          kernel: 'copy',
          workload: `copy ${mib} MiB (read + write)`,
          shape: { bytes, dispatchesPerPass: times.unitsPerPass },
          T: 1,
          values: { gbPerSec, msPerDispatch: ms, warmupMs: times.warmupMs },
        }),
      );
      env.progress(`copy ${mib} MiB: ${gbPerSec.median.toFixed(2)} GB/s`);
      env.ceilings = { ...env.ceilings, copyGbPerSec: Math.max(env.ceilings?.copyGbPerSec ?? 0, gbPerSec.median) };
    } finally {
      ctx.memory.freePrefix(`${owner}/`);
    }
  }
}

/** Rounds of the FMA probe per invocation. */
export const PEAK_ROUNDS = 256;

/** Probe invocations: a million keeps every unit of a large GPU busy; a CPU adapter needs far fewer. */
export function peakInvocations(isSoftware: boolean): number {
  return isSoftware ? 16_384 : 1 << 20;
}

/** The compute ceiling: independent vec4 FMA chains, nothing but arithmetic (shaders/fma-peak.wgsl). */
export async function runPeakSuite(env: BenchEnv): Promise<void> {
  const { ctx } = env;
  const n = peakInvocations(ctx.report.isSoftware);
  const owner = 'bench-peak';
  try {
    const peak = await createFmaPeak(ctx);
    const out = ctx.memory.create(`${owner}/out`, 16 * n, GPUBufferUsage.STORAGE);
    const bound = peak.bind(owner, out, n, PEAK_ROUNDS);
    const times = await timePasses(env, 'fma-peak', (pass, count) => {
      for (let i = 0; i < count; i++) peak.encode(pass, bound);
    });
    const ms = summarize(times.msPerUnit);
    const flops = n * PEAK_ROUNDS * PEAK_FLOPS_PER_ROUND;
    const gflops = invert(ms, (t) => flops / t / 1e6);
    env.emit(
      stamp(env, {
        suite: 'peak',
        kernel: 'fma-peak',
        workload: `${n} invocations × ${PEAK_ROUNDS} rounds of 8 vec4 FMA chains`,
        shape: { invocations: n, rounds: PEAK_ROUNDS, dispatchesPerPass: times.unitsPerPass },
        T: 1,
        values: { gflops, msPerDispatch: ms, warmupMs: times.warmupMs },
      }),
    );
    env.progress(`fma peak: ${gflops.median.toFixed(2)} GFLOP/s`);
    env.ceilings = { ...env.ceilings, peakGflops: gflops.median };
  } finally {
    ctx.memory.freePrefix(`${owner}/`);
  }
}

export interface MatmulCase {
  T: number;
  M: number;
  N: number;
  K: number;
  /** How a person reads it, e.g. `512×512 · 512×512`. */
  workload: string;
}

/**
 * The products of a fused step of the benchmark MLP (784-128-64-10, batch 64) at T trials: the first
 * layer forward (small M and N, K = 784), its weight gradient's shape (M = 784, K = the batch) and the
 * second layer. Measured through dense-forward, so with forward strides.
 */
export function fusedMatmulCases(T: number): MatmulCase[] {
  const shapes = [
    { M: 64, K: 784, N: 128 },
    { M: 784, K: 64, N: 128 },
    { M: 64, K: 128, N: 64 },
  ];
  return shapes.map(({ M, K, N }) => ({ T, M, N, K, workload: `T=${T} × (${M}×${K} · ${K}×${N})` }));
}

/** The square sizes, then the fused shapes (T = 32, and in a full run T = 256). */
export function matmulCases(quick: boolean): MatmulCase[] {
  const { T, M, N, K } = FUSED_MATMUL;
  return [
    ...matmulSizes(quick).map((n) => ({ T: 1, M: n, N: n, K: n, workload: `${n}×${n} · ${n}×${n}` })),
    { T, M, N, K, workload: `T=${T} × (${M}×${K} · ${K}×${N})` },
    ...(quick ? fusedMatmulCases(T).slice(1, 2) : [...fusedMatmulCases(T).slice(1), ...fusedMatmulCases(256)]),
  ];
}

/** Bytes a matmul must move at least once: A, B and C, in f32. */
function minimumBytes({ T, M, N, K }: MatmulCase): number {
  return 4 * T * (M * K + K * N + M * N);
}

async function measureMatmul(env: BenchEnv, variant: MatmulVariant, c: MatmulCase): Promise<number> {
  const { ctx } = env;
  const { T, M, N, K, workload } = c;
  const owner = `bench-matmul-${variant}-${T}x${M}x${N}x${K}`;
  const rng = new Rng(M * 31 + N * 7 + K);
  try {
    const started = performance.now();
    const forward = await createDenseForward(ctx, T > 1 ? 'relu' : 'linear', variant);
    const P = K * N + N;
    const x = ctx.memory.upload(`${owner}/x`, rng.floats(T * M * K));
    const params = ctx.memory.upload(`${owner}/params`, rng.floats(T * P));
    const y = ctx.memory.create(`${owner}/y`, 4 * T * M * N, GPUBufferUsage.STORAGE);
    const bound = forward.bind(owner, { x, params, y }, { T, B: M, I: K, O: N, P, wBase: 0, bBase: K * N });
    const setupMs = performance.now() - started;
    const times = await timePasses(env, `${denseForwardId(variant)}-${M}x${N}x${K}`, (pass, count) => {
      for (let i = 0; i < count; i++) forward.encode(pass, bound);
    });
    const ms = summarize(times.msPerUnit);
    const flops = 2 * T * M * N * K;
    const gflops = invert(ms, (t) => flops / t / 1e6);
    env.emit(
      stamp(env, {
        suite: 'matmul',
        kernel: `dense-forward@${variant}`,
        workload,
        shape: { M, N, K, variant, dispatchesPerPass: times.unitsPerPass, flopsPerByte: flops / minimumBytes(c) },
        T,
        values: { gflops, msPerDispatch: ms, setupMs, warmupMs: times.warmupMs },
      }),
    );
    env.progress(`matmul ${variant} ${workload}: ${gflops.median.toFixed(3)} GFLOP/s`);
    return ms.median;
  } finally {
    ctx.memory.freePrefix(`${owner}/`);
  }
}

function skipped(env: BenchEnv, variant: MatmulVariant, c: MatmulCase, predictedMs: number): void {
  const { workload } = c;
  env.emit(
    stamp(env, {
      suite: 'matmul',
      kernel: `dense-forward@${variant}`,
      workload,
      shape: { M: c.M, N: c.N, K: c.K, variant },
      T: c.T,
      values: { gflops: null },
      note: `skipped: one dispatch would take about ${Math.round(predictedMs)} ms on this adapter (limit ${maxDispatchMs(env.quick)} ms)`,
    }),
  );
  env.progress(`matmul ${variant} ${workload}: skipped (~${Math.round(predictedMs)} ms per dispatch)`);
}

export async function runMatmulSuite(env: BenchEnv, cases: readonly MatmulCase[] = matmulCases(env.quick)): Promise<void> {
  const limit = maxDispatchMs(env.quick);
  // A core needing a feature this device lacks (subgroups) is not compiled here.
  for (const variant of availableMatmulVariants(env.ctx.device.features)) {
    // Predicts the next size from the last one measured (small sizes run less efficiently, so this errs long).
    let msPerFlop = 0;
    for (const c of cases) {
      const flops = 2 * c.T * c.M * c.N * c.K;
      const predictedMs = msPerFlop * flops;
      if (predictedMs > limit) {
        skipped(env, variant, c, predictedMs);
        continue;
      }
      const ms = await measureMatmul(env, variant, c);
      msPerFlop = ms / flops;
    }
  }
}
