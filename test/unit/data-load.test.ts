// datasetFromSpec dispatches each kind through the platform's io; the Node entry reads real files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors.ts';
import { datasetFromSpec, type DataIo } from '../../src/data/load.ts';
import { decodeMnistAsset, encodeMnistAsset } from '../../src/data/mnist-asset.ts';
import { loadDatasetNode } from '../../src/data/node.ts';
import { dataSpecSchema } from '../../src/data/spec.ts';

const tinyMnist = decodeMnistAsset(encodeMnistAsset(new Uint8Array(20 * 784).fill(51), Uint8Array.from({ length: 20 }, (_, i) => i % 10)));

function io(files: Record<string, string>): DataIo & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    mnistAsset: async () => tinyMnist,
    readText: async (path) => {
      reads.push(path);
      if (!(path in files)) throw new Error(`ENOENT: no such file, open '${path}'`);
      return files[path];
    },
    readFile: async (path) => {
      reads.push(path);
      if (!(path in files)) throw new Error(`ENOENT: no such file, open '${path}'`);
      return files[path];
    },
  };
}

describe('datasetFromSpec', () => {
  it('builds MNIST from the io asset with the spec’s pixels', async () => {
    const data = await datasetFromSpec(dataSpecSchema.parse({ kind: 'mnist', pixels: 49 }), io({}));
    expect(data.features).toBe(49);
    expect(data.split).toEqual({ train: 16, validation: 2, test: 2 });
    expect(data.x.every((v) => Math.abs(v - 0.2) < 1e-6)).toBe(true);
  });

  it('reads a CSV through io and names it by its file name', async () => {
    const files = io({ 'dir/sub/points.csv': 'a,label\n1,0\n2,1\n3,0\n4,1\n' });
    const spec = dataSpecSchema.parse({ kind: 'csv', path: 'dir/sub/points.csv', validation: 0.5, standardize: true });
    const data = await datasetFromSpec(spec, files);
    expect(files.reads).toEqual(['dir/sub/points.csv']);
    expect(data.name).toBe('csv:points.csv');
    expect(data.split).toEqual({ train: 2, validation: 2, test: 0 });
    expect(Array.from(data.x)).toEqual([-1, 1, 3, 5]);
  });

  it('wraps a read failure in a DataError naming the path', async () => {
    const spec = dataSpecSchema.parse({ kind: 'csv', path: 'missing.csv' });
    const error = await datasetFromSpec(spec, io({})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toBe(`csv:missing.csv: cannot read "missing.csv": ENOENT: no such file, open 'missing.csv'`);
  });

  it('generates synthetic sets without io', async () => {
    const data = await datasetFromSpec(dataSpecSchema.parse({ kind: 'xor', n: 100 }), io({}));
    expect(data.name).toBe('xor');
    expect(data.split).toEqual({ train: 70, validation: 15, test: 15 });
  });
});

describe('loadDatasetNode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fusetune-csv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a CSV file from disk', async () => {
    const path = join(dir, 'data.csv');
    writeFileSync(path, 'f1,f2,label\n1,2,b\n3,4,a\n');
    const data = await loadDatasetNode(dataSpecSchema.parse({ kind: 'csv', path }));
    expect(data.name).toBe('csv:data.csv');
    expect(data.classNames).toEqual(['a', 'b']);
    expect(Array.from(data.y)).toEqual([1, 0]);
  });

  it('reports a missing file as a DataError', async () => {
    const path = join(dir, 'nope.csv');
    await expect(loadDatasetNode(dataSpecSchema.parse({ kind: 'csv', path }))).rejects.toThrow(/csv:nope\.csv: cannot read ".*nope\.csv": ENOENT/);
  });

  it('loads the real MNIST asset', async () => {
    const data = await loadDatasetNode(dataSpecSchema.parse({ kind: 'mnist', pixels: 196, trainLimit: 1000 }));
    expect(data.split).toEqual({ train: 1000, validation: 1000, test: 1000 });
    expect(data.features).toBe(196);
  });
});
