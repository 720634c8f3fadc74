// Deterministic study records for the app's tests: 150 realistic trials (done, pruned, diverged), a 2-objective variant and a PBT one, without training.
import type { Params } from '../../src/search/space.ts';
import type { StudyInput } from '../../src/search/study.ts';
import { toTrialConfig } from '../../src/search/to-trial-config.ts';
import type { EpochMetrics, Exploit, StudyRecord, TrialRecord } from '../../src/store/records.ts';
import { nonDominated } from '../../src/ui/analysis/pareto.ts';
import { Rng } from '../../src/util/random.ts';

/** The fixture is a classification study: every epoch has its accuracies. */
type ClassificationEpoch = EpochMetrics & Required<Pick<EpochMetrics, 'trainAccuracy' | 'valAccuracy'>>;

export interface FixtureOptions {
  name?: string;
  trials?: number;
  /** 1: validation accuracy (median pruner); 2: accuracy and samples/s of the shape alone (NSGA-II, no pruner). */
  objectives?: 1 | 2;
  /** Population-based training: a population whose trials exploit each other (trials = population). */
  pbt?: boolean;
  seed?: number;
}

const TRAIN_ROWS = 4000;
const EPOCHS = 6;
const START = Date.parse('2026-01-01T10:00:00Z');

/**
 * The accuracy a configuration reaches, by construction: the learning rate matters most (best
 * near 10^-2), then the optimizer, then width; batch size and dropout barely. Throughput depends
 * on batch size and width only. Tests of importance and the heatmaps rely on this ordering.
 */
export function fixtureAccuracy(p: { lr: number; optimizer: string; units: number; dropout: number }): number {
  const lrTerm = 0.09 * (Math.log10(p.lr) + 2) ** 2;
  const optimizerTerm = p.optimizer === 'sgd' ? 0.06 : p.optimizer === 'momentum' ? 0.02 : 0;
  return Math.max(0.12, 0.975 - lrTerm - optimizerTerm - 0.004 * Math.log2(256 / p.units) - 0.02 * Math.abs(p.dropout - 0.1));
}

export function fixtureSamplesPerSec(batch: number, units: number, layers: number): number {
  return (42_000 * (batch / 32) ** 0.85) / ((units / 64) ** 0.6 * layers);
}

function space(pbt: boolean): StudyInput['space'] {
  return {
    lr: { type: 'float', low: 1e-4, high: 0.3, log: true },
    batch_size: { type: 'categorical', choices: [32, 64, 128, 256] },
    ...(pbt
      ? {}
      : {
          units: { type: 'categorical', choices: [32, 64, 128, 256] },
          layers: { type: 'int', low: 1, high: 2 },
          dropout: { type: 'float', low: 0, high: 0.4 },
          optimizer: { type: 'categorical', choices: ['sgd', 'momentum', 'adam'] },
        }),
  };
}

function study(options: Required<FixtureOptions>): StudyInput {
  const base = { name: options.name, seed: options.seed, data: { kind: 'mnist' as const, pixels: 196 as const, trainLimit: TRAIN_ROWS }, space: space(options.pbt) };
  if (options.pbt) {
    return { ...base, defaults: { units: 64, optimizer: 'adam' }, sampler: { type: 'pbt', population: options.trials, interval: 100, mutable: ['lr'] }, budget: { epochs: EPOCHS } };
  }
  if (options.objectives === 2) {
    return { ...base, sampler: { type: 'nsga2', population: 30 }, budget: { trials: options.trials, epochs: EPOCHS }, objective: [{ metric: 'val_accuracy' }, { metric: 'samples_per_sec' }] };
  }
  return { ...base, sampler: { type: 'tpe' }, pruner: { type: 'median', unit: 'epoch', startupTrials: 5 }, budget: { trials: options.trials, epochs: EPOCHS }, objective: { metric: 'val_accuracy' } };
}

function sampleParams(rng: Rng, pbt: boolean): Params {
  const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)]!;
  const lr = 10 ** rng.uniform(-4, Math.log10(0.3));
  if (pbt) return { lr, batch_size: pick([32, 64, 128, 256]) };
  return {
    lr,
    batch_size: pick([32, 64, 128, 256]),
    units: pick([32, 64, 128, 256]),
    layers: 1 + rng.int(2),
    dropout: rng.uniform(0, 0.4),
    optimizer: pick(['sgd', 'momentum', 'adam']),
  };
}

/** Accuracy after epoch e (0-based) of a trial heading for `final`. */
const accuracyAt = (final: number, e: number) => final - (final - 0.1) * Math.exp(-1.1 * (e + 1));

/** A study record as `fusetune run` writes it, built from a seed alone. */
export function fixtureStudy(options: FixtureOptions = {}): StudyRecord {
  const opts: Required<FixtureOptions> = { name: options.pbt ? 'fixture-pbt' : options.objectives === 2 ? 'fixture-pareto' : 'fixture-150', trials: options.pbt ? 16 : 150, objectives: 1, pbt: false, seed: 7, ...options };
  const rng = new Rng(opts.seed);
  const input = study(opts);
  const defaults = { ...(input.defaults ?? {}), epochs: EPOCHS };
  let clock = START;
  const trials: TrialRecord[] = [];
  for (let index = 0; index < opts.trials; index++) {
    const params = sampleParams(rng, opts.pbt);
    const config = toTrialConfig(params, { seed: index + 1, defaults });
    const { lr } = config.optimizer;
    const units = config.hidden[0] ?? 64;
    const final = fixtureAccuracy({ lr, optimizer: config.optimizer.kind, units, dropout: config.dropout }) + (rng.next() - 0.5) * 0.01;
    const stepsPerEpoch = Math.floor(TRAIN_ROWS / config.batchSize);
    const divergedAt = lr > 0.12 && rng.next() < 0.6 ? Math.floor(stepsPerEpoch * rng.uniform(0.2, 2)) : null;
    // The median pruner stops poor trials after their 2nd or 3rd epoch (never the first few trials).
    const prunedAfter = !opts.pbt && opts.objectives === 1 && index >= 5 && divergedAt === null && final < 0.86 ? 2 + rng.int(2) : null;
    const epochsRun = divergedAt !== null ? Math.floor(divergedAt / stepsPerEpoch) : prunedAfter ?? EPOCHS;
    const steps = divergedAt ?? epochsRun * stepsPerEpoch;
    const curve = Array.from({ length: steps }, (_, s) => {
      const progress = s / stepsPerEpoch;
      const floor = -Math.log(final) * 0.9;
      const blowUp = divergedAt !== null ? Math.exp((6 * s) / divergedAt) * 0.05 : 0;
      return floor + (2.3 - floor) * Math.exp(-1.3 * progress) + blowUp + rng.uniform(-0.08, 0.08);
    });
    const epochs: ClassificationEpoch[] = Array.from({ length: epochsRun }, (_, e) => {
      const valAccuracy = accuracyAt(final, e) + rng.uniform(-0.004, 0.004);
      return { epoch: e, step: (e + 1) * stepsPerEpoch, valAccuracy, trainAccuracy: Math.min(1, valAccuracy + 0.01), valLoss: -Math.log(valAccuracy) * 0.9, trainLoss: -Math.log(valAccuracy) * 0.85 };
    });
    const last = epochs.at(-1);
    const samplesPerSec = fixtureSamplesPerSec(config.batchSize, units, config.hidden.length);
    const stepMs = (config.batchSize / samplesPerSec) * 1000;
    const startedAt = clock;
    clock += steps * stepMs * 0.25 + 40 + rng.next() * 30;
    const state: TrialRecord['state'] = divergedAt !== null ? 'diverged' : prunedAfter !== null ? 'pruned' : 'done';
    const reason =
      state === 'diverged'
        ? `batch loss 412 at step ${divergedAt} exceeds 100× chance level (2.30)`
        : state === 'pruned'
          ? `pruned at epoch ${prunedAfter}: ${(last!.valAccuracy * 100).toFixed(1)}% is below the median of earlier trials at that epoch`
          : undefined;
    const trial: TrialRecord = {
      index,
      params,
      config,
      state,
      ...(reason ? { reason } : {}),
      cohort: `c${Math.floor(index / 8)}`,
      slot: index % 8,
      cohortTrials: 8,
      epochs,
      intermediate: epochs.map((e) => ({ step: e.epoch + 1, value: e.valAccuracy })),
      curve,
      stepsDone: steps,
      ...(divergedAt !== null ? { divergedStep: divergedAt } : {}),
      valAccuracy: last?.valAccuracy ?? null,
      valLoss: last?.valLoss ?? null,
      trainLoss: last?.trainLoss ?? null,
      stepMs: stepMs * 1.6,
      samplesPerSec: samplesPerSec / 1.6,
      cohortSamplesPerSec: (8 * samplesPerSec) / 1.6,
      bytes: { weights: units * 200 * 4, gradients: units * 200 * 4, optimizer: units * 400 * 4, activations: config.batchSize * units * 8, total: units * 800 * 4 + config.batchSize * units * 8 },
      startedAt: new Date(startedAt).toISOString(),
      finishedAt: new Date(clock).toISOString(),
    };
    if (opts.objectives === 2) trial.cost = { stepMs, samplesPerSec, bytes: trial.bytes!.total };
    if (state === 'done') trial.values = opts.objectives === 2 ? [trial.valAccuracy!, samplesPerSec] : [trial.valAccuracy!];
    trials.push(trial);
  }
  if (opts.pbt) addExploits(trials, rng);
  const done = trials.filter((t) => t.state === 'done');
  const best = done.reduce<TrialRecord | null>((b, t) => (b === null || t.valAccuracy! > b.valAccuracy! ? t : b), null);
  const record: StudyRecord = {
    version: 2,
    study: input,
    state: 'done',
    adapter: { vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader (fixture)', isSoftware: true, features: [], limits: {}, runtime: 'browser' },
    timing: 'wall-clock',
    dataset: { name: 'mnist-196', description: 'MNIST 14×14 (first 4000 training rows)', features: 196, classes: 10, split: { train: TRAIN_ROWS, validation: 1000, test: 1000 } },
    trials,
    best: best?.index ?? null,
    reportUnit: 'epoch',
    samplesTrained: trials.reduce((s, t) => s + t.stepsDone * t.config.batchSize, 0),
    startedAt: new Date(START).toISOString(),
    finishedAt: new Date(clock).toISOString(),
    wallMs: clock - START,
  };
  if (best) best.test = { accuracy: best.valAccuracy! - 0.004, loss: best.valLoss! + 0.01 };
  if (opts.objectives === 2) {
    record.paretoFront = nonDominated(
      done.map((t) => ({ index: t.index, values: t.values! })),
      ['maximize', 'maximize'],
    ).sort((a, b) => trials[b]!.valAccuracy! - trials[a]!.valAccuracy!);
  }
  return record;
}

/**
 * PBT: every `interval` steps the bottom quarter copies a top-quarter trial's state and perturbs
 * its learning rate; the copy's accuracy from then on follows its source's.
 */
function addExploits(trials: TrialRecord[], rng: Rng): void {
  const interval = 100;
  const longest = Math.max(...trials.map((t) => t.stepsDone));
  for (let step = interval; step < longest; step += interval) {
    const alive = trials.filter((t) => t.state === 'done' && t.stepsDone > step);
    const ranked = [...alive].sort((a, b) => b.valAccuracy! - a.valAccuracy!);
    const quarter = Math.max(1, Math.floor(ranked.length / 4));
    for (const loser of ranked.slice(-quarter)) {
      const source = ranked[rng.int(quarter)]!;
      const lr = (loser.config.optimizer.lr = source.config.optimizer.lr * (rng.next() < 0.5 ? 0.8 : 1.2));
      const exploit: Exploit = { step, from: source.index, params: { lr } };
      (loser.exploits ??= []).push(exploit);
      const lift = source.valAccuracy! - loser.valAccuracy!;
      const epochs = loser.epochs as ClassificationEpoch[];
      for (const e of epochs) if (e.step > step) e.valAccuracy += lift * 0.9;
      loser.intermediate = epochs.map((e) => ({ step: e.epoch + 1, value: e.valAccuracy }));
      loser.valAccuracy = epochs.at(-1)!.valAccuracy;
      loser.values = [loser.valAccuracy];
    }
  }
}

/** Validation RMSE (mpg) of a trial the classification fixture gives `accuracy`: lower as accuracy rises, about 2 at best. */
const rmseOf = (accuracy: number) => 2 + 25 * (0.975 - accuracy);

/**
 * The fixture's trials as a regression study on a cars-like table (target mpg, val_rmse its
 * objective, as `fusetune run` writes it): RMSE, MAE and R² where accuracies were, no accuracy.
 */
export function regressionFixture(options: Omit<FixtureOptions, 'objectives' | 'pbt'> = {}): StudyRecord {
  const record = fixtureStudy({ trials: 40, ...options, name: options.name ?? 'fixture-regression', objectives: 1 });
  const accuracyOf = (e: EpochMetrics) => e.valAccuracy!;
  for (const t of record.trials) {
    t.epochs = t.epochs.map((e) => ({ epoch: e.epoch, step: e.step, trainLoss: e.trainLoss, valLoss: e.valLoss, valRmse: rmseOf(accuracyOf(e)), valMae: 0.8 * rmseOf(accuracyOf(e)), valR2: 1 - (rmseOf(accuracyOf(e)) / 8) ** 2 }));
    const last = t.epochs.at(-1);
    t.intermediate = t.epochs.map((e) => ({ step: e.epoch + 1, value: e.valRmse! }));
    Object.assign(t, { valAccuracy: null, valRmse: last?.valRmse ?? null, valMae: last?.valMae ?? null, valR2: last?.valR2 ?? null });
    if (t.state === 'done') t.values = [t.valRmse!];
    if (t.reason?.startsWith('pruned')) t.reason = `pruned at epoch ${t.epochs.length}: RMSE ${last!.valRmse!.toFixed(2)} is above the median of earlier trials at that epoch`;
    delete t.test;
  }
  const best = record.trials.filter((t) => t.state === 'done').reduce<TrialRecord | null>((b, t) => (b === null || t.valRmse! < b.valRmse! ? t : b), null);
  if (best) best.test = { loss: best.valLoss! + 0.01, rmse: best.valRmse! + 0.3, mae: best.valMae! + 0.2, r2: best.valR2! - 0.02 };
  record.best = best?.index ?? null;
  record.study = { ...record.study, data: { kind: 'table', path: 'cars.csv', target: 'mpg', task: 'regression' }, objective: { metric: 'val_rmse' } } as StudyInput;
  record.dataset = { name: 'cars', description: 'cars.csv (mpg, regression)', features: 9, classes: 1, split: { train: 274, validation: 59, test: 59 }, task: 'regression', target: 'mpg' };
  return record;
}
