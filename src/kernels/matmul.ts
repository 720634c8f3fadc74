// What the three dense kernels share: MatmulDims (shaders/common/matmul-dims.wgsl), grids, activation codes.
import type { GpuContext } from '../gpu/device.ts';
import type { Activation } from '../model/trial-config.ts';
import { ScalarStruct } from '../model/struct.ts';
import { foldGrid, type Grid } from './kernel.ts';
import { matmulTile, type MatmulVariant } from './shaders.ts';

export const MatmulDims = new ScalarStruct('MatmulDims', [
  ['M', 'u32'],
  ['N', 'u32'],
  ['K', 'u32'],
  ['layer', 'u32'],
  ['a_base', 'u32'],
  ['a_trial', 'u32'],
  ['a_m', 'u32'],
  ['a_k', 'u32'],
  ['b_base', 'u32'],
  ['b_trial', 'u32'],
  ['b_k', 'u32'],
  ['b_n', 'u32'],
  ['c_base', 'u32'],
  ['c_trial', 'u32'],
  ['e_base', 'u32'],
  ['e_trial', 'u32'],
] as const);
export type MatmulDimsValues = Partial<Record<(typeof MatmulDims.fields)[number][0], number>>;

/** ACT override values (common/activation.wgsl). */
export const ACTIVATION_CODE: Record<Activation, number> = { linear: 0, relu: 1, tanh: 2, sigmoid: 3 };

/** Workgroups for an M×N product of T trials with `variant`'s tile, plus `extraRows` rows of workgroups. */
export function matmulGrid(ctx: GpuContext, variant: MatmulVariant, M: number, N: number, T: number, extraRows = 0): Grid {
  const { tileM, tileN } = matmulTile(variant);
  const x = Math.ceil(N / tileN);
  const y = Math.ceil(M / tileM) + extraRows;
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  // The matmul cores index rows and columns directly; fold only the trial axis check.
  foldGrid(ctx, 1, T);
  if (x > max || y > max) throw new Error(`matmul ${M}×${N} needs ${x}×${y} workgroups; the device allows ${max} per dimension`);
  return [x, y, T];
}
