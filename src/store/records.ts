// What a study records about every trial and itself: the shape of study.json, the journal and the UI's data.
import type { AdapterReport } from '../gpu/adapter-report.ts';
import type { TimingSource } from '../gpu/timing.ts';
import type { Params } from '../search/space.ts';
import type { StudyInput } from '../search/study.ts';
import type { Objective, ObjectiveMetric } from '../model/objectives.ts';
import type { TrialState } from '../model/states.ts';
import type { TrialConfig } from '../model/trial-config.ts';

/** A trial's metrics where an epoch ended (with cross-validation: the mean over its folds). */
export interface EpochMetrics {
  epoch: number;
  step: number;
  trainLoss: number;
  valLoss: number;
  /** Classification. */
  trainAccuracy?: number;
  valAccuracy?: number;
  /** Regression, in the target's own units; R² against the validation rows' mean. */
  trainRmse?: number;
  valRmse?: number;
  valMae?: number;
  valR2?: number;
}

/** Held-out test metrics of a trial (the task's: accuracy, or RMSE, MAE and R² in the target's units). */
export interface TestMetrics {
  loss: number;
  accuracy?: number;
  rmse?: number;
  mae?: number;
  r2?: number;
}

/** Cross-validation: the trial's value of each validation metric on every fold, in fold order, and their standard deviation. */
export interface FoldValues {
  k: number;
  values: Partial<Record<ObjectiveMetric, number[]>>;
  std: Partial<Record<ObjectiveMetric, number>>;
}

export interface TrialBytes {
  weights: number;
  gradients: number;
  optimizer: number;
  /** This trial's share of the cohort's activation and batch buffers. */
  activations: number;
  total: number;
}

/** What a trial is measured at when trained alone (T = 1): the basis of speed and memory objectives. */
export interface ShapeCost {
  stepMs: number;
  samplesPerSec: number;
  /** Bytes a one-trial cohort of this shape holds on the device. */
  bytes: number;
}

/** One exploit of population-based training: at `step` the trial took `from`'s state and these parameters. */
export interface Exploit {
  step: number;
  from: number;
  params: Params;
}

export interface TrialRecord {
  index: number;
  /** The sampled hyperparameters (only the active ones); for PBT, those it started with. */
  params: Params;
  config: TrialConfig;
  state: TrialState;
  /** Why a trial was pruned, diverged, failed or stopped. */
  reason?: string;
  /** The cohort it trained in, its slot there and that cohort's size. */
  cohort?: string;
  slot?: number;
  cohortTrials?: number;
  epochs: EpochMetrics[];
  /** The first objective at each report, step in the study's report unit (epochs or optimizer steps). */
  intermediate: { step: number; value: number }[];
  /** Mean batch loss of every training step. */
  curve: number[];
  stepsDone: number;
  divergedStep?: number;
  /** Classification (null for regression). */
  valAccuracy: number | null;
  valLoss: number | null;
  /** Regression: validation RMSE and MAE in the target's own units, and R². */
  valRmse?: number | null;
  valMae?: number | null;
  valR2?: number | null;
  trainLoss: number | null;
  /** Cross-validation: the validation metrics of every fold (the trial's own are their means). */
  folds?: FoldValues;
  /** The objectives' values, in the study's order, once the trial is done. */
  values?: number[];
  /** Held-out test metrics: reported for the best trials only. */
  test?: TestMetrics;
  /** GPU milliseconds per training step of the trial's cohort (all its trials at once). */
  stepMs: number | null;
  /** Samples this trial trained per second: batch / stepMs. */
  samplesPerSec: number | null;
  /** Samples its whole cohort trained per second: trials × batch / stepMs. */
  cohortSamplesPerSec: number | null;
  /** Its shape's speed and bytes when trained alone (measured when a study optimizes them). */
  cost?: ShapeCost;
  bytes?: TrialBytes;
  /** PBT: every exploit, in order. */
  exploits?: Exploit[];
  startedAt?: string;
  finishedAt?: string;
}

export type StudyState = 'running' | 'done' | 'stopped' | 'failed';

/** Busy trial-steps over dispatched trial-steps: how full the fused dispatches were. */
export interface Occupancy {
  busy: number;
  dispatched: number;
}

export interface StudyRecord {
  version: 2;
  study: StudyInput;
  state: StudyState;
  reason?: string;
  adapter: AdapterReport;
  timing: TimingSource;
  dataset: {
    name: string;
    description: string;
    features: number;
    classes: number;
    split: { train: number; validation: number; test: number };
    /** Absent in records written before regression: classification. */
    task?: 'classification' | 'regression';
    /** Regression: the target column, whose units RMSE and MAE are in. */
    target?: string;
    /** Cross-validation folds over the training rows. */
    folds?: number;
  };
  trials: TrialRecord[];
  /** Index of the best finished trial by the (first) objective. */
  best: number | null;
  /** With several objectives: the trials no other trial beats in all of them (non-dominated), best first. */
  paretoFront?: number[];
  /** Where intermediate values are counted. */
  reportUnit?: 'epoch' | 'step';
  /** Samples trained by every trial together (steps × batch). */
  samplesTrained?: number;
  occupancy?: Occupancy;
  /** Per cohort: its id, shape and occupancy. */
  cohorts?: { id: string; shape: string; slots: number; trials: number[]; occupancy: Occupancy }[];
  startedAt: string;
  finishedAt?: string;
  wallMs?: number;
}

/** A trial's record before it trains: asked, with its parameters and config. */
export function newTrialRecord(index: number, params: Params, config: TrialConfig): TrialRecord {
  return { index, params, config, state: 'pending', epochs: [], intermediate: [], curve: [], stepsDone: 0, valAccuracy: null, valLoss: null, trainLoss: null, stepMs: null, samplesPerSec: null, cohortSamplesPerSec: null };
}

/** The recorded value of `metric`, NaN and infinities included; null when the trial has none. */
export function rawMetricValue(trial: TrialRecord, metric: ObjectiveMetric): number | null {
  switch (metric) {
    case 'val_accuracy':
      return trial.valAccuracy;
    case 'val_loss':
      return trial.valLoss;
    case 'val_rmse':
      return trial.valRmse ?? null;
    case 'val_mae':
      return trial.valMae ?? null;
    case 'val_r2':
      return trial.valR2 ?? null;
    case 'samples_per_sec':
      return trial.cost?.samplesPerSec ?? null;
    case 'step_ms':
      return trial.cost?.stepMs ?? null;
    case 'device_bytes':
      return trial.cost?.bytes ?? null;
  }
}

/** The held-out test figure of a validation metric (val_rmse: the test RMSE), or null where the trial was not tested on it. */
export function testMetricValue(trial: TrialRecord, metric: ObjectiveMetric): number | null {
  return metric.startsWith('val_') ? (trial.test?.[metric.slice(4) as keyof TestMetrics] ?? null) : null;
}

/** The value of `metric` for a trial that has a finite one (finished, or a shape metric once measured), else null. */
export function metricValue(trial: TrialRecord, metric: ObjectiveMetric): number | null {
  const value = rawMetricValue(trial, metric);
  return value !== null && Number.isFinite(value) ? value : null;
}

/** The objective's value of a trial, or null when it has none (not done, diverged...). */
export function objectiveValue(trial: TrialRecord, objective: Objective): number | null {
  if (trial.state !== 'done') return null;
  return metricValue(trial, objective.metric);
}

/** Every objective's value, or null unless the trial has them all. */
export function objectiveValues(trial: TrialRecord, objectives: readonly Objective[]): number[] | null {
  const values = objectives.map((o) => objectiveValue(trial, o));
  return values.every((v) => v !== null) ? (values as number[]) : null;
}

/** Trials sorted best first by the objective; those without a value last, by index. */
export function rankTrials(trials: readonly TrialRecord[], objective: Objective): TrialRecord[] {
  const sign = objective.direction === 'maximize' ? -1 : 1;
  return [...trials].sort((a, b) => {
    const va = objectiveValue(a, objective);
    const vb = objectiveValue(b, objective);
    if (va === null || vb === null) return va === null && vb === null ? a.index - b.index : va === null ? 1 : -1;
    return sign * (va - vb) || a.index - b.index;
  });
}
