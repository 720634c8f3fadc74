// Wrapper for shaders/fma-peak.wgsl: the compute-ceiling probe (64 FLOP per invocation and round).
import type { GpuContext } from '../gpu/device.ts';
import { ScalarStruct } from '../model/struct.ts';
import { bindGroup, compileKernel, encodeBound, foldGrid, uniformBuffer, type BoundKernel } from './kernel.ts';

export const PeakDims = new ScalarStruct('PeakDims', [
  ['n', 'u32'],
  ['iters', 'u32'],
  ['groups_x', 'u32'],
  ['pad', 'u32'],
  ['a', 'f32'],
  ['b', 'f32'],
  ['pad1', 'f32'],
  ['pad2', 'f32'],
] as const);

const WG = 64;
/** FLOPs of one invocation and round: 8 chains × 4 lanes × (multiply + add). */
export const PEAK_FLOPS_PER_ROUND = 64;

/** The probe's multiplier and addend: x converges to b / (1 − a) = 1, staying finite for any round count. */
export const PEAK_A = 0.999;
export const PEAK_B = 0.001;

export async function createFmaPeak(ctx: GpuContext) {
  const kernel = await compileKernel(ctx, 'fma-peak', [
    [
      { name: 'out', access: 'read_write' },
      { name: 'dims', access: 'uniform' },
    ],
  ], { WG });
  return {
    /** `n` invocations of `iters` rounds each, writing n vec4 sums into `out`. */
    bind(owner: string, out: GPUBuffer, n: number, iters: number): BoundKernel {
      const grid = foldGrid(ctx, Math.ceil(n / WG));
      const dims = uniformBuffer(ctx, owner, PeakDims, { n, iters, groups_x: grid[0], a: PEAK_A, b: PEAK_B });
      return { kernel, bindGroup: bindGroup(ctx, kernel, { out, dims }), grid, work: { flops: n * iters * PEAK_FLOPS_PER_ROUND, bytes: 16 * n } };
    },
    encode: encodeBound,
  };
}
