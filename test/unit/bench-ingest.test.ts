// The ingest suite's measuring logic on a small Parquet file (the 3M-row file is the bench's alone): what it counts, how peaks and rates derive, its records and table. No time is asserted.
import { describe, expect, it } from 'vitest';
import { decodedBytes, flightsIngestSpec, ingestRecords, ingestTables, measureIngest, type ProcessProbe } from '../../src/bench/ingest.ts';
import { benchRecordSchema, centralValue } from '../../src/bench/record.ts';
import { tableSpecSchema } from '../../src/data/spec.ts';
import { readTable } from '../../src/data/read-table.ts';
import { sampleParquet } from '../helpers/tables.ts';

const adapter = { vendor: 'cpu', architecture: '', device: '', description: 'CPU', isSoftware: false, runtime: 'node' as const };

/** A probe whose resident set grows by a step per read, with the high-water mark as its largest reading; CPU time runs 100 ms per reading. */
function steppingProbe(start: number, step: number): ProcessProbe {
  let rss = start;
  let peak = start;
  let cpu = 0;
  return {
    cpuMs: () => (cpu += 100),
    rssBytes: () => rss,
    peakRssBytes: () => {
      rss += step;
      peak = Math.max(peak, rss);
      return peak;
    },
  };
}

/** A clock that advances 250 ms per reading. */
function steppingClock(): () => number {
  let t = 0;
  return () => (t += 250);
}

describe('ingest suite', () => {
  const bytes = sampleParquet(2500);
  const spec = tableSpecSchema.parse({ kind: 'table', path: 'dir/s.parquet', target: 'f', task: 'regression' });

  it('reads the study’s columns, counts the typed arrays and the encoded matrix, and takes the baseline before the file is read', async () => {
    let readCalls = 0;
    const run = await measureIngest(() => (readCalls++, bytes), spec, steppingProbe(100e6, 10e6), 1.5, steppingClock());
    expect(readCalls).toBe(1);
    // `t` is a timestamp, a date the study does not name: left unread, as loadTable leaves it.
    const table = await readTable(bytes, { name: 's.parquet', format: 'parquet', want: (name) => name !== 't' });
    expect(run).toMatchObject({ file: 's.parquet', rows: 2500, fileBytes: bytes.byteLength, columnsRead: 5, columnsSkipped: 1, decodedBytes: decodedBytes(table), readMs: 250, encodeMs: 250, readCpuMs: 100, encodeCpuMs: 100 });
    expect(run.decodedBytes).toBe(table.columns.reduce((sum, c) => sum + (c.type === 'number' ? c.values.length * 8 : c.codes.length * 4), 0));
    // Rows whose target f is missing (every 5th) are dropped; the rest are all encoded, as float32.
    expect(run.encodedBytes).toBe(2000 * run.features * 4);
    expect({ baseline: run.baselineRssBytes, read: run.peakReadRssBytes, total: run.peakRssBytes, load: run.loadAverage1 }).toEqual({ baseline: 100e6, read: 110e6, total: 120e6, load: 1.5 });
  });

  it('derives rates and peaks per run, and summarizes the runs into three valid records and a table with the targets', async () => {
    const runs = await Promise.all([10e6, 30e6, 20e6].map((step) => measureIngest(() => bytes, spec, steppingProbe(50e6, step), 2, steppingClock())));
    const records = ingestRecords(runs, adapter);
    for (const r of records) expect(benchRecordSchema.parse(r)).toEqual(r);
    const [read, encode, total] = records;
    expect(records.map((r) => r.kernel)).toEqual(['read', 'encode', 'read+encode']);
    expect(read!.values.seconds).toEqual({ median: 0.25, min: 0.25, max: 0.25, n: 3 });
    expect(centralValue(encode!.values.rowsPerSec)).toBe(2500 / 0.25);
    expect(centralValue(total!.values.rowsPerSec)).toBe(2500 / 0.5);
    expect(total!.values.peakAboveBaselineBytes).toEqual({ median: 40e6, min: 20e6, max: 60e6, n: 3 });
    expect(centralValue(total!.values.peakOverDecoded)).toBeCloseTo(40e6 / runs[0]!.decodedBytes, 12);
    expect(centralValue(total!.values.peakOverDecodedAndEncoded)).toBeCloseTo(40e6 / (runs[0]!.decodedBytes + runs[0]!.encodedBytes), 12);
    const [table] = ingestTables(records);
    expect(table!.rows.map((row) => row[0])).toEqual(['read', 'encode', 'read+encode']);
    expect(table!.rows[2]!.at(-1)).toMatch(/^< 6 s: met; < 2× decoded: (met|missed)$/);
  });

  it('refuses to summarize runs of different tables', async () => {
    const one = await measureIngest(() => bytes, spec, steppingProbe(0, 1), 0, steppingClock());
    expect(() => ingestRecords([one, { ...one, rows: 1 }], adapter)).toThrow('different tables');
  });

  it('encodes flights as a regression of delay with the study defaults', () => {
    expect(flightsIngestSpec('x/flights-3m.parquet')).toMatchObject({ target: 'delay', task: 'regression', maxCategories: 20, split: { stratify: true, seed: 1 } });
  });
});
