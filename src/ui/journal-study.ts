// A study read from an Optuna journal (written by fusetune, or by Optuna itself) as the StudyRecord the Results views show.
import { METRIC_DIRECTIONS, METRIC_LABELS, OBJECTIVE_METRICS, type ObjectiveMetric } from '../model/objectives.ts';
import { isFinished } from '../model/states.ts';
import type { DataSpec } from '../data/spec.ts';
import { parseStudy, studyToJson, type Study, type StudyInput } from '../search/study.ts';
import type { JournalStorage } from '../store/journal-storage.ts';
import { FUSETUNE_ATTR, type JournalStudy, type JournalTrial } from '../store/optuna-journal.ts';
import { STUDY_ATTR, spaceFromOptuna, trialFromOptuna } from '../store/optuna-mapping.ts';
import { rankTrials, objectiveValue, type StudyRecord, type TrialRecord } from '../store/records.ts';

/** One study of a journal, as the app offers it to open. */
export interface JournalStudyChoice {
  studyId: number;
  name: string;
  trials: number;
  directions: readonly string[];
  /** Written by fusetune: the journal holds the study file it ran. */
  fusetune: boolean;
}

/** A study of a journal that the views cannot show, and why. */
export class JournalStudyError extends Error {
  constructor(
    readonly studyName: string,
    reason: string,
  ) {
    super(`study "${studyName}": ${reason}`);
    this.name = 'JournalStudyError';
  }
}

/** NOTE: a study Optuna wrote names no data set; its study gets this placeholder so that it parses (it never trains). */
export const UNRECORDED_DATA: DataSpec = { kind: 'csv', path: 'not-recorded-by-optuna.csv', labelColumn: 'label', validation: 0, standardize: false };

export function journalChoices(storage: JournalStorage): JournalStudyChoice[] {
  return storage.studies().map((study) => ({
    studyId: study.studyId,
    name: study.name,
    trials: storage.trials(study.studyId).length,
    directions: study.directions,
    fusetune: study.userAttrs[STUDY_ATTR.study] !== undefined,
  }));
}

// Metrics a value of Optuna's can stand for, by its direction, in the order they are handed out.
const STAND_INS = { maximize: ['val_accuracy', 'samples_per_sec'], minimize: ['val_loss', 'step_ms', 'device_bytes'] } as const;

/**
 * The objectives of a study Optuna wrote: its `study:metric_names` when they are fusetune's metrics
 * with the same directions, else stand-ins by direction (the first maximized value reads as
 * validation accuracy, the first minimized as validation loss…), with a note saying so.
 */
function optunaObjectives(study: JournalStudy): { metrics: ObjectiveMetric[]; note: string | null } {
  const directions = study.directions.map((d) => (d === 'maximize' ? 'maximize' : 'minimize'));
  const names = study.systemAttrs['study:metric_names'];
  const named = Array.isArray(names) && names.length === directions.length ? names : null;
  if (named && named.every((n, i) => (OBJECTIVE_METRICS as readonly unknown[]).includes(n) && METRIC_DIRECTIONS[n as ObjectiveMetric] === directions[i])) {
    return { metrics: named as ObjectiveMetric[], note: null };
  }
  const used = { maximize: 0, minimize: 0 };
  const metrics = directions.map((direction) => {
    const metric = STAND_INS[direction][used[direction]++];
    if (metric === undefined) throw new JournalStudyError(study.name, `it has ${used[direction]} objectives to ${direction}: the app can show at most ${STAND_INS[direction].length}`);
    return metric;
  });
  const what = named ? ` (Optuna names them ${named.map((n) => JSON.stringify(n)).join(', ')})` : '';
  const shown = metrics.length === 1 ? `its value (to ${directions[0]}) as ${METRIC_LABELS[metrics[0]!]}` : metrics.map((m, i) => `values[${i}] (to ${directions[i]}) as ${METRIC_LABELS[m]}`).join(', ');
  return { metrics, note: `Optuna wrote this study, and its journal does not say what its values measure${what}: the views show ${shown}.` };
}

/** The study file of a study Optuna wrote: its space from the trials' distributions, its objectives from its directions. */
function optunaStudy(stored: JournalStudy, trials: readonly JournalTrial[]): { study: Study; notes: string[] } {
  const { space, notes } = spaceFromOptuna(stored, trials);
  const { metrics, note } = optunaObjectives(stored);
  const input: StudyInput = {
    name: stored.name || 'optuna-study',
    data: UNRECORDED_DATA,
    space,
    budget: { trials: Math.max(1, trials.length) },
    objective: metrics.map((metric) => ({ metric })),
  };
  try {
    return { study: parseStudy(input), notes: [...(note ? [note] : []), ...notes] };
  } catch (error) {
    throw new JournalStudyError(stored.name, `its trials do not make a study fusetune reads: ${(error as Error).message}`);
  }
}

/**
 * Training rows implied by the trials' first epochs (steps per epoch = floor(rows / batch)), so that
 * steps turn into epochs on the views' axes; 0 when no trial finished an epoch. The journal does
 * not record the data's split.
 */
function trainRowsOf(trials: readonly TrialRecord[], study: Study): number {
  let low = 0;
  let high = Infinity;
  const cap = study.budget.maxStepsPerTrial;
  for (const t of trials) {
    const first = t.epochs[0];
    // The first entry ends an epoch unless the step cap cut the trial short in it.
    if (!first || first.step <= 0 || (t.epochs.length < 2 && cap !== undefined && first.step >= cap)) continue;
    const b = t.config.batchSize;
    low = Math.max(low, first.step * b);
    high = Math.min(high, (first.step + 1) * b - 1);
  }
  return low <= high ? low : 0;
}

/**
 * Where a fusetune study counted its intermediate values: its pruner's unit, else read off the steps
 * (in epochs no report passes a trial's epochs; PBT's and the steps unit's reports lie further).
 */
function reportUnitOf(study: Study, trials: readonly TrialRecord[]): 'epoch' | 'step' {
  if (study.pruner.type !== 'none' && study.pruner.unit) return study.pruner.unit;
  return trials.every((t) => t.intermediate.every((r) => r.step <= t.config.epochs)) ? 'epoch' : 'step';
}

function dataLabel(data: DataSpec): string {
  switch (data.kind) {
    case 'mnist':
      return `MNIST ${data.pixels} pixels${data.trainLimit === undefined ? '' : `, first ${data.trainLimit} training rows`}`;
    case 'csv':
      return `CSV ${data.path}`;
    case 'table':
      return `table ${data.path}, target ${data.target}`;
    default:
      return `${data.kind} (synthetic, ${data.n} rows, seed ${data.seed}, noise ${data.noise})`;
  }
}

/**
 * The study `studyId` of a replayed journal as a read-only StudyRecord with notes on what the
 * journal could not carry. A study fusetune wrote comes back with its study file and every trial
 * whole; for one Optuna wrote, the space is built from its trials' distributions and the objectives
 * from its directions. Throws ForeignParamsError (parameters fusetune does not know, named) or
 * JournalStudyError.
 */
export function studyFromJournal(storage: JournalStorage, studyId: number): { record: StudyRecord; notes: string[] } {
  const stored = storage.study(studyId);
  const journalTrials = storage.trials(studyId);
  const recorded = stored.userAttrs[STUDY_ATTR.study];
  let study: Study;
  let notes: string[] = [];
  if (recorded !== undefined) {
    try {
      study = parseStudy(recorded);
    } catch (error) {
      throw new JournalStudyError(stored.name, `the study file recorded in the journal does not parse: ${(error as Error).message}`);
    }
  } else ({ study, notes } = optunaStudy(stored, journalTrials));

  const shapeMetrics = recorded === undefined && study.objective.some((o) => o.metric !== 'val_accuracy' && o.metric !== 'val_loss');
  const trials = journalTrials.map((t) => {
    const trial = trialFromOptuna(t, study);
    const retry = t.systemAttrs[FUSETUNE_ATTR.retry];
    if (trial.state === 'stopped' && trial.reason === undefined && typeof retry === 'string') trial.reason = retry;
    if (shapeMetrics && t.values) {
      // Optuna's values standing in for shape metrics are read where the views read those.
      const value = (metric: ObjectiveMetric) => t.values![study.objective.findIndex((o) => o.metric === metric)] ?? NaN;
      trial.cost = { samplesPerSec: value('samples_per_sec'), stepMs: value('step_ms'), bytes: value('device_bytes') };
    }
    return trial;
  });

  const unfinished = trials.filter((t) => !isFinished(t.state) && t.state !== 'stopped').length;
  const started = trials.map((t) => t.startedAt).filter((s): s is string => s !== undefined).sort();
  const ended = trials.map((t) => t.finishedAt).filter((s): s is string => s !== undefined).sort();
  const startedAt = started[0] ?? new Date(0).toISOString();
  const finishedAt = unfinished === 0 ? ended.at(-1) : undefined;
  const trainRows = recorded === undefined ? 0 : trainRowsOf(trials, study);
  const top = rankTrials(trials, study.objective[0]!)[0];
  const record: StudyRecord = {
    version: 2,
    study: studyToJson(study),
    state: unfinished > 0 ? 'running' : 'done',
    adapter: { vendor: '', architecture: '', device: '', description: 'not recorded in the journal', isSoftware: false, features: [], limits: {}, runtime: 'browser' },
    timing: 'wall-clock',
    dataset: {
      name: recorded === undefined ? 'unknown' : study.data.kind,
      description: recorded === undefined ? 'not recorded (Optuna wrote the study)' : `${dataLabel(study.data)} (split sizes are not in the journal)`,
      features: 0,
      classes: 0,
      split: { train: trainRows, validation: 0, test: 0 },
    },
    trials,
    best: top && objectiveValue(top, study.objective[0]!) !== null ? top.index : null,
    reportUnit: recorded === undefined ? 'step' : reportUnitOf(study, trials),
    startedAt,
  };
  if (finishedAt !== undefined) Object.assign(record, { finishedAt, wallMs: Date.parse(finishedAt) - Date.parse(startedAt) });
  if (unfinished > 0) {
    record.reason = `${unfinished} trial${unfinished === 1 ? ' is' : 's are'} still running or waiting in the journal (a study in progress, or a run that was cut off)`;
  }
  return { record, notes };
}
