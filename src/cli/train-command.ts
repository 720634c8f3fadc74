// `fusetune train`: one trial from flags, with optional start weights and saved weights (safetensors).
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDatasetNode } from '../data/node.ts';
import { dataSpecSchema, SYNTHETIC_KINDS, type DataSpecInput } from '../data/spec.ts';
import { Cohort } from '../engine/cohort.ts';
import { uploadDataset } from '../engine/device-dataset.ts';
import { shapeOf } from '../model/cohort-layout.ts';
import { runCohort } from '../engine/train.ts';
import { adapterName } from '../gpu/adapter-report.ts';
import { acquireNodeGpu } from '../gpu/node-gpu.ts';
import { GpuTimer } from '../gpu/timing.ts';
import { MATMUL_VARIANTS, preferredMatmulVariant, type MatmulVariant } from '../kernels/shaders.ts';
import { ACTIVATIONS, OPTIMIZERS, TRIAL_DEFAULTS, type TrialConfig } from '../model/trial-config.ts';
import { StudyError } from '../search/errors.ts';
import type { Params, Scalar } from '../search/space.ts';
import { toTrialConfig } from '../search/to-trial-config.ts';
import { writeAtomic } from '../store/node-store.ts';
import { decodeSafetensors, encodeSafetensors, mlpParams, mlpTensors } from '../store/safetensors.ts';
import { fmt, pct, table } from './format.ts';

export const TRAIN_USAGE = `Usage: fusetune train [options]

Trains one network (a single trial) and reports loss and accuracy per epoch.

  --data SET          mnist, mnist:196, mnist:49 (pixels), ${SYNTHETIC_KINDS.join(', ')}, or csv:PATH (default mnist)
  --layers W,W,...    hidden layer widths, e.g. 128,64 (default ${TRIAL_DEFAULTS.units}; "" or 0 for none)
  --act NAME          ${ACTIVATIONS.join(' | ')} (default ${TRIAL_DEFAULTS.activation})
  --optimizer NAME    ${OPTIMIZERS.join(' | ')} (default ${TRIAL_DEFAULTS.optimizer})
  --lr X              learning rate (default ${TRIAL_DEFAULTS.lr})
  --momentum X        SGD/RMSprop momentum (momentum default 0.9)
  --weight-decay X    AdamW decoupled weight decay (default 0.01)
  --batch N           batch size (default ${TRIAL_DEFAULTS.batch_size})
  --epochs N          epochs (default ${TRIAL_DEFAULTS.epochs})
  --steps N           stop after N optimizer steps
  --no-shuffle        batches are the rows in order (batch i = rows i·B … i·B+B−1), so a step can be
                      replayed exactly elsewhere; the reported loss is the batch-mean cross-entropy
  --dropout P         inverted dropout after every hidden layer (default 0)
                      (defaults are those of a study's trials: see docs/study-format.md)
  --l1 X, --l2 X      L1 / L2 penalties on weights (default 0)
  --init FILE         start from these weights (.safetensors, torch nn.Linear layout)
  --save FILE         write the final weights (.safetensors, layers.{i}.weight [out, in], layers.{i}.bias [out])
  --seed S            seed for the initial weights, batch order and dropout (default 0)
  --standardize       CSV: z-score each feature with the training rows' mean and std (default: as given)
  --val FRACTION      CSV: hold out the last FRACTION of the rows for validation (default 0: all rows train)
  --matmul VARIANT    matmul core of the dense kernels: ${MATMUL_VARIANTS.join(', ')} (default: reg8x8 on a
                      software adapter, shared on a GPU)
  --json              one JSON object per epoch and a final one, instead of the table`;

function dataSpec(data: string, standardize: boolean, validation: number | undefined): DataSpecInput {
  if (data.startsWith('csv:')) return { kind: 'csv', path: resolve(data.slice(4)), standardize, validation: validation ?? 0 };
  if (standardize || validation !== undefined) throw new Error('--standardize and --val apply to csv: data only');
  const [kind, pixels] = data.split(':');
  if (kind === 'mnist') return pixels ? { kind: 'mnist', pixels: Number(pixels) as 784 } : { kind: 'mnist' };
  if ((SYNTHETIC_KINDS as readonly string[]).includes(kind!)) return { kind: kind as (typeof SYNTHETIC_KINDS)[number] };
  throw new Error(`--data ${data}: expected mnist, mnist:196, mnist:49, ${SYNTHETIC_KINDS.join(', ')} or csv:PATH`);
}

function number(name: string, value: string | undefined, fallback: number, check: (x: number) => boolean = Number.isFinite): number {
  if (value === undefined) return fallback;
  const x = Number(value);
  if (!check(x)) throw new Error(`--${name} ${value}: not a valid value`);
  return x;
}

function choice<T extends string>(name: string, value: string | undefined, options: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(options as readonly string[]).includes(value)) throw new Error(`--${name} ${value}: expected one of ${options.join(', ')}`);
  return value as T;
}

export async function trainCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      layers: { type: 'string' },
      act: { type: 'string' },
      optimizer: { type: 'string' },
      lr: { type: 'string' },
      momentum: { type: 'string' },
      'weight-decay': { type: 'string' },
      batch: { type: 'string' },
      epochs: { type: 'string' },
      steps: { type: 'string' },
      'no-shuffle': { type: 'boolean' },
      dropout: { type: 'string' },
      l1: { type: 'string' },
      l2: { type: 'string' },
      init: { type: 'string' },
      save: { type: 'string' },
      seed: { type: 'string' },
      standardize: { type: 'boolean' },
      val: { type: 'string' },
      matmul: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(TRAIN_USAGE);
    return 0;
  }
  const positiveInt = (x: number) => Number.isInteger(x) && x >= 1;
  // The flags name hyperparameters; the config is built by the same function, with the same
  // defaults and rules, as a study's trials (toTrialConfig), so `train` and `run` agree.
  const params: Params = {};
  const flagOf: Record<string, string> = {};
  const set = (name: string, flag: string, value: Scalar | undefined) => {
    if (value === undefined) return;
    params[name] = value;
    flagOf[name] = flag;
  };
  if (values.layers !== undefined) {
    const hidden = values.layers.split(',').map((w) => w.trim()).filter((w) => w !== '' && w !== '0');
    set('layers', 'layers', hidden.length);
    hidden.forEach((w, i) => set(`units_${i + 1}`, 'layers', number('layers', w, 0, positiveInt)));
  }
  set('activation', 'act', values.act);
  set('optimizer', 'optimizer', values.optimizer);
  set('lr', 'lr', values.lr === undefined ? undefined : number('lr', values.lr, 0));
  set('momentum', 'momentum', values.momentum === undefined ? undefined : number('momentum', values.momentum, 0));
  set('weight_decay', 'weight-decay', values['weight-decay'] === undefined ? undefined : number('weight-decay', values['weight-decay'], 0));
  set('batch_size', 'batch', values.batch === undefined ? undefined : number('batch', values.batch, 0));
  set('epochs', 'epochs', values.epochs === undefined ? undefined : number('epochs', values.epochs, 0));
  set('dropout', 'dropout', values.dropout === undefined ? undefined : number('dropout', values.dropout, 0));
  set('l1', 'l1', values.l1 === undefined ? undefined : number('l1', values.l1, 0));
  set('l2', 'l2', values.l2 === undefined ? undefined : number('l2', values.l2, 0));
  const seed = number('seed', values.seed, 0, (x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32);
  let config: TrialConfig;
  try {
    config = toTrialConfig(params, { seed });
  } catch (error) {
    if (!(error instanceof StudyError)) throw error;
    // Name the flag, not the hyperparameter: `--lr 0: must be > 0 (got 0)`.
    throw new StudyError(
      error.issues.map((issue) => {
        const name = issue.path.replace(/^params\./, '');
        return { path: `--${flagOf[name] ?? name}`, message: issue.message };
      }),
      'invalid flags',
    );
  }
  const kind = config.optimizer.kind;
  const maxSteps = values.steps === undefined ? undefined : number('steps', values.steps, 0, positiveInt);
  const validation = values.val === undefined ? undefined : number('val', values.val, 0, (x) => x >= 0 && x < 1);
  const spec = dataSpecSchema.parse(dataSpec(values.data ?? 'mnist', values.standardize ?? false, validation));
  const dataset = await loadDatasetNode(spec);
  if (config.batchSize > dataset.split.train) throw new Error(`--batch ${config.batchSize} exceeds the ${dataset.split.train} training rows of ${dataset.name}`);
  const shape = shapeOf(config, dataset.features, dataset.classes);
  const initial = values.init ? mlpParams(decodeSafetensors(readFileSync(values.init)).tensors, shape.widths) : undefined;

  const ctx = await acquireNodeGpu();
  try {
    const data = uploadDataset(ctx, dataset);
    const matmul = choice<MatmulVariant>('matmul', values.matmul, MATMUL_VARIANTS, preferredMatmulVariant(ctx.report));
    const cohort = await Cohort.create(ctx, { id: 'train', shape, trials: [config], data, shuffle: !values['no-shuffle'], initial: [initial], matmul });
    const log = (line: string) => (values.json ? undefined : console.log(line));
    log(`${dataset.description}`);
    log(`${shape.widths.join('-')} ${config.activation}, ${kind} lr ${config.optimizer.lr}, batch ${config.batchSize} on ${adapterName(ctx.report)}`);
    const rows: string[][] = [];
    let lastLoss = NaN;
    const result = await runCohort(ctx, cohort, {
      epochs: config.epochs,
      maxSteps,
      timer: new GpuTimer(ctx),
      evaluateTest: true,
      onChunk: (chunk) => (lastLoss = chunk.losses[chunk.steps - 1]!),
      onEpoch: (e) => {
        const line = { epoch: e.epoch + 1, steps: e.stepsDone, lastBatchLoss: lastLoss, trainLoss: e.train[0]!.loss, trainAccuracy: e.train[0]!.accuracy, valLoss: e.validation[0]!.loss, valAccuracy: e.validation[0]!.accuracy };
        if (values.json) console.log(JSON.stringify({ type: 'epoch', ...line }));
        rows.push([String(line.epoch), String(line.steps), fmt(line.lastBatchLoss, 6), fmt(line.trainLoss, 4), pct(line.trainAccuracy), fmt(line.valLoss, 4), pct(line.valAccuracy)]);
      },
    });
    const status = result.status[0]!;
    const stepMs = result.stepsDone > 0 ? result.trainMs / result.stepsDone : NaN;
    const final = {
      type: 'final',
      state: status.diverged ? 'diverged' : 'done',
      divergedStep: status.divergedStep,
      steps: result.stepsDone,
      stepMs,
      samplesPerSec: (config.batchSize / stepMs) * 1000,
      test: result.test?.[0] ?? null,
      adapter: adapterName(ctx.report),
    };
    if (values.save) {
      const widths = shape.widths;
      writeAtomic(values.save, encodeSafetensors(mlpTensors(result.params, widths), { widths: widths.join(','), activation: config.activation, data: dataset.name }));
    }
    if (values.json) console.log(JSON.stringify(final));
    else {
      console.log(table(['epoch', 'steps', 'last batch loss', 'train loss', 'train acc', 'val loss', 'val acc'], rows));
      console.log(
        `${final.state === 'diverged' ? `diverged at step ${final.divergedStep}` : 'done'}: ${final.steps} steps, ${fmt(stepMs)} ms/step, ` +
          `${Math.round(final.samplesPerSec)} samples/s; test accuracy ${pct(final.test?.accuracy)} (${final.test?.rows ?? 0} rows)` +
          (values.save ? `; weights in ${basename(values.save)}` : ''),
      );
    }
    return final.state === 'done' ? 0 : 1;
  } finally {
    ctx.destroy();
  }
}
