// Journal lines that add one finished trial as an Optuna worker writes it (created, each param, its values, COMPLETE),
// for tests that append to a journal a server is following.
import { formatOptunaDatetime } from '../../src/store/optuna-journal.ts';

export interface ParamRecord {
  name: string;
  internal: number;
  /** The distribution as Optuna stores it: JSON text. */
  distribution: string;
}

type Line = Record<string, unknown> & { op_code: number };

const WORKER = 'test-worker-0';

/** Lines (each `\n`-terminated) for trial `trialId` (its global id: the journal's count of op 4) of study `studyId`. */
export function trialLines(studyId: number, trialId: number, params: readonly ParamRecord[], values: readonly number[]): string {
  const now = formatOptunaDatetime(Date.now());
  const lines: Line[] = [
    { op_code: 4, worker_id: WORKER, study_id: studyId, datetime_start: now },
    ...params.map((p) => ({ op_code: 5, worker_id: WORKER, trial_id: trialId, param_name: p.name, param_value_internal: p.internal, distribution: p.distribution })),
    { op_code: 6, worker_id: WORKER, trial_id: trialId, state: 1, values, datetime_complete: now },
  ];
  return lines.map((line) => `${JSON.stringify(line)}\n`).join('');
}

/**
 * Lines for one more finished trial of a journal's first study, with the params of that study's
 * first trial (the same distributions, so Optuna and the viewer accept it), whether they were
 * written with the trial (op 4) or one by one (op 5).
 */
export function nextTrialLines(journal: string, values: readonly number[]): string {
  const records = journal.split('\n').filter(Boolean).map((line) => JSON.parse(line.replace(/\bNaN\b|-?Infinity\b/g, 'null')) as Line);
  const created = records.filter((r) => r.op_code === 4);
  const firstId = created.findIndex((r) => r.study_id === 0);
  const first = created[firstId]!;
  const params: ParamRecord[] = [];
  const written = (first.params ?? {}) as Record<string, number>;
  const distributions = (first.distributions ?? {}) as Record<string, string>;
  for (const [name, internal] of Object.entries(written)) params.push({ name, internal, distribution: distributions[name]! });
  for (const r of records) {
    if (r.op_code === 5 && r.trial_id === firstId) params.push({ name: r.param_name as string, internal: r.param_value_internal as number, distribution: r.distribution as string });
  }
  return trialLines(0, created.length, params, values);
}
