// Studies on regression data and with cross-validation folds: regression objectives through the
// records, pruners, TPE, Pareto and the journal; objectives refused for the wrong task; every fold's
// values recorded and each the same bits as that fold trained alone, through refills, pruning and TPE.
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.ts';
import { Cohort } from '../../src/engine/cohort.ts';
import { freeDataset, uploadDataset } from '../../src/engine/device-dataset.ts';
import { foldRows, largestFold } from '../../src/engine/rows.ts';
import { runCohort } from '../../src/engine/train.ts';
import { GpuTimer } from '../../src/gpu/timing.ts';
import { shapeOf } from '../../src/model/cohort-layout.ts';
import type { TrialConfig } from '../../src/model/trial-config.ts';
import { StudyError } from '../../src/search/errors.ts';
import { parseStudy, type StudyInput } from '../../src/search/study.ts';
import { trialToOptuna } from '../../src/store/optuna-mapping.ts';
import { checkStudyForData, runStudy } from '../../src/study/run-study.ts';
import { gpu } from '../helpers/gpu.ts';
import { regressionDataset } from '../helpers/regression-data.ts';

function study(extra: Partial<StudyInput> = {}) {
  return parseStudy({
    name: 'regression',
    seed: 5,
    data: { kind: 'xor' },
    space: { lr: { type: 'float', low: 0.003, high: 0.1, log: true }, units: { type: 'categorical', choices: [4, 8] } },
    defaults: { batch_size: 8, epochs: 3, optimizer: 'adam' },
    budget: { trials: 4 },
    objective: { metric: 'val_rmse' },
    ...extra,
  });
}

const mean = (values: readonly number[]) => values.reduce((s, v) => s + v, 0) / values.length;

/** No attribute of any journal record is null, at any depth (optuna-dashboard's reader refuses them). */
function nulls(value: unknown, path = ''): string[] {
  if (value === null) return [path];
  if (typeof value !== 'object') return [];
  return Object.entries(value as object).flatMap(([k, v]) => nulls(v, `${path}.${k}`));
}

/** Trains fold `fold` of `config` alone: a one-slot cohort on that fold's rows. Its final validation. */
async function foldAlone(data: Dataset, config: TrialConfig, fold: number, evalBatch: number) {
  const ctx = await gpu();
  const device = uploadDataset(ctx, data, 'fold-alone-data');
  const cohort = await Cohort.create(ctx, {
    id: 'fold-alone',
    shape: shapeOf(config, data.features, data.classes),
    trials: [config],
    data: device,
    evalBatch,
    slotRows: { rows: [foldRows(data, fold)], maxValidationRows: largestFold(data) },
  });
  const result = await runCohort(ctx, cohort, { epochs: config.epochs, timer: new GpuTimer(ctx) });
  cohort.destroy();
  freeDataset(ctx, device);
  return result.epochs.at(-1)!.validation[0]!;
}

describe('regression objectives', () => {
  it('val_rmse: trials record RMSE, MAE and R² in the target’s units; the best has the lowest RMSE and test metrics', async () => {
    const ctx = await gpu();
    const data = regressionDataset(13, { train: 64, validation: 20, test: 16 });
    const { record } = await runStudy({ ctx, study: study(), dataset: data });
    const done = record.trials.filter((t) => t.state === 'done');
    expect(done).toHaveLength(4);
    expect(record.dataset).toMatchObject({ task: 'regression', target: 'y' });
    for (const t of done) {
      expect(t.valAccuracy).toBeNull();
      expect(t.valRmse).toBeGreaterThan(0);
      expect(t.valMae).toBeLessThanOrEqual(t.valRmse!);
      expect(t.values).toEqual([t.valRmse]);
      expect(t.epochs).toHaveLength(3);
      expect(t.epochs.at(-1)!.valRmse).toBe(t.valRmse);
      expect(t.epochs.at(-1)!.valAccuracy).toBeUndefined();
      // The target spreads over several units; an untrained network is off by about its std.
      expect(t.valRmse).toBeLessThan(3 * data.targetScale!.std);
      expect(Object.keys(t.test ?? {}).sort()).toEqual(t.test ? ['loss', 'mae', 'r2', 'rmse'] : []);
      expect(nulls(trialToOptuna(t, study()).userAttrs!)).toEqual([]);
    }
    const best = record.trials[record.best!]!;
    expect(best.valRmse).toBe(Math.min(...done.map((t) => t.valRmse!)));
    expect(best.test?.rmse).toBeGreaterThan(0);
  });

  it('val_r2 is maximized and val_mae minimized: TPE with a median pruner, and MOTPE’s Pareto front', async () => {
    const ctx = await gpu();
    const data = regressionDataset(14, { train: 64, validation: 20, test: 0 });
    const r2 = await runStudy({
      ctx,
      study: study({ objective: { metric: 'val_r2' }, sampler: { type: 'tpe', startupTrials: 3 }, pruner: { type: 'median', startupTrials: 2, unit: 'epoch' }, budget: { trials: 8 }, parallel: 2 }),
      dataset: data,
    });
    const done = r2.record.trials.filter((t) => t.state === 'done');
    expect(r2.record.trials[r2.record.best!]!.valR2).toBe(Math.max(...done.map((t) => t.valR2!)));
    // The median pruner reads R² as higher-is-better: a pruned trial's best report lies below the
    // median of the done trials' reports at that epoch.
    const pruned = r2.record.trials.filter((x) => x.state === 'pruned');
    expect(pruned.length).toBeGreaterThan(0);
    for (const t of pruned) {
      expect(t.reason).toMatch(/pruned by median at epoch \d+: val_r2/);
      const { step } = t.intermediate.at(-1)!;
      const atStep = done.flatMap((o) => o.intermediate.filter((i) => i.step === step).map((i) => i.value)).sort((a, b) => a - b);
      expect(Math.max(...t.intermediate.map((i) => i.value))).toBeLessThan(atStep.at(-1)!);
    }
    const front = await runStudy({ ctx, study: study({ objective: [{ metric: 'val_mae' }, { metric: 'device_bytes' }], sampler: { type: 'motpe' }, budget: { trials: 5 } }), dataset: data });
    expect(front.record.paretoFront!.length).toBeGreaterThan(0);
    const maes = front.record.paretoFront!.map((i) => front.record.trials[i]!.valMae!);
    expect(maes[0]).toBe(Math.min(...front.record.trials.filter((t) => t.state === 'done').map((t) => t.valMae!)));
  });

  it('trains with the study’s loss: Huber’s validation loss differs from squared error’s, the metrics stay comparable', async () => {
    const ctx = await gpu();
    const data = regressionDataset(15, { train: 48, validation: 16, test: 0 });
    const one = { budget: { trials: 1 }, defaults: { batch_size: 8, epochs: 2, optimizer: 'adam', units: 4 } };
    const mse = (await runStudy({ ctx, study: study(one), dataset: data })).record.trials[0]!;
    const huber = (await runStudy({ ctx, study: study({ ...one, loss: { kind: 'huber', delta: 0.3 } }), dataset: data })).record.trials[0]!;
    expect(huber.params).toEqual(mse.params);
    // Squared error's validation loss is the squared RMSE in standardized units; Huber's is smaller.
    expect(mse.valLoss).toBeCloseTo((mse.valRmse! / data.targetScale!.std) ** 2, 4);
    expect(huber.valLoss).toBeLessThan(0.5 * (huber.valRmse! / data.targetScale!.std) ** 2);
  });

  it('refuses an objective of the other task by name', () => {
    const regression = regressionDataset(1, { train: 40, validation: 10, test: 0 });
    const classes = { ...regression, task: 'classification' as const, classes: 2, target: undefined, targetScale: undefined };
    const issues = (s: ReturnType<typeof study>, d: Dataset) => {
      try {
        checkStudyForData(s, d);
        return [];
      } catch (error) {
        return (error as StudyError).issues;
      }
    };
    expect(issues(study(), classes)).toEqual([{ path: 'objective.metric', message: 'val_rmse scores regression; classification data is scored by val_accuracy, val_loss' }]);
    expect(issues(study({ objective: [{ metric: 'val_accuracy' }, { metric: 'step_ms' }], sampler: { type: 'motpe' } }), regression)).toEqual([
      { path: 'objective[0].metric', message: 'val_accuracy scores classification; regression data is scored by val_rmse, val_mae, val_r2, val_loss' },
    ]);
    expect(issues(study({ objective: { metric: 'val_loss' } }), regression)).toEqual([]);
    expect(() => parseStudy({ data: { kind: 'xor' }, space: {}, budget: { trials: 1 }, objective: { metric: 'device_bytes' } })).toThrow(/pair it with a validation metric \(val_accuracy, val_loss, val_rmse, val_mae, val_r2\)/);
  });
});

describe('cross-validation', () => {
  const k = 3;

  it('records every fold’s values and their std; the trial’s value is their mean; each fold is the same bits as that fold alone, through refills', async () => {
    const ctx = await gpu();
    const data = regressionDataset(21, { train: 75, validation: 0, test: 12 }, k);
    // Cohorts of at most 4 slots: 5 trials × 3 folds spread over cohorts and refill freed slots.
    const s = study({ budget: { trials: 5 }, parallel: 2 });
    const { record } = await runStudy({ ctx, study: s, dataset: data, maxTrialsPerCohort: 4 });
    expect(record.dataset.folds).toBe(k);
    const done = record.trials.filter((t) => t.state === 'done');
    expect(done).toHaveLength(5);
    expect(record.cohorts!.length).toBeGreaterThan(1);
    const evalBatch = Math.min(512, Math.max(largestFold(data), data.split.test));
    for (const t of done) {
      const folds = t.folds!;
      expect(folds.k).toBe(k);
      expect(Object.keys(folds.values).sort()).toEqual(['val_loss', 'val_mae', 'val_r2', 'val_rmse']);
      const rmse = folds.values.val_rmse!;
      expect(t.valRmse).toBeCloseTo(mean(rmse), 12);
      expect(t.values).toEqual([t.valRmse]);
      expect(folds.std.val_rmse).toBeCloseTo(Math.sqrt(mean(rmse.map((v) => (v - mean(rmse)) ** 2))), 12);
      const attrs = trialToOptuna(t, s).userAttrs!;
      expect(attrs.cv_folds).toBe(k);
      expect(attrs.cv_val_rmse).toEqual(rmse);
      expect(nulls(attrs)).toEqual([]);
    }
    // Each fold of the best trial and of the last one (trained in refilled slots) gives the same bits alone.
    for (const t of [record.trials[record.best!]!, done.at(-1)!]) {
      for (let f = 0; f < k; f++) {
        const alone = await foldAlone(data, t.config, f, evalBatch);
        expect([alone.rmse, alone.mae, alone.r2, alone.loss], `trial ${t.index} fold ${f}`).toEqual([t.folds!.values.val_rmse![f], t.folds!.values.val_mae![f], t.folds!.values.val_r2![f], t.folds!.values.val_loss![f]]);
      }
    }
    // Test metrics of the best trials: the mean over their folds' networks.
    expect(record.trials[record.best!]!.test?.rmse).toBeGreaterThan(0);
  });

  it('a trial reports the mean of its folds at each rung; a pruned trial stops every fold; TPE learns from fold means', async () => {
    const ctx = await gpu();
    const data = regressionDataset(22, { train: 66, validation: 0, test: 0 }, k);
    const s = study({ sampler: { type: 'tpe', startupTrials: 2 }, pruner: { type: 'successive-halving', minResource: 1, reductionFactor: 2, unit: 'epoch' }, budget: { trials: 8 }, parallel: 2, defaults: { batch_size: 8, epochs: 4, optimizer: 'adam' } });
    const finished: number[] = [];
    const { record } = await runStudy({ ctx, study: s, dataset: data, onEvent: (e) => e.type === 'trial-finished' && finished.push(e.trial.index) });
    const pruned = record.trials.filter((t) => t.state === 'pruned');
    const done = record.trials.filter((t) => t.state === 'done');
    expect(pruned.length).toBeGreaterThan(0);
    expect(done.length).toBeGreaterThan(0);
    // One outcome per trial, never one per fold.
    expect(finished.sort((a, b) => a - b)).toEqual(record.trials.map((t) => t.index));
    // Steps every fold trained: a done trial's folds their 4 epochs; a pruned trial's folds stop at
    // its last rung, the first folds there waiting at most an epoch for the last. Folds that trained
    // on after their trial was pruned would pass the upper bound.
    const spe = Array.from({ length: k }, (_, f) => Math.floor(foldRows(data, f).train.length / 8));
    const sum = (epochs: number) => spe.reduce((s, n) => s + epochs * n, 0);
    const rungs = pruned.map((t) => t.intermediate.at(-1)!.step);
    expect(rungs.some((r) => r + 1 < 4)).toBe(true);
    const low = done.length * sum(4) + rungs.reduce((s, r) => s + sum(r), 0);
    const high = done.length * sum(4) + rungs.reduce((s, r) => s + sum(r + 1), 0);
    expect(record.occupancy!.busy).toBeGreaterThanOrEqual(low);
    expect(record.occupancy!.busy).toBeLessThanOrEqual(high);
    for (const t of pruned) {
      expect(t.folds).toBeUndefined();
      expect(t.epochs.length).toBeLessThan(4);
    }
    for (const t of done) {
      // The last report is the mean of the folds' final values.
      expect(t.intermediate.at(-1)!.value).toBeCloseTo(mean(t.folds!.values.val_rmse!), 12);
      expect(t.values![0]).toBeCloseTo(mean(t.folds!.values.val_rmse!), 12);
    }
    // Every slot was released: nothing of the study stays on the device.
    expect(ctx.memory.bytes('study-data/')).toBe(0);
  });

  it('folds whose epochs differ in length end mid-epoch (maxStepsPerTrial) and still give the trial their mean', async () => {
    const ctx = await gpu();
    const data = regressionDataset(24, { train: 80, validation: 0, test: 0 }, k);
    const spe = Array.from({ length: k }, (_, f) => Math.floor(foldRows(data, f).train.length / 8));
    const steps = 2 * Math.min(...spe) + 1;
    // The same step count falls in different epochs of different folds.
    expect(new Set(spe.map((n) => Math.ceil(steps / n))).size).toBeGreaterThan(1);
    const { record } = await runStudy({ ctx, study: study({ budget: { trials: 2, maxStepsPerTrial: steps } }), dataset: data });
    for (const t of record.trials) {
      expect(t.state).toBe('done');
      expect(t.valRmse).toBeCloseTo(mean(t.folds!.values.val_rmse!), 12);
    }
  });

  it('classification folds report mean accuracy; PBT is refused with folds', async () => {
    const ctx = await gpu();
    const base = regressionDataset(23, { train: 60, validation: 0, test: 10 }, k);
    const y = Uint32Array.from(base.target!, (v) => (v > 0 ? 1 : 0));
    const data: Dataset = { ...base, task: 'classification', classes: 2, y, target: undefined, targetScale: undefined };
    const s = study({ objective: { metric: 'val_accuracy' }, budget: { trials: 2 } });
    const { record } = await runStudy({ ctx, study: s, dataset: data });
    for (const t of record.trials) {
      expect(t.state).toBe('done');
      expect(t.valAccuracy).toBeCloseTo(mean(t.folds!.values.val_accuracy!), 12);
      expect(t.folds!.values.val_accuracy).toHaveLength(k);
    }
    const pbt = parseStudy({
      data: { kind: 'xor' },
      space: { lr: { type: 'float', low: 0.01, high: 0.1, log: true } },
      defaults: { batch_size: 8, epochs: 2 },
      sampler: { type: 'pbt', population: 4, interval: 2, mutable: ['lr'] },
    });
    expect(() => checkStudyForData(pbt, data)).toThrow(/sampler.type: pbt copies one trial's weights onto another's/);
  });
});
