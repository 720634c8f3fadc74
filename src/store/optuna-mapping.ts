// fusetune's studies and trials as Optuna records and back: distributions, states, values, intermediate values and attrs.
import { InputError } from '../util/input-error.ts';
import { OBJECTIVE_METRICS, type Direction, type ObjectiveMetric } from '../model/objectives.ts';
import type { TrialState } from '../model/states.ts';
import type { TrialConfig } from '../model/trial-config.ts';
import { isHyperparameter, valueProblem } from '../search/hyperparameters.ts';
import type { PastTrial } from '../search/samplers.ts';
import { spaceSchema, type Distribution, type Params, type Space } from '../search/space.ts';
import { studyToJson, type Study } from '../search/study.ts';
import { trialConfigOf } from '../search/to-trial-config.ts';
import type { JournalStorage, TrialData } from './journal-storage.ts';
import { FUSETUNE_ATTR, METRIC_NAMES_ATTR, formatOptunaDatetime, parseOptunaDatetime, trialParams, type JournalStudy, type JournalTrial, type OptunaDistribution, type OptunaTrialState } from './optuna-journal.ts';
import type { JsonValue } from './python-json.ts';
import { rawMetricValue, type EpochMetrics, type Exploit, type FoldValues, type ShapeCost, type StudyRecord, type TestMetrics, type TrialBytes, type TrialRecord } from './records.ts';

/** Study user attrs: the study file as run, and its space with the rules Optuna's distributions cannot hold (normal, conditions, grids). */
export const STUDY_ATTR = { study: 'fusetune:study', space: 'fusetune:space' } as const;

/** NOTE: past this many steps a trial's loss curve is kept as block means (user attr `curve_every` says how many steps each). */
export const MAX_CURVE_POINTS = 20_000;

/** Parameters an Optuna study holds that fusetune cannot train, each with why. */
export class ForeignParamsError extends InputError {
  constructor(readonly problems: readonly string[]) {
    super(`the journal's trials have parameters fusetune cannot use:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ForeignParamsError';
  }
}

// ---------------------------------------------------------------------------------------------
// Distributions

/**
 * A space entry as Optuna's distribution. A normal float becomes a FloatDistribution over its clip
 * bounds (±Number.MAX_VALUE where it has none) and a fixed value a one-choice categorical; the
 * exact rule stays in the study user attr `fusetune:space`.
 */
export function toOptunaDistribution(d: Distribution): OptunaDistribution {
  switch (d.type) {
    case 'fixed':
      return { name: 'CategoricalDistribution', choices: [d.value] };
    case 'categorical':
      return { name: 'CategoricalDistribution', choices: [...d.choices] };
    case 'int':
      return { name: 'IntDistribution', low: d.low, high: d.high, log: d.log, step: d.step ?? 1 };
    case 'float':
      if (d.distribution === 'normal') return { name: 'FloatDistribution', low: d.low ?? -Number.MAX_VALUE, high: d.high ?? Number.MAX_VALUE, log: false, step: null };
      return { name: 'FloatDistribution', low: d.low, high: d.high, log: d.log, step: d.step ?? null };
  }
}

/** An Optuna distribution as a space entry (uniform float, int or categorical; without a condition). */
export function fromOptunaDistribution(d: OptunaDistribution): Distribution {
  switch (d.name) {
    case 'CategoricalDistribution':
      return { type: 'categorical', choices: [...d.choices] };
    case 'IntDistribution':
      return { type: 'int', low: d.low, high: d.high, log: d.log, ...(d.step === 1 ? {} : { step: d.step }) };
    case 'FloatDistribution':
      return { type: 'float', low: d.low, high: d.high, log: d.log, ...(d.step === null ? {} : { step: d.step }) };
  }
}

// ---------------------------------------------------------------------------------------------
// Studies

/** What createStudy and the study's attrs take from a fusetune study. */
export function studyFields(study: Study): { directions: Direction[]; metricNames: string[]; userAttrs: Record<string, JsonValue> } {
  return {
    directions: study.objective.map((o) => o.direction),
    metricNames: study.objective.map((o) => o.metric),
    userAttrs: { [STUDY_ATTR.study]: studyToJson(study) as JsonValue, [STUDY_ATTR.space]: JSON.parse(JSON.stringify(study.space)) as JsonValue },
  };
}

/**
 * Opens the study of this name in the storage, creating it (directions, metric names, the study
 * file and its space as attrs) when absent; `created` says which. A study that lacks the attrs
 * (Optuna created it) gets them now, so a later run with another study file is refused there too.
 */
export async function openFusetuneStudy(storage: JournalStorage, study: Study): Promise<{ study: JournalStudy; created: boolean }> {
  const fields = studyFields(study);
  const opened = await storage.createOrLoadStudy(study.name, fields.directions, fields.metricNames);
  const { studyId, userAttrs, systemAttrs } = opened.study;
  const batch = storage.batch();
  for (const [key, value] of Object.entries(fields.userAttrs)) if (!Object.hasOwn(userAttrs, key)) batch.setStudyUserAttr(studyId, key, value);
  if (!Object.hasOwn(systemAttrs, METRIC_NAMES_ATTR)) batch.setStudySystemAttr(studyId, METRIC_NAMES_ATTR, fields.metricNames);
  if (batch.size > 0) await batch.commitAll();
  return opened;
}

/**
 * Where a study differs from the one recorded in the journal's `fusetune:study` attr, as paths
 * (`space.lr.high: 0.1 → 0.3`); empty when they agree or nothing was recorded.
 */
export function studyChanges(recorded: JournalStudy, study: Study): string[] {
  const stored = recorded.userAttrs[STUDY_ATTR.study];
  if (stored === undefined) return [];
  const changes: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && Array.isArray(a) === Array.isArray(b)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const key of keys) walk((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], Array.isArray(a) ? `${path}[${key}]` : path ? `${path}.${key}` : key);
    } else if (JSON.stringify(a) !== JSON.stringify(b)) {
      changes.push(`${path || '(root)'}: ${JSON.stringify(a) ?? 'absent'} → ${JSON.stringify(b) ?? 'absent'}`);
    }
  };
  walk(stored, studyToJson(study), '');
  return changes;
}

/**
 * The study's space: the recorded `fusetune:space` when present, else one built from the trials'
 * distributions, with notes on what could not be carried over (a parameter missing from some
 * trials was conditional in Optuna; fusetune will sample it always). Throws ForeignParamsError
 * for names outside fusetune's hyperparameters.
 */
export function spaceFromOptuna(study: JournalStudy, trials: readonly JournalTrial[]): { space: Space; notes: string[] } {
  const recorded = study.userAttrs[STUDY_ATTR.space];
  if (recorded !== undefined) return { space: spaceSchema.parse(recorded), notes: [] };
  checkVocabulary(trials);
  const entries: Record<string, Distribution> = {};
  const seenIn = new Map<string, number>();
  const withParams = trials.filter((t) => Object.keys(t.distributions).length > 0);
  for (const trial of withParams) {
    for (const [name, d] of Object.entries(trial.distributions)) {
      entries[name] ??= fromOptunaDistribution(d);
      seenIn.set(name, (seenIn.get(name) ?? 0) + 1);
    }
  }
  const notes = [...seenIn]
    .filter(([, count]) => count < withParams.length)
    .map(([name, count]) => `${name} is set in ${count} of ${withParams.length} trials (conditional in Optuna): fusetune samples it in every trial`);
  return { space: spaceSchema.parse(entries), notes };
}

// ---------------------------------------------------------------------------------------------
// Trials: fusetune → Optuna

/** fusetune's state → Optuna's. NOTE: diverged and failed trials are FAIL; stopped trials are FAIL with `fusetune:retry` (a resumed study asks them again). */
export const OPTUNA_STATE: Readonly<Record<TrialState, OptunaTrialState>> = {
  pending: 'WAITING',
  running: 'RUNNING',
  done: 'COMPLETE',
  pruned: 'PRUNED',
  diverged: 'FAIL',
  failed: 'FAIL',
  stopped: 'FAIL',
};

function curveAttrs(curve: readonly number[]): Record<string, JsonValue> {
  if (curve.length <= MAX_CURVE_POINTS) return { curve: [...curve] };
  const every = Math.ceil(curve.length / MAX_CURVE_POINTS);
  const means: number[] = [];
  for (let i = 0; i < curve.length; i += every) {
    const block = curve.slice(i, i + every);
    means.push(block.reduce((s, v) => s + v, 0) / block.length);
  }
  return { curve: means, curve_every: every };
}

/**
 * Attrs for what Optuna has no place for; names in snake_case, as a Python user reads them. NOTE: a
 * value the trial does not have (a metric never measured) is left out, never written as null:
 * optuna-dashboard's browser reader throws on a null user attr.
 */
function trialUserAttrs(t: TrialRecord): Record<string, JsonValue> {
  const attrs: Record<string, JsonValue> = {};
  const optional: [string, unknown][] = [
    ['val_accuracy', t.valAccuracy],
    ['val_loss', t.valLoss],
    ['train_loss', t.trainLoss],
    ['steps_done', t.stepsDone],
    ['samples_per_sec', t.samplesPerSec],
    ['step_ms', t.stepMs],
    ['cohort_samples_per_sec', t.cohortSamplesPerSec],
    ['cohort', t.cohort],
    ['slot', t.slot],
    ['cohort_trials', t.cohortTrials],
    ['device_bytes', t.bytes],
    ['shape_cost', t.cost],
    ['val_rmse', t.valRmse],
    ['val_mae', t.valMae],
    ['val_r2', t.valR2],
    ['test_accuracy', t.test?.accuracy],
    ['test_loss', t.test?.loss],
    ['test_rmse', t.test?.rmse],
    ['test_mae', t.test?.mae],
    ['test_r2', t.test?.r2],
    ['reason', t.reason],
    ['diverged_step', t.divergedStep],
    ['exploits', t.exploits],
  ];
  for (const [key, value] of optional) if (value !== undefined && value !== null) attrs[key] = value as JsonValue;
  // Cross-validation: every fold's value of each validation metric, and their standard deviation.
  if (t.folds) {
    attrs.cv_folds = t.folds.k;
    for (const [metric, values] of Object.entries(t.folds.values)) {
      attrs[`cv_${metric}`] = values;
      attrs[`cv_${metric}_std`] = t.folds.std[metric as ObjectiveMetric]!;
    }
  }
  attrs.config = t.config as unknown as JsonValue;
  attrs.epochs = t.epochs as unknown as JsonValue;
  return { ...attrs, ...curveAttrs(t.curve) };
}

/**
 * A fusetune trial as Optuna's: its active params with their distributions, state, values in the
 * study's objective order, intermediate values, and attrs (see docs/storage.md). NOTE: a done
 * trial whose values are not all numbers (NaN, or a metric never measured) is FAIL, as Optuna's
 * own tell records it; `fusetune:state` keeps what fusetune knows.
 */
export function trialToOptuna(trial: TrialRecord, study: Pick<Study, 'space' | 'objective'>): TrialData {
  const distributions: Record<string, OptunaDistribution> = {};
  for (const name of Object.keys(trial.params)) {
    const d = study.space[name];
    if (!d) throw new RangeError(`trial ${trial.index}: param ${name} is not in the study's space`);
    distributions[name] = toOptunaDistribution(d);
  }
  let state = OPTUNA_STATE[trial.state];
  const systemAttrs: Record<string, JsonValue> = { [FUSETUNE_ATTR.state]: trial.state };
  let values: number[] | null = trial.values ? [...trial.values] : null;
  if (trial.state === 'done') {
    values ??= study.objective.map((o) => rawMetricValue(trial, o.metric) ?? NaN);
    if (values.some((v) => Number.isNaN(v))) state = 'FAIL';
  } else if (trial.state === 'pruned' && values === null && study.objective.length === 1) {
    const last = trial.intermediate.at(-1)?.value;
    if (last !== undefined && !Number.isNaN(last)) values = [last];
  } else if (trial.state === 'stopped') {
    systemAttrs[FUSETUNE_ATTR.retry] = trial.reason ?? 'stopped';
  } else if (trial.state === 'pending') {
    systemAttrs.fixed_params = { ...trial.params };
  }
  const time = (iso: string | undefined) => (iso === undefined ? null : formatOptunaDatetime(Date.parse(iso)));
  return {
    state,
    values,
    params: { ...trial.params },
    distributions,
    intermediate: trial.intermediate.map(({ step, value }) => [step, value] as const),
    userAttrs: trialUserAttrs(trial),
    systemAttrs,
    datetimeStart: state === 'WAITING' ? null : time(trial.startedAt),
    datetimeComplete: time(trial.finishedAt),
  };
}

/**
 * What update() writes when a trial ends and its params and reports are already recorded (the live
 * path: createTrial, update with params, setIntermediate per report, then this): state, values,
 * attrs and the finishing time.
 */
export function trialOutcome(trial: TrialRecord, study: Pick<Study, 'space' | 'objective'>): TrialData {
  const { params: _params, distributions: _distributions, intermediate: _intermediate, datetimeStart: _start, ...outcome } = trialToOptuna(trial, study);
  return outcome.state === 'RUNNING' ? { ...outcome, state: undefined } : outcome;
}

/** Writes a whole study record into the storage (created or opened by name): one CREATE_TRIAL record per trial, in index order. */
export async function recordStudy(storage: JournalStorage, study: Study, record: Pick<StudyRecord, 'trials'>): Promise<JournalStudy> {
  const { study: stored } = await openFusetuneStudy(storage, study);
  await storage.createTrials(
    stored.studyId,
    record.trials.map((t) => trialToOptuna(t, study)),
  );
  return stored;
}

// ---------------------------------------------------------------------------------------------
// Trials: Optuna → fusetune

/** The values a trial runs with: its params, or a WAITING trial's `fixed_params` (Optuna's enqueue_trial). */
function paramsOf(trial: JournalTrial): Params {
  const params = trialParams(trial);
  const fixed = trial.systemAttrs.fixed_params;
  if (Object.keys(params).length === 0 && typeof fixed === 'object' && fixed !== null && !Array.isArray(fixed)) return { ...(fixed as Params) };
  return params;
}

/** Throws ForeignParamsError naming each parameter name outside fusetune's vocabulary and each value it refuses. */
export function checkVocabulary(trials: readonly JournalTrial[]): void {
  const unknown = new Map<string, number[]>();
  const invalid: string[] = [];
  for (const trial of trials) {
    for (const [name, value] of Object.entries(paramsOf(trial))) {
      if (!isHyperparameter(name)) unknown.set(name, [...(unknown.get(name) ?? []), trial.number]);
      else {
        const problem = valueProblem(name, value);
        if (problem) invalid.push(`trial ${trial.number}: ${name} ${problem}`);
      }
    }
  }
  const problems = [
    ...[...unknown].map(([name, numbers]) => `${name} (trials ${numbers.slice(0, 5).join(', ')}${numbers.length > 5 ? ', …' : ''}) is not a fusetune hyperparameter`),
    ...invalid.slice(0, 20),
  ];
  if (problems.length > 0) throw new ForeignParamsError(problems);
}

const PAST_STATE: Readonly<Record<OptunaTrialState, PastTrial['state']>> = {
  RUNNING: 'running',
  WAITING: 'running',
  COMPLETE: 'complete',
  PRUNED: 'pruned',
  FAIL: 'failed',
};

/** Trials as a sampler's history (enqueued WAITING trials count as running with their fixed params). Throws ForeignParamsError. */
export function pastTrialsFromOptuna(trials: readonly JournalTrial[]): PastTrial[] {
  checkVocabulary(trials);
  return trials.map((trial) => ({
    number: trial.number,
    params: paramsOf(trial),
    state: PAST_STATE[trial.state],
    values: trial.state === 'COMPLETE' ? trial.values : null,
    intermediate: [...trial.intermediate].sort((a, b) => a[0] - b[0]),
  }));
}

const FUSETUNE_STATES: readonly TrialState[] = ['pending', 'running', 'done', 'pruned', 'diverged', 'failed', 'stopped'];

function fusetuneState(trial: JournalTrial): TrialState {
  // NOTE: failed for retry (stale, interrupted, past the budget) wins over fusetune's own word: a trial
  // whose final state record was torn off holds `fusetune:state` done but never finished.
  if (trial.state === 'FAIL' && Object.hasOwn(trial.systemAttrs, FUSETUNE_ATTR.retry)) return 'stopped';
  const recorded = trial.systemAttrs[FUSETUNE_ATTR.state];
  if (typeof recorded === 'string' && (FUSETUNE_STATES as readonly string[]).includes(recorded)) {
    // fusetune's own word, unless the trial moved on since it was written (failed as stale, claimed).
    const state = recorded as TrialState;
    if (OPTUNA_STATE[state] === trial.state || (state === 'done' && trial.state === 'FAIL')) return state;
  }
  switch (trial.state) {
    case 'WAITING':
      return 'pending';
    case 'RUNNING':
      return 'running';
    case 'COMPLETE':
      return 'done';
    case 'PRUNED':
      return 'pruned';
    case 'FAIL':
      return 'failed';
  }
}

const num = (v: JsonValue | undefined): number | null => (typeof v === 'number' ? v : null);

/** A regression trial's validation metrics (attrs, or the study's values); none for classification. */
function regressionMetrics(metric: (key: string, name: string) => number | null): Pick<TrialRecord, 'valRmse' | 'valMae' | 'valR2'> {
  const [valRmse, valMae, valR2] = (['val_rmse', 'val_mae', 'val_r2'] as const).map((m) => metric(m, m));
  return valRmse === null && valMae === null && valR2 === null ? {} : { valRmse, valMae, valR2 };
}

function testFromAttrs(a: Record<string, JsonValue>): TestMetrics | undefined {
  if (typeof a.test_loss !== 'number') return undefined;
  const test: TestMetrics = { loss: a.test_loss };
  for (const [key, field] of [
    ['test_accuracy', 'accuracy'],
    ['test_rmse', 'rmse'],
    ['test_mae', 'mae'],
    ['test_r2', 'r2'],
  ] as const) {
    if (typeof a[key] === 'number') test[field] = a[key];
  }
  return test;
}

function foldsFromAttrs(a: Record<string, JsonValue>): FoldValues | undefined {
  if (typeof a.cv_folds !== 'number') return undefined;
  const folds: FoldValues = { k: a.cv_folds, values: {}, std: {} };
  for (const metric of OBJECTIVE_METRICS) {
    const values = a[`cv_${metric}`];
    const std = a[`cv_${metric}_std`];
    if (Array.isArray(values) && values.every((v) => typeof v === 'number') && typeof std === 'number') {
      folds.values[metric] = values as number[];
      folds.std[metric] = std;
    }
  }
  return folds;
}
const isObject = (v: JsonValue | undefined): v is Record<string, JsonValue> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A journal trial as fusetune's TrialRecord. Trials fusetune wrote come back whole; for trials
 * Optuna wrote, the config is built from the params and the study's defaults (trialConfigOf) and the objective metrics come from the values. Throws ForeignParamsError.
 */
export function trialFromOptuna(trial: JournalTrial, study: Study): TrialRecord {
  checkVocabulary([trial]);
  const a = trial.userAttrs;
  const params = paramsOf(trial);
  const state = fusetuneState(trial);
  const config = isObject(a.config) && Array.isArray(a.config.hidden) ? (a.config as unknown as TrialConfig) : trialConfigOf(study, trial.number, params);
  const fromValues = (metric: string): number | null => {
    const i = study.objective.findIndex((o) => o.metric === metric);
    return i >= 0 && trial.values ? (trial.values[i] ?? null) : null;
  };
  const metric = (key: string, name: string) => (key in a ? num(a[key]) : fromValues(name));
  const time = (stamp: string | null) => (stamp === null ? undefined : new Date(parseOptunaDatetime(stamp)).toISOString());
  const record: TrialRecord = {
    index: trial.number,
    params,
    config,
    state,
    epochs: Array.isArray(a.epochs) ? (a.epochs as unknown as EpochMetrics[]) : [],
    intermediate: [...trial.intermediate].sort((x, y) => x[0] - y[0]).map(([step, value]) => ({ step, value })),
    curve: Array.isArray(a.curve) ? (a.curve as number[]) : [],
    stepsDone: num(a.steps_done) ?? 0,
    valAccuracy: metric('val_accuracy', 'val_accuracy'),
    valLoss: metric('val_loss', 'val_loss'),
    ...regressionMetrics(metric),
    trainLoss: num(a.train_loss),
    stepMs: num(a.step_ms),
    samplesPerSec: num(a.samples_per_sec),
    cohortSamplesPerSec: num(a.cohort_samples_per_sec),
  };
  const optional: Partial<TrialRecord> = {
    reason: typeof a.reason === 'string' ? a.reason : undefined,
    cohort: typeof a.cohort === 'string' ? a.cohort : undefined,
    slot: num(a.slot) ?? undefined,
    cohortTrials: num(a.cohort_trials) ?? undefined,
    divergedStep: num(a.diverged_step) ?? undefined,
    values: trial.values ? [...trial.values] : undefined,
    test: testFromAttrs(a),
    folds: foldsFromAttrs(a),
    cost: isObject(a.shape_cost) ? (a.shape_cost as unknown as ShapeCost) : undefined,
    bytes: isObject(a.device_bytes) ? (a.device_bytes as unknown as TrialBytes) : undefined,
    exploits: Array.isArray(a.exploits) ? (a.exploits as unknown as Exploit[]) : undefined,
    startedAt: time(trial.datetimeStart),
    finishedAt: time(trial.datetimeComplete),
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) (record as unknown as Record<string, unknown>)[key] = value;
  return record;
}
