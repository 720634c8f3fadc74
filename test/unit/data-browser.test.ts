// The browser path in Node: vite.config.ts's plugin serves the asset, fetchMnistAsset reads it; uploads feed CSV specs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDatasetBrowser } from '../../src/data/browser.ts';
import { DataError } from '../../src/data/errors.ts';
import { fetchMnistAsset } from '../../src/data/mnist-browser.ts';
import { loadMnistAssetNode } from '../../src/data/mnist-node.ts';
import { loadDatasetNode } from '../../src/data/node.ts';
import { dataSpecSchema } from '../../src/data/spec.ts';
import { sampleArrow, sampleParquet, vegaText } from '../helpers/tables.ts';

const repoRoot = join(import.meta.dirname, '..', '..');

/** Byte equality for large typed arrays: vitest's deep equality walks millions of elements slowly. */
function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

describe('fetchMnistAsset', () => {
  let vite: ViteDevServer;
  let notFound: Server;
  const origin = (server: Server | null | undefined) => `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;

  beforeAll(async () => {
    vite = await createServer({
      configFile: join(repoRoot, 'vite.config.ts'),
      root: repoRoot,
      base: '/app/',
      server: { port: 0, host: '127.0.0.1' },
      logLevel: 'silent',
    });
    await vite.listen();
    notFound = createHttpServer((_, res) => {
      res.statusCode = 404;
      res.statusMessage = 'Not Found';
      res.end();
    });
    await new Promise<void>((done) => notFound.listen(0, '127.0.0.1', done));
  });
  afterAll(async () => {
    await vite?.close();
    notFound?.close();
  });

  it('gets the asset the Vite dev server serves below its base', async () => {
    const asset = await fetchMnistAsset(`${origin(vite.httpServer as Server)}/app/`);
    const local = loadMnistAssetNode();
    expect(asset.count).toBe(10_000);
    expect(sameBytes(asset.labels, local.labels)).toBe(true);
    expect(sameBytes(asset.pixels, local.pixels)).toBe(true);
  });

  it('names the URL and the HTTP status when the asset is missing', async () => {
    const base = `${origin(notFound)}/somewhere`;
    const error = await fetchMnistAsset(base).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toBe(`mnist asset: fetching ${base}/data/mnist-v1.bin gave HTTP 404 Not Found`);
  });
});

describe('loadDatasetBrowser', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fusetune-upload-'));
  writeFileSync(join(dir, 's.parquet'), sampleParquet(300, { rowGroupSize: 100 }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a CSV spec from the uploaded files by name', async () => {
    const files = new Map([['upload.csv', 'a,b,label\n1,2,0\n3,4,1\n']]);
    const data = await loadDatasetBrowser(dataSpecSchema.parse({ kind: 'csv', path: 'upload.csv' }), files);
    expect(data.name).toBe('csv:upload.csv');
    expect(Array.from(data.x)).toEqual([1, 2, 3, 4]);
  });

  it('reads table specs from uploads: Parquet and Arrow as bytes, JSON as text, the same data set as in Node', async () => {
    const parquet = sampleParquet(300, { rowGroupSize: 100 });
    const files = new Map<string, string | Uint8Array>([
      ['s.parquet', parquet],
      ['s.arrow', sampleArrow(60)],
      ['penguins.json', vegaText('penguins.json')],
    ]);
    const fromParquet = await loadDatasetBrowser(dataSpecSchema.parse({ kind: 'table', path: 's.parquet', target: 'f', columns: { i: 'ignore' } }), files);
    const inNode = await loadDatasetNode(dataSpecSchema.parse({ kind: 'table', path: join(dir, 's.parquet'), target: 'f', columns: { i: 'ignore' } }));
    expect(fromParquet.description).toBe(inNode.description);
    expect(sameBytes(fromParquet.x, inNode.x)).toBe(true);
    const fromArrow = await loadDatasetBrowser(dataSpecSchema.parse({ kind: 'table', path: 's.arrow', target: 'word' }), files);
    expect(fromArrow.classNames).toEqual(['blue', 'green', 'red']);
    const fromJson = await loadDatasetBrowser(dataSpecSchema.parse({ kind: 'table', path: 'penguins.json', target: 'Species', missing: ['.'] }), files);
    expect(fromJson.features).toBe(12);
    await expect(loadDatasetBrowser(dataSpecSchema.parse({ kind: 'table', path: 'other.parquet', target: 'f' }), files)).rejects.toThrow(
      'table:other.parquet: no uploaded file named "other.parquet" (uploaded: s.parquet, s.arrow, penguins.json)',
    );
  });

  it('lists the uploaded files when the spec names another', async () => {
    const files = new Map([['a.csv', ''], ['b.csv', '']]);
    await expect(loadDatasetBrowser(dataSpecSchema.parse({ kind: 'csv', path: 'c.csv' }), files)).rejects.toThrow(
      'csv:c.csv: no uploaded file named "c.csv" (uploaded: a.csv, b.csv)',
    );
  });
});
