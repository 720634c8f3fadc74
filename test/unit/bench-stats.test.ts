// The benchmark's arithmetic: summaries, rate inversion, ratios, pass and repetition sizing, the knee.
import { describe, expect, it } from 'vitest';
import { findKnee } from '../../src/bench/knee.ts';
import { peerBudgetMs, peerStepsPerTrial } from '../../src/bench/peer-suite.ts';
import { BUDGETS, perPass, powersOfTwo, repetitions } from '../../src/bench/plan.ts';
import { invert, perSecond, ratio, scale, summarize } from '../../src/bench/stats.ts';

describe('summarize', () => {
  it('gives the median, min, max and count of odd and even lists, in any order', () => {
    expect(summarize([5, 1, 3])).toEqual({ median: 3, min: 1, max: 5, n: 3 });
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
    expect(summarize([7])).toEqual({ median: 7, min: 7, max: 7, n: 1 });
  });

  it('refuses an empty list and non-finite values instead of reporting 0', () => {
    expect(() => summarize([])).toThrow(/no values/);
    expect(() => summarize([1, NaN])).toThrow(/non-finite/);
  });
});

describe('rates and ratios', () => {
  it('inverting times into rates swaps min and max', () => {
    const ms = summarize([10, 20, 40]);
    expect(invert(ms, (t) => perSecond(100, t))).toEqual({ median: 5000, min: 2500, max: 10_000, n: 3 });
  });

  it('a ratio pairs the extremes for its range', () => {
    const a = { median: 10, min: 8, max: 12, n: 5 };
    const b = { median: 2, min: 1, max: 4, n: 3 };
    expect(ratio(a, b)).toEqual({ median: 5, min: 2, max: 12, n: 3 });
  });

  it('the fused speed-up is T × the lone step over the fused step', () => {
    const alone = summarize([10, 10, 10]);
    const fused = summarize([40, 40, 40]);
    expect(ratio(scale(alone, 32), fused).median).toBe(8);
  });
});

describe('pass and repetition sizing', () => {
  const budget = BUDGETS.full;

  it('fills a pass to about the target time, within 1 and the cap', () => {
    expect(perPass(budget.targetPassMs / 10, budget)).toBe(10);
    expect(perPass(budget.targetPassMs * 5, budget)).toBe(1);
    expect(perPass(1e-6, budget)).toBe(budget.maxPerPass);
    expect(perPass(1e-6, budget, 64)).toBe(64);
    expect(perPass(0, budget, 7)).toBe(7);
  });

  it('repeats as often as the budget allows, never below minReps or above maxReps', () => {
    expect(repetitions(budget.measurementMs * 10, budget)).toBe(budget.minReps);
    expect(repetitions(budget.measurementMs / 1000, budget)).toBe(budget.maxReps);
    expect(repetitions(budget.measurementMs / (budget.minReps + 1), budget)).toBe(budget.minReps + 1);
  });

  it('lists powers of two inclusively', () => {
    expect(powersOfTwo(1, 1024)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]);
    expect(powersOfTwo(4, 5)).toEqual([4]);
  });
});

describe('findKnee', () => {
  const curve = (ys: number[]) => ys.map((y, i) => ({ x: 2 ** i, y }));

  it('is the batch after which no larger batch is more than 10% faster than the best so far', () => {
    // 1, 2, 4, 8, 16: growth stops after 4 (8 is 5% faster, 16 is 9% faster than 4's speed).
    expect(findKnee(curve([100, 190, 300, 315, 327]))).toBe(4);
  });

  it('ignores a dip when the speed climbs again afterwards', () => {
    expect(findKnee(curve([100, 200, 150, 400, 410]))).toBe(8);
  });

  it('counts slow growth that compounds past 10% as still growing', () => {
    // Each doubling adds 6%: from batch 1 or 2 a later batch is >10% faster; from batch 4 none is.
    expect(findKnee(curve([100, 106, 112.4, 119.1]))).toBe(4);
  });

  it('is null while the curve still grows at the largest batch, or with one point', () => {
    expect(findKnee(curve([100, 200, 400]))).toBeNull();
    expect(findKnee(curve([100]))).toBeNull();
  });

  it('sorts its points and treats a flat curve as bent at once', () => {
    expect(findKnee([{ x: 4, y: 10 }, { x: 1, y: 10 }, { x: 2, y: 10 }])).toBe(1);
  });
});

describe('peerStepsPerTrial', () => {
  it('fits T trials of TF.js into the budget, 2 to 10 steps each (3 when quick)', () => {
    expect(peerStepsPerTrial(peerBudgetMs(false) / (32 * 7), 32, false)).toBe(7);
    expect(peerStepsPerTrial(1, 32, false)).toBe(10);
    expect(peerStepsPerTrial(1, 32, true)).toBe(3);
    expect(peerStepsPerTrial(10_000, 32, false)).toBe(2);
    expect(peerStepsPerTrial(0, 1, false)).toBe(10);
  });
});
