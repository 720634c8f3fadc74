// Wrapper for shaders/regression-loss.wgsl: per-trial mean squared error (or Huber), doutputs, the error sums, divergence flag.
import type { GpuContext } from '../gpu/device.ts';
import type { RegressionLoss } from '../model/loss.ts';
import { ScalarStruct } from '../model/struct.ts';
import { bindGroup, compileKernel, encodeBound, foldGrid, uniformBuffer, type BoundKernel } from './kernel.ts';
import { STEP_GROUP } from './trial-buffers.ts';

export const RegressionDims = new ScalarStruct('RegressionDims', [
  ['B', 'u32'],
  ['T', 'u32'],
  ['z_trial', 'u32'],
  ['t_base', 'u32'],
  ['t_trial', 'u32'],
  ['acc_base', 'u32'],
  ['delta', 'f32'],
  ['pad', 'u32'],
] as const);

const WG = 64;

export interface RegressionLossBuffers {
  /** [T][B] the network's one output per row. */
  outputs: GPUBuffer;
  /** The targets' float32 bits (the labels buffer of a regression data set). */
  targets: GPUBuffer;
  /** Written in training mode; any storage buffer in evaluation mode. */
  doutputs: GPUBuffer;
  metrics: GPUBuffer;
  /** Loss history [slots][T] (training mode). */
  history: GPUBuffer;
  status: GPUBuffer;
  stepGroup: GPUBindGroup;
}

export interface RegressionLossDims {
  T: number;
  B: number;
  /** Where targets start and their per-trial stride (0 = shared targets, as in evaluation). */
  targetBase?: number;
  targetTrial?: number;
  /** Offset (in floats) of this pass's accumulators in the metrics buffer. */
  metricsBase?: number;
}

/**
 * `grad` true: training (doutputs, loss history, divergence flag); false: evaluation (accumulate
 * only). `loss` picks squared error or Huber (δ in the standardized target's units).
 */
export async function createRegressionLoss(ctx: GpuContext, grad: boolean, loss: RegressionLoss) {
  const kernel = await compileKernel(
    ctx,
    'regression-loss',
    [
      [
        { name: 'outputs', access: 'read' },
        { name: 'targets', access: 'read' },
        { name: 'doutputs', access: 'read_write' },
        { name: 'metrics', access: 'read_write' },
        { name: 'history', access: 'read_write' },
        { name: 'status', access: 'read_write' },
        { name: 'dims', access: 'uniform' },
      ],
      STEP_GROUP,
    ],
    { WG, GRAD: grad ? 1 : 0, HUBER: loss.kind === 'huber' ? 1 : 0 },
  );
  return {
    bind(owner: string, buffers: RegressionLossBuffers, d: RegressionLossDims): BoundKernel {
      const dims = uniformBuffer(ctx, owner, RegressionDims, {
        B: d.B,
        T: d.T,
        z_trial: d.B,
        t_base: d.targetBase ?? 0,
        t_trial: d.targetTrial ?? d.B,
        acc_base: d.metricsBase ?? 0,
        delta: loss.kind === 'huber' ? loss.delta : 0,
      });
      const { stepGroup, ...storage } = buffers;
      // Read outputs and targets, write doutputs (training).
      const bytes = 4 * d.T * d.B * (grad ? 3 : 2);
      return { kernel, bindGroup: bindGroup(ctx, kernel, { ...storage, dims }), grid: foldGrid(ctx, 1, d.T), stepGroup, work: { flops: 0, bytes } };
    },
    encode: encodeBound,
  };
}
