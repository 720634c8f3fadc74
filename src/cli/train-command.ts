// `fusetune train`: one trial from flags, with optional start weights and saved weights (safetensors).
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadDatasetNode } from '../data/node.ts';
import { checkDeviceFit } from '../data/table-dataset.ts';
import { dataSpecSchema, SYNTHETIC_KINDS, type DataSpec, type DataSpecInput } from '../data/spec.ts';
import type { Dataset } from '../data/dataset.ts';
import { Cohort, type MetricsRead } from '../engine/cohort.ts';
import { DEFAULT_HUBER_DELTA, type RegressionLoss } from '../model/loss.ts';
import { uploadDataset } from '../engine/device-dataset.ts';
import { shapeOf } from '../model/cohort-layout.ts';
import { runCohort } from '../engine/train.ts';
import { adapterName } from '../gpu/adapter-report.ts';
import { acquireNodeGpu } from '../gpu/node-gpu.ts';
import { GpuTimer } from '../gpu/timing.ts';
import { MATMUL_VARIANTS, preferredMatmulVariant, type MatmulVariant } from '../kernels/shaders.ts';
import { batchTooLarge } from '../model/steps.ts';
import { ACTIVATIONS, OPTIMIZERS, TRIAL_DEFAULTS, type TrialConfig } from '../model/trial-config.ts';
import { issueMessage, StudyError, type StudyIssue } from '../search/errors.ts';
import { unusedSettingProblem } from '../search/hyperparameters.ts';
import type { Params, Scalar } from '../search/space.ts';
import { toTrialConfig } from '../search/to-trial-config.ts';
import { checkOutputFile, writeAtomic } from '../store/node-store.ts';
import { decodeSafetensors, encodeSafetensors, mlpParams, mlpTensorNames, mlpTensors, SafetensorsError, type Tensor } from '../store/safetensors.ts';
import { DIVERGENCE_FACTOR, explosion } from '../study/divergence.ts';
import { chanceLoss } from '../model/loss.ts';
import { InputError } from '../util/input-error.ts';
import { fmt, pct, table } from './format.ts';
import { decimalFlag, joinNegativeValues } from './flags.ts';

export const TRAIN_USAGE = `Usage: fusetune train [options]

Trains one network (a single trial) and reports loss and accuracy per epoch.

  --data SET          mnist, mnist:196, mnist:49 (pixels), ${SYNTHETIC_KINDS.join(', ')}, csv:PATH, or table:PATH
                      (CSV, TSV, JSON records, Arrow, Parquet; with --target; see docs/data.md) (default mnist)
  --target COL        table: the column to predict (its task guessed, as a study's data.task left out)
  --layers W,W,...    hidden layer widths, e.g. 128,64 (default ${TRIAL_DEFAULTS.units}; "" or 0 alone for none)
  --act NAME          ${ACTIVATIONS.join(' | ')} (default ${TRIAL_DEFAULTS.activation})
  --optimizer NAME    ${OPTIMIZERS.join(' | ')} (default ${TRIAL_DEFAULTS.optimizer})
  --lr X              learning rate (default ${TRIAL_DEFAULTS.lr})
  --momentum X        sgd, momentum and rmsprop only (momentum default 0.9)
  --weight-decay X    adamw only: decoupled weight decay (default 0.01)
  --batch N           batch size (default ${TRIAL_DEFAULTS.batch_size})
  --epochs N          epochs (default ${TRIAL_DEFAULTS.epochs})
  --steps N           stop after N optimizer steps
  --no-shuffle        batches are the rows in order (batch i = rows i·B … i·B+B−1), so a step can be
                      replayed exactly elsewhere; the reported loss is the batch mean of the task's
                      loss (cross-entropy, or --loss on the standardized target for regression)
  --loss NAME         regression data: mse (torch.nn.MSELoss, the default) or huber (torch.nn.HuberLoss)
  --delta X           huber's δ, in standard deviations of the target (default ${DEFAULT_HUBER_DELTA})
  --dropout P         inverted dropout after every hidden layer (default 0)
                      (defaults are those of a study's trials: see docs/study-format.md)
  --l1 X, --l2 X      L1 / L2 penalties on weights (default 0)
  --init FILE         start from these weights (.safetensors, torch nn.Linear layout)
  --save FILE         write the final weights (.safetensors, layers.{i}.weight [out, in], layers.{i}.bias [out])
  --seed S            seed for the initial weights, batch order and dropout (default 0)
  --standardize       CSV: z-score each feature with the training rows' mean and std (default: as given)
  --val FRACTION      CSV: hold out the last FRACTION of the rows for validation (default 0: all rows train);
                      table: the shuffled, stratified validation fraction (default 0.2; 0.2 more are held out for test)
  --matmul VARIANT    matmul core of the dense kernels: ${MATMUL_VARIANTS.join(', ')} (default: reg8x8 on a
                      software adapter, shared on a GPU)
  --json              one JSON object per epoch and a final one, instead of the table

Numbers are decimal (1e-3, -0.5; not 0x10). Bad flags and files exit 2, naming the flag; a run whose batch
loss passes ${DIVERGENCE_FACTOR}× chance level (or turns NaN) stops as "diverged" and exits 1.`;


const OPTIONS = {
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
  loss: { type: 'string' },
  delta: { type: 'string' },
  dropout: { type: 'string' },
  l1: { type: 'string' },
  l2: { type: 'string' },
  init: { type: 'string' },
  save: { type: 'string' },
  seed: { type: 'string' },
  standardize: { type: 'boolean' },
  val: { type: 'string' },
  target: { type: 'string' },
  matmul: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Hyperparameters set by a number flag, and the flag. */
const NUMBER_FLAGS = { lr: 'lr', momentum: 'momentum', weight_decay: 'weight-decay', batch_size: 'batch', epochs: 'epochs', dropout: 'dropout', l1: 'l1', l2: 'l2' } as const;

type Values = ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>['values'];

/** The data spec of `--data` (with `--standardize` and `--val`), or the problems, named by flag. */
function dataSpec(values: Values, issues: StudyIssue[]): DataSpec | null {
  const data = values.data ?? 'mnist';
  const flagOf: Record<string, string> = { validation: '--val', standardize: '--standardize', target: '--target', split: '--val' };
  let input: DataSpecInput;
  let validation: number | undefined;
  if (values.val !== undefined) {
    const value = decimalFlag(values.val);
    if (typeof value === 'string') issues.push({ path: '--val', message: value });
    else validation = value;
  }
  const table = data.startsWith('table:');
  if (values.target !== undefined && !table) issues.push({ path: '--target', message: 'applies to table:PATH data only' });
  if (table) {
    if (values.standardize) issues.push({ path: '--standardize', message: 'applies to csv: data only (a table\'s numeric columns are always standardized)' });
    if (values.target === undefined) issues.push({ path: '--target', message: 'table:PATH needs the column to predict' });
    input = { kind: 'table', path: resolve(data.slice(6)), target: values.target ?? '-', ...(validation === undefined ? {} : { split: { validation } }) };
  } else if (data.startsWith('csv:')) {
    input = { kind: 'csv', path: resolve(data.slice(4)), standardize: values.standardize ?? false, validation: validation ?? 0 };
  } else {
    if (values.standardize || values.val !== undefined) issues.push({ path: values.standardize ? '--standardize' : '--val', message: 'applies to csv: data only' });
    const [kind, pixels, ...rest] = data.split(':');
    if (kind === 'mnist' && rest.length === 0) {
      const value = pixels === undefined ? undefined : decimalFlag(pixels);
      if (value !== undefined && value !== 784 && value !== 196 && value !== 49) {
        issues.push({ path: '--data', message: `mnist:PIXELS takes 784, 196 or 49 (got ${JSON.stringify(pixels)})` });
        return null;
      }
      input = value === undefined ? { kind: 'mnist' } : { kind: 'mnist', pixels: value };
    } else if ((SYNTHETIC_KINDS as readonly string[]).includes(data)) {
      input = { kind: data as (typeof SYNTHETIC_KINDS)[number] };
    } else {
      issues.push({ path: '--data', message: `expected mnist, mnist:196, mnist:49, ${SYNTHETIC_KINDS.join(', ')}, csv:PATH or table:PATH (got ${JSON.stringify(data)})` });
      return null;
    }
  }
  const parsed = dataSpecSchema.safeParse(input, { reportInput: true });
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? '');
    issues.push({ path: flagOf[field] ?? '--data', message: field in flagOf || field === '' ? issueMessage(issue) : `${field} ${issueMessage(issue)}` });
  }
  return null;
}

/** The trial's hyperparameters from the flags, through the same rules and defaults as a study's trials (toTrialConfig). */
function trialConfig(values: Values, seed: number, issues: StudyIssue[]): TrialConfig | null {
  const params: Params = {};
  const flagOf: Record<string, string> = {};
  const set = (name: string, flag: string, value: Scalar) => {
    params[name] = value;
    flagOf[name] = flag;
  };
  const before = issues.length;
  if (values.layers !== undefined) {
    const text = values.layers.trim();
    // "" or "0" as the whole value is no hidden layer; an empty or zero width inside a list is a typo.
    const widths = text === '' || text === '0' ? [] : text.split(',');
    set('layers', 'layers', widths.length);
    widths.forEach((w, i) => {
      const width = decimalFlag(w.trim());
      if (typeof width === 'number' && Number.isInteger(width) && width >= 1) set(`units_${i + 1}`, 'layers', width);
      else issues.push({ path: '--layers', message: `width ${i + 1} of ${JSON.stringify(values.layers)} must be an integer ≥ 1 (got ${JSON.stringify(w.trim())}); "" or 0 alone means no hidden layer` });
    });
  }
  if (values.act !== undefined) set('activation', 'act', values.act);
  if (values.optimizer !== undefined) set('optimizer', 'optimizer', values.optimizer);
  for (const [name, flag] of Object.entries(NUMBER_FLAGS)) {
    const text = values[flag];
    if (text === undefined) continue;
    const value = decimalFlag(text);
    if (typeof value === 'string') issues.push({ path: `--${flag}`, message: value });
    else set(name, flag, value);
  }
  let config: TrialConfig | null = null;
  try {
    config = toTrialConfig(params, { seed });
  } catch (error) {
    if (!(error instanceof StudyError)) throw error;
    // Name the flag, not the hyperparameter: `--lr: must be > 0 (got 0)`.
    for (const issue of error.issues) {
      const name = issue.path.replace(/^params\./, '');
      issues.push({ path: `--${flagOf[name] ?? name}`, message: issue.message });
    }
  }
  // A setting the chosen optimizer does not read would be silently ignored.
  const optimizer = values.optimizer ?? TRIAL_DEFAULTS.optimizer;
  for (const name of ['momentum', 'weight_decay']) {
    const problem = Object.hasOwn(params, name) && (OPTIMIZERS as readonly string[]).includes(optimizer) ? unusedSettingProblem(name, [optimizer]) : null;
    if (problem) issues.push({ path: `--${flagOf[name]}`, message: problem });
  }
  return issues.length > before ? null : config;
}

function integerFlag(flag: string, text: string | undefined, min: number, max: number, issues: StudyIssue[]): number | undefined {
  if (text === undefined) return undefined;
  const value = decimalFlag(text);
  if (typeof value === 'string') issues.push({ path: `--${flag}`, message: value });
  else if (!Number.isInteger(value) || value < min || value > max) {
    issues.push({ path: `--${flag}`, message: `must be an integer ${Number.isFinite(max) ? `${min} … ${max}` : `≥ ${min}`} (got ${text})` });
  }
  else return value;
  return undefined;
}

/** The tensors of an --init file, read and checked before any data or GPU work. */
function readInit(path: string, layers: number): Record<string, Tensor> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new InputError(`--init ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? error})`, { cause: error });
  }
  try {
    return decodeSafetensors(bytes, { expect: mlpTensorNames(layers) }).tensors;
  } catch (error) {
    if (error instanceof SafetensorsError) throw new SafetensorsError(`--init ${path}: ${error.message}`);
    throw error;
  }
}

/** --loss and --delta: a regression loss, or null when neither is given. */
function regressionLoss(values: Values, issues: StudyIssue[]): RegressionLoss | null {
  if (values.loss === undefined) {
    if (values.delta !== undefined) issues.push({ path: '--delta', message: 'applies to --loss huber only' });
    return null;
  }
  if (values.loss === 'mse') {
    if (values.delta !== undefined) issues.push({ path: '--delta', message: 'applies to --loss huber only' });
    return { kind: 'mse' };
  }
  if (values.loss !== 'huber') {
    issues.push({ path: '--loss', message: `expected mse or huber (got ${JSON.stringify(values.loss)})` });
    return null;
  }
  if (values.delta === undefined) return { kind: 'huber', delta: DEFAULT_HUBER_DELTA };
  const delta = decimalFlag(values.delta);
  if (typeof delta === 'string' || !(delta > 0) || !Number.isFinite(delta)) {
    issues.push({ path: '--delta', message: typeof delta === 'string' ? delta : `must be a number > 0 (got ${values.delta})` });
    return null;
  }
  return { kind: 'huber', delta };
}

/** The table's and the JSON lines' metrics: accuracy for classes; RMSE, MAE (the target's units) and R² for regression. */
function metricColumns(dataset: Dataset) {
  if (dataset.task !== 'regression') {
    return {
      head: ['train loss', 'train acc', 'val loss', 'val acc'],
      json: (train: MetricsRead, val: MetricsRead) => ({ trainLoss: train.loss, trainAccuracy: train.accuracy, valLoss: val.loss, valAccuracy: val.accuracy }),
      cells: (train: MetricsRead, val: MetricsRead) => [fmt(train.loss, 4), pct(train.accuracy), fmt(val.loss, 4), pct(val.accuracy)],
      test: (test: MetricsRead | null) => `test accuracy ${pct(test?.accuracy)}`,
    };
  }
  const units = dataset.targetScale ? ` ${dataset.targetScale.name}` : '';
  return {
    head: ['train loss', 'train RMSE', 'val loss', 'val RMSE', 'val MAE', 'val R²'],
    json: (train: MetricsRead, val: MetricsRead) => ({ trainLoss: train.loss, trainRmse: train.rmse, valLoss: val.loss, valRmse: val.rmse, valMae: val.mae, valR2: val.r2 }),
    cells: (train: MetricsRead, val: MetricsRead) => [fmt(train.loss, 4), fmt(train.rmse ?? NaN, 4), fmt(val.loss, 4), fmt(val.rmse ?? NaN, 4), fmt(val.mae ?? NaN, 4), fmt(val.r2 ?? NaN, 4)],
    test: (test: MetricsRead | null) => `test RMSE ${fmt(test?.rmse ?? NaN, 4)}${units}, MAE ${fmt(test?.mae ?? NaN, 4)}${units}, R² ${fmt(test?.r2 ?? NaN, 4)}`,
  };
}

export async function trainCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: joinNegativeValues(argv, OPTIONS), options: OPTIONS });
  if (values.help) {
    console.log(TRAIN_USAGE);
    return 0;
  }
  // Every flag is checked before any file, data or GPU work, and every problem is reported at once.
  const issues: StudyIssue[] = [];
  const seed = integerFlag('seed', values.seed, 0, 2 ** 32 - 1, issues) ?? 0;
  const maxSteps = integerFlag('steps', values.steps, 1, Infinity, issues);
  const config = trialConfig(values, seed, issues);
  const spec = dataSpec(values, issues);
  if (values.matmul !== undefined && !(MATMUL_VARIANTS as readonly string[]).includes(values.matmul)) {
    issues.push({ path: '--matmul', message: `expected one of ${MATMUL_VARIANTS.join(', ')} (got ${JSON.stringify(values.matmul)})` });
  }
  const loss = regressionLoss(values, issues);
  if (issues.length > 0 || config === null || spec === null) throw new StudyError(issues, 'invalid flags');
  if (values.save !== undefined) checkOutputFile(values.save, '--save');
  const initTensors = values.init === undefined ? undefined : readInit(values.init, config.hidden.length + 1);

  const dataset = await loadDatasetNode(spec);
  if (loss && dataset.task !== 'regression') throw new InputError(`--loss applies to regression data; ${dataset.name} is ${dataset.task}`);
  const tooLarge = batchTooLarge(config.batchSize, dataset.split.train);
  if (tooLarge) throw new InputError(`--batch ${config.batchSize} ${tooLarge} of ${dataset.name}`);
  const shape = shapeOf(config, dataset.features, dataset.classes);
  let initial: Float32Array | undefined;
  try {
    initial = initTensors && mlpParams(initTensors, shape.widths);
  } catch (error) {
    if (error instanceof SafetensorsError) throw new SafetensorsError(`--init ${values.init}: ${error.message}`);
    throw error;
  }

  const ctx = await acquireNodeGpu();
  checkDeviceFit(dataset, ctx.limits);
  try {
    const data = uploadDataset(ctx, dataset);
    const matmul = (values.matmul as MatmulVariant | undefined) ?? preferredMatmulVariant(ctx.report);
    const cohort = await Cohort.create(ctx, { id: 'train', shape, trials: [config], data, shuffle: !values['no-shuffle'], initial: [initial], matmul, ...(loss ? { loss } : {}) });
    const columns = metricColumns(dataset);
    const log = (line: string) => (values.json ? undefined : console.log(line));
    log(`${dataset.description}`);
    log(`${shape.widths.join('-')} ${config.activation}, ${config.optimizer.kind} lr ${config.optimizer.lr}, batch ${config.batchSize} on ${adapterName(ctx.report)}`);
    const rows: string[][] = [];
    let lastLoss = NaN;
    // The same explosion check as a study's trials: a loss far past chance level stops the run.
    let exploded: { step: number; reason: string } | null = null;
    const stop = new AbortController();
    const result = await runCohort(ctx, cohort, {
      epochs: config.epochs,
      maxSteps,
      timer: new GpuTimer(ctx),
      evaluateTest: true,
      signal: stop.signal,
      onChunk: (chunk) => {
        lastLoss = chunk.losses[chunk.steps - 1]!;
        const hit = exploded === null && !chunk.status[0]!.diverged ? explosion(chunk.losses.subarray(0, chunk.steps), chanceLoss(cohort.regression, dataset.classes)) : null;
        if (hit) {
          exploded = { step: chunk.firstStep + hit.at, reason: hit.reason(chunk.firstStep + hit.at) };
          cohort.freeze(0);
          stop.abort();
        }
      },
      onEpoch: (e) => {
        const line = { epoch: e.epoch + 1, steps: e.stepsDone, lastBatchLoss: lastLoss, ...columns.json(e.train[0]!, e.validation[0]!) };
        if (values.json) console.log(JSON.stringify({ type: 'epoch', ...line }));
        rows.push([String(line.epoch), String(line.steps), fmt(line.lastBatchLoss, 6), ...columns.cells(e.train[0]!, e.validation[0]!)]);
      },
    });
    const status = result.status[0]!;
    const blown = exploded as { step: number; reason: string } | null;
    const divergence = status.diverged
      ? { step: status.divergedStep, reason: `loss or an update became NaN/Inf at step ${status.divergedStep ?? '?'}` }
      : blown;
    const stepMs = result.stepsDone > 0 ? result.trainMs / result.stepsDone : NaN;
    const final = {
      type: 'final',
      state: divergence ? 'diverged' : 'done',
      divergedStep: divergence?.step ?? null,
      reason: divergence?.reason ?? null,
      steps: result.stepsDone,
      stepMs,
      samplesPerSec: (config.batchSize / stepMs) * 1000,
      test: result.test?.[0] ?? null,
      adapter: adapterName(ctx.report),
    };
    // A diverged run's weights are not worth keeping (and may not be finite).
    const save = values.save !== undefined && !divergence;
    if (save) {
      const widths = shape.widths;
      writeAtomic(values.save!, encodeSafetensors(mlpTensors(result.params, widths), { widths: widths.join(','), activation: config.activation, data: dataset.name }));
    }
    if (values.json) console.log(JSON.stringify(final));
    else {
      console.log(table(['epoch', 'steps', 'last batch loss', ...columns.head], rows));
      const speed = `${final.steps} steps, ${fmt(stepMs)} ms/step, ${Math.round(final.samplesPerSec)} samples/s`;
      console.log(
        divergence
          ? `diverged: ${divergence.reason}; ${speed}${values.save ? '; weights not saved' : ''}`
          : `done: ${speed}; ${columns.test(final.test)} (${final.test?.rows ?? 0} rows)${save ? `; weights in ${basename(values.save!)}` : ''}`,
      );
    }
    return divergence ? 1 : 0;
  } finally {
    ctx.destroy();
  }
}
