// An ordinary Optuna study's journal of any size, written at test time (not checked in): Optuna's parameter names and distributions, a conditional parameter, COMPLETE, PRUNED and FAIL trials with reports, one or two objectives.
import { distributionToJson, encodeRecord, formatOptunaDatetime, OP, type JournalRecord, type OptunaDistribution } from '../../src/store/optuna-journal.ts';
import { Rng } from '../../src/util/random.ts';

const DISTRIBUTIONS: Record<string, OptunaDistribution> = {
  lr: { name: 'FloatDistribution', low: 1e-5, high: 1e-1, log: true, step: null },
  weight_decay: { name: 'FloatDistribution', low: 1e-6, high: 1e-2, log: true, step: null },
  dropout: { name: 'FloatDistribution', low: 0, high: 0.5, log: false, step: null },
  n_layers: { name: 'IntDistribution', low: 1, high: 3, log: false, step: 1 },
  n_units_l0: { name: 'IntDistribution', low: 16, high: 512, log: true, step: 1 },
  n_units_l1: { name: 'IntDistribution', low: 16, high: 512, log: true, step: 1 },
  optimizer: { name: 'CategoricalDistribution', choices: ['Adam', 'SGD', 'RMSprop'] },
};

export interface BigJournalOptions {
  trials: number;
  objectives: 1 | 2;
  seed?: number;
  /** Reports per finished trial. */
  reports?: number;
}

/**
 * The journal text of one study of `trials` trials, each written whole (one CREATE_TRIAL record, as
 * Optuna's `add_trial` writes it): accuracy driven by lr (log) and the optimizer, the second
 * objective (seconds) by the widths and depth. 80% COMPLETE, 15% PRUNED (reports stop early), 5% FAIL.
 */
export function bigJournal(options: BigJournalOptions): string {
  const rng = new Rng(options.seed ?? 1);
  const reports = options.reports ?? 8;
  const directions = options.objectives === 2 ? [2, 1] : [2];
  const lines: JournalRecord[] = [{ op_code: OP.CREATE_STUDY, worker_id: 'gen', study_name: `big-${options.objectives}-objective${options.objectives === 1 ? '' : 's'}`, directions }];
  lines.push({ op_code: OP.SET_STUDY_SYSTEM_ATTR, worker_id: 'gen', study_id: 0, system_attr: { 'study:metric_names': options.objectives === 2 ? ['accuracy', 'seconds'] : ['accuracy'] } });
  let clock = Date.parse('2026-03-01T08:00:00Z');
  for (let n = 0; n < options.trials; n++) {
    const log = (low: number, high: number) => Math.exp(rng.uniform(Math.log(low), Math.log(high)));
    const params: Record<string, number> = {
      lr: log(1e-5, 1e-1),
      weight_decay: log(1e-6, 1e-2),
      dropout: rng.uniform(0, 0.5),
      n_layers: 1 + rng.int(3),
      n_units_l0: Math.round(log(16, 512)),
      optimizer: rng.int(3),
    };
    if (params.n_layers! >= 2) params.n_units_l1 = Math.round(log(16, 512));
    const accuracy = Math.max(0.1, 0.98 - 0.05 * (Math.log10(params.lr!) + 3) ** 2 - [0, 0.06, 0.02][params.optimizer!]! - 0.05 * Math.abs(params.dropout! - 0.15) + 0.01 * rng.normal());
    const seconds = (params.n_units_l0! * params.n_layers! + (params.n_units_l1 ?? 0)) / 40 + rng.uniform(0, 1);
    const roll = rng.next();
    const state = roll < 0.05 ? 3 : roll < 0.2 ? 2 : 1;
    const reported = state === 2 ? 1 + rng.int(reports - 1) : state === 3 ? rng.int(3) : reports;
    const intermediate: Record<string, number> = {};
    for (let s = 0; s < reported; s++) intermediate[String(s)] = accuracy - (accuracy - 0.1) * Math.exp(-0.6 * (s + 1));
    const start = clock;
    clock += 1000 + rng.int(30_000);
    const distributions = Object.fromEntries(Object.keys(params).map((name) => [name, distributionToJson(DISTRIBUTIONS[name]!)]));
    const values = state === 1 ? (options.objectives === 2 ? [accuracy, seconds] : [accuracy]) : state === 2 && options.objectives === 1 ? [intermediate[String(reported - 1)]!] : null;
    lines.push({
      op_code: OP.CREATE_TRIAL,
      worker_id: 'gen',
      study_id: 0,
      datetime_start: formatOptunaDatetime(start),
      datetime_complete: formatOptunaDatetime(clock),
      state,
      ...(values ? (values.length === 1 ? { value: values[0]! } : { values }) : {}),
      params,
      distributions,
      user_attrs: { batch: 32 << rng.int(4) },
      system_attrs: {},
      intermediate_values: intermediate,
    } as JournalRecord);
  }
  return lines.map((r) => `${encodeRecord(r)}\n`).join('');
}
