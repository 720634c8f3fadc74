// Wrapper for shaders/dense-backward-input.wgsl: dZp = (dZ · Wᵀ) ⊙ dropout mask ⊙ act'(Yp).
import type { GpuContext } from '../gpu/device.ts';
import type { Activation } from '../model/trial-config.ts';
import { bindGroup, compileKernel, encodeBound, uniformBuffer, type BoundKernel } from './kernel.ts';
import { ACTIVATION_CODE, MatmulDims, matmulGrid } from './matmul.ts';
import type { DenseShape } from '../model/parameter-layout.ts';
import { denseKernelId, preferredMatmulVariant, type MatmulVariant } from './shaders.ts';
import { STEP_GROUP } from './trial-buffers.ts';

/** The layer's shape (I = the previous layer's width) and W's offset; no bias is read. */
export interface DenseBackwardInputDims extends Omit<DenseShape, 'bBase'> {
  /** Index of the previous (hidden) layer: seeds its dropout mask. */
  prevLayer: number;
}

export interface DenseBackwardInputBuffers {
  /** dZ [T][B][O] of this layer. */
  dz: GPUBuffer;
  params: GPUBuffer;
  /** dZ [T][B][I] of the previous layer (written). */
  dzPrev: GPUBuffer;
  /** The previous layer's activation output before dropout, [T][B][I]. */
  yPrev: GPUBuffer;
  trials: GPUBuffer;
  stepGroup: GPUBindGroup;
}

/** `prevActivation` is the previous layer's activation; `dropout` whether any trial drops units after it. */
export async function createDenseBackwardInput(ctx: GpuContext, prevActivation: Activation, dropout: boolean, variant: MatmulVariant = preferredMatmulVariant(ctx.report)) {
  const kernel = await compileKernel(
    ctx,
    denseKernelId('dense-backward-input', variant),
    [
      [
        { name: 'mm_a', access: 'read' },
        { name: 'mm_b', access: 'read' },
        { name: 'out', access: 'read_write' },
        { name: 'dims', access: 'uniform' },
        { name: 'y_prev', access: 'read' },
        { name: 'trials', access: 'read' },
      ],
      STEP_GROUP,
    ],
    { ACT: ACTIVATION_CODE[prevActivation], DROPOUT: dropout ? 1 : 0 },
  );
  return {
    bind(owner: string, buffers: DenseBackwardInputBuffers, d: DenseBackwardInputDims): BoundKernel {
      const dims = uniformBuffer(ctx, owner, MatmulDims, {
        M: d.B,
        N: d.I,
        K: d.O,
        layer: d.prevLayer,
        a_base: 0,
        a_trial: d.B * d.O,
        a_m: d.O,
        a_k: 1,
        b_base: d.wBase,
        b_trial: d.P,
        b_k: 1,
        b_n: d.O,
        c_base: 0,
        c_trial: d.B * d.I,
        e_base: 0,
        e_trial: d.B * d.I,
      });
      return {
        kernel,
        bindGroup: bindGroup(ctx, kernel, {
          mm_a: buffers.dz,
          mm_b: buffers.params,
          out: buffers.dzPrev,
          dims,
          y_prev: buffers.yPrev,
          trials: buffers.trials,
        }),
        grid: matmulGrid(ctx, variant, d.B, d.I, d.T),
        stepGroup: buffers.stepGroup,
        // Read dZ, W and Yp, write dZp.
        work: { flops: 2 * d.T * d.B * d.O * d.I, bytes: 4 * d.T * (d.B * d.O + d.I * d.O + 2 * d.B * d.I) },
      };
    },
    encode: encodeBound,
  };
}
