// Wrapper for shaders/dense-forward.wgsl: Y[t] = act(X[t] · W[t] + b[t]) for T trials at once.
import type { GpuContext } from '../gpu/device.ts';
import type { Activation } from '../model/trial-config.ts';
import { bindGroup, compileKernel, encodeBound, uniformBuffer, type BoundKernel } from './kernel.ts';
import { ACTIVATION_CODE, MatmulDims, matmulGrid } from './matmul.ts';
import type { DenseShape } from '../model/parameter-layout.ts';
import { denseKernelId, preferredMatmulVariant, type MatmulVariant } from './shaders.ts';

/** The layer's shape and parameter offsets, plus where X and Y sit in their buffers. */
export interface DenseForwardDims extends DenseShape {
  /** Offset of X and its per-trial stride (0 = all trials read the same X). */
  xBase?: number;
  xTrial?: number;
  /** Offset of Y; Y's per-trial stride is B·O. */
  yBase?: number;
}

export interface DenseForwardBuffers {
  x: GPUBuffer;
  params: GPUBuffer;
  y: GPUBuffer;
}

export async function createDenseForward(ctx: GpuContext, activation: Activation, variant: MatmulVariant = preferredMatmulVariant(ctx.report)) {
  const kernel = await compileKernel(
    ctx,
    denseKernelId('dense-forward', variant),
    [
      [
        { name: 'mm_a', access: 'read' },
        { name: 'mm_b', access: 'read' },
        { name: 'out', access: 'read_write' },
        { name: 'dims', access: 'uniform' },
      ],
    ],
    { ACT: ACTIVATION_CODE[activation] },
  );
  return {
    bind(owner: string, buffers: DenseForwardBuffers, d: DenseForwardDims): BoundKernel {
      const dims = uniformBuffer(ctx, owner, MatmulDims, {
        M: d.B,
        N: d.O,
        K: d.I,
        a_base: d.xBase ?? 0,
        a_trial: d.xTrial ?? d.B * d.I,
        a_m: d.I,
        a_k: 1,
        b_base: d.wBase,
        b_trial: d.P,
        b_k: d.O,
        b_n: 1,
        c_base: d.yBase ?? 0,
        c_trial: d.B * d.O,
        e_base: d.bBase,
        e_trial: d.P,
      });
      return {
        kernel,
        bindGroup: bindGroup(ctx, kernel, { mm_a: buffers.x, mm_b: buffers.params, out: buffers.y, dims }),
        grid: matmulGrid(ctx, variant, d.B, d.O, d.T),
        // Read X, W and b, write Y.
        work: { flops: 2 * d.T * d.B * d.I * d.O, bytes: 4 * d.T * (d.B * d.I + d.I * d.O + d.O + d.B * d.O) },
      };
    },
    encode: encodeBound,
  };
}
