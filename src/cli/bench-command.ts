// `fusetune bench [suite ...]`: the benchmark suites on this machine's adapter, as tables or JSON lines.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchAborted, type BenchEnv } from '../bench/env.ts';
import { BENCH_PAGE_PORT } from '../bench/page-api.ts';
import { hasBenchPage, missingPeerPackages, nodeBenchSources } from '../bench/node.ts';
import { BUDGETS } from '../bench/plan.ts';
import { BENCH_SUITES, type BenchRecord } from '../bench/record.ts';
import { reportTables } from '../bench/report.ts';
import { runBench, selectSuites } from '../bench/run.ts';
import { FLIGHTS_MISSING, flightsFile, INGEST_CHILD_ENV, ingestChild, runIngestSuite } from '../bench/ingest-node.ts';
import { runSearchSuite } from '../bench/search-suite.ts';
import { adapterName } from '../gpu/adapter-report.ts';
import { acquireNodeGpu } from '../gpu/node-gpu.ts';
import { GpuTimer } from '../gpu/timing.ts';
import { MATMUL_VARIANTS, type MatmulVariant } from '../kernels/shaders.ts';
import { InputError } from '../util/input-error.ts';
import { duration, table } from './format.ts';

export const BENCH_USAGE = `Usage: fusetune bench [suite ...] [--quick] [--json] [--out FILE] [--browser | --no-browser]

Measures fusetune's kernels and fused training on this machine's WebGPU adapter. Suites (none
named = all, in this order):

  copy     copy bandwidth, GB/s (the memory ceiling)
  peak     independent vec4 FMA chains, GFLOP/s (the compute ceiling)
  matmul   dense-forward GFLOP/s for square sizes 128…1024 and every matmul variant, and the
           fused shape T=32 × (64×784 · 784×128)
  batch    batch-size sweep 1…1024 (T=1, MLP 784-128-64-10, Adam): step ms, samples/s, bytes
           by component, and the knee (the batch after which samples/s stops growing by >10%)
  fused    T = 1, 2, 4 … 256 trials of that MLP fused at batch 32, 64, 128 and 256 (--quick:
           T = 1, 4, 16, 32 at batch 64): aggregate and per-trial samples/s, bytes, speed-up over
           training the T trials one after another, matmul TFLOP/s, and the knee in T per batch
  profile  GPU time of every dispatch of one fused step (a timed pass per dispatch) for T = 1 … 256
           (--quick: 1, 4, 16): shares of matmuls, gather, loss, optimizer and gaps, GFLOP/s and
           GB/s per kernel against the measured FMA peak and copy bandwidth
  fixed    where the default study's time goes besides arithmetic: device, data load and upload,
           pipeline creation, readbacks (--quick: 4 trials of 1 epoch)
  peer     the same MLP in TensorFlow.js (WebGPU) for T = 1 and 32 trials one after another
           against fusetune fused: in Node (Dawn) and in headless Chromium. An installed fusetune
           runs it once @tensorflow/tfjs and @tensorflow/tfjs-backend-webgpu are installed beside
           it (optional peer dependencies); without them "all suites" leave it out
  search   samplers on test functions, CPU only (no GPU is acquired for it): best after 50
           trials of random and TPE over 20 seeds with TPE's wins over random, NSGA-II and
           MOTPE hypervolume on two objectives, and ms per ask + tell at 1,000 trials
  ingest   flights-3m.parquet (vega-datasets; a checkout has it) read and encoded in fresh Node
           processes, CPU only (3 runs; --quick: 1): rows/s, peak RSS above the baseline, the load

Every figure is the median of several timed passes (warm-up excluded) with min and max, and
records the adapter, the timing source (timestamp-query, else wall clock) and the date.

  --quick        smaller sizes and fewer repetitions (a smoke run: about a minute on a 2-core CPU adapter)
  --json         one JSON object per measurement per line on stdout (progress stays on stderr)
  --out FILE     also write the JSON lines to FILE
  --browser      peer: also run in headless Chromium (Playwright, /usr/bin/chromium or
                 CHROMIUM_PATH; Vite serves bench.html on port ${BENCH_PAGE_PORT}+; a checkout of
                 fusetune only). The default without --quick in a checkout
  --no-browser   peer: Node only. The default with --quick
  --measure-ms MS  time spent on the repetitions of one measurement (default 2500, quick 600;
                 at least 3 repetitions always): scripts/device-bench.sh keeps a GPU run short with it
  --matmul CORE  the matmul core of the training suites (batch, fused, profile, fixed: ${MATMUL_VARIANTS.join(', ')});
                 default: the engine's choice for this adapter

Suites: ${BENCH_SUITES.join(', ')}.`;

export async function benchCommand(argv: string[]): Promise<number> {
  // One measured run for the ingest suite's parent (src/bench/ingest-node.ts): no device, no tables.
  if (process.env[INGEST_CHILD_ENV]) return ingestChild(process.env[INGEST_CHILD_ENV]);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      quick: { type: 'boolean' },
      json: { type: 'boolean' },
      out: { type: 'string' },
      browser: { type: 'boolean' },
      'no-browser': { type: 'boolean' },
      matmul: { type: 'string' },
      'measure-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(BENCH_USAGE);
    return 0;
  }
  let suites: ReturnType<typeof selectSuites>;
  try {
    suites = selectSuites(positionals);
  } catch (error) {
    // A wrong suite name is bad input (exit 2, as for other commands), not a failure while running.
    console.error(`fusetune bench: ${error instanceof Error ? error.message : String(error)}\n\n${BENCH_USAGE}`);
    return 2;
  }
  const quick = values.quick ?? false;
  const matmul = values.matmul as MatmulVariant | undefined;
  if (matmul !== undefined && !MATMUL_VARIANTS.includes(matmul)) {
    console.error(`fusetune bench: --matmul ${matmul}: expected one of ${MATMUL_VARIANTS.join(', ')}`);
    return 2;
  }
  const measureMs = values['measure-ms'] === undefined ? undefined : Number(values['measure-ms']);
  if (measureMs !== undefined && !(measureMs > 0)) {
    console.error(`fusetune bench: --measure-ms ${values['measure-ms']}: expected a positive number of milliseconds`);
    return 2;
  }
  const budget = { ...BUDGETS[quick ? 'quick' : 'full'], ...(measureMs === undefined ? {} : { measurementMs: measureMs }) };
  if (values.browser && values['no-browser']) throw new Error('--browser and --no-browser contradict each other');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const missing = suites.includes('peer') ? missingPeerPackages() : [];
  if (missing.length > 0) {
    const why = `the peer suite needs ${missing.join(' and ')}, which fusetune does not install: npm install ${missing.join(' ')} (the versions in fusetune's peerDependencies)`;
    if (positionals.includes('peer')) throw new InputError(why);
    log(`peer suite left out: ${why}`);
    suites = suites.filter((suite) => suite !== 'peer');
  }
  const flights = flightsFile();
  if (suites.includes('ingest') && flights === null) {
    if (positionals.includes('ingest')) throw new InputError(FLIGHTS_MISSING);
    log(`ingest suite left out: ${FLIGHTS_MISSING}`);
    suites = suites.filter((suite) => suite !== 'ingest');
  }
  if (values.browser && !hasBenchPage()) throw new InputError('--browser: the peer suite runs in Chromium from a checkout of fusetune only (Vite serves its bench.html)');
  // Starting Vite and Chromium costs more than a quick run's whole peer suite on a CPU adapter.
  const inBrowser = values.browser ?? (values['no-browser'] ? false : !quick && hasBenchPage());
  const records: BenchRecord[] = [];
  const emit = (record: BenchRecord) => {
    records.push(record);
    if (values.json) process.stdout.write(`${JSON.stringify(record)}\n`);
  };
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    log('\nstopping after the current measurement (Ctrl-C again to quit now)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const started = performance.now();
  // The search and ingest suites run on the CPU: a run of them alone never acquires a GPU.
  const gpuSuites = suites.filter((suite) => suite !== 'search' && suite !== 'ingest');
  const ctx = gpuSuites.length > 0 ? await acquireNodeGpu({ onLost: (e) => log(`fusetune: ${e.message}`) }) : null;
  let stopped = false;
  try {
    if (ctx) {
      const env: BenchEnv = { ctx, timer: new GpuTimer(ctx), budget, quick, emit, progress: log, signal: controller.signal, matmul };
      log(`bench ${gpuSuites.join(', ')}${quick ? ' (quick)' : ''} on ${adapterName(ctx.report)}, timing: ${env.timer.source}`);
      await runBench(env, gpuSuites, nodeBenchSources(ctx));
      if (suites.includes('peer') && inBrowser) {
        const { runInChromium } = await import('../bench/chromium.ts');
        await runInChromium({ suites: ['peer'], quick, emit, progress: log, signal: controller.signal });
      }
    }
    if (suites.includes('search')) {
      log(`bench search${quick ? ' (quick)' : ''} on the CPU`);
      await runSearchSuite({ quick, emit, progress: log, signal: controller.signal, runtime: 'node' });
    }
    if (suites.includes('ingest')) await runIngestSuite({ quick, emit, progress: log, signal: controller.signal }, flights!);
  } catch (error) {
    if (!(error instanceof BenchAborted)) throw error;
    stopped = true;
  } finally {
    process.off('SIGINT', onSigint);
    ctx?.destroy();
    if (values.out) {
      const out = resolve(values.out);
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : ''));
      log(`wrote ${records.length} records to ${out}`);
    }
  }
  if (!values.json) {
    for (const t of reportTables(records)) console.log(`\n${t.title}\n${table(t.header, t.rows)}`);
  }
  log(`${stopped ? 'stopped' : 'done'} in ${duration(performance.now() - started)}`);
  return stopped ? 130 : 0;
}
