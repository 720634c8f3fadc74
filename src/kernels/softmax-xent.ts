// Wrapper for shaders/softmax-xent.wgsl: per-trial mean cross-entropy, dlogits, correct count, divergence flag.
import type { GpuContext } from '../gpu/device.ts';
import { ScalarStruct } from '../model/struct.ts';
import { bindGroup, compileKernel, encodeBound, foldGrid, uniformBuffer, type BoundKernel } from './kernel.ts';
import { STEP_GROUP } from './trial-buffers.ts';

export const XentDims = new ScalarStruct('XentDims', [
  ['B', 'u32'],
  ['C', 'u32'],
  ['T', 'u32'],
  ['z_trial', 'u32'],
  ['l_base', 'u32'],
  ['l_trial', 'u32'],
  ['acc_base', 'u32'],
  ['pad', 'u32'],
] as const);

const WG = 64;

export interface SoftmaxXentBuffers {
  logits: GPUBuffer;
  labels: GPUBuffer;
  /** Written in training mode; any storage buffer in evaluation mode. */
  dlogits: GPUBuffer;
  metrics: GPUBuffer;
  /** Loss history [slots][T] (training mode). */
  history: GPUBuffer;
  status: GPUBuffer;
  stepGroup: GPUBindGroup;
}

export interface SoftmaxXentDims {
  T: number;
  B: number;
  C: number;
  /** Where labels start and their per-trial stride (0 = shared labels, as in evaluation). */
  labelBase?: number;
  labelTrial?: number;
  /** Offset (in floats) of this pass's accumulators in the metrics buffer. */
  metricsBase?: number;
}

/** `grad` true: training (dlogits, loss history, divergence flag); false: evaluation (accumulate only). */
export async function createSoftmaxXent(ctx: GpuContext, grad: boolean) {
  const kernel = await compileKernel(
    ctx,
    'softmax-xent',
    [
      [
        { name: 'logits', access: 'read' },
        { name: 'labels', access: 'read' },
        { name: 'dlogits', access: 'read_write' },
        { name: 'metrics', access: 'read_write' },
        { name: 'history', access: 'read_write' },
        { name: 'status', access: 'read_write' },
        { name: 'dims', access: 'uniform' },
      ],
      STEP_GROUP,
    ],
    { WG, GRAD: grad ? 1 : 0 },
  );
  return {
    bind(owner: string, buffers: SoftmaxXentBuffers, d: SoftmaxXentDims): BoundKernel {
      const dims = uniformBuffer(ctx, owner, XentDims, {
        B: d.B,
        C: d.C,
        T: d.T,
        z_trial: d.B * d.C,
        l_base: d.labelBase ?? 0,
        l_trial: d.labelTrial ?? d.B,
        acc_base: d.metricsBase ?? 0,
      });
      const { stepGroup, ...storage } = buffers;
      // Read logits and labels, write dlogits (training).
      const bytes = 4 * d.T * d.B * ((grad ? 2 : 1) * d.C + 1);
      return { kernel, bindGroup: bindGroup(ctx, kernel, { ...storage, dims }), grid: foldGrid(ctx, 1, d.T), stepGroup, work: { flops: 0, bytes } };
    },
    encode: encodeBound,
  };
}
