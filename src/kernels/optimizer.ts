// Wrapper for shaders/optimizer.wgsl: one update of all parameters of all trials, per-trial optimizer.
import type { GpuContext } from '../gpu/device.ts';
import { ScalarStruct } from '../model/struct.ts';
import { bindGroup, compileKernel, encodeBound, foldGrid, uniformBuffer, type BoundKernel } from './kernel.ts';
import { STEP_GROUP } from './trial-buffers.ts';

export const OptimizerDims = new ScalarStruct('OptimizerDims', [
  ['P4', 'u32'],
  ['n_weights', 'u32'],
  ['groups_x', 'u32'],
  ['pad', 'u32'],
] as const);

const WG = 64;
/** vec4s each invocation updates (see the shader's header). */
const PER = 8;

export interface OptimizerBuffers {
  params: GPUBuffer;
  grads: GPUBuffer;
  stateM: GPUBuffer;
  stateV: GPUBuffer;
  trials: GPUBuffer;
  status: GPUBuffer;
  stepGroup: GPUBindGroup;
}

export async function createOptimizer(ctx: GpuContext) {
  const kernel = await compileKernel(
    ctx,
    'optimizer',
    [
      [
        { name: 'params', access: 'read_write' },
        { name: 'grads', access: 'read' },
        { name: 'state_m', access: 'read_write' },
        { name: 'state_v', access: 'read_write' },
        { name: 'trials', access: 'read' },
        { name: 'status', access: 'read_write' },
        { name: 'dims', access: 'uniform' },
      ],
      STEP_GROUP,
    ],
    { WG, PER },
  );
  return {
    /**
     * T trials of P parameters each (P a multiple of 4, as parameterLayout pads it), the first
     * `weights` of them weights (regularized), the rest biases and padding.
     */
    bind(owner: string, b: OptimizerBuffers, d: { T: number; P: number; weights: number }): BoundKernel {
      if (d.P % 4 !== 0) throw new Error(`optimizer: P = ${d.P} is not a multiple of 4 (pad the parameter layout)`);
      const P4 = d.P / 4;
      const grid = foldGrid(ctx, Math.ceil(P4 / (WG * PER)), d.T);
      const dims = uniformBuffer(ctx, owner, OptimizerDims, { P4, n_weights: d.weights, groups_x: grid[0] });
      return {
        kernel,
        bindGroup: bindGroup(ctx, kernel, {
          params: b.params,
          grads: b.grads,
          state_m: b.stateM,
          state_v: b.stateV,
          trials: b.trials,
          status: b.status,
          dims,
        }),
        grid,
        stepGroup: b.stepGroup,
        // Read w and g, write w; read and write each state buffer the cohort keeps (not the placeholders).
        work: { flops: 0, bytes: 4 * d.T * d.P * (3 + [b.stateM, b.stateV].filter((s) => s.size >= 4 * d.T * d.P).length * 2) },
      };
    },
    encode: encodeBound,
  };
}
