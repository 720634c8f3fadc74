// predictRows: a trained trial's forward pass on new rows agrees with the float64 reference and with
// the cohort's own evaluation, in chunks of any size.
import { expect, it } from 'vitest';
import { Cohort } from '../../src/engine/cohort.ts';
import { freeDataset, uploadDataset } from '../../src/engine/device-dataset.ts';
import { predictRows } from '../../src/engine/predict.ts';
import { runCohort } from '../../src/engine/train.ts';
import { GpuTimer } from '../../src/gpu/timing.ts';
import { denseForward } from '../../src/kernels/reference.ts';
import { shapeOf } from '../../src/model/cohort-layout.ts';
import { parameterLayout } from '../../src/model/parameter-layout.ts';
import { optimizerConfig, type TrialConfig } from '../../src/model/trial-config.ts';
import { expectRelativeError } from '../helpers/close.ts';
import { gpu } from '../helpers/gpu.ts';
import { regressionDataset } from '../helpers/regression-data.ts';

it('predicts a trained regression trial: the reference forward, the cohort’s validation RMSE, any chunk size', async () => {
  const ctx = await gpu();
  const data = regressionDataset(21, { train: 60, validation: 23, test: 0 });
  const config: TrialConfig = { hidden: [9], activation: 'relu', batchSize: 6, epochs: 2, optimizer: optimizerConfig('adam', 0.02), l1: 0, l2: 0, dropout: 0, seed: 4 };
  const shape = shapeOf(config, data.features, 1);
  const device = uploadDataset(ctx, data, 'predict-data');
  const cohort = await Cohort.create(ctx, { id: 'predict-cohort', shape, trials: [config], data: device });
  const result = await runCohort(ctx, cohort, { epochs: 2, timer: new GpuTimer(ctx) });
  cohort.destroy();
  freeDataset(ctx, device);
  const { train, validation } = data.split;
  const x = data.x.slice(train * data.features, (train + validation) * data.features);
  const before = ctx.memory.bytes();
  const whole = await predictRows(ctx, shape, result.params, x);
  const chunked = await predictRows(ctx, shape, result.params, x, { chunkRows: 7 });
  expect(ctx.memory.bytes()).toBe(before);
  expect(Array.from(chunked)).toEqual(Array.from(whole));
  // The float64 reference forward of the same weights.
  const { P, wBase, bBase } = parameterLayout(shape.widths);
  const hidden = denseForward(x, result.params, { T: 1, B: validation, I: data.features, O: 9, P, wBase: wBase[0]!, bBase: bBase[0]! }, 'relu');
  const want = denseForward(hidden, result.params, { T: 1, B: validation, I: 9, O: 1, P, wBase: wBase[1]!, bBase: bBase[1]! }, 'linear');
  expectRelativeError(whole, want, 1e-5, 'outputs');
  // In the target's own units, the RMSE the cohort reported for the last epoch.
  const scale = data.targetScale!;
  const sq = Array.from(whole).reduce((sum, z, i) => sum + ((z - data.target![train + i]!) * scale.std) ** 2, 0);
  expect(Math.sqrt(sq / validation)).toBeCloseTo(result.epochs.at(-1)!.validation[0]!.rmse!, 4);
});

it('refuses parameters of another network and rows of another width', async () => {
  const ctx = await gpu();
  const shape = { widths: [3, 4, 2], activation: 'tanh' as const };
  await expect(predictRows(ctx, shape, new Float32Array(5), new Float32Array(6))).rejects.toThrow(/5 parameters given, the 3-4-2 network has 28/);
  await expect(predictRows(ctx, shape, new Float32Array(28), new Float32Array(7))).rejects.toThrow(/7 input values are not whole rows of 3 features/);
});
