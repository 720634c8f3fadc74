// Wrapper for shaders/dense-backward-weights.wgsl: dW = Xᵀ · dZ and db = Σ_rows dZ, into the grads buffer.
import type { GpuContext } from '../gpu/device.ts';
import { bindGroup, compileKernel, encodeBound, uniformBuffer, type BoundKernel } from './kernel.ts';
import { MatmulDims, matmulGrid } from './matmul.ts';
import type { DenseShape } from '../model/parameter-layout.ts';
import { denseKernelId, preferredMatmulVariant, type MatmulVariant } from './shaders.ts';

/** The layer's shape; dW and db land at wBase and bBase of each trial's gradients (as W and b in its parameters). */
export type DenseBackwardWeightsDims = DenseShape;

export interface DenseBackwardWeightsBuffers {
  /** The layer's input X [T][B][I]. */
  x: GPUBuffer;
  /** The layer's dZ [T][B][O]. */
  dz: GPUBuffer;
  grads: GPUBuffer;
}

export async function createDenseBackwardWeights(ctx: GpuContext, variant: MatmulVariant = preferredMatmulVariant(ctx.report)) {
  const kernel = await compileKernel(ctx, denseKernelId('dense-backward-weights', variant), [
    [
      { name: 'mm_a', access: 'read' },
      { name: 'mm_b', access: 'read' },
      { name: 'out', access: 'read_write' },
      { name: 'dims', access: 'uniform' },
    ],
  ]);
  return {
    bind(owner: string, buffers: DenseBackwardWeightsBuffers, d: DenseBackwardWeightsDims): BoundKernel {
      const dims = uniformBuffer(ctx, owner, MatmulDims, {
        M: d.I,
        N: d.O,
        K: d.B,
        a_base: 0,
        a_trial: d.B * d.I,
        a_m: 1,
        a_k: d.I,
        b_base: 0,
        b_trial: d.B * d.O,
        b_k: d.O,
        b_n: 1,
        c_base: d.wBase,
        c_trial: d.P,
        e_base: d.bBase,
        e_trial: d.P,
      });
      return {
        kernel,
        bindGroup: bindGroup(ctx, kernel, { mm_a: buffers.x, mm_b: buffers.dz, out: buffers.grads, dims }),
        // One extra row of workgroups computes db.
        grid: matmulGrid(ctx, variant, d.I, d.O, d.T, 1),
        // Read X and dZ, write dW and db.
        work: { flops: 2 * d.T * d.I * d.B * d.O, bytes: 4 * d.T * (d.B * d.I + d.B * d.O + d.I * d.O + d.O) },
      };
    },
    encode: encodeBound,
  };
}
