// Buffers the kernel tests share: per-trial params, one step of StepData, status, poisoned outputs.
import type { GpuContext } from '../../src/gpu/device.ts';
import { TrialParams, type StepHeaderValues, type TrialParamsValues, type TrialStepValues } from '../../src/model/structs.ts';
import { freshStatus, StepRing } from '../../src/kernels/trial-buffers.ts';
import { storage } from './gpu.ts';

export function trialsBuffer(ctx: GpuContext, owner: string, values: TrialParamsValues[]): GPUBuffer {
  return ctx.memory.upload(`${owner}/trials`, new Uint8Array(TrialParams.packArray(values)), GPUBufferUsage.STORAGE);
}

/** A step ring with one slot written and uploaded. */
export function oneStep(ctx: GpuContext, owner: string, T: number, header: StepHeaderValues, trials: TrialStepValues[] = []): StepRing {
  const ring = new StepRing(ctx, owner, T, 1);
  ring.set(0, header, trials.length ? trials : Array.from({ length: T }, () => ({})));
  ring.upload();
  return ring;
}

export function statusBuffer(ctx: GpuContext, owner: string, T: number): GPUBuffer {
  return storage(ctx, `${owner}/status`, freshStatus(T));
}

/** An output buffer of `n` floats filled with NaN, so anything the kernel fails to write shows. */
export function poisoned(ctx: GpuContext, label: string, n: number): GPUBuffer {
  return storage(ctx, label, new Float32Array(n).fill(NaN));
}

export function f32(values: ArrayLike<number>): Float32Array {
  return Float32Array.from(values as ArrayLike<number>);
}
