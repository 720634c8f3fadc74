// Runs the chosen suites in order on one device: the one entry the CLI, the bench page and the app share.
import { freeDataset, uploadDataset, type DeviceDataset } from '../engine/device-dataset.ts';
import type { BenchEnv } from './env.ts';
import { runCopySuite, runMatmulSuite, runPeakSuite } from './kernel-suites.ts';
import { runFixedSuite } from './fixed-suite.ts';
import { runPeerSuite } from './peer-suite.ts';
import { runProfileSuite } from './profile-suite.ts';
import { BENCH_SUITES, type BenchSuite } from './record.ts';
import { runSearchSuite } from './search-suite.ts';
import type { BenchSources } from './sources.ts';
import { runBatchSuite, runFusedSuite } from './training-suites.ts';

/** The suites named on the command line, in the suite order; none named means all. */
export function selectSuites(names: readonly string[]): BenchSuite[] {
  const unknown = names.filter((n) => !(BENCH_SUITES as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`unknown suite${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')}; the suites are ${BENCH_SUITES.join(', ')}`);
  return names.length === 0 ? [...BENCH_SUITES] : BENCH_SUITES.filter((s) => names.includes(s));
}

export async function runBench(env: BenchEnv, suites: readonly BenchSuite[], sources: BenchSources): Promise<void> {
  let data: DeviceDataset | null = null;
  const mnist = async (): Promise<DeviceDataset> => (data ??= uploadDataset(env.ctx, await sources.loadMnist(), 'bench-data'));
  try {
    for (const suite of suites) {
      const started = performance.now();
      env.progress(`suite ${suite}…`);
      switch (suite) {
        case 'copy':
          await runCopySuite(env);
          break;
        case 'peak':
          await runPeakSuite(env);
          break;
        case 'matmul':
          await runMatmulSuite(env);
          break;
        case 'batch':
          await runBatchSuite(env, await mnist());
          break;
        case 'fused':
          await runFusedSuite(env, await mnist());
          break;
        case 'profile':
          await runProfileSuite(env, await mnist());
          break;
        case 'fixed':
          await runFixedSuite(env, sources);
          break;
        case 'peer': {
          if (!sources.loadTf) throw new Error('the peer suite needs TF.js, which this runtime did not provide');
          await runPeerSuite(env, await mnist(), await sources.loadTf());
          break;
        }
        case 'search':
          await runSearchSuite({ ...env, runtime: env.ctx.report.runtime });
          break;
        case 'ingest':
          // Node only, in child processes of its own: the CLI runs it (src/bench/ingest-node.ts), never on a device.
          throw new Error('the ingest suite runs from the command line (fusetune bench ingest), not on a device');
      }
      env.progress(`suite ${suite} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
    if (data) freeDataset(env.ctx, data);
  }
}
