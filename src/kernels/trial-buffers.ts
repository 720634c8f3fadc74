// Host side of shaders/common/trial.wgsl: per-trial hyperparameters, the per-step ring and trial status.
import type { GpuContext } from '../gpu/device.ts';
import { reads } from '../model/optimizers.ts';
import type { OptimizerKind, TrialConfig } from '../model/trial-config.ts';
import { type BindingSpec } from './kernel.ts';
import { ringStride, StepHeader, stepDataBytes, TrialStep, type StepHeaderValues, type TrialParamsValues, type TrialStepValues } from '../model/structs.ts';

/** Optimizer codes of TrialParams.optimizer (OPT_* in trial.wgsl): `momentum` is SGD with another default. */
export const OPTIMIZER_CODE: Record<OptimizerKind, number> = { sgd: 0, momentum: 0, rmsprop: 1, adam: 2, adamw: 3 };

export const STATUS_DIVERGED = 1;
export const STEP_NONE = 0xffffffff;

/** The one binding of group 1, shared by every kernel that reads per-step data. */
export const STEP_GROUP: readonly BindingSpec[] = [{ name: 'step_data', access: 'read', dynamic: true }];

/** TrialParams of a trial config, as the kernels read them: a setting its optimizer does not read is 0. */
export function trialParamsOf(config: TrialConfig): TrialParamsValues {
  const o = config.optimizer;
  return {
    optimizer: OPTIMIZER_CODE[o.kind],
    momentum: reads(o.kind, 'momentum') ? o.momentum : 0,
    dampening: reads(o.kind, 'dampening') ? o.dampening : 0,
    nesterov: reads(o.kind, 'nesterov') && o.nesterov ? 1 : 0,
    beta1: o.beta1,
    beta2: o.beta2,
    eps: o.eps,
    alpha: o.alpha,
    weight_decay: reads(o.kind, 'weight_decay') ? o.weightDecay : 0,
    l1: config.l1,
    l2: config.l2,
    dropout: config.dropout,
    seed: config.seed >>> 0,
  };
}

/** Per-step scalars of a trial at its `count`-th update (1-based), computed in float64 on the host. */
export function trialStepOf(config: TrialConfig, count: number, lr = config.optimizer.lr): TrialStepValues {
  return {
    lr,
    bc1: 1 - config.optimizer.beta1 ** count,
    bc2: 1 - config.optimizer.beta2 ** count,
    count,
  };
}

/**
 * A buffer of `slots` StepData records, one per step of a submit, bound with a dynamic offset.
 * queue.writeBuffer is ordered with submits, so rewriting the ring for the next submit is safe.
 */
export class StepRing {
  readonly buffer: GPUBuffer;
  readonly stride: number;
  readonly bindingSize: number;
  readonly bindGroup: GPUBindGroup;
  private readonly staging: ArrayBuffer;

  constructor(
    private readonly ctx: GpuContext,
    owner: string,
    readonly trials: number,
    readonly slots: number,
  ) {
    this.bindingSize = stepDataBytes(trials);
    this.stride = ringStride(trials, ctx.limits.minStorageBufferOffsetAlignment);
    this.buffer = ctx.memory.create(`${owner}/step-ring`, this.stride * slots, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST);
    this.staging = new ArrayBuffer(this.stride * slots);
    const layout = ctx.device.createBindGroupLayout({
      label: 'step-data.bindGroupLayout',
      entries: [{ binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage', hasDynamicOffset: true } }],
    });
    this.bindGroup = ctx.device.createBindGroup({
      label: 'step-data.bindGroup',
      layout,
      entries: [{ binding: 0, resource: { buffer: this.buffer, size: this.bindingSize } }],
    });
  }

  /** Writes slot `slot` (not yet uploaded: call `upload` once the submit's slots are written). */
  set(slot: number, header: StepHeaderValues, trials: readonly TrialStepValues[]): void {
    if (slot >= this.slots) throw new Error(`step ring: slot ${slot} out of ${this.slots}`);
    const view = new DataView(this.staging, slot * this.stride, this.bindingSize);
    StepHeader.write(view, header);
    const trialView = new DataView(this.staging, slot * this.stride + StepHeader.byteSize, trials.length * TrialStep.byteSize);
    trials.forEach((values, t) => TrialStep.write(trialView, values, t));
  }

  /** Uploads slots 0..count-1. */
  upload(count = this.slots): void {
    this.ctx.device.queue.writeBuffer(this.buffer, 0, this.staging, 0, count * this.stride);
  }

  offset(slot: number): number {
    return slot * this.stride;
  }
}

/** Initial TrialStatus records: no flags, diverged_step = STEP_NONE. */
export function freshStatus(trials: number): Uint32Array {
  const data = new Uint32Array(trials * 2);
  for (let t = 0; t < trials; t++) data[2 * t + 1] = STEP_NONE;
  return data;
}
