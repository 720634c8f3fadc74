// The fused engine against PyTorch itself (python3-torch): every optimizer, trained in one cohort from
// the same weights on the same unshuffled batches, gives torch.optim's losses and weights.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.ts';
import { Cohort } from '../../src/engine/cohort.ts';
import { uploadDataset } from '../../src/engine/device-dataset.ts';
import { initialParameters } from '../../src/engine/init.ts';
import { runCohort } from '../../src/engine/train.ts';
import { GpuTimer } from '../../src/gpu/timing.ts';
import { shapeOf } from '../../src/model/cohort-layout.ts';
import { parameterLayout } from '../../src/model/parameter-layout.ts';
import { optimizerConfig, type OptimizerConfig, type OptimizerKind, type TrialConfig } from '../../src/model/trial-config.ts';
import { Rng } from '../../src/util/random.ts';
import { expectRelativeError } from '../helpers/close.ts';
import { gpu } from '../helpers/gpu.ts';
import { findPython, runPython } from './optuna-helpers.ts';

const { python } = findPython(['torch']);
if (!python) console.log('torch-replay: skipping the PyTorch replay: no python3 here imports torch (apt-get install python3-torch)');

const F = 4;
const C = 3;
const B = 6;

/** torch.optim over nn.Linear layers (kernel layout in and out), float64, batch i = rows i·B … i·B+B−1. */
const SCRIPT = `
import json, sys, torch
torch.set_default_dtype(torch.float64)
spec = json.load(open(sys.argv[1]))
widths, B, steps = spec['widths'], spec['batch'], spec['steps']
x = torch.tensor(spec['x']).reshape(-1, widths[0])
y = torch.tensor(spec['y'], dtype=torch.long)
per_epoch = spec['trainRows'] // B
out = []
for trial in spec['trials']:
    params, o = trial['params'], trial['optimizer']
    layers, at = [], 0
    for i, o_ in zip(widths, widths[1:]):
        lin = torch.nn.Linear(i, o_)
        lin.weight.data = torch.tensor(params[at:at + i * o_]).reshape(i, o_).t().contiguous()
        at += i * o_
        layers.append(lin)
    for lin in layers:
        lin.bias.data = torch.tensor(params[at:at + lin.out_features])
        at += lin.out_features
    modules = []
    for l, lin in enumerate(layers):
        modules.append(lin)
        if l < len(layers) - 1:
            modules.append(torch.nn.Tanh())
    model = torch.nn.Sequential(*modules)
    # Our l2 is torch's weight_decay on the weights only (biases in a group without it).
    groups = [{'params': [lin.weight for lin in layers], 'weight_decay': trial['l2']}, {'params': [lin.bias for lin in layers], 'weight_decay': 0.0}]
    kind = o['kind']
    if kind in ('sgd', 'momentum'):
        opt = torch.optim.SGD(groups, lr=o['lr'], momentum=o['momentum'], dampening=o['dampening'], nesterov=o['nesterov'])
    elif kind == 'rmsprop':
        opt = torch.optim.RMSprop(groups, lr=o['lr'], alpha=o['alpha'], eps=o['eps'], momentum=o['momentum'])
    elif kind == 'adam':
        opt = torch.optim.Adam(groups, lr=o['lr'], betas=(o['beta1'], o['beta2']), eps=o['eps'])
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=o['lr'], betas=(o['beta1'], o['beta2']), eps=o['eps'], weight_decay=o['weightDecay'])
    losses = []
    for s in range(steps):
        first = (s % per_epoch) * B
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x[first:first + B]), y[first:first + B])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    flat = [lin.weight.detach().t().reshape(-1) for lin in layers] + [lin.bias.detach() for lin in layers]
    out.append({'losses': losses, 'params': torch.cat(flat).tolist()})
print(json.dumps(out))
`;

function dataset(): Dataset {
  const rng = new Rng(11);
  const split = { train: 24, validation: 6, test: 6 };
  const n = split.train + split.validation + split.test;
  const x = rng.floats(n * F);
  const y = Uint32Array.from({ length: n }, (_, i) => (x[i * F]! > 0 ? (x[i * F + 1]! > 0 ? 2 : 1) : 0));
  return { name: 'torch-replay', description: 'torch replay rows', task: 'classification', features: F, classes: C, x, y, split };
}

const cases: [OptimizerKind, Partial<OptimizerConfig>, number][] = [
  ['sgd', {}, 0],
  ['sgd', { momentum: 0.9 }, 0],
  ['sgd', { momentum: 0.9, dampening: 0.3 }, 0.01],
  ['sgd', { momentum: 0.8, nesterov: true }, 0.01],
  ['momentum', {}, 0],
  ['rmsprop', { momentum: 0.5 }, 0.001],
  ['adam', {}, 0.001],
  ['adamw', { weightDecay: 0.05 }, 0],
];

describe('the engine replayed by PyTorch', () => {
  it.skipIf(!python)('every optimizer, sgd with momentum, dampening and nesterov included, matches torch.optim over two epochs', async () => {
    const data = dataset();
    const lr = (kind: OptimizerKind) => (kind === 'sgd' || kind === 'momentum' ? 0.1 : 0.01);
    const trials: TrialConfig[] = cases.map(([kind, o, l2], t) => ({ hidden: [7], activation: 'tanh', batchSize: B, epochs: 2, optimizer: optimizerConfig(kind, lr(kind), o), l1: 0, l2, dropout: 0, seed: 40 + t }));
    const widths = [F, 7, C];
    const initial = trials.map((t) => initialParameters(widths, t.seed));
    const ctx = await gpu();
    const device = uploadDataset(ctx, data, 'torch-replay-data');
    const cohort = await Cohort.create(ctx, { id: 'torch-replay', shape: shapeOf(trials[0]!, F, C), trials, data: device, shuffle: false, initial });
    const losses: number[][] = trials.map(() => []);
    const result = await runCohort(ctx, cohort, {
      epochs: 2,
      timer: new GpuTimer(ctx),
      onChunk: (chunk) => {
        for (let s = 0; s < chunk.steps; s++) trials.forEach((_, t) => losses[t]!.push(chunk.losses[s * cohort.T + t]!));
      },
    });
    cohort.destroy();
    ctx.memory.freePrefix('torch-replay-data/');
    const steps = 2 * Math.floor(data.split.train / B);
    expect(result.stepsDone).toBe(steps);

    const { P } = parameterLayout(widths);
    const spec = { widths, batch: B, steps, trainRows: data.split.train, x: Array.from(data.x), y: Array.from(data.y), trials: trials.map((t, i) => ({ optimizer: t.optimizer, l2: t.l2, params: Array.from(initial[i]!) })) };
    const torch = runPython(python!, SCRIPT, [writeSpec(spec)]) as { losses: number[]; params: number[] }[];
    trials.forEach((t, i) => {
      const label = `${t.optimizer.kind} ${JSON.stringify(cases[i]![1])}`;
      expectRelativeError(losses[i]!, torch[i]!.losses, 1e-4, `${label}: losses`);
      const ours = Array.from(result.params.subarray(i * P, i * P + torch[i]!.params.length));
      expectRelativeError(ours, torch[i]!.params, 1e-4, `${label}: weights`);
      // What the optimizer changed, compared on its own, so a small update cannot hide in the weights.
      const moved = (p: readonly number[]) => p.map((w, k) => w - initial[i]![k]!);
      expectRelativeError(moved(ours), moved(torch[i]!.params), 1e-3, `${label}: update`);
    });
  });
});

function writeSpec(spec: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'fusetune-torch-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'spec.json');
  writeFileSync(file, JSON.stringify(spec));
  return file;
}
