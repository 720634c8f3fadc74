// fusetune's own record of a study it wrote into a journal (its study file, curves, epochs, speed and bytes): what the views add to the journal's records when it is there.
import { isFinished } from '../../model/states.ts';
import type { DataSpec } from '../../data/spec.ts';
import { parseStudy, studyToJson, type Study } from '../../search/study.ts';
import { FUSETUNE_ATTR, type JournalStudy, type JournalTrial } from '../../store/optuna-journal.ts';
import { STUDY_ATTR, trialFromOptuna } from '../../store/optuna-mapping.ts';
import { rankTrials, objectiveValue, type StudyRecord, type TrialRecord } from '../../store/records.ts';

/** A journal study whose fusetune record cannot be read, and why (the study still shows from its records). */
export class JournalStudyError extends Error {
  constructor(
    readonly studyName: string,
    reason: string,
  ) {
    super(`study "${studyName}": ${reason}`);
    this.name = 'JournalStudyError';
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
 * fusetune's record of a study it wrote into a journal (`fusetune:study` is set), every trial
 * whole; null for a study fusetune did not write. Throws JournalStudyError (the recorded study
 * file does not parse) or the mapping's errors: the views then show the journal's records alone.
 */
export function fusetuneRecord(stored: JournalStudy, journalTrials: readonly JournalTrial[]): StudyRecord | null {
  const recorded = stored.userAttrs[STUDY_ATTR.study];
  if (recorded === undefined) return null;
  let study: Study;
  try {
    study = parseStudy(recorded);
  } catch (error) {
    throw new JournalStudyError(stored.name, `the study file recorded in the journal does not parse: ${(error as Error).message}`);
  }
  const trials = journalTrials.map((t) => {
    const trial = trialFromOptuna(t, study);
    const retry = t.systemAttrs[FUSETUNE_ATTR.retry];
    if (trial.state === 'stopped' && trial.reason === undefined && typeof retry === 'string') trial.reason = retry;
    return trial;
  });

  const unfinished = trials.filter((t) => !isFinished(t.state) && t.state !== 'stopped').length;
  const started = trials.map((t) => t.startedAt).filter((s): s is string => s !== undefined).sort();
  const ended = trials.map((t) => t.finishedAt).filter((s): s is string => s !== undefined).sort();
  const startedAt = started[0] ?? new Date(0).toISOString();
  const finishedAt = unfinished === 0 ? ended.at(-1) : undefined;
  const trainRows = trainRowsOf(trials, study);
  const top = rankTrials(trials, study.objective[0]!)[0];
  const record: StudyRecord = {
    version: 2,
    study: studyToJson(study),
    state: unfinished > 0 ? 'running' : 'done',
    adapter: { vendor: '', architecture: '', device: '', description: 'not recorded in the journal', isSoftware: false, features: [], limits: {}, runtime: 'browser' },
    timing: 'wall-clock',
    dataset: {
      name: study.data.kind,
      description: `${dataLabel(study.data)} (split sizes are not in the journal)`,
      features: 0,
      classes: 0,
      split: { train: trainRows, validation: 0, test: 0 },
    },
    trials,
    best: top && objectiveValue(top, study.objective[0]!) !== null ? top.index : null,
    reportUnit: reportUnitOf(study, trials),
    startedAt,
  };
  if (finishedAt !== undefined) Object.assign(record, { finishedAt, wallMs: Date.parse(finishedAt) - Date.parse(startedAt) });
  if (unfinished > 0) {
    record.reason = `${unfinished} trial${unfinished === 1 ? ' is' : 's are'} still running or waiting in the journal (a study in progress, or a run that was cut off)`;
  }
  return record;
}
