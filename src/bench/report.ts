// Benchmark records as tables (title, header, rows of text) for the terminal, the docs and the app.
import { adapterLabel, centralValue, type BenchRecord } from './record.ts';
import { fixedTables, profileTables } from './profile-report.ts';
import { num, percent, valueText, type ReportTable } from './report-cells.ts';
import { ingestTables } from './ingest.ts';
import { searchTables } from './search-suite.ts';

export function mib(bytes: number | undefined): string {
  return bytes === undefined ? '-' : `${num(bytes / 2 ** 20)}`;
}

/** Where a set of records came from: adapter, runtime and timing source. */
export function runKey(r: BenchRecord): string {
  return `${adapterLabel(r.adapter)}, ${r.adapter.runtime}, ${r.timing}`;
}

function groups(records: readonly BenchRecord[], suite: BenchRecord['suite']): [string, BenchRecord[]][] {
  const out = new Map<string, BenchRecord[]>();
  for (const r of records) if (r.suite === suite) out.set(runKey(r), [...(out.get(runKey(r)) ?? []), r]);
  return [...out];
}

/** Which matmul core the training measurements ran with, when they say. */
function matmulNote(records: readonly BenchRecord[]): string {
  const core = records.find((r) => r.shape.matmul !== undefined)?.shape.matmul;
  return core === undefined ? '' : `, ${core} matmul core`;
}

function copyTables(records: readonly BenchRecord[]): ReportTable[] {
  return groups(records, 'copy').map(([key, rs]) => ({
    title: `Copy bandwidth — ${key}`,
    header: ['size MiB', 'GB/s', 'ms/dispatch', 'dispatches/pass'],
    rows: rs.map((r) => [mib(Number(r.shape.bytes)), valueText(r.values.gbPerSec), valueText(r.values.msPerDispatch), String(r.shape.dispatchesPerPass ?? '-')]),
  }));
}

function peakTables(records: readonly BenchRecord[]): ReportTable[] {
  return groups(records, 'peak').map(([key, rs]) => ({
    title: `Compute ceiling (FMA chains) — ${key}`,
    header: ['workload', 'GFLOP/s', 'ms/dispatch'],
    rows: rs.map((r) => [r.workload, valueText(r.values.gflops), valueText(r.values.msPerDispatch)]),
  }));
}

/** Matmul GFLOP/s pivoted: one row per workload, one column per variant (the kernels.md table). */
function matmulTables(records: readonly BenchRecord[]): ReportTable[] {
  return groups(records, 'matmul').map(([key, rs]) => {
    const variants = [...new Set(rs.map((r) => String(r.shape.variant)))];
    const workloads = [...new Set(rs.map((r) => r.workload))];
    const peak = records.find((r) => r.suite === 'peak' && runKey(r) === key);
    const ceiling = peak ? centralValue(peak.values.gflops) : null;
    return {
      title: `Dense forward GFLOP/s by variant — ${key}${ceiling === null ? '' : ` — measured FMA peak ${num(ceiling)} GFLOP/s`}`,
      header: ['workload', ...variants],
      rows: workloads.map((w) => [w, ...variants.map((v) => {
        const r = rs.find((x) => x.workload === w && String(x.shape.variant) === v);
        return r ? (r.values.gflops === null ? 'skipped' : valueText(r.values.gflops)) : '-';
      })]),
    };
  });
}

function batchTables(records: readonly BenchRecord[]): ReportTable[] {
  return groups(records, 'batch').map(([key, rs]) => {
    const knee = rs.find((r) => r.kernel === 'knee');
    const kneeBatch = knee ? centralValue(knee.values.kneeBatch) : null;
    return {
      title: `Batch-size sweep, T=1${matmulNote(rs)} — ${key}${knee ? (kneeBatch === null ? ' — knee not reached' : ` — knee at batch ${kneeBatch}`) : ''}`,
      header: ['batch', 'step ms', 'samples/s', 'weights MiB', 'grads MiB', 'optimizer MiB', 'activations MiB', 'total MiB'],
      rows: rs
        .filter((r) => r.kernel === 'train-step')
        .map((r) => [
          `${r.shape.batch}${r.shape.batch === kneeBatch ? ' (knee)' : ''}`,
          valueText(r.values.stepMs),
          valueText(r.values.samplesPerSec),
          mib(r.bytes?.weights),
          mib(r.bytes?.gradients),
          mib(r.bytes?.optimizer),
          mib(r.bytes?.activations),
          mib(r.bytes?.total),
        ]),
    };
  });
}

/** One table per run and batch size (a full run scales at 32, 64, 128 and 256). */
function fusedTables(records: readonly BenchRecord[]): ReportTable[] {
  return groups(records, 'fused').flatMap(([key, all]) => {
    const batches = [...new Set(all.map((r) => Number(r.shape.batch)))];
    return batches.map((batch) => {
      const rs = all.filter((r) => Number(r.shape.batch) === batch);
      const knee = rs.find((r) => r.kernel === 'knee');
      const kneeT = knee ? centralValue(knee.values.kneeT) : null;
      const kneeText = !knee ? '' : kneeT === null ? ' — knee not reached' : ` — knee at T=${kneeT}, ${num(centralValue(knee.values.trialEpochsPerSec))} trial-epochs/s`;
      return {
        title: `Fused scaling, batch ${batch}${matmulNote(rs)} — ${key}${kneeText}`,
        header: ['T', 'step ms', 'aggregate samples/s', 'per-trial samples/s', 'speed-up vs one after another', 'matmul GFLOP/s', 'of FMA peak', 'total MiB'],
        rows: rs
          .filter((r) => r.kernel === 'train-step')
          .map((r) => [
            `${r.T}${r.T === kneeT ? ' (knee)' : ''}`,
            valueText(r.values.stepMs),
            valueText(r.values.samplesPerSec),
            valueText(r.values.perTrialSamplesPerSec),
            valueText(r.values.speedup),
            r.values.tflops === undefined ? '-' : num((centralValue(r.values.tflops) ?? NaN) * 1000),
            percent(centralValue(r.values.peakShare)),
            mib(r.bytes?.total),
          ]),
      };
    });
  });
}

function peerTables(records: readonly BenchRecord[]): ReportTable[] {
  return groups(records, 'peer').map(([key, rs]) => {
    const Ts = [...new Set(rs.map((r) => r.T))].sort((a, b) => a - b);
    const tfjs = rs.find((r) => r.kernel === 'tfjs-train-step');
    return {
      title: `fusetune vs ${tfjs?.workload.split(',')[0] ?? 'TF.js'} — ${key}`,
      header: ['T', 'fusetune samples/s', 'TF.js samples/s', 'fusetune ÷ TF.js', 'target'],
      rows: Ts.map((T) => {
        const of = (kernel: string) => rs.find((r) => r.kernel === kernel && r.T === T);
        const ratio = of('speedup-vs-tfjs');
        const target = ratio ? centralValue(ratio.values.target) : null;
        const speedup = ratio ? centralValue(ratio.values.speedup) : null;
        const verdict = target === null || speedup === null ? '-' : `${num(target)}× ${speedup >= target ? 'met' : 'missed'}`;
        return [String(T), valueText(of('fusetune-train-step')?.values.samplesPerSec), valueText(of('tfjs-train-step')?.values.samplesPerSec), ratio ? `${valueText(ratio.values.speedup)}×` : '-', verdict];
      }),
    };
  });
}

export function reportTables(records: readonly BenchRecord[]): ReportTable[] {
  return [
    ...copyTables(records),
    ...peakTables(records),
    ...matmulTables(records),
    ...batchTables(records),
    ...fusedTables(records),
    ...profileTables(records, groups(records, 'profile')),
    ...fixedTables(groups(records, 'fixed')),
    ...peerTables(records),
    ...searchTables(records),
    ...ingestTables(records),
  ];
}

/** A GitHub-flavoured markdown table. */
export function markdownTable(table: ReportTable): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(table.header), line(table.header.map(() => '---')), ...table.rows.map(line)].join('\n');
}
