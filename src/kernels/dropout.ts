// Wrapper for shaders/dropout.wgsl: D = Y ⊙ mask / (1 - p), the mask hashed from (seed, step, layer, element).
import type { GpuContext } from '../gpu/device.ts';
import { ScalarStruct } from '../model/struct.ts';
import { bindGroup, compileKernel, encodeBound, foldGrid, uniformBuffer, type BoundKernel } from './kernel.ts';
import { STEP_GROUP } from './trial-buffers.ts';

export const DropoutDims = new ScalarStruct('DropoutDims', [
  ['E', 'u32'],
  ['groups_x', 'u32'],
  ['layer', 'u32'],
  ['pad', 'u32'],
] as const);

const WG = 256;

export interface DropoutBuffers {
  y: GPUBuffer;
  out: GPUBuffer;
  trials: GPUBuffer;
  stepGroup: GPUBindGroup;
}

export async function createDropout(ctx: GpuContext) {
  const kernel = await compileKernel(
    ctx,
    'dropout',
    [
      [
        { name: 'y', access: 'read' },
        { name: 'out', access: 'read_write' },
        { name: 'trials', access: 'read' },
        { name: 'dims', access: 'uniform' },
      ],
      STEP_GROUP,
    ],
    { WG },
  );
  return {
    /** T trials of B×W activations of hidden layer `layer`. */
    bind(owner: string, buffers: DropoutBuffers, d: { T: number; B: number; W: number; layer: number }): BoundKernel {
      const E = d.B * d.W;
      const grid = foldGrid(ctx, Math.ceil(E / WG), d.T);
      const dims = uniformBuffer(ctx, owner, DropoutDims, { E, groups_x: grid[0], layer: d.layer });
      return {
        kernel,
        bindGroup: bindGroup(ctx, kernel, { y: buffers.y, out: buffers.out, trials: buffers.trials, dims }),
        grid,
        stepGroup: buffers.stepGroup,
        work: { flops: 0, bytes: 8 * d.T * E },
      };
    },
    encode: encodeBound,
  };
}
