// Wrapper for shaders/gather.wgsl: every trial's mini-batch, rows taken in the trial's own order.
import type { GpuContext } from '../gpu/device.ts';
import { ScalarStruct } from '../model/struct.ts';
import { bindGroup, compileKernel, encodeBound, foldGrid, uniformBuffer, type BoundKernel } from './kernel.ts';
import { STEP_GROUP } from './trial-buffers.ts';

export const GatherDims = new ScalarStruct('GatherDims', [
  ['B', 'u32'],
  ['F', 'u32'],
  ['R', 'u32'],
  ['groups_x', 'u32'],
] as const);

const WG = 64;
/** Elements each invocation copies (see the shader's header). */
const PER = 16;

export interface GatherBuffers {
  data: GPUBuffer;
  labels: GPUBuffer;
  /** [T][R] row indices. */
  order: GPUBuffer;
  x: GPUBuffer;
  y: GPUBuffer;
  stepGroup: GPUBindGroup;
}

export async function createGather(ctx: GpuContext) {
  const kernel = await compileKernel(
    ctx,
    'gather',
    [
      [
        { name: 'data', access: 'read' },
        { name: 'labels', access: 'read' },
        { name: 'order', access: 'read' },
        { name: 'x_out', access: 'read_write' },
        { name: 'y_out', access: 'read_write' },
        { name: 'dims', access: 'uniform' },
      ],
      STEP_GROUP,
    ],
    { WG, PER },
  );
  return {
    /** T trials, batches of B rows of F features, R rows in each trial's order. */
    bind(owner: string, buffers: GatherBuffers, d: { T: number; B: number; F: number; R: number }): BoundKernel {
      const grid = foldGrid(ctx, Math.ceil((d.B * d.F) / (WG * PER)), d.T);
      const dims = uniformBuffer(ctx, owner, GatherDims, { B: d.B, F: d.F, R: d.R, groups_x: grid[0] });
      return {
        kernel,
        bindGroup: bindGroup(ctx, kernel, {
          data: buffers.data,
          labels: buffers.labels,
          order: buffers.order,
          x_out: buffers.x,
          y_out: buffers.y,
          dims,
        }),
        grid,
        stepGroup: buffers.stepGroup,
        // Read the order and each row's features and label, write X and Y.
        work: { flops: 0, bytes: 4 * d.T * d.B * (2 * d.F + 3) },
      };
    },
    encode: encodeBound,
  };
}
