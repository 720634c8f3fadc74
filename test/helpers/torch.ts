// PyTorch as the independent oracle: replays fusetune's --no-shuffle training steps (test/helpers/torch-replay.py).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegressionLoss } from '../../src/model/loss.ts';
import { parameterLayout } from '../../src/model/parameter-layout.ts';
import type { Activation, OptimizerConfig } from '../../src/model/trial-config.ts';

const SCRIPT = join(import.meta.dirname, 'torch-replay.py');

export interface TorchReplay {
  widths: number[];
  activation: Activation;
  optimizer: OptimizerConfig;
  /** Softmax cross-entropy on class labels, or a regression loss on targets. */
  loss: { kind: 'xent' } | RegressionLoss;
  batch: number;
  steps: number;
  /** Starting parameters in the kernels' layout. */
  init: ArrayLike<number>;
  /** The training rows [n][F] and their labels or (standardized) targets, in order. */
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

/** Runs the replay in PyTorch (float32): every step's batch loss and the final parameters in the kernels' layout. */
export function torchReplay(python: string, replay: TorchReplay): { losses: number[]; params: number[] } {
  const { P, wBase, bBase } = parameterLayout(replay.widths);
  const dir = mkdtempSync(join(tmpdir(), 'fusetune-torch-'));
  try {
    const spec = join(dir, 'spec.json');
    writeFileSync(spec, JSON.stringify({ ...replay, init: Array.from(replay.init), x: Array.from(replay.x), y: Array.from(replay.y), P, wBase, bBase }));
    const run = spawnSync(python, ['-W', 'ignore', SCRIPT, spec], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (run.status !== 0) throw new Error(`torch replay failed (${run.status}):\n${run.stderr}`);
    return JSON.parse(run.stdout) as { losses: number[]; params: number[] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
