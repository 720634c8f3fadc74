// Exports of a study's records: the trials as CSV rows (one per trial), shared by the CLI and the app.
import Papa from 'papaparse';
import type { StudyRecord, TrialRecord } from './records.ts';

/** One flat row per trial: outcome, metrics, speed, bytes, then the resolved configuration and the sampled values. */
export function trialRow(trial: TrialRecord): Record<string, string | number | null> {
  const c = trial.config;
  const row: Record<string, string | number | null> = {
    trial: trial.index,
    state: trial.state,
    reason: trial.reason ?? null,
    val_accuracy: trial.valAccuracy,
    val_loss: trial.valLoss,
    train_loss: trial.trainLoss,
    test_accuracy: trial.test?.accuracy ?? null,
    test_loss: trial.test?.loss ?? null,
    epochs_done: trial.epochs.length,
    steps: trial.stepsDone,
    diverged_step: trial.divergedStep ?? null,
    step_ms: trial.stepMs,
    samples_per_sec: trial.samplesPerSec,
    cohort_samples_per_sec: trial.cohortSamplesPerSec,
    cohort: trial.cohort ?? null,
    cohort_trials: trial.cohortTrials ?? null,
    bytes_weights: trial.bytes?.weights ?? null,
    bytes_gradients: trial.bytes?.gradients ?? null,
    bytes_optimizer: trial.bytes?.optimizer ?? null,
    bytes_activations: trial.bytes?.activations ?? null,
    bytes_total: trial.bytes?.total ?? null,
    hidden: c.hidden.join('-'),
    activation: c.activation,
    batch_size: c.batchSize,
    epochs: c.epochs,
    optimizer: c.optimizer.kind,
    lr: c.optimizer.lr,
    l1: c.l1,
    l2: c.l2,
    dropout: c.dropout,
    seed: c.seed,
  };
  // Regression and cross-validation columns only where the study has them.
  if (trial.valRmse !== undefined) Object.assign(row, { val_rmse: trial.valRmse, val_mae: trial.valMae ?? null, val_r2: trial.valR2 ?? null, test_rmse: trial.test?.rmse ?? null, test_mae: trial.test?.mae ?? null, test_r2: trial.test?.r2 ?? null });
  for (const [metric, std] of Object.entries(trial.folds?.std ?? {})) row[`cv_${metric}_std`] = std;
  for (const [name, value] of Object.entries(trial.params)) row[`param_${name}`] = value === null ? null : typeof value === 'boolean' ? String(value) : value;
  return row;
}

export function trialsCsv(record: Pick<StudyRecord, 'trials'>): string {
  const rows = record.trials.map(trialRow);
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return Papa.unparse({ fields: columns, data: rows.map((r) => columns.map((k) => r[k] ?? '')) }) + '\n';
}
