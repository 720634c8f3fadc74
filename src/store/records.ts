// What a study records about every trial and itself: the shape of study.json, the journal and the UI's data.
import type { AdapterReport } from '../gpu/adapter-report.ts';
import type { TimingSource } from '../gpu/timing.ts';
import type { Params } from '../search/space.ts';
import type { StudyInput } from '../search/study.ts';
import type { TrialState } from '../model/states.ts';
import type { TrialConfig } from '../model/trial-config.ts';

export interface EpochMetrics {
  epoch: number;
  step: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
}

export interface TrialBytes {
  weights: number;
  gradients: number;
  optimizer: number;
  /** This trial's share of the cohort's activation and batch buffers. */
  activations: number;
  total: number;
}

export interface TrialRecord {
  index: number;
  /** The sampled hyperparameters (only the active ones). */
  params: Params;
  config: TrialConfig;
  state: TrialState;
  /** Why a trial diverged, failed or stopped. */
  reason?: string;
  /** The cohort it trained in and that cohort's size. */
  cohort?: string;
  cohortTrials?: number;
  epochs: EpochMetrics[];
  /** Mean batch loss of every training step. */
  curve: number[];
  stepsDone: number;
  divergedStep?: number;
  valAccuracy: number | null;
  valLoss: number | null;
  trainLoss: number | null;
  /** Held-out test metrics: reported for the best trials only. */
  test?: { accuracy: number; loss: number };
  /** GPU milliseconds per training step of the trial's cohort (all its trials at once). */
  stepMs: number | null;
  /** Samples this trial trained per second: batch / stepMs. */
  samplesPerSec: number | null;
  /** Samples its whole cohort trained per second: trials × batch / stepMs. */
  cohortSamplesPerSec: number | null;
  bytes?: TrialBytes;
  startedAt?: string;
  finishedAt?: string;
}

export type StudyState = 'running' | 'done' | 'stopped' | 'failed';

export interface StudyRecord {
  version: 1;
  study: StudyInput;
  state: StudyState;
  reason?: string;
  adapter: AdapterReport;
  timing: TimingSource;
  dataset: { name: string; description: string; features: number; classes: number; split: { train: number; validation: number; test: number } };
  trials: TrialRecord[];
  /** Index of the best finished trial by the objective. */
  best: number | null;
  startedAt: string;
  finishedAt?: string;
  wallMs?: number;
}

export type Objective = { metric: 'val_accuracy' | 'val_loss'; direction: 'maximize' | 'minimize' };

/** The objective's value of a trial, or null when it has none (not finished, diverged...). */
export function objectiveValue(trial: TrialRecord, objective: Objective): number | null {
  if (trial.state !== 'done') return null;
  const value = objective.metric === 'val_accuracy' ? trial.valAccuracy : trial.valLoss;
  return value !== null && Number.isFinite(value) ? value : null;
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
