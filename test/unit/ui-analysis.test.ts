// The app's analysis modules on data whose answer is known: fANOVA importance, binning, smoothing, best so far, the Pareto front.
import { describe, expect, it } from 'vitest';
import { bestSoFar } from '../../src/ui/analysis/best-so-far.ts';
import { binValues } from '../../src/ui/analysis/binning.ts';
import { fanovaImportance, type ImportanceInput } from '../../src/ui/analysis/importance.ts';
import { emaSmooth, thin } from '../../src/ui/analysis/smoothing.ts';
import { paretoTrials, variedParams } from '../../src/ui/analysis/study-params.ts';
import { Rng } from '../../src/util/random.ts';
import { fixtureStudy } from '../helpers/study-fixture.ts';

const ACCURACY = { metric: 'val_accuracy', direction: 'maximize' } as const;

function synthetic(n: number, f: (x: { a: number; b: number; c: string; lr: number }) => number, seed = 1): ImportanceInput {
  const rng = new Rng(seed);
  const rows = Array.from({ length: n }, () => {
    const x = { a: rng.next(), b: rng.next(), c: ['p', 'q', 'r'][rng.int(3)]!, lr: 10 ** rng.uniform(-4, -1) };
    return { x: [x.a, x.b, x.c, x.lr], y: f(x) + rng.uniform(-0.01, 0.01) };
  });
  return {
    params: [
      { name: 'a', kind: 'numeric' },
      { name: 'b', kind: 'numeric' },
      { name: 'c', kind: 'categorical' },
      { name: 'lr', kind: 'numeric', log: true },
    ],
    rows,
  };
}

describe('fanovaImportance', () => {
  it('ranks parameters by the variance they explain: a strong linear term, a categorical step, noise-only parameters last', () => {
    const result = fanovaImportance(synthetic(200, (x) => 4 * x.a + (x.c === 'q' ? 1 : 0)));
    expect(result.map((r) => r.name).slice(0, 2)).toEqual(['a', 'c']);
    const by = Object.fromEntries(result.map((r) => [r.name, r]));
    // Var(4a) = 16/12 ≈ 1.33, Var(1[c = q]) = 2/9 ≈ 0.22: a explains about 86% of the main effects. Trees
    // see q's bump only where their leaves hold q rows, so c comes out lower (about 10%) but clearly second.
    expect(by.a!.importance).toBeGreaterThan(0.7);
    expect(by.c!.importance).toBeGreaterThan(0.05);
    expect(by.c!.importance).toBeGreaterThan(3 * by.b!.importance);
    expect(by.b!.importance).toBeLessThan(0.05);
    expect(by.lr!.importance).toBeLessThan(0.05);
    expect(result.reduce((s, r) => s + r.importance, 0)).toBeCloseTo(1, 6);
    // Main effects explain nearly all of an additive function's variance.
    expect(by.a!.share + by.c!.share).toBeGreaterThan(0.85);
  });

  it('finds a log parameter whose effect lives in log space, and is deterministic for a seed', () => {
    const input = synthetic(160, (x) => -((Math.log10(x.lr) + 2.5) ** 2));
    const first = fanovaImportance(input, { seed: 3 });
    expect(first[0]!.name).toBe('lr');
    expect(first[0]!.importance).toBeGreaterThan(0.85);
    expect(fanovaImportance(input, { seed: 3 })).toEqual(first);
  });

  it('handles an interaction: neither parameter alone explains x·y centred, so the main effects share little', () => {
    const result = fanovaImportance(synthetic(300, (x) => (x.a - 0.5) * (x.b - 0.5) * 8));
    const shares = Object.fromEntries(result.map((r) => [r.name, r.share]));
    expect(shares.a! + shares.b!).toBeLessThan(0.3);
  });

  it('copes with too few rows, constant objectives and inactive parameters', () => {
    expect(fanovaImportance({ params: [{ name: 'a', kind: 'numeric' }], rows: [{ x: [1], y: 1 }] })).toEqual([{ name: 'a', importance: 0, share: 0, std: 0 }]);
    const constant = fanovaImportance({ params: [{ name: 'a', kind: 'numeric' }], rows: [1, 2, 3, 4].map((a) => ({ x: [a], y: 5 })) });
    expect(constant[0]!.importance).toBe(0);
    const rng = new Rng(4);
    const rows = Array.from({ length: 120 }, () => {
      const layers = 1 + rng.int(2);
      const units2 = layers === 2 ? 4 + 4 * rng.int(4) : undefined;
      return { x: [layers, units2, rng.next()], y: (layers === 2 ? 1 : 0) + rng.uniform(-0.05, 0.05) };
    });
    const result = fanovaImportance({ params: [{ name: 'layers', kind: 'numeric' }, { name: 'units_2', kind: 'numeric' }, { name: 'noise', kind: 'numeric' }], rows });
    expect(result.find((r) => r.name === 'noise')!.importance).toBeLessThan(0.05);
    expect(result.every((r) => Number.isFinite(r.importance))).toBe(true);
  });

  it('puts the learning rate first on the 150-trial fixture, whose accuracy is driven by it by construction', () => {
    const record = fixtureStudy();
    const params = variedParams(record.trials, record.study.space);
    const rows = record.trials.filter((t) => t.state === 'done').map((t) => ({ x: params.map((p) => t.params[p.name]), y: t.valAccuracy! }));
    const result = fanovaImportance({ params, rows });
    expect(result[0]!.name).toBe('lr');
    expect(result.find((r) => r.name === 'batch_size')!.importance).toBeLessThan(0.1);
  });
});

describe('binValues', () => {
  it('gives few values a bin each, in numeric order', () => {
    const b = binValues([64, 16, 32, 16, undefined]);
    expect(b.kind).toBe('values');
    expect(b.labels).toEqual(['16', '32', '64']);
    expect(b.binOf(32)).toBe(1);
    expect(b.binOf(undefined)).toBeNull();
    expect(binValues(['tanh', 'relu']).labels).toEqual(['relu', 'tanh']);
  });

  it('bins a log parameter by decade-equal widths, a linear one by equal widths', () => {
    const rng = new Rng(2);
    const lrs = Array.from({ length: 100 }, () => 10 ** rng.uniform(-4, -1));
    const log = binValues(lrs, { log: true, maxBins: 6 });
    expect(log.kind).toBe('log');
    expect(log.labels).toHaveLength(6);
    const counts = new Array(6).fill(0);
    for (const lr of lrs) counts[log.binOf(lr)!]++;
    // Log-uniform draws fill log bins about evenly; linear bins would put nearly all in the first.
    expect(Math.min(...counts)).toBeGreaterThan(5);
    const linear = binValues(lrs, { maxBins: 6 });
    const linearCounts = new Array(6).fill(0);
    for (const lr of lrs) linearCounts[linear.binOf(lr)!]++;
    expect(linearCounts[0]).toBeGreaterThan(60);
    expect(log.binOf(Math.max(...lrs))).toBe(5);
  });
});

describe('smoothing', () => {
  it('debiased EMA: weight 0 is the identity, a constant stays constant, the first point is kept', () => {
    expect(emaSmooth([1, 5, 2], 0)).toEqual([1, 5, 2]);
    expect(emaSmooth([3, 3, 3, 3], 0.9).every((v) => Math.abs(v - 3) < 1e-12)).toBe(true);
    const smoothed = emaSmooth([10, 0, 0, 0], 0.5);
    expect(smoothed[0]).toBe(10);
    expect(smoothed[1]).toBeCloseTo(10 / 3, 10);
    expect(emaSmooth([1, NaN, 1], 0.5)[1]).toBeNaN();
  });

  it('thins a curve to means of equal runs', () => {
    expect(thin([1, 3, 5, 7], 2)).toEqual([{ at: 2, value: 2 }, { at: 4, value: 6 }]);
  });
});

describe('bestSoFar and the Pareto front', () => {
  it('never gets worse, by trial number or by samples spent, and counts pruned trials’ samples', () => {
    const record = fixtureStudy();
    for (const by of ['trial', 'samples'] as const) {
      const points = bestSoFar(record.trials, ACCURACY, by);
      expect(points.length).toBe(record.trials.filter((t) => t.state === 'done').length);
      for (let i = 1; i < points.length; i++) {
        expect(points[i]!.best).toBeGreaterThanOrEqual(points[i - 1]!.best);
        expect(points[i]!.x).toBeGreaterThan(points[i - 1]!.x);
      }
      expect(points.at(-1)!.best).toBe(record.trials[record.best!]!.valAccuracy);
    }
    const samples = bestSoFar(record.trials, ACCURACY, 'samples');
    expect(samples.at(-1)!.x).toBeLessThanOrEqual(record.samplesTrained!);
  });

  it('takes the record’s front, or computes it from the finished trials’ values', () => {
    const record = fixtureStudy({ objectives: 2 });
    const objectives = [ACCURACY, { metric: 'samples_per_sec', direction: 'maximize' } as const];
    const computed = paretoTrials(record.trials, objectives);
    expect([...computed].sort((a, b) => a - b)).toEqual([...record.paretoFront!].sort((a, b) => a - b));
    expect(computed.size).toBeGreaterThan(2);
    // No front member is beaten in both objectives by any finished trial.
    for (const i of computed) {
      const a = record.trials[i]!;
      expect(record.trials.some((b) => b.state === 'done' && b.valAccuracy! > a.valAccuracy! && b.cost!.samplesPerSec > a.cost!.samplesPerSec)).toBe(false);
    }
    expect(paretoTrials(record.trials, [ACCURACY])).toEqual(new Set());
  });

  it('the fixture is realistic: pruned, diverged and exploiting trials, deterministic', () => {
    const record = fixtureStudy();
    const states = new Set(record.trials.map((t) => t.state));
    expect([...states].sort()).toEqual(['diverged', 'done', 'pruned']);
    expect(record.trials).toHaveLength(150);
    expect(fixtureStudy()).toEqual(record);
    const pbt = fixtureStudy({ pbt: true });
    expect(pbt.trials.some((t) => (t.exploits?.length ?? 0) > 0)).toBe(true);
  });
});

describe('parallel coordinates', () => {
  it('labels every axis: round numbers, decades on log axes, each value of a small integer or a category', async () => {
    const { logTicks, niceTicks, parallelCoordinates } = await import('../../src/ui/chart-data.ts');
    expect(niceTicks(0.0169, 0.4)).toEqual([0.1, 0.2, 0.3, 0.4]);
    expect(logTicks(3e-4, 0.3)).toEqual([0.001, 0.01, 0.1]);
    expect(logTicks(0.02, 0.3)).toEqual([0.02, 0.05, 0.1, 0.2]);
    const record = fixtureStudy();
    const params = variedParams(record.trials, record.study.space);
    const data = parallelCoordinates(record.trials, params, [ACCURACY]);
    for (const axis of data.axes) expect(data.ticks.filter((t) => t.axis === axis).length, axis).toBeGreaterThanOrEqual(2);
    expect(data.ticks.filter((t) => t.axis === 'layers').map((t) => t.label)).toEqual(['1', '2']);
    expect(data.ticks.filter((t) => t.axis === 'batch_size').map((t) => t.label)).toEqual(['32', '64', '128', '256']);
    expect(data.ticks.filter((t) => t.axis === 'lr').map((t) => t.label)).toEqual(expect.arrayContaining(['0.001', '0.01', '0.1']));
    // Positions lie on [0, 1], and each scored trial has one per axis.
    expect(data.positions.size).toBe(record.trials.filter((t) => t.state === 'done').length);
    for (const row of data.rows) expect(row.position >= 0 && row.position <= 1).toBe(true);
  });
});
