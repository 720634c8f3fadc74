// PyTorch replays fusetune's --no-shuffle training step for step: the same initial weights and
// batches, torch.optim with the same settings, torch.nn's CrossEntropyLoss, MSELoss or HuberLoss.
// Losses and final weights agree to 1e-4.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cohort } from '../../src/engine/cohort.ts';
import { freeDataset, uploadDataset } from '../../src/engine/device-dataset.ts';
import { initialParameters } from '../../src/engine/init.ts';
import { runCohort } from '../../src/engine/train.ts';
import { GpuTimer } from '../../src/gpu/timing.ts';
import { shapeOf } from '../../src/model/cohort-layout.ts';
import type { RegressionLoss } from '../../src/model/loss.ts';
import { optimizerConfig, type OptimizerConfig, type TrialConfig } from '../../src/model/trial-config.ts';
import { decodeSafetensors, encodeSafetensors, mlpParams, mlpTensors } from '../../src/store/safetensors.ts';
import { expectRelativeError } from '../helpers/close.ts';
import { gpu } from '../helpers/gpu.ts';
import { torchReplay } from '../helpers/torch.ts';
import { findPython } from './optuna-helpers.ts';
import { regressionDataset } from '../helpers/regression-data.ts';

const { python, reason } = findPython(['torch']);
if (!python) console.warn(`torch replay skipped: ${reason}`);

const BIN = join(import.meta.dirname, '../../bin/fusetune.js');

describe.skipIf(!python)('PyTorch replays fusetune training', () => {
  it('fusetune train --no-shuffle on a CSV of classes: torch.nn.CrossEntropyLoss with torch.optim.Adam', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusetune-torch-cli-'));
    const rows = 30;
    const F = 3;
    const data = Array.from({ length: rows }, (_, i) => [Math.sin(i), Math.cos(3 * i), (i % 7) / 7, i % 3]);
    writeFileSync(join(dir, 'data.csv'), ['a,b,c,label', ...data.map((r) => r.join(','))].join('\n'));
    const widths = [F, 6, 3];
    const init = initialParameters(widths, 41);
    writeFileSync(join(dir, 'init.safetensors'), encodeSafetensors(mlpTensors(init, widths)));
    const args = ['--layers', '6', '--act', 'relu', '--optimizer', 'adam', '--lr', '0.02', '--batch', '7', '--epochs', '2', '--no-shuffle'];
    const run = spawnSync(process.execPath, [BIN, 'train', '--data', `csv:${join(dir, 'data.csv')}`, ...args, '--init', join(dir, 'init.safetensors'), '--save', join(dir, 'out.safetensors'), '--json'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const epochs = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { epoch?: number; trainLoss?: number })
      .filter((e) => e.epoch !== undefined);
    const trained = mlpParams(decodeSafetensors(readFileSync(join(dir, 'out.safetensors'))).tensors, widths);
    const torch = torchReplay(python!, {
      widths,
      activation: 'relu',
      optimizer: optimizerConfig('adam', 0.02),
      loss: { kind: 'xent' },
      batch: 7,
      steps: 8,
      init,
      x: data.flatMap((r) => r.slice(0, F)),
      y: data.map((r) => r[F]!),
    });
    // An epoch's training loss is the mean of its 4 batch losses.
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expectRelativeError(
      epochs.map((e) => e.trainLoss!),
      [mean(torch.losses.slice(0, 4)), mean(torch.losses.slice(4))],
      1e-4,
      'epoch losses',
    );
    expectRelativeError(trained, torch.params, 1e-4, 'weights after 8 steps');
  });

  const cases: [RegressionLoss, OptimizerConfig][] = [
    [{ kind: 'mse' }, optimizerConfig('adam', 0.01)],
    [{ kind: 'huber', delta: 0.6 }, optimizerConfig('momentum', 0.03, { nesterov: true, dampening: 0 })],
    [{ kind: 'mse' }, optimizerConfig('rmsprop', 0.003, { momentum: 0.5 })],
  ];
  for (const [loss, optimizer] of cases) {
    it(`regression, batches in row order: torch.nn.${loss.kind === 'mse' ? 'MSELoss' : 'HuberLoss'} with ${optimizer.kind}`, async () => {
      const ctx = await gpu();
      const data = regressionDataset(31, { train: 45, validation: 10, test: 0 });
      const config: TrialConfig = { hidden: [7, 5], activation: 'tanh', batchSize: 8, epochs: 2, optimizer, l1: 0, l2: 0, dropout: 0, seed: 3 };
      const shape = shapeOf(config, data.features, 1);
      const init = initialParameters(shape.widths, config.seed);
      const device = uploadDataset(ctx, data, 'torch-data');
      const cohort = await Cohort.create(ctx, { id: 'torch', shape, trials: [config], data: device, loss, shuffle: false, ringSlots: 3 });
      const losses: number[] = [];
      const result = await runCohort(ctx, cohort, { epochs: 2, timer: new GpuTimer(ctx), onChunk: (c) => losses.push(...c.losses) });
      cohort.destroy();
      freeDataset(ctx, device);
      const n = data.split.train;
      const torch = torchReplay(python!, {
        widths: shape.widths,
        activation: 'tanh',
        optimizer,
        loss,
        batch: 8,
        steps: losses.length,
        init,
        x: data.x.subarray(0, n * data.features),
        y: data.target!.subarray(0, n),
      });
      expect(losses).toHaveLength(10);
      expectRelativeError(losses, torch.losses, 1e-4, 'batch losses');
      expectRelativeError(result.params, torch.params, 1e-4, 'weights after 10 steps');
    });
  }
});
