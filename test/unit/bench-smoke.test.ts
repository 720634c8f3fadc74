// The benchmark on the real device (Dawn), tiny: every suite's machinery runs and writes valid records. No time is asserted.
import { expect, it } from 'vitest';
import type { BenchEnv } from '../../src/bench/env.ts';
import { loadTfNode } from '../../src/bench/node.ts';
import type { BenchBudget } from '../../src/bench/plan.ts';
import { benchRecordSchema, type BenchRecord } from '../../src/bench/record.ts';
import { runBench } from '../../src/bench/run.ts';
import { trainTfjsTrials } from '../../src/bench/tfjs-mlp.ts';
import { syntheticDataset } from '../../src/data/synthetic.ts';
import { GpuTimer } from '../../src/gpu/timing.ts';
import { availableMatmulVariants } from '../../src/kernels/shaders.ts';
import { gpu } from '../helpers/gpu.ts';

const TINY: BenchBudget = { targetPassMs: 1, measurementMs: 1, minReps: 2, maxReps: 2, maxPerPass: 2 };
const spirals = () => syntheticDataset({ kind: 'spirals', n: 300, noise: 0.1, seed: 1 });

async function tinyEnv(): Promise<{ env: BenchEnv; records: BenchRecord[]; lines: string[] }> {
  const ctx = await gpu();
  const records: BenchRecord[] = [];
  const lines: string[] = [];
  return { env: { ctx, timer: new GpuTimer(ctx), budget: TINY, quick: true, emit: (r) => records.push(r), progress: (l) => lines.push(l) }, records, lines };
}

it('copy, peak, batch and fused suites write valid records and free what they allocate', async () => {
  const { env, records } = await tinyEnv();
  await runBench(env, ['copy', 'peak', 'batch', 'fused'], { loadMnist: async () => spirals() });
  for (const r of records) expect(benchRecordSchema.parse(r)).toEqual(r);
  expect(records.filter((r) => r.suite === 'copy').length).toBeGreaterThan(0);
  expect(records.filter((r) => r.suite === 'peak').map((r) => r.kernel)).toEqual(['fma-peak']);
  // Spirals have 210 training rows: the sweep stops before batch 256.
  const batches = records.filter((r) => r.suite === 'batch' && r.kernel === 'train-step').map((r) => r.shape.batch);
  expect(batches).toEqual([1, 2, 4, 8, 16, 32, 64, 128]);
  expect(records.some((r) => r.suite === 'batch' && r.kernel === 'knee')).toBe(true);
  const fused = records.filter((r) => r.suite === 'fused' && r.kernel === 'train-step');
  expect(fused.map((r) => r.T)).toEqual([1, 4, 16, 32]);
  expect(fused[0]!.values.speedup).toMatchObject({ median: 1 });
  expect(fused[3]!.bytes!.weights).toBe(32 * fused[0]!.bytes!.weights!);
  expect(env.ctx.memory.bytes('bench-')).toBe(0);
});

it('matmul measures every variant at awkward fused shapes, and skips what would run too long', async () => {
  const { env, records } = await tinyEnv();
  const { runMatmulSuite } = await import('../../src/bench/kernel-suites.ts');
  const huge = 1 << 20;
  await runMatmulSuite(env, [
    { T: 3, M: 7, N: 5, K: 13, workload: 'awkward' },
    // Predicted from the awkward case's time per flop, far past the quick limit.
    { T: 64, M: huge, N: huge, K: huge, workload: 'too big' },
  ]);
  expect(records.map((r) => [r.shape.variant, r.workload, r.values.gflops === null])).toEqual(
    availableMatmulVariants(env.ctx.device.features).flatMap((v) => [
      [v, 'awkward', false],
      [v, 'too big', true],
    ]),
  );
  expect(records.filter((r) => r.values.gflops === null).every((r) => r.note?.startsWith('skipped:'))).toBe(true);
  expect(env.ctx.memory.bytes('bench-')).toBe(0);
});

it('TF.js trains the benchmark MLP on the same Dawn adapter', async () => {
  const ctx = await gpu();
  const tf = await loadTfNode(ctx.gpu);
  const times = await trainTfjsTrials(tf, spirals(), { hidden: [16], batchSize: 8, lr: 1e-3, trials: 2, stepsPerTrial: 2, seed: 1 });
  expect(times).toHaveLength(2);
  expect(times.every((ms) => ms > 0)).toBe(true);
  expect(tf.memory().numTensors).toBe(0);
});
