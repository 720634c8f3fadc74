// The app's analysis modules on data whose answer is known: fANOVA and PED-ANOVA importance, binning, smoothing, best so far, the Pareto front, filters, EDF, timeline.
import { describe, expect, it } from 'vitest';
import { bestSoFar } from '../../src/ui/analysis/best-so-far.ts';
import { binValues } from '../../src/ui/analysis/binning.ts';
import { applyFilters } from '../../src/ui/analysis/filters.ts';
import { fanovaImportance, pedAnovaImportance, type ImportanceInput, type ParamDomain } from '../../src/ui/analysis/importance.ts';
import { importanceInput } from '../../src/ui/analysis/importance-input.ts';
import { emaSmooth, thin } from '../../src/ui/analysis/smoothing.ts';
import { edfPoints } from '../../src/ui/ft-edf-chart.ts';
import { timelineBars } from '../../src/ui/ft-timeline-chart.ts';
import { viewOfRecord } from '../../src/ui/viewer/from-record.ts';
import { paretoIndices, variedParams, type ViewStudy } from '../../src/ui/viewer/model.ts';
import { Rng } from '../../src/util/random.ts';
import { fixtureStudy } from '../helpers/study-fixture.ts';
import type { StudyRecord } from '../../src/store/records.ts';

const viewOf = (record: StudyRecord): ViewStudy => viewOfRecord('test', record.study.name ?? 'test', record.study, record, record.trials);

const DOMAINS: Record<string, ParamDomain> = {
  a: { kind: 'float', low: 0, high: 1, step: null },
  b: { kind: 'float', low: 0, high: 1, step: null },
  c: { kind: 'categorical', choices: ['p', 'q', 'r'] },
  lr: { kind: 'float', low: 1e-4, high: 0.1, log: true, step: null },
};

function synthetic(n: number, f: (x: { a: number; b: number; c: string; lr: number }) => number, seed = 1, direction: 'minimize' | 'maximize' = 'minimize'): ImportanceInput {
  const rng = new Rng(seed);
  const names = ['a', 'b', 'c', 'lr'];
  const rows = Array.from({ length: n }, () => {
    const x = { a: rng.next(), b: rng.next(), c: ['p', 'q', 'r'][rng.int(3)]!, lr: 10 ** rng.uniform(-4, -1) };
    return { x: [x.a, x.b, x.c, x.lr], regime: names.map(() => 'd'), y: f(x) + rng.uniform(-0.01, 0.01) };
  });
  return { params: names.map((name) => ({ name, domains: { d: DOMAINS[name]! } })), rows, direction };
}

describe('fanovaImportance', () => {
  it('ranks parameters by the variance they explain: a strong linear term, a categorical step, noise-only parameters last', () => {
    const result = fanovaImportance(synthetic(200, (x) => 4 * x.a + (x.c === 'q' ? 1 : 0))).importances;
    expect(result.map((r) => r.name).slice(0, 2)).toEqual(['a', 'c']);
    const by = Object.fromEntries(result.map((r) => [r.name, r]));
    // Var(4a) = 16/12 ≈ 1.33, Var(1[c = q]) = 2/9 ≈ 0.22: a explains about 86% of the main effects. One-hot
    // columns are integrated over [0, 1] each (as Optuna's fANOVA does), so c's share differs from 14% but stays clearly second.
    expect(by.a!.importance).toBeGreaterThan(0.7);
    expect(by.c!.importance).toBeGreaterThan(0.05);
    expect(by.c!.importance).toBeGreaterThan(3 * by.b!.importance);
    expect(by.b!.importance).toBeLessThan(0.05);
    expect(by.lr!.importance).toBeLessThan(0.05);
    expect(result.reduce((s, r) => s + r.importance, 0)).toBeCloseTo(1, 6);
    // Main effects explain nearly all of an additive function's variance.
    expect(by.a!.share + by.c!.share).toBeGreaterThan(0.85);
  });

  it('finds a log parameter whose effect lives in log space (on its own scale, as Optuna does), and is deterministic for a seed', () => {
    const input = synthetic(160, (x) => -((Math.log10(x.lr) + 2.5) ** 2));
    const first = fanovaImportance(input, { seed: 3 }).importances;
    expect(first[0]!.name).toBe('lr');
    expect(first[0]!.importance).toBeGreaterThan(0.6);
    expect(fanovaImportance(input, { seed: 3 }).importances).toEqual(first);
  });

  it('handles an interaction: neither parameter alone explains x·y centred, so the main effects share little', () => {
    const result = fanovaImportance(synthetic(300, (x) => (x.a - 0.5) * (x.b - 0.5) * 8)).importances;
    const shares = Object.fromEntries(result.map((r) => [r.name, r.share]));
    expect(shares.a! + shares.b!).toBeLessThan(0.3);
  });

  it('copes with too few rows, constant objectives, and leaves conditional parameters out as Optuna does', () => {
    const one = { name: 'a', domains: { d: { kind: 'float', low: 0, high: 5, step: null } as ParamDomain } };
    expect(fanovaImportance({ params: [one], rows: [{ x: [1], regime: ['d'], y: 1 }], direction: 'minimize' }).importances).toEqual([{ name: 'a', importance: 0, share: 0, std: 0 }]);
    const constant = fanovaImportance({ params: [one], rows: [1, 2, 3, 4].map((a) => ({ x: [a], regime: ['d'], y: 5 })), direction: 'minimize' }).importances;
    expect(constant[0]!.importance).toBe(0);
    const rng = new Rng(4);
    const rows = Array.from({ length: 120 }, () => {
      const layers = 1 + rng.int(2);
      const units2 = layers === 2 ? 4 + 4 * rng.int(4) : undefined;
      return { x: [layers, units2, rng.next()], regime: ['d', units2 === undefined ? undefined : 'd', 'd'], y: (layers === 2 ? 1 : 0) + rng.uniform(-0.05, 0.05) };
    });
    const params = [
      { name: 'layers', domains: { d: { kind: 'int', low: 1, high: 2, step: 1 } as ParamDomain } },
      { name: 'units_2', domains: { d: { kind: 'int', low: 4, high: 16, step: 4 } as ParamDomain } },
      { name: 'noise', domains: { d: { kind: 'float', low: 0, high: 1, step: null } as ParamDomain } },
    ];
    const result = fanovaImportance({ params, rows, direction: 'minimize' });
    expect(result.excluded.map((e) => e.name)).toEqual(['units_2']);
    expect(result.importances.map((r) => r.name)).toEqual(['layers', 'noise']);
    expect(result.importances[1]!.importance).toBeLessThan(0.05);
    // PED-ANOVA weighs a conditional parameter in the trials that have it.
    const ped = pedAnovaImportance({ params, rows, direction: 'maximize' });
    expect(ped.importances.find((r) => r.name === 'layers')!.importance).toBeGreaterThan(ped.importances.find((r) => r.name === 'noise')!.importance);
    expect(ped.importances.every((r) => Number.isFinite(r.importance))).toBe(true);
  });

  it('puts the learning rate first on the 150-trial fixture, whose accuracy is driven by it by construction', () => {
    const view = viewOf(fixtureStudy());
    const params = variedParams(view.trials, view.space);
    const input = importanceInput(view.trials, params, view.objectives, 0);
    const result = fanovaImportance(input).importances;
    expect(result[0]!.name).toBe('lr');
    expect(result.find((r) => r.name === 'batch_size')!.importance).toBeLessThan(0.1);
    const ped = pedAnovaImportance(input).importances;
    expect(ped[0]!.name).toBe('lr');
  });
});

describe('pedAnovaImportance', () => {
  it('is 0 for a parameter spread alike among the best and all trials, large for one the best trials share', () => {
    // a decides the objective; b is noise: the top 10% hold a near 0 and b anywhere.
    const result = pedAnovaImportance(synthetic(400, (x) => x.a, 2)).importances;
    expect(result[0]!.name).toBe('a');
    expect(result[0]!.importance).toBeGreaterThan(0.7);
    expect(result.reduce((s, r) => s + r.importance, 0)).toBeCloseTo(1, 9);
    // A categorical the best trials all share.
    const categorical = pedAnovaImportance(synthetic(400, (x) => (x.c === 'r' ? 0 : 1) + 0.001 * x.b, 3)).importances;
    expect(categorical[0]!.name).toBe('c');
    // Maximizing turns the quantile around.
    const up = pedAnovaImportance(synthetic(400, (x) => x.b, 4, 'maximize')).importances;
    expect(up[0]!.name).toBe('b');
  });

  it('gives every parameter 0 with fewer than two trials, as Optuna does', () => {
    const result = pedAnovaImportance(synthetic(1, (x) => x.a)).importances;
    expect(result.every((r) => r.importance === 0)).toBe(true);
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
    const view = viewOf(record);
    for (const by of ['trial', 'samples'] as const) {
      const points = bestSoFar(view.trials, view.objectives[0]!, by);
      expect(points.length).toBe(record.trials.filter((t) => t.state === 'done').length);
      for (let i = 1; i < points.length; i++) {
        expect(points[i]!.best).toBeGreaterThanOrEqual(points[i - 1]!.best);
        expect(points[i]!.x).toBeGreaterThan(points[i - 1]!.x);
      }
      expect(points.at(-1)!.best).toBe(record.trials[record.best!]!.valAccuracy);
    }
    const samples = bestSoFar(view.trials, view.objectives[0]!, 'samples');
    expect(samples.at(-1)!.x).toBeLessThanOrEqual(record.samplesTrained!);
  });

  it('computes the front from the finished trials’ values (search/pareto.ts), as the runner recorded it', () => {
    const record = fixtureStudy({ objectives: 2 });
    const view = viewOf(record);
    const computed = paretoIndices(view.trials, view.objectives);
    expect([...computed].sort((a, b) => a - b)).toEqual([...record.paretoFront!].sort((a, b) => a - b));
    expect(computed.size).toBeGreaterThan(2);
    // No front member is beaten in both objectives by any finished trial.
    for (const i of computed) {
      const a = record.trials[i]!;
      expect(record.trials.some((b) => b.state === 'done' && b.valAccuracy! > a.valAccuracy! && b.cost!.samplesPerSec > a.cost!.samplesPerSec)).toBe(false);
    }
    expect(paretoIndices(view.trials, view.objectives.slice(0, 1))).toEqual(new Set());
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
    const view = viewOf(fixtureStudy());
    const params = variedParams(view.trials, view.space);
    const data = parallelCoordinates(view.trials, params, view.objectives);
    for (const axis of data.axes) expect(data.ticks.filter((t) => t.axis === axis).length, axis).toBeGreaterThanOrEqual(2);
    expect(data.ticks.filter((t) => t.axis === 'layers').map((t) => t.label)).toEqual(['1', '2']);
    expect(data.ticks.filter((t) => t.axis === 'batch_size').map((t) => t.label)).toEqual(['32', '64', '128', '256']);
    expect(data.ticks.filter((t) => t.axis === 'lr').map((t) => t.label)).toEqual(expect.arrayContaining(['0.001', '0.01', '0.1']));
    // Positions lie on [0, 1], one row per scored trial and axis.
    expect(data.rows.length).toBe(view.trials.filter((t) => t.state === 'done').length * data.axes.length);
    for (const row of data.rows) expect(row.position >= 0 && row.position <= 1).toBe(true);
    // A brush over positions is a filter in values, and back: the same trials inside.
    const lr = data.scales.get('lr')!;
    const filter = lr.filterOf(0.25, 0.75);
    expect(filter.kind).toBe('range');
    const [low, high] = lr.rangeOf(filter)!;
    expect(low).toBeCloseTo(0.25, 9);
    expect(high).toBeCloseTo(0.75, 9);
    const inside = applyFilters(view.trials, new Map([['lr', filter]]), view.objectives);
    const byPosition = data.rows.filter((r) => r.axis === 'lr' && r.position >= 0.25 - 1e-9 && r.position <= 0.75 + 1e-9).map((r) => r.trial);
    expect(inside.filter((t) => t.state === 'done').map((t) => t.index)).toEqual(byPosition);
    const optimizer = data.scales.get('optimizer')!.filterOf(0.4, 1);
    expect(optimizer).toEqual({ kind: 'values', values: ['momentum', 'sgd'] });
  });
});

describe('filters, EDF and timeline', () => {
  it('filters on a range, on values and on the state; a trial without the value is outside', () => {
    const view = viewOf(fixtureStudy());
    const objectives = view.objectives;
    const done = applyFilters(view.trials, new Map([['state', { kind: 'values', values: ['done'] }]]), objectives);
    expect(done.length).toBe(view.trials.filter((t) => t.state === 'done').length);
    const good = applyFilters(view.trials, new Map([['val accuracy', { kind: 'range', low: 0.9, high: 1 }]]), objectives);
    expect(good.length).toBeGreaterThan(0);
    expect(good.every((t) => t.state === 'done' && t.values![0]! >= 0.9)).toBe(true);
    const both = applyFilters(view.trials, new Map<string, { kind: 'values'; values: string[] }>([['optimizer', { kind: 'values', values: ['adam'] }], ['state', { kind: 'values', values: ['pruned'] }]]), objectives);
    expect(both.every((t) => t.params.optimizer === 'adam' && t.state === 'pruned')).toBe(true);
  });

  it('EDF: the fraction at or below each value, ties once', () => {
    expect(edfPoints([3, 1, 2, 2])).toEqual([
      { value: 1, fraction: 0.25 },
      { value: 2, fraction: 0.75 },
      { value: 3, fraction: 1 },
    ]);
  });

  it('timeline: a bar per started trial, running ones to now', () => {
    const view = viewOf(fixtureStudy({ trials: 10 }));
    const bars = timelineBars(view.trials, Date.parse('2030-01-01T00:00:00Z'));
    expect(bars).toHaveLength(10);
    for (const b of bars) expect(b.end.getTime()).toBeGreaterThanOrEqual(b.start.getTime());
  });
});
