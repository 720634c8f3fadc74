// The 'ingest' suite's measurement: a table file read into typed columns and encoded as a study encodes it, timed, with the peak RSS above the process's baseline; its records and table (no Node APIs: ingest-node.ts runs it in a fresh process).
import { fileName, wantedColumns } from '../data/load.ts';
import { formatOf, readTable } from '../data/read-table.ts';
import { tableSpecSchema, type TableSpec } from '../data/spec.ts';
import { tableDataset } from '../data/table-dataset.ts';
import type { RawTable } from '../data/table.ts';
import type { AdapterSummary, BenchRecord } from './record.ts';
import { num, valueText, type ReportTable } from './report-cells.ts';
import { invert, summarize } from './stats.ts';

/** The issue's bars for flights-3m.parquet on the 2-core machine: read and encoded in under 6 s, at under 2× the decoded columns' size above the baseline. */
export const INGEST_TARGET_SECONDS = 6;
export const INGEST_TARGET_PEAK_OVER_DECODED = 2;

/** How the process is read: the resident set now, its high-water mark since the process started, and the CPU time it has used. */
export interface ProcessProbe {
  rssBytes(): number;
  peakRssBytes(): number;
  /** User + system CPU milliseconds: on a shared machine a steadier figure than the wall clock, which waits for other work. */
  cpuMs(): number;
}

/** One read and encode, in one process. */
export interface IngestRun {
  file: string;
  rows: number;
  fileBytes: number;
  /** Columns read (the study's), and the file's columns left unread. */
  columnsRead: number;
  columnsSkipped: number;
  /** The typed arrays the reader returned (Float64Array values, Int32Array codes); text levels are not counted. */
  decodedBytes: number;
  /** The float32 feature matrix, every row the splits keep × the encoded width. */
  encodedBytes: number;
  features: number;
  readMs: number;
  encodeMs: number;
  readCpuMs: number;
  encodeCpuMs: number;
  baselineRssBytes: number;
  /** The high-water mark when the read ended, and when the encode ended. */
  peakReadRssBytes: number;
  peakRssBytes: number;
  /** The 1-minute load average as the run started (the machine is shared: figures depend on it). */
  loadAverage1: number;
}

/** The bench's study data: flights' delay in minutes from distance, origin and destination (the file's date is ignored, as a study would guess), every row encoded. */
export function flightsIngestSpec(path: string): TableSpec {
  return tableSpecSchema.parse({ kind: 'table', path, target: 'delay', task: 'regression' });
}

/** Bytes of the reader's typed columns. */
export function decodedBytes(table: RawTable): number {
  return table.columns.reduce((sum, c) => sum + (c.type === 'number' ? c.values.byteLength : c.codes.byteLength), 0);
}

/**
 * Reads the file (`readBytes` runs inside the timed read) and encodes it as `spec` says, as loadTable
 * does for a study. The baseline is taken before the file is read, so the file's bytes count above it.
 */
export async function measureIngest(readBytes: () => Uint8Array, spec: TableSpec, probe: ProcessProbe, loadAverage1: number, now = () => performance.now()): Promise<IngestRun> {
  const name = fileName(spec.path);
  const baselineRssBytes = probe.rssBytes();
  const startedCpu = probe.cpuMs();
  const started = now();
  const bytes = readBytes();
  const fileBytes = bytes.byteLength;
  const table = await readTable(bytes, { name, format: formatOf(name, spec.format), missing: spec.missing, want: wantedColumns(spec) });
  const read = now();
  const readCpu = probe.cpuMs();
  const peakReadRssBytes = probe.peakRssBytes();
  const { dataset } = tableDataset(table, spec);
  const encoded = now();
  const encodedCpu = probe.cpuMs();
  return {
    file: name,
    rows: table.rows,
    fileBytes,
    columnsRead: table.columns.length,
    columnsSkipped: table.skipped?.length ?? 0,
    decodedBytes: decodedBytes(table),
    encodedBytes: dataset.x.byteLength,
    features: dataset.features,
    readMs: read - started,
    encodeMs: encoded - read,
    readCpuMs: readCpu - startedCpu,
    encodeCpuMs: encodedCpu - readCpu,
    baselineRssBytes,
    peakReadRssBytes,
    peakRssBytes: probe.peakRssBytes(),
    loadAverage1,
  };
}

/** Three records from repeated runs of one file: the read, the encode, and both against the targets. */
export function ingestRecords(runs: readonly IngestRun[], adapter: AdapterSummary, shapeExtra: Record<string, number | string> = {}): BenchRecord[] {
  const first = runs[0];
  if (!first) throw new Error('ingestRecords: no runs');
  if (runs.some((r) => r.rows !== first.rows || r.decodedBytes !== first.decodedBytes || r.encodedBytes !== first.encodedBytes)) throw new Error('ingestRecords: the runs read different tables');
  const date = new Date().toISOString();
  const shape = {
    file: first.file,
    rows: first.rows,
    fileBytes: first.fileBytes,
    columnsRead: first.columnsRead,
    columnsSkipped: first.columnsSkipped,
    decodedBytes: first.decodedBytes,
    encodedBytes: first.encodedBytes,
    features: first.features,
    ...shapeExtra,
  };
  const workload = `${first.file}: ${first.rows} rows, ${num(first.fileBytes / 2 ** 20)} MiB file, ${first.columnsRead} columns read, ${first.features} features, each run in a fresh Node process`;
  const record = (kernel: string, values: BenchRecord['values'], note: string): BenchRecord => ({ suite: 'ingest', kernel, workload, shape, T: 1, values, timing: 'wall-clock', adapter, date, note });
  const seconds = (pick: (r: IngestRun) => number) => summarize(runs.map((r) => pick(r) / 1000));
  const rowsPerSec = (pick: (r: IngestRun) => number) => invert(seconds(pick), (s) => first.rows / s);
  const above = (pick: (r: IngestRun) => number) => summarize(runs.map((r) => pick(r) - r.baselineRssBytes));
  const over = (pick: (r: IngestRun) => number, bytes: number) => summarize(runs.map((r) => (pick(r) - r.baselineRssBytes) / bytes));
  const load = summarize(runs.map((r) => r.loadAverage1));
  return [
    record(
      'read',
      { seconds: seconds((r) => r.readMs), cpuSeconds: seconds((r) => r.readCpuMs), rowsPerSec: rowsPerSec((r) => r.readMs), peakAboveBaselineBytes: above((r) => r.peakReadRssBytes), peakOverDecoded: over((r) => r.peakReadRssBytes, first.decodedBytes), loadAverage1: load },
      'file bytes to typed columns (readTable); peak RSS is the process high-water mark when the read ended, less the RSS before the file was read',
    ),
    record('encode', { seconds: seconds((r) => r.encodeMs), cpuSeconds: seconds((r) => r.encodeCpuMs), rowsPerSec: rowsPerSec((r) => r.encodeMs), loadAverage1: load }, 'columns to the float32 matrix (tableDataset: target, split, kinds, transform fitted on the training rows, every kept row encoded)'),
    record(
      'read+encode',
      {
        seconds: seconds((r) => r.readMs + r.encodeMs),
        cpuSeconds: seconds((r) => r.readCpuMs + r.encodeCpuMs),
        rowsPerSec: rowsPerSec((r) => r.readMs + r.encodeMs),
        peakAboveBaselineBytes: above((r) => r.peakRssBytes),
        peakOverDecoded: over((r) => r.peakRssBytes, first.decodedBytes),
        peakOverDecodedAndEncoded: over((r) => r.peakRssBytes, first.decodedBytes + first.encodedBytes),
        targetSeconds: INGEST_TARGET_SECONDS,
        targetPeakOverDecoded: INGEST_TARGET_PEAK_OVER_DECODED,
        loadAverage1: load,
      },
      'the encoded matrix is part of the peak: peakOverDecodedAndEncoded divides by the columns plus the matrix, the least both steps must hold at once',
    ),
  ];
}

function mibText(value: BenchRecord['values'][string] | undefined): string {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'number') return num(value / 2 ** 20);
  return valueText({ ...value, median: value.median / 2 ** 20, min: value.min / 2 ** 20, max: value.max / 2 ** 20 });
}

export function ingestTables(records: readonly BenchRecord[]): ReportTable[] {
  const rs = records.filter((r) => r.suite === 'ingest');
  const files = [...new Set(rs.map((r) => r.workload))];
  return files.map((workload) => {
    const of = (kernel: string) => rs.find((r) => r.workload === workload && r.kernel === kernel);
    const total = of('read+encode');
    const shape = (total ?? rs.find((r) => r.workload === workload)!).shape;
    const verdict = (value: number | null, target: number) => (value === null ? '-' : value < target ? 'met' : 'missed');
    const median = (v: BenchRecord['values'][string] | undefined) => (v && typeof v === 'object' ? v.median : typeof v === 'number' ? v : null);
    return {
      title: `Ingestion — ${workload} — decoded columns ${num(Number(shape.decodedBytes) / 2 ** 20)} MiB, encoded matrix ${num(Number(shape.encodedBytes) / 2 ** 20)} MiB`,
      header: ['step', 'seconds', 'CPU seconds', 'rows/s', 'peak MiB above baseline', 'peak ÷ decoded', 'peak ÷ (decoded + encoded)', 'load (1 min)', 'target'],
      rows: ['read', 'encode', 'read+encode'].flatMap((kernel) => {
        const r = of(kernel);
        if (!r) return [];
        const target =
          kernel === 'read+encode'
            ? `< ${INGEST_TARGET_SECONDS} s: ${verdict(median(r.values.seconds), INGEST_TARGET_SECONDS)}; < ${INGEST_TARGET_PEAK_OVER_DECODED}× decoded: ${verdict(median(r.values.peakOverDecoded), INGEST_TARGET_PEAK_OVER_DECODED)}`
            : '';
        return [[kernel, valueText(r.values.seconds), valueText(r.values.cpuSeconds), valueText(r.values.rowsPerSec), mibText(r.values.peakAboveBaselineBytes), valueText(r.values.peakOverDecoded), valueText(r.values.peakOverDecodedAndEncoded), valueText(r.values.loadAverage1), target]];
      }),
    };
  });
}
