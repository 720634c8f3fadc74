// The data set on the device: uploaded once per study and shared by every cohort and trial.
import type { Dataset } from '../data/dataset.ts';
import type { GpuContext } from '../gpu/device.ts';
import { DeviceLimitError } from '../gpu/errors.ts';
import { PAD_LABEL } from '../model/structs.ts';

export interface DeviceDataset {
  readonly source: Dataset;
  /** [N + 1][F] f32, splits in order train, validation, test, then the padding row (zeros). */
  readonly x: GPUBuffer;
  /**
   * [N + 1] u32 labels: the class of each row, or for regression the standardized target's float32
   * bits (gather copies 32-bit words without reading them); the padding row's is PAD_LABEL.
   */
  readonly y: GPUBuffer;
  /** Index of the padding row (N): evaluation chunks that gather each slot's own rows are filled up with it. */
  readonly padRow: number;
  readonly owner: string;
}

/** The label words the device holds for `dataset`'s rows (see DeviceDataset.y). */
export function labelWords(dataset: Dataset): Uint32Array {
  if (dataset.task === 'classification') return dataset.y;
  const { target } = dataset;
  if (!target || target.length !== dataset.y.length) {
    throw new Error(`data set "${dataset.name}": a regression data set needs a target for each of its ${dataset.y.length} rows (got ${target?.length ?? 'none'})`);
  }
  return new Uint32Array(target.buffer, target.byteOffset, target.length);
}

export function uploadDataset(ctx: GpuContext, dataset: Dataset, owner = 'data'): DeviceDataset {
  const rows = dataset.y.length;
  const xBytes = (rows + 1) * dataset.features * 4;
  const max = ctx.limits.maxStorageBufferBindingSize;
  if (xBytes > max) {
    throw new DeviceLimitError('maxStorageBufferBindingSize', xBytes, max, `data set "${dataset.name}" (${rows} rows × ${dataset.features} features)`);
  }
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const words = labelWords(dataset);
  const x = ctx.memory.create(`${owner}/x`, xBytes, usage, true);
  // A buffer mapped at creation starts zeroed: the padding row needs no write.
  new Float32Array(x.getMappedRange()).set(dataset.x);
  x.unmap();
  const y = ctx.memory.create(`${owner}/y`, (rows + 1) * 4, usage, true);
  const yWords = new Uint32Array(y.getMappedRange());
  yWords.set(words);
  yWords[rows] = PAD_LABEL;
  y.unmap();
  return { source: dataset, x, y, padRow: rows, owner };
}

export function freeDataset(ctx: GpuContext, data: DeviceDataset): void {
  ctx.memory.freePrefix(`${data.owner}/`);
}
