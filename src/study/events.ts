// What a running study tells its caller (the CLI's progress, the app's views), in the order it happens.
import type { EpochMetrics, Exploit, StudyRecord, TrialRecord } from '../store/records.ts';

export type StudyEvent =
  /** The study record as the run begins (trials kept from an earlier run, if any). */
  | { type: 'planned'; record: StudyRecord; cohorts: { id: string; trials: number[]; bytes: number }[] }
  /** New trials asked from the sampler; they are in record.trials already. */
  | { type: 'asked'; trials: TrialRecord[] }
  | { type: 'cohort-started'; cohort: string; trials: number[]; slots: number }
  /** A trial put in a free slot of a running cohort. */
  | { type: 'slot-refilled'; cohort: string; slot: number; index: number }
  | { type: 'progress'; stepsDone: number; stepsTotal: number; samplesPerSec: number; elapsedMs: number; trialsDone: number; trialsTotal: number; occupancy: number }
  | { type: 'curve'; index: number; fromStep: number; losses: number[] }
  | { type: 'epoch'; index: number; metrics: EpochMetrics }
  /** An intermediate value of the objective at `step` (the study's report unit). */
  | { type: 'report'; index: number; step: number; value: number }
  | { type: 'exploit'; index: number; exploit: Exploit }
  | { type: 'trial-finished'; trial: TrialRecord }
  /** Final parameters (kernel layout) of a finished trial among the best so far. */
  | { type: 'weights'; index: number; params: Float32Array; widths: number[] }
  | { type: 'done'; record: StudyRecord };
