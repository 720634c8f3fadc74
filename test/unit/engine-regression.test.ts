// The engine on regression data and with per-slot rows (cross-validation folds): a trajectory
// against the float64 reference, metrics in the target's own units, and every fold the same bits
// inside a cohort, alone, refilled, moved, and as an ordinary data set of its own rows.
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.ts';
import { Cohort, type CohortInit } from '../../src/engine/cohort.ts';
import { freeDataset, uploadDataset } from '../../src/engine/device-dataset.ts';
import { epochOrder, initialParameters } from '../../src/engine/init.ts';
import { foldRows, largestFold, type SlotRows } from '../../src/engine/rows.ts';
import { advance, evaluateCohort, runCohort, type CohortRunResult } from '../../src/engine/train.ts';
import { GpuTimer } from '../../src/gpu/timing.ts';
import { denseForward, mlpStep, optimizerStep } from '../../src/kernels/reference.ts';
import { shapeOf } from '../../src/model/cohort-layout.ts';
import type { RegressionLoss } from '../../src/model/loss.ts';
import { parameterLayout } from '../../src/model/parameter-layout.ts';
import { optimizerConfig, type OptimizerKind, type TrialConfig } from '../../src/model/trial-config.ts';
import { expectClose, expectRelativeError } from '../helpers/close.ts';
import { gpu } from '../helpers/gpu.ts';
import { regressionDataset } from '../helpers/regression-data.ts';

const F = 4;

function trial(kind: OptimizerKind, lr: number, seed: number, extra: Partial<TrialConfig> = {}): TrialConfig {
  return { hidden: [6, 3], activation: 'tanh', batchSize: 5, epochs: 3, optimizer: optimizerConfig(kind, lr), l1: 0, l2: 0, dropout: 0, seed, ...extra };
}

async function train(data: Dataset, trials: TrialConfig[], options: Partial<CohortInit> & { epochs?: number; maxSteps?: number } = {}) {
  const ctx = await gpu();
  const device = uploadDataset(ctx, data, 'regress-data');
  const cohort = await Cohort.create(ctx, { id: 'regress', shape: shapeOf(trials[0]!, data.features, data.classes), trials, data: device, ringSlots: 4, evalBatch: 8, ...options });
  // Per slot, the batch losses of the steps it trained (a frozen slot rides along: not its steps).
  const losses: number[][] = Array.from({ length: cohort.T }, () => []);
  const result = await runCohort(ctx, cohort, {
    epochs: options.epochs ?? 3,
    maxSteps: options.maxSteps,
    timer: new GpuTimer(ctx),
    evaluateTest: true,
    onChunk: (chunk) => {
      for (let t = 0; t < cohort.T; t++) {
        if (cohort.isFrozen(t)) continue;
        for (let s = 0; s < chunk.steps; s++) losses[t]!.push(chunk.losses[s * cohort.T + t]!);
      }
    },
  });
  cohort.destroy();
  freeDataset(ctx, device);
  return { result, losses };
}

/** Slot `t`'s numbers: every loss, epoch metric and its final parameters. */
function slotNumbers(run: { result: CohortRunResult; losses: number[][] }, t: number, P: number) {
  return {
    losses: run.losses[t],
    epochs: run.result.epochs.filter((e) => e.slots.includes(t)).map((e) => [e.epoch, e.train[t], e.validation[t]]),
    test: run.result.test?.[t],
    params: Array.from(run.result.params.subarray(t * P, (t + 1) * P)),
  };
}

describe('regression', () => {
  for (const loss of [{ kind: 'mse' }, { kind: 'huber', delta: 0.8 }] as RegressionLoss[]) {
    it(`pins a 10-step ${loss.kind} trajectory of two trials to the float64 reference, with metrics in the target's units`, async () => {
      const data = regressionDataset(4);
      const trials = [trial('adam', 0.01, 1), trial('momentum', 0.05, 2, { l2: 0.01, dropout: 0.2 })];
      const { result, losses } = await train(data, trials, { loss, maxSteps: 10, epochs: 1 });
      const widths = [F, 6, 3, 1];
      const { P, nWeights } = parameterLayout(widths);
      const B = 5;
      const T = 2;
      const params = new Float64Array(T * P);
      trials.forEach((t, i) => params.set(initialParameters(widths, t.seed), i * P));
      const m = new Float64Array(T * P);
      const v = new Float64Array(T * P);
      const want: number[][] = [];
      for (let s = 0; s < 10; s++) {
        const x = new Float64Array(T * B * F);
        const y = new Float64Array(T * B);
        trials.forEach((t, i) => {
          const order = epochOrder(t.seed, 0, data.split.train, B, true);
          for (let b = 0; b < B; b++) {
            const row = order[s * B + b]!;
            y[i * B + b] = data.target![row]!;
            for (let f = 0; f < F; f++) x[(i * B + b) * F + f] = data.x[row * F + f]!;
          }
        });
        const drop = { rates: trials.map((t) => t.dropout), seeds: trials.map((t) => t.seed), steps: trials.map(() => s) };
        const pass = mlpStep(x, y, params, { widths, activation: 'tanh' }, T, B, drop, loss);
        want.push(Array.from(pass.loss));
        optimizerStep(params, pass.grads, m, v, trials, trials.map((t) => ({ lr: t.optimizer.lr, count: s + 1 })), P, nWeights);
      }
      expectRelativeError([...losses[0]!, ...losses[1]!], [...want.map((l) => l[0]!), ...want.map((l) => l[1]!)], 1e-4, 'losses');
      expectRelativeError(result.params, params, 1e-4, 'parameters');
      // Validation after step 10 in the target's own units, R² against the validation rows' mean.
      const { train: n0, validation: nv } = data.split;
      const outputs = forward(data.x.subarray(n0 * F, (n0 + nv) * F), params, widths, T, nv);
      const scale = data.targetScale!;
      const own = Array.from({ length: nv }, (_, i) => data.target![n0 + i]! * scale.std + scale.mean);
      const mean = own.reduce((a, b) => a + b, 0) / nv;
      const sst = own.reduce((a, b) => a + (b - mean) ** 2, 0);
      for (let t = 0; t < T; t++) {
        const errors = own.map((y, i) => outputs[t * nv + i]! * scale.std + scale.mean - y);
        const rmse = Math.sqrt(errors.reduce((a, e) => a + e * e, 0) / nv);
        const mae = errors.reduce((a, e) => a + Math.abs(e), 0) / nv;
        const r2 = 1 - errors.reduce((a, e) => a + e * e, 0) / sst;
        const got = result.epochs[0]!.validation[t]!;
        expect(got.rows).toBe(nv);
        expect(Number.isNaN(got.accuracy)).toBe(true);
        expectClose([got.rmse!, got.mae!, got.r2!], [rmse, mae, r2], { rtol: 1e-4, atol: 1e-4, label: `validation metrics t${t}` });
      }
      expect(result.test!.every((r) => r.rows === data.split.test && Number.isFinite(r.r2))).toBe(true);
    });
  }

  it('a regression trial trains to the same bits alone as in a cohort of three', async () => {
    const data = regressionDataset(6);
    const trials = [trial('adam', 0.01, 11), trial('sgd', 0.05, 12, { dropout: 0.2 }), trial('rmsprop', 0.003, 13)];
    const together = await train(data, trials);
    const alone = await train(data, [trials[1]!]);
    const P = parameterLayout([F, 6, 3, 1]).P;
    expect(slotNumbers(alone, 0, P)).toEqual(slotNumbers(together, 1, P));
  });

  it('refuses a network whose outputs do not match the task, and a regression loss on classes', async () => {
    const ctx = await gpu();
    const data = regressionDataset(2);
    const device = uploadDataset(ctx, data, 'regress-bad');
    const t = trial('adam', 0.01, 1);
    await expect(Cohort.create(ctx, { id: 'bad', shape: shapeOf(t, F, 3), trials: [t], data: device })).rejects.toThrow(/3 outputs, regression .* needs 1/);
    freeDataset(ctx, device);
    const classes = { ...data, task: 'classification' as const, classes: 2, target: undefined };
    const device2 = uploadDataset(ctx, classes, 'regress-bad');
    await expect(Cohort.create(ctx, { id: 'bad', shape: shapeOf(t, F, 2), trials: [t], data: device2, loss: { kind: 'mse' } })).rejects.toThrow(/regression loss was given for classification/);
    freeDataset(ctx, device2);
    expect(ctx.memory.bytes('bad/')).toBe(0);
  });
});

/** Float64 forward of T trials' networks over the same `rows` rows of x. */
function forward(x: ArrayLike<number>, params: Float64Array, widths: number[], T: number, rows: number): Float64Array {
  const { P, wBase, bBase } = parameterLayout(widths);
  const L = widths.length - 1;
  let h: Float64Array = Float64Array.from(x);
  for (let l = 0; l < L; l++) {
    h = denseForward(h, params, { T, B: rows, I: widths[l]!, O: widths[l + 1]!, P, wBase: wBase[l]!, bBase: bBase[l]! }, l === L - 1 ? 'linear' : 'tanh', l === 0 ? 0 : undefined);
  }
  return h;
}

/** The data set whose splits are fold `f`'s rows: its training rows, then its validation rows, then the test split. */
function foldAsDataset(data: Dataset, rows: SlotRows): Dataset {
  const { test } = data.split;
  const testRows = Array.from({ length: test }, (_, i) => data.split.train + data.split.validation + i);
  const order = [...rows.train, ...rows.validation, ...testRows];
  const x = new Float32Array(order.length * data.features);
  order.forEach((row, i) => x.set(data.x.subarray(row * data.features, (row + 1) * data.features), i * data.features));
  return {
    ...data,
    folds: undefined,
    x,
    y: Uint32Array.from(order, (row) => data.y[row]!),
    ...(data.target ? { target: Float32Array.from(order, (row) => data.target![row]!) } : {}),
    split: { train: rows.train.length, validation: rows.validation.length, test },
  };
}

function classificationFolds(seed: number, k: number): Dataset {
  const base = regressionDataset(seed, { train: 61, validation: 0, test: 9 }, k);
  const y = Uint32Array.from(base.target!, (v) => (v > 0.4 ? 2 : v > -0.3 ? 1 : 0));
  return { ...base, task: 'classification', classes: 3, y, target: undefined, targetScale: undefined };
}

describe('cross-validation folds as slots', () => {
  for (const task of ['regression', 'classification'] as const) {
    it(`${task}: every fold inside a cohort of k folds gives the same bits as that fold alone and as a data set of its own rows`, async () => {
      const k = 3;
      const data = task === 'regression' ? regressionDataset(8, { train: 61, validation: 0, test: 9 }, k) : classificationFolds(9, k);
      const config = trial('adam', 0.02, 5, { dropout: 0.1 });
      const rows = Array.from({ length: k }, (_, f) => foldRows(data, f));
      // Folds differ in size, so their epochs differ in steps.
      expect(new Set(rows.map((r) => Math.floor(r.train.length / config.batchSize))).size).toBeGreaterThan(1);
      const slotRows = (r: SlotRows[]) => ({ rows: r, maxValidationRows: largestFold(data) });
      const together = await train(data, rows.map(() => config), { slotRows: slotRows(rows) });
      const P = parameterLayout(shapeOf(config, F, data.classes).widths).P;
      for (let f = 0; f < k; f++) {
        const inCohort = slotNumbers(together, f, P);
        const alone = slotNumbers(await train(data, [config], { slotRows: slotRows([rows[f]!]) }), 0, P);
        expect(alone, `fold ${f} alone`).toEqual(inCohort);
        const own = foldAsDataset(data, rows[f]!);
        const plain = slotNumbers(await train(own, [config]), 0, P);
        expect(plain, `fold ${f} as its own data set`).toEqual(inCohort);
        expect(inCohort.epochs).toHaveLength(3);
        expect((inCohort.epochs[0]![2] as { rows: number }).rows).toBe(rows[f]!.validation.length);
      }
      // Different rows, different numbers.
      expect(slotNumbers(together, 0, P).params).not.toEqual(slotNumbers(together, 1, P).params);
    });
  }

  it('a fold refilled into a freed slot, and a fold moved into a smaller cohort, train on bit for bit', async () => {
    const ctx = await gpu();
    const k = 4;
    const data = regressionDataset(12, { train: 70, validation: 0, test: 5 }, k);
    const device = uploadDataset(ctx, data, 'cv-slots');
    const config = trial('rmsprop', 0.01, 7);
    const other = trial('adam', 0.02, 8);
    const rows = Array.from({ length: k }, (_, f) => foldRows(data, f));
    const slotRows = { rows: [rows[0]!, rows[1]!], maxValidationRows: largestFold(data) };
    const timer = new GpuTimer(ctx);
    const shape = shapeOf(config, F, 1);
    const P = parameterLayout(shape.widths).P;
    // Slot 1 trains another trial for an epoch; then fold 2 of `config` replaces it.
    const cohort = await Cohort.create(ctx, { id: 'cv-big', shape, trials: [config, other], slots: 3, data: device, slotRows, evalBatch: 8, reserve: { m: true, v: true } });
    await runCohort(ctx, cohort, { epochs: 1, timer });
    cohort.release(1);
    cohort.assign(1, config, undefined, rows[2]);
    cohort.assign(2, config, undefined, rows[3]);
    expect(cohort.slotRows(1)).toBe(rows[2]);
    const spe = (f: number) => Math.floor(rows[f]!.train.length / config.batchSize);
    // Train fold 2 (slot 1) one epoch, then move it and fold 3 (slot 2) into a cohort of two.
    while (cohort.slot(1).steps < spe(2)) {
      const result = await advance(ctx, cohort, Math.min(cohort.stepsToEpochEnd(), spe(2) - cohort.slot(1).steps), { timer });
      expect(result.steps).toBeGreaterThan(0);
    }
    const small = await Cohort.create(ctx, { id: 'cv-small', shape, trials: [], slots: 2, data: device, slotRows: { rows: [], maxValidationRows: largestFold(data) }, evalBatch: 8, reserve: { m: true, v: true } });
    small.adopt(cohort, 1, 0);
    small.adopt(cohort, 2, 1);
    cohort.destroy();
    const moved = await runCohort(ctx, small, { epochs: 3, timer });
    const validation = await evaluateCohort(ctx, small, 'validation');
    const params = await small.readParams();
    small.destroy();
    freeDataset(ctx, device);
    for (const [slot, f] of [
      [0, 2],
      [1, 3],
    ] as const) {
      const alone = await train(data, [config], { slotRows: { rows: [rows[f]!], maxValidationRows: largestFold(data) } });
      expect(Array.from(params.subarray(slot * P, (slot + 1) * P)), `fold ${f}`).toEqual(Array.from(alone.result.params));
      expect(validation[slot]).toEqual(alone.result.epochs.at(-1)!.validation[0]);
    }
    expect(moved.stepsDone).toBeGreaterThan(0);
  });

  it('refuses rows a slot cannot take, naming the slot', async () => {
    const ctx = await gpu();
    const data = regressionDataset(3, { train: 40, validation: 0, test: 5 }, 2);
    const device = uploadDataset(ctx, data, 'cv-bad');
    const config = trial('adam', 0.01, 1);
    const shape = shapeOf(config, F, 1);
    const few = { train: Uint32Array.of(1, 2, 3), validation: Uint32Array.of(4) };
    await expect(Cohort.create(ctx, { id: 'cv-bad', shape, trials: [config], data: device, slotRows: { rows: [few], maxValidationRows: 10 } })).rejects.toThrow(/slot 0: batch size 5 exceeds the 3 training rows it was given/);
    const plain = await Cohort.create(ctx, { id: 'cv-bad', shape, trials: [config], data: device });
    expect(() => plain.assign(0, config, undefined, foldRows(data, 0))).toThrow(/created without slotRows/);
    plain.destroy();
    const cv = await Cohort.create(ctx, { id: 'cv-bad', shape, trials: [config], data: device, slotRows: { rows: [foldRows(data, 0)], maxValidationRows: 3 } }).catch((e: Error) => e);
    expect(String(cv)).toMatch(/slot 0 validates on \d+ rows, more than the cohort's 3/);
    freeDataset(ctx, device);
    expect(ctx.memory.bytes('cv-bad/')).toBe(0);
  });
});
