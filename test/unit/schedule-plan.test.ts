// The cohort planner (pure): grouping by shape, splitting under device limits, refusals naming the limit, admission.
import { describe, expect, it } from 'vitest';
import { cohortLayout, shapeOf, totalBytes } from '../../src/model/cohort-layout.ts';
import { admit, planCohorts, type DeviceBudget, type PlannedTrial } from '../../src/schedule/plan.ts';
import { optimizerConfig, type TrialConfig } from '../../src/model/trial-config.ts';

const budget: DeviceBudget = {
  maxStorageBufferBindingSize: 128 * 2 ** 20,
  maxBufferSize: 256 * 2 ** 20,
  maxComputeWorkgroupsPerDimension: 65535,
  minStorageBufferOffsetAlignment: 256,
  memoryBudget: 2 ** 30,
};

function config(hidden: number[], batchSize: number, extra: Partial<TrialConfig> = {}): TrialConfig {
  return { hidden, activation: 'relu', batchSize, epochs: 1, optimizer: optimizerConfig('adam', 0.01), l1: 0, l2: 0, dropout: 0, seed: 0, ...extra };
}

const input = (trials: PlannedTrial[], b: Partial<DeviceBudget> = {}) => ({
  trials,
  features: 784,
  classes: 10,
  trainRows: 8000,
  evalBatch: 512,
  budget: { ...budget, ...b },
});

describe('planCohorts', () => {
  it('groups trials by hidden widths, activation and batch size', () => {
    const trials = [config([64], 32), config([64], 64), config([64], 32, { optimizer: optimizerConfig('sgd', 0.1) }), config([64], 32, { activation: 'tanh' }), config([32], 32)].map(
      (c, index) => ({ index, config: c }),
    );
    const plan = planCohorts(input(trials));
    expect(plan.refused).toEqual([]);
    expect(plan.cohorts.map((c) => c.trials.map((t) => t.index))).toEqual([[0, 2], [1], [3], [4]]);
  });

  it('splits a group that would exceed the memory budget, and the parts fit', () => {
    const trials = Array.from({ length: 40 }, (_, index) => ({ index, config: config([512], 256) }));
    const one = totalBytes(cohortLayout({ shape: shapeOf(trials[0]!.config, 784, 10), trials: [trials[0]!.config], trainRows: 8000, evalBatch: 512, offsetAlignment: 256 }).buffers);
    const memoryBudget = Math.floor(one * 8.5);
    const plan = planCohorts(input(trials, { memoryBudget }));
    expect(plan.cohorts.length).toBeGreaterThan(1);
    expect(plan.cohorts.flatMap((c) => c.trials.map((t) => t.index))).toEqual(trials.map((t) => t.index));
    for (const c of plan.cohorts) expect(c.bytes).toBeLessThanOrEqual(memoryBudget);
  });

  it('splits at maxStorageBufferBindingSize and refuses a trial that cannot fit alone, naming the limit', () => {
    // One trial's activations: 1024 rows × 10240 units × 4 bytes = 40 MiB; four of them pass 128 MiB.
    const wide = Array.from({ length: 5 }, (_, i) => ({ index: i, config: config([10240], 1024) }));
    const split = planCohorts(input(wide));
    expect(split.cohorts.map((c) => c.trials.length)).toEqual([3, 2]);
    // 4096 × 16384 × 4 bytes = 256 MiB in one buffer: no cohort can hold even one such trial.
    const big = { index: 0, config: config([16384], 4096) };
    const small = { index: 1, config: config([16], 8) };
    const plan = planCohorts(input([big, small]));
    expect(plan.refused).toHaveLength(1);
    expect(plan.refused[0]!.index).toBe(0);
    expect(plan.refused[0]!.reason).toMatch(/above the device's maxStorageBufferBindingSize \(134217728 bytes\)/);
    expect(plan.cohorts.map((c) => c.trials.map((t) => t.index))).toEqual([[1]]);
  });

  it('refuses a batch larger than the training set', () => {
    const plan = planCohorts(input([{ index: 0, config: config([8], 9000) }]));
    expect(plan.refused[0]!.reason).toMatch(/batch size 9000 exceeds the 8000 training rows/);
  });

  it('caps trials per cohort', () => {
    const trials = Array.from({ length: 10 }, (_, index) => ({ index, config: config([8], 8) }));
    const plan = planCohorts({ ...input(trials), maxTrialsPerCohort: 4 });
    expect(plan.cohorts.map((c) => c.trials.length)).toEqual([4, 4, 2]);
  });
});

describe('admit', () => {
  const cohort = (bytes: number) => ({ id: `c${bytes}`, shape: shapeOf(config([8], 8), 2, 2), trials: [], bytes });
  it('admits in order under the budget and the concurrency cap, and always one when idle', () => {
    expect(admit([cohort(10), cohort(20), cohort(30)], 0, 0, { ...budget, memoryBudget: 35 }, 4).map((c) => c.bytes)).toEqual([10, 20]);
    expect(admit([cohort(10), cohort(20)], 0, 0, { ...budget, memoryBudget: 100 }, 1).map((c) => c.bytes)).toEqual([10]);
    expect(admit([cohort(500)], 0, 0, { ...budget, memoryBudget: 100 }, 2).map((c) => c.bytes)).toEqual([500]);
    expect(admit([cohort(50)], 60, 1, { ...budget, memoryBudget: 100 }, 2)).toEqual([]);
  });
});
