// Comparing studies on the objective they share, and each study's best by its own objective: regression and classification fixtures without training.
import { describe, expect, it } from 'vitest';
import { objectivesOf } from '../../src/search/specs.ts';
import { summarize } from '../../src/store/browser-store.ts';
import { testMetricValue, type StudyRecord } from '../../src/store/records.ts';
import { bestTrial } from '../../src/ui/analysis/study-params.ts';
import { tradeoffPoints } from '../../src/ui/chart-data.ts';
import { objectiveTicks, unitsSuffix } from '../../src/ui/format.ts';
import { comparedFronts, sharedObjective } from '../../src/ui/ft-compare-view.ts';
import { viewOfRecord } from '../../src/ui/viewer/from-record.ts';
import type { ViewStudy } from '../../src/ui/viewer/model.ts';
import { fixtureStudy, regressionFixture } from '../helpers/study-fixture.ts';

const viewOf = (record: StudyRecord, id = record.study.name ?? 'test'): ViewStudy => viewOfRecord(id, id, record.study, record, record.trials);

describe('compare', () => {
  it('two regression studies share val RMSE (lower is better) and draw it against samples/s', () => {
    const a = viewOf(regressionFixture({ name: 'a' }));
    const b = viewOf(regressionFixture({ name: 'b', seed: 3 }));
    const shared = sharedObjective([a, b])!;
    expect(shared.objective).toMatchObject({ metric: 'val_rmse', direction: 'minimize', label: 'val RMSE' });
    expect(shared.k).toEqual([0, 0]);
    const fronts = comparedFronts([a, b])!;
    expect(fronts.y.metric).toBe('val_rmse');
    expect(fronts.series[0]!.points.length).toBe(a.trials.filter((t) => t.state === 'done').length);
    // The front's fastest point and its best RMSE are both on it.
    const points = fronts.series[0]!.points;
    const lowest = Math.min(...points.map((p) => p.y));
    expect(points.find((p) => p.y === lowest)!.pareto).toBe(true);
  });

  it('RMSE of another target, or classification against regression, is no shared objective: no fronts either', () => {
    const mpg = regressionFixture({ name: 'mpg' });
    const price = regressionFixture({ name: 'price' });
    price.dataset = { ...price.dataset, target: 'price' };
    expect(sharedObjective([viewOf(mpg), viewOf(price)])).toBeNull();
    const mixed = [viewOf(regressionFixture()), viewOf(fixtureStudy())];
    expect(sharedObjective(mixed)).toBeNull();
    expect(comparedFronts(mixed)).toBeNull();
  });

  it('finds a shared objective that is not first for every study, at its own index', () => {
    const one = viewOf(fixtureStudy({ name: 'one', trials: 20 }));
    const two = viewOf(fixtureStudy({ name: 'two', trials: 20, objectives: 2 }));
    const swapped: ViewStudy = { ...two, objectives: [two.objectives[1]!, two.objectives[0]!], trials: two.trials.map((t) => ({ ...t, values: t.values ? [t.values[1]!, t.values[0]!] : null })) };
    expect(sharedObjective([one, swapped])).toMatchObject({ objective: { metric: 'val_accuracy' }, k: [0, 1] });
    expect(comparedFronts([one, swapped])!.series[1]!.points.every((p) => p.y <= 1)).toBe(true);
  });
});

describe('tradeoffPoints', () => {
  it('marks the front by the objective’s direction: lower RMSE is better', () => {
    const trials = [
      { samplesPerSec: 100, rmse: 3 },
      { samplesPerSec: 50, rmse: 2 },
      { samplesPerSec: 40, rmse: 2.5 },
      { samplesPerSec: 10, rmse: 1 },
    ].map((p, index) => ({ index, state: 'done' as const, params: {}, values: [p.rmse], intermediate: [], userAttrs: {}, systemAttrs: {}, distributions: {}, run: { samplesPerSec: p.samplesPerSec } as never }));
    const points = tradeoffPoints(trials, { label: 'val RMSE', direction: 'minimize', metric: 'val_rmse' });
    expect(points.filter((p) => p.pareto).map((p) => p.trial)).toEqual([0, 1, 3]);
  });
});

describe('objectives and best values outside classification', () => {
  it('formats axes: percent for accuracy, SI for rates and bytes, plain decimals for errors and losses (10, not 1e+1)', () => {
    expect(objectiveTicks({ metric: 'val_accuracy' })).toBe('.0%');
    expect(objectiveTicks({ metric: 'samples_per_sec' })).toBe('.3~s');
    expect(objectiveTicks({ metric: 'val_rmse' })).toBe('~r');
    expect(objectiveTicks({ metric: 'val_loss' })).toBe('~r');
    expect(objectiveTicks({ label: 'objective 0' } as { metric?: string })).toBe('~g');
  });

  it('RMSE and MAE are in the target’s units; R² and accuracy have none', () => {
    expect(unitsSuffix({ metric: 'val_rmse' }, 'mpg')).toBe(' mpg');
    expect(unitsSuffix({ metric: 'val_mae' }, 'mpg')).toBe(' mpg');
    expect(unitsSuffix({ metric: 'val_r2' }, 'mpg')).toBe('');
    expect(unitsSuffix({ metric: 'val_rmse' }, undefined)).toBe('');
  });

  it('a study file with no objective optimizes its task’s default', () => {
    expect(objectivesOf(undefined, 'regression')).toEqual([{ metric: 'val_rmse', direction: 'minimize' }]);
    expect(objectivesOf(undefined)).toEqual([{ metric: 'val_accuracy', direction: 'maximize' }]);
  });

  it('the saved-studies summary gives the best trial’s value of the study’s own objective', () => {
    const record = regressionFixture();
    const saved = { id: 'r', name: 'r', study: record.study, status: 'done' as const, record, createdAt: '', updatedAt: '' };
    expect(summarize(saved)).toMatchObject({ objective: 'val_rmse', bestValue: record.trials[record.best!]!.valRmse, target: 'mpg' });
    const mae = { ...record, study: { ...record.study, objective: { metric: 'val_mae' as const } } };
    expect(summarize({ ...saved, record: mae })).toMatchObject({ objective: 'val_mae', bestValue: record.trials[record.best!]!.valMae });
    const untold = { ...record, study: { ...record.study, objective: undefined } };
    expect(summarize({ ...saved, record: untold }).objective).toBe('val_rmse');
    const classification = fixtureStudy({ trials: 20 });
    expect(summarize({ ...saved, record: classification, study: classification.study })).toMatchObject({ objective: 'val_accuracy', bestValue: classification.trials[classification.best!]!.valAccuracy });
  });

  it('the best trial of a regression record whose study names no objective is the lowest RMSE', () => {
    const record = regressionFixture();
    expect(bestTrial({ ...record, study: { ...record.study, objective: undefined } })).toBe(record.best);
  });

  it('a test figure is the validation metric’s counterpart', () => {
    const record = regressionFixture();
    const best = record.trials[record.best!]!;
    expect(testMetricValue(best, 'val_rmse')).toBe(best.test!.rmse);
    expect(testMetricValue(best, 'val_r2')).toBe(best.test!.r2);
    expect(testMetricValue(best, 'val_accuracy')).toBeNull();
    expect(testMetricValue(best, 'samples_per_sec')).toBeNull();
  });
});
