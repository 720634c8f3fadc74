// What `fusetune run` prints after the ranked table: the Pareto front, early stops, PBT schedules, occupancy.
import { METRIC_LABELS, type Objective, type ObjectiveMetric } from '../model/objectives.ts';
import { objectivesOf } from '../search/specs.ts';
import { metricValue, type StudyRecord, type TrialRecord } from '../store/records.ts';
import { fmt, pct, table } from './format.ts';

/** A metric's value as the CLI prints it: accuracy in percent, bytes in MiB, the rest as numbers. */
export function formatMetric(metric: ObjectiveMetric, value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  if (metric === 'val_accuracy') return pct(value);
  if (metric === 'device_bytes') return `${fmt(value / 2 ** 20, 3)} MiB`;
  return fmt(value, metric === 'samples_per_sec' ? 6 : 3);
}

function metricText(trial: TrialRecord, objective: Objective): string {
  return formatMetric(objective.metric, metricValue(trial, objective.metric));
}

/** The non-dominated trials of a study with several objectives, best first by the first objective. */
export function paretoTable(record: StudyRecord): string | null {
  const front = record.paretoFront;
  if (!front) return null;
  const objectives = objectivesOf(record.study.objective);
  const rows = front.map((index) => {
    const t = record.trials[index]!;
    const c = t.config;
    return [String(index), ...objectives.map((o) => metricText(t, o)), `${c.optimizer.kind} lr=${fmt(c.optimizer.lr)} b=${c.batchSize} h=${c.hidden.join('-') || 'none'}`];
  });
  return `Pareto front (${front.length} of ${record.trials.filter((t) => t.state === 'done').length} finished trials; no other trial is better in every objective):\n${table(['trial', ...objectives.map((o) => METRIC_LABELS[o.metric]), 'config'], rows)}`;
}

/** How the search spent its budget: trials by state, samples trained, slot occupancy. */
export function budgetLine(record: StudyRecord): string {
  const count = (state: TrialRecord['state']) => record.trials.filter((t) => t.state === state).length;
  const parts = [`${count('done')} done`];
  for (const state of ['pruned', 'diverged', 'failed', 'stopped'] as const) if (count(state) > 0) parts.push(`${count(state)} ${state}`);
  const occupancy = record.occupancy && record.occupancy.dispatched > 0 ? `; slots busy ${pct(record.occupancy.busy / record.occupancy.dispatched)} of dispatched trial-steps` : '';
  const samples = record.samplesTrained !== undefined ? `; ${fmt(record.samplesTrained, 4)} samples trained` : '';
  return `trials: ${parts.join(', ')}${samples}${occupancy}`;
}

/** A PBT trial's hyperparameters over its steps: where it started and every exploit. */
export function scheduleOf(trial: TrialRecord): { step: number; from: number | null; params: TrialRecord['params'] }[] {
  return [{ step: 0, from: null, params: trial.params }, ...(trial.exploits ?? []).map((e) => ({ step: e.step, from: e.from, params: e.params }))];
}

export function scheduleCsv(trial: TrialRecord): string {
  const rows = scheduleOf(trial);
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.params)))];
  return [['step', 'copied_from', ...names].join(','), ...rows.map((r) => [r.step, r.from ?? '', ...names.map((n) => String(r.params[n] ?? ''))].join(','))].join('\n') + '\n';
}

export function scheduleTable(trial: TrialRecord): string | null {
  if (!trial.exploits?.length) return null;
  const rows = scheduleOf(trial);
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.params)))];
  return `trial ${trial.index}'s hyperparameter schedule (PBT):\n${table(
    ['step', 'copied from', ...names],
    rows.map((r) => [String(r.step), r.from === null ? '-' : String(r.from), ...names.map((n) => (typeof r.params[n] === 'number' ? fmt(r.params[n] as number) : String(r.params[n] ?? '')))]),
  )}`;
}
