// fusetune's own studies (a run in this page, a saved study, a results file) as the views' studies: the same ViewTrial, with the run's record attached.
import { METRIC_LABELS } from '../../model/objectives.ts';
import { objectivesOf } from '../../search/specs.ts';
import type { StudyInput } from '../../search/study.ts';
import { rawMetricValue, type StudyRecord, type TrialRecord } from '../../store/records.ts';
import { specsOfSpace, type ViewObjective, type ViewStudy, type ViewTrial } from './model.ts';

/** NOTE: one view per trial object; a running study's snapshot copies only the trials that changed, so the others keep their views. */
const views = new WeakMap<TrialRecord, ViewTrial>();

export function objectivesOfStudy(study: Pick<StudyInput, 'objective'>, task?: 'classification' | 'regression'): ViewObjective[] {
  return objectivesOf(study.objective, task).map((o) => ({ label: METRIC_LABELS[o.metric], direction: o.direction, metric: o.metric }));
}

function viewOfTrial(t: TrialRecord, objectives: readonly ViewObjective[]): ViewTrial {
  let view = views.get(t);
  if (view) return view;
  const values = t.state === 'done' ? objectives.map((o) => rawMetricValue(t, o.metric!) ?? NaN) : (t.values ?? null);
  view = { index: t.index, state: t.state, params: t.params, values, intermediate: t.intermediate, userAttrs: {}, systemAttrs: {}, distributions: {}, run: t };
  if (t.reason !== undefined) view.reason = t.reason;
  if (t.startedAt !== undefined) view.startedAt = t.startedAt;
  if (t.finishedAt !== undefined) view.finishedAt = t.finishedAt;
  views.set(t, view);
  return view;
}

/** A study fusetune ran, with `trials` as of now (the record's own, or a running study's snapshot of them). */
export function viewOfRecord(id: string, name: string, study: StudyInput, record: StudyRecord | null, trials: readonly TrialRecord[]): ViewStudy {
  const objectives = objectivesOfStudy(record?.study ?? study, record?.dataset.task);
  return {
    id,
    name,
    objectives,
    trials: trials.map((t) => viewOfTrial(t, objectives)),
    space: specsOfSpace((record?.study ?? study).space),
    userAttrs: {},
    systemAttrs: {},
    record,
    reportUnit: record?.reportUnit ?? 'epoch',
  };
}

/**
 * A journal study with fusetune's record of it (a journal fusetune wrote): each trial gets its run,
 * and fusetune's finer state (diverged, stopped) and reason.
 */
export function withRecord(view: ViewStudy, record: StudyRecord): ViewStudy {
  const runs = new Map(record.trials.map((t) => [t.index, t]));
  return {
    ...view,
    record,
    space: specsOfSpace(record.study.space),
    reportUnit: record.reportUnit ?? view.reportUnit,
    trials: view.trials.map((t) => {
      const run = runs.get(t.index);
      if (!run) return t;
      const merged: ViewTrial = { ...t, state: run.state, run };
      if (run.reason !== undefined) merged.reason = run.reason;
      return merged;
    }),
  };
}
