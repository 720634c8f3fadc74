// The data set on the device: uploaded once per study and shared by every cohort and trial.
import type { Dataset } from '../data/dataset.ts';
import type { GpuContext } from '../gpu/device.ts';
import { DeviceLimitError } from '../gpu/errors.ts';

export interface DeviceDataset {
  readonly source: Dataset;
  /** [N][F] f32, splits in order train, validation, test. */
  readonly x: GPUBuffer;
  /** [N] u32 labels. */
  readonly y: GPUBuffer;
  readonly owner: string;
}

export function uploadDataset(ctx: GpuContext, dataset: Dataset, owner = 'data'): DeviceDataset {
  const max = ctx.limits.maxStorageBufferBindingSize;
  if (dataset.x.byteLength > max) {
    throw new DeviceLimitError('maxStorageBufferBindingSize', dataset.x.byteLength, max, `data set "${dataset.name}" (${dataset.y.length} rows × ${dataset.features} features)`);
  }
  return {
    source: dataset,
    x: ctx.memory.upload(`${owner}/x`, dataset.x),
    y: ctx.memory.upload(`${owner}/y`, dataset.y),
    owner,
  };
}

export function freeDataset(ctx: GpuContext, data: DeviceDataset): void {
  ctx.memory.freePrefix(`${data.owner}/`);
}
