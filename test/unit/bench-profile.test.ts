// The profile and fixed-cost suites: timestamp arithmetic, categories, overlapping intervals, the
// records (with the adapter's features) and their tables, and tiny runs on the real device. No time is asserted.
import { describe, expect, it } from 'vitest';
import type { BenchEnv } from '../../src/bench/env.ts';
import { fixedCostStudy, IntervalUnion, probeContext } from '../../src/bench/fixed-suite.ts';
import type { BenchBudget } from '../../src/bench/plan.ts';
import { dispatchCategory, profileTrialCounts, splitTimestamps } from '../../src/bench/profile-suite.ts';
import { adapterSummary, benchRecordSchema, parseBenchRecords, RECORDED_LIMITS, type BenchRecord } from '../../src/bench/record.ts';
import { reportTables } from '../../src/bench/report.ts';
import { runBench } from '../../src/bench/run.ts';
import { mlpStepFlops } from '../../src/bench/training-suites.ts';
import { syntheticDataset } from '../../src/data/synthetic.ts';
import { acquireNodeGpu } from '../../src/gpu/node-gpu.ts';
import { GpuTimer } from '../../src/gpu/timing.ts';
import { parseStudyText } from '../../src/search/study.ts';
import { gpu } from '../helpers/gpu.ts';

const TINY: BenchBudget = { targetPassMs: 1, measurementMs: 1, minReps: 2, maxReps: 2, maxPerPass: 2 };

describe('profile arithmetic', () => {
  it('splits a submit\'s timestamps into per-dispatch durations and per-step spans', () => {
    // 2 steps × 2 dispatches, in ns: step 0 at 0–1 ms and 1.5–2 ms, step 1 at 3–4 ms and 4–6 ms.
    const ms = [0, 1, 1.5, 2, 3, 4, 4, 6].map((x) => BigInt(x * 1e6));
    const split = splitTimestamps({ dispatches: 2, steps: 2, stamps: BigInt64Array.from(ms) });
    expect(split.durations).toEqual([
      [1, 1],
      [0.5, 2],
    ]);
    // Step 0 spans to step 1's first begin (gaps included); the last step to its last end.
    expect(split.stepSpans).toEqual([3, 3]);
    expect(split.totalMs).toBe(6);
  });

  it('puts every kernel of a step in a category', () => {
    expect(['gather', 'dense-forward', 'dense-backward-input', 'dense-backward-weights', 'softmax-xent', 'dropout', 'optimizer'].map(dispatchCategory)).toEqual([
      'gather',
      'matmul',
      'matmul',
      'matmul',
      'loss',
      'dropout',
      'optimizer',
    ]);
    expect(() => dispatchCategory('copy')).toThrow('profile: no category for kernel "copy"');
    expect(profileTrialCounts(false)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256]);
  });

  it('counts the matmul FLOPs of a step: about 0.45 MFLOP per sample for 784-128-64-10', () => {
    expect(mlpStepFlops([784, 128, 64, 10], 1)).toBe(2 * 784 * 128 * 2 + 2 * 128 * 64 * 3 + 2 * 64 * 10 * 3);
    expect(mlpStepFlops([784, 128, 64, 10], 64)).toBe(64 * 454400);
  });

  it('adds overlapping intervals once', () => {
    const union = new IntervalUnion();
    union.add(0, 10);
    union.add(5, 15);
    union.add(20, 25);
    union.add(21, 22);
    expect(union.ms).toBe(20);
    expect(union.count).toBe(4);
    expect(new IntervalUnion().ms).toBe(0);
  });

  it('a quick fixed-cost run shrinks the default study', () => {
    const study = parseStudyText(JSON.stringify({ name: 's', data: { kind: 'circles', n: 100 }, space: {}, budget: { trials: 16, epochs: 2 } }));
    expect(fixedCostStudy(study, true).budget).toMatchObject({ trials: 4, epochs: 1 });
    expect(fixedCostStudy(study, false)).toBe(study);
  });
});

describe('records name the adapter\'s features and limits', () => {
  it('adapterSummary carries them, and older records without them still parse', async () => {
    const ctx = await gpu();
    const summary = adapterSummary(ctx.report);
    expect(summary.features).toEqual(ctx.report.features);
    expect(summary.features).toContain('timestamp-query');
    expect(Object.keys(summary.limits!).sort()).toEqual([...RECORDED_LIMITS].sort());
    const old = { suite: 'copy', kernel: 'copy', workload: 'w', shape: {}, T: 1, values: {}, timing: 'wall-clock', adapter: { vendor: 'v', architecture: '', device: '', description: '', isSoftware: false, runtime: 'node' }, date: 'd' };
    expect(parseBenchRecords(JSON.stringify(old))[0]!.adapter.features).toBeUndefined();
  });
});

describe('on the device', () => {
  it('profile and fixed suites write valid records, tables, and free what they allocate', async () => {
    const ctx = await gpu();
    const records: BenchRecord[] = [];
    const env: BenchEnv = { ctx, timer: new GpuTimer(ctx), budget: TINY, quick: true, emit: (r) => records.push(r), progress: () => {} };
    const spirals = syntheticDataset({ kind: 'spirals', n: 300, noise: 0.1, seed: 1 });
    const tinyStudy = parseStudyText(JSON.stringify({ name: 'tiny', data: { kind: 'spirals', n: 300 }, space: { lr: { type: 'float', low: 0.01, high: 0.1 } }, defaults: { batch_size: 16, units: 8 }, budget: { trials: 2, epochs: 1 } }));
    await runBench(env, ['profile', 'fixed'], {
      loadMnist: async () => spirals,
      acquireGpu: () => acquireNodeGpu(),
      defaultStudy: async () => tinyStudy,
      loadData: async () => spirals,
    });
    for (const r of records) expect(benchRecordSchema.parse(r)).toEqual(r);
    // The ceilings were measured first, as the profile compares with them.
    expect(records.slice(0, 1).map((r) => r.suite)).toEqual(['peak']);
    const steps = records.filter((r) => r.suite === 'profile' && r.kernel === 'train-step');
    expect(steps.map((r) => r.T)).toEqual([1, 4, 16]);
    for (const step of steps) {
      const dispatches = records.filter((r) => r.suite === 'profile' && r.T === step.T && r.kernel !== 'train-step');
      // gather, 3 forward, loss, 3 weight gradients, 2 input gradients, optimizer (spirals: 2-128-64-2).
      expect(dispatches.map((r) => r.shape.category)).toEqual(['gather', 'matmul', 'matmul', 'matmul', 'loss', 'matmul', 'matmul', 'matmul', 'matmul', 'matmul', 'optimizer']);
      const shares = ['matmul', 'gather', 'loss', 'dropout', 'optimizer', 'gaps'].map((c) => step.values[`${c}Share`] as number);
      expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      expect(step.adapter.features).toEqual(ctx.report.features);
    }
    expect(records.filter((r) => r.suite === 'fixed').map((r) => r.kernel)).toEqual(['acquire-device', 'data', 'study-cold', 'study-warm']);
    const titles = reportTables(records).map((t) => t.title);
    expect(titles.some((t) => t.startsWith('Profile of one fused step'))).toBe(true);
    expect(titles.some((t) => t.startsWith('Profile by dispatch, T=16'))).toBe(true);
    expect(titles.some((t) => t.startsWith('Fixed costs of the study "tiny"'))).toBe(true);
    expect(ctx.memory.bytes('bench-')).toBe(0);
  });

  it('probeContext counts pipeline creations, readbacks and submits of the context it watches', async () => {
    const ctx = await acquireNodeGpu();
    try {
      const probe = probeContext(ctx);
      const buffer = ctx.memory.upload('probe/b', new Float32Array([1, 2, 3, 4]));
      expect(Array.from(await ctx.memory.readF32(buffer))).toEqual([1, 2, 3, 4]);
      expect(probe.readbacks.count).toBe(1);
      expect(probe.submits.count).toBe(1);
    } finally {
      ctx.destroy();
    }
  });
});
