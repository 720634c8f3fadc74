// Runs the ingest suite in Node: each repetition reads and encodes the file in a fresh process, so the baseline and the peak RSS are that process's alone.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchAborted } from './env.ts';
import { flightsIngestSpec, ingestRecords, measureIngest, type IngestRun, type ProcessProbe } from './ingest.ts';
import type { BenchRecord } from './record.ts';

/** The environment variable that turns `fusetune bench ingest` into one measured run (the parent sets it). */
export const INGEST_CHILD_ENV = 'FUSETUNE_INGEST_CHILD';

const BIN = fileURLToPath(new URL('../../bin/fusetune.js', import.meta.url));

export const FLIGHTS_MISSING = 'the ingest suite reads flights-3m.parquet from the vega-datasets package, which fusetune does not install: npm install vega-datasets';

/** vega-datasets' flights-3m.parquet, or null where the package is not installed (a dev dependency: an installed fusetune lacks it). */
export function flightsFile(): string | null {
  try {
    const path = join(dirname(createRequire(import.meta.url).resolve('vega-datasets')), '..', 'data', 'flights-3m.parquet');
    return existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

/** The process's resident set, its high-water mark (getrusage's ru_maxrss, in KiB on Linux) and its CPU time. */
export const nodeProcess: ProcessProbe = {
  rssBytes: () => process.memoryUsage.rss(),
  peakRssBytes: () => process.resourceUsage().maxRSS * 1024,
  cpuMs: () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  },
};

/** The child's side: one run on `path`, printed as one JSON line. */
export async function ingestChild(path: string): Promise<number> {
  // --expose-gc is passed by the parent: the start-up's garbage is not counted as the baseline.
  (globalThis as { gc?: () => void }).gc?.();
  const run = await measureIngest(() => new Uint8Array(readFileSync(path)), flightsIngestSpec(path), nodeProcess, loadavg()[0]!);
  process.stdout.write(`${JSON.stringify(run)}\n`);
  return 0;
}

function runChild(path: string, signal?: AbortSignal): Promise<IngestRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', BIN, 'bench', 'ingest'],
      // FUSETUNE_RELAUNCHED: the launcher sets up no GPU for it; the run needs none.
      { env: { ...process.env, FUSETUNE_RELAUNCHED: '1', [INGEST_CHILD_ENV]: path }, maxBuffer: 1 << 20, signal },
      (error, stdout, stderr) => {
        if (error) return reject(signal?.aborted ? new BenchAborted() : new Error(`the ingest run on ${path} failed: ${error.message}${stderr ? `\n${stderr}` : ''}`));
        const line = stdout.trim().split('\n').at(-1) ?? '';
        try {
          resolve(JSON.parse(line) as IngestRun);
        } catch {
          reject(new Error(`the ingest run on ${path} printed no result: ${JSON.stringify(stdout.slice(-200))}`));
        }
      },
    );
  });
}

export interface IngestBenchEnv {
  quick: boolean;
  emit(record: BenchRecord): void;
  progress(line: string): void;
  signal?: AbortSignal;
}

/** Full: 3 runs (median, min, max); quick: 1. */
export async function runIngestSuite(env: IngestBenchEnv, path: string): Promise<void> {
  const repetitions = env.quick ? 1 : 3;
  env.progress(`bench ingest${env.quick ? ' (quick)' : ''} on the CPU: ${path}`);
  const runs: IngestRun[] = [];
  for (let i = 0; i < repetitions; i++) {
    if (env.signal?.aborted) throw new BenchAborted();
    const run = await runChild(path, env.signal);
    env.progress(`ingest: run ${i + 1}/${repetitions}: read ${(run.readMs / 1000).toFixed(2)} s (CPU ${(run.readCpuMs / 1000).toFixed(2)} s), encode ${(run.encodeMs / 1000).toFixed(2)} s (CPU ${(run.encodeCpuMs / 1000).toFixed(2)} s), peak ${((run.peakRssBytes - run.baselineRssBytes) / 2 ** 20).toFixed(0)} MiB above baseline (load ${run.loadAverage1.toFixed(2)})`);
    runs.push(run);
  }
  const cores = cpus();
  // The children inherit the environment: GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (huge pages for large
  // allocations) changes both the time and the peak here, so the records say whether it was set.
  const adapter = { vendor: 'cpu', architecture: '', device: '', description: `CPU: ${cores[0]?.model ?? 'unknown'} × ${cores.length} (the ingest suite uses no GPU)`, isSoftware: false, runtime: 'node' as const };
  for (const record of ingestRecords(runs, adapter, { node: process.version, cpus: cores.length, glibcTunables: process.env.GLIBC_TUNABLES ?? '' })) env.emit(record);
}
