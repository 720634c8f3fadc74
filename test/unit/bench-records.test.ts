// Benchmark records: the JSON shape, parsing results files, suite selection, tables and plot rows.
import { describe, expect, it } from 'vitest';
import { adapterLabel, benchRecordSchema, parseBenchRecords, type BenchRecord } from '../../src/bench/record.ts';
import { valueText } from '../../src/bench/report-cells.ts';
import { markdownTable, reportTables } from '../../src/bench/report.ts';
import { selectSuites } from '../../src/bench/run.ts';
import { bytesRows, fusedScaling, peerBars, runLabels, speedCurve } from '../../src/bench/series.ts';

const adapter = { vendor: 'google', architecture: 'swiftshader', device: '', description: '', isSoftware: true, runtime: 'browser' as const };
const summary = (median: number, min = median, max = median) => ({ median, min, max, n: 3 });

function record(fields: Partial<BenchRecord> & Pick<BenchRecord, 'suite' | 'kernel' | 'values'>): BenchRecord {
  return { workload: 'w', shape: {}, T: 1, timing: 'timestamp-query', adapter, date: '2026-01-01T00:00:00.000Z', ...fields };
}

const bytes = { weights: 2 ** 20, gradients: 2 ** 20, optimizer: 2 ** 21, activations: 2 ** 19, batching: 0, control: 0, total: 2 ** 22 };
const sample: BenchRecord[] = [
  record({ suite: 'matmul', kernel: 'dense-forward@reg8x8', workload: '512×512 · 512×512', shape: { M: 512, N: 512, K: 512, variant: 'reg8x8' }, values: { gflops: summary(3, 2.5, 3.1) } }),
  record({ suite: 'matmul', kernel: 'dense-forward@naive', workload: '512×512 · 512×512', shape: { M: 512, N: 512, K: 512, variant: 'naive' }, values: { gflops: null }, note: 'skipped' }),
  ...[1, 2, 4].map((batch, i) => record({ suite: 'batch', kernel: 'train-step', shape: { batch }, values: { stepMs: summary(10), samplesPerSec: summary(100 * (i + 1)) }, bytes })),
  record({ suite: 'batch', kernel: 'knee', values: { kneeBatch: 2, growth: 0.1 } }),
  record({ suite: 'fused', kernel: 'train-step', T: 1, shape: { batch: 64 }, values: { samplesPerSec: summary(1000), perTrialSamplesPerSec: summary(1000), speedup: summary(1) }, bytes }),
  record({ suite: 'fused', kernel: 'train-step', T: 4, shape: { batch: 64 }, values: { samplesPerSec: summary(3000), perTrialSamplesPerSec: summary(750), speedup: summary(3) }, bytes }),
  record({ suite: 'peer', kernel: 'fusetune-train-step', T: 32, timing: 'wall-clock', values: { samplesPerSec: summary(3000) } }),
  record({ suite: 'peer', kernel: 'tfjs-train-step', T: 32, timing: 'wall-clock', workload: 'TF.js 4.22.0 (webgpu backend), 32 trials', values: { samplesPerSec: summary(300) } }),
  record({ suite: 'peer', kernel: 'speedup-vs-tfjs', T: 32, timing: 'wall-clock', values: { speedup: summary(10, 8, 12), target: 3, goal: 10 } }),
];

describe('records', () => {
  it('every sample record matches the schema, and a JSON round trip keeps it', () => {
    for (const r of sample) expect(benchRecordSchema.parse(JSON.parse(JSON.stringify(r)))).toEqual(r);
  });

  it('parses JSON lines (blank lines allowed) and a JSON array alike', () => {
    const lines = sample.map((r) => JSON.stringify(r)).join('\n\n');
    expect(parseBenchRecords(lines)).toEqual(sample);
    expect(parseBenchRecords(JSON.stringify(sample))).toEqual(sample);
    expect(parseBenchRecords('  ')).toEqual([]);
  });

  it('names an adapter by description (else vendor and architecture) and the device string that names the GPU', () => {
    expect(adapterLabel(adapter)).toBe('google swiftshader (software)');
    const h100 = { ...adapter, vendor: 'nvidia', architecture: '', device: 'nvidia-h100-80gb-hbm3', description: 'NVIDIA: 580.159.04', isSoftware: false };
    expect(adapterLabel(h100)).toBe('NVIDIA: 580.159.04 · nvidia-h100-80gb-hbm3');
    expect(adapterLabel({ ...h100, description: 'NVIDIA-H100-80GB-HBM3 driver' })).toBe('NVIDIA-H100-80GB-HBM3 driver');
  });

  it('names the line and the field of a bad record', () => {
    const bad = { ...sample[0], timing: 'stopwatch' };
    expect(() => parseBenchRecords(`${JSON.stringify(sample[0])}\n${JSON.stringify(bad)}`)).toThrow(/^line 2: timing:/);
    expect(() => parseBenchRecords('{"suite":')).toThrow(/^line 1: not JSON/);
    const { adapter: _, ...noAdapter } = sample[0]!;
    expect(() => parseBenchRecords(JSON.stringify([noAdapter]))).toThrow(/^item 1: adapter:/);
  });
});

describe('selectSuites', () => {
  it('keeps the suite order, and none named means all', () => {
    expect(selectSuites(['peer', 'matmul'])).toEqual(['matmul', 'peer']);
    expect(selectSuites([])).toEqual(['copy', 'peak', 'matmul', 'batch', 'fused', 'profile', 'fixed', 'peer', 'search', 'ingest']);
  });

  it('names the unknown suites and lists the real ones', () => {
    expect(() => selectSuites(['matmul', 'gemm'])).toThrow('unknown suite "gemm"; the suites are copy, peak, matmul, batch, fused, profile, fixed, peer, search, ingest');
  });
});

describe('tables and plot rows', () => {
  it('writes median (min–max), a plain number, or "-"', () => {
    expect(valueText(summary(3.14159, 2, 4))).toBe('3.14 (2–4)');
    expect(valueText({ median: 5, min: 5, max: 5, n: 1 })).toBe('5');
    expect(valueText(12345.6)).toBe('12346');
    expect(valueText(null)).toBe('-');
  });

  it('pivots matmul by variant, marks the knee and skipped cases, and judges the peer target', () => {
    const tables = reportTables(sample);
    const matmul = tables.find((t) => t.title.startsWith('Dense forward'))!;
    expect(matmul.header).toEqual(['workload', 'reg8x8', 'naive']);
    expect(matmul.rows).toEqual([['512×512 · 512×512', '3 (2.5–3.1)', 'skipped']]);
    expect(matmul.title).toContain('google swiftshader (software), browser, timestamp-query');
    const batch = tables.find((t) => t.title.startsWith('Batch'))!;
    expect(batch.title).toContain('knee at batch 2');
    expect(batch.rows.map((r) => r[0])).toEqual(['1', '2 (knee)', '4']);
    expect(batch.rows[0]!.slice(3)).toEqual(['1', '1', '2', '0.5', '4']);
    const peer = tables.find((t) => t.title.startsWith('fusetune vs'))!;
    expect(peer.title).toContain('TF.js 4.22.0 (webgpu backend)');
    expect(peer.rows).toEqual([['32', '3000', '300', '10 (8–12)×', '3× met']]);
    expect(markdownTable(peer).split('\n').slice(0, 2)).toEqual([
      '| T | fusetune samples/s | TF.js samples/s | fusetune ÷ TF.js | target |',
      '| --- | --- | --- | --- | --- |',
    ]);
  });

  it('reshapes records into the rows the lab plots', () => {
    expect(runLabels(sample)).toEqual(['google swiftshader (software) · browser']);
    expect(speedCurve(sample)).toEqual({ points: [1, 2, 4].map((x, i) => ({ x, y: 100 * (i + 1), min: 100 * (i + 1), max: 100 * (i + 1) })), knee: 2 });
    expect(bytesRows(sample, 'fused').filter((r) => r.x === 4).map((r) => [r.component, r.mib])).toEqual([
      ['weights', 1],
      ['gradients', 1],
      ['optimizer', 2],
      ['activations', 0.5],
      ['batching', 0],
      ['control', 0],
    ]);
    const scaling = fusedScaling(sample);
    expect(scaling.rates.map((r) => [r.x, r.series, r.y])).toEqual([
      [1, 'aggregate', 1000],
      [1, 'per trial', 1000],
      [4, 'aggregate', 3000],
      [4, 'per trial', 750],
    ]);
    expect(scaling.speedup.map((p) => p.y)).toEqual([1, 3]);
    expect(peerBars(sample).map((b) => [b.library, b.samplesPerSec, b.speedup])).toEqual([
      ['fusetune', 3000, 10],
      ['TF.js', 300, 10],
    ]);
  });
});
