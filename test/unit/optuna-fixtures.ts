// Studies and trial records of every kind (states, distributions, objectives, NaN and Infinity) for the journal tests.
import { expect } from 'vitest';
import { parseStudy, type Study } from '../../src/search/study.ts';
import type { Params } from '../../src/search/space.ts';
import { toTrialConfig } from '../../src/search/to-trial-config.ts';
import type { TrialState } from '../../src/model/states.ts';
import type { TrialRecord } from '../../src/store/records.ts';
import type { JournalStorage } from '../../src/store/journal-storage.ts';
import { openFusetuneStudy, recordStudy, trialOutcome, trialToOptuna } from '../../src/store/optuna-mapping.ts';

const space = {
  lr: { type: 'float', low: 0.0001, high: 0.1, log: true },
  l2: { type: 'float', low: 0, high: 0.01, step: 0.001 },
  batch_size: { type: 'categorical', choices: [16, 32, 64] },
  layers: { type: 'int', low: 1, high: 3 },
  units: { type: 'int', low: 16, high: 128, step: 16 },
  units_2: { type: 'int', low: 8, high: 64, log: true, when: { param: 'layers', op: 'gte', value: 2 } },
  optimizer: { type: 'categorical', choices: ['sgd', 'momentum', 'adam'] },
  momentum: { type: 'float', distribution: 'normal', mean: 0.9, std: 0.05, low: 0, when: { param: 'optimizer', op: 'eq', value: 'momentum' } },
  dropout: { type: 'float', distribution: 'normal', mean: 0.1, std: 0.05, low: 0, high: 0.5 },
  activation: { type: 'fixed', value: 'relu' },
} as const;

export function fixtureStudy(name: string, objectives: 1 | 2): Study {
  return parseStudy({
    name,
    seed: 7,
    data: { kind: 'xor', n: 200, noise: 0.05, seed: 4 },
    space,
    defaults: { epochs: 3 },
    budget: { trials: 12 },
    objective: objectives === 1 ? { metric: 'val_accuracy' } : [{ metric: 'val_accuracy' }, { metric: 'samples_per_sec' }],
  });
}

const base = (index: number, params: Params, state: TrialState): TrialRecord => ({
  index,
  params,
  config: toTrialConfig(params, { seed: 1000 + index, defaults: { epochs: 3 } }),
  state,
  epochs: [],
  intermediate: [],
  curve: [],
  stepsDone: 0,
  valAccuracy: null,
  valLoss: null,
  trainLoss: null,
  stepMs: null,
  samplesPerSec: null,
  cohortSamplesPerSec: null,
});

function trained(record: TrialRecord, epochs: number, accuracy: number[]): TrialRecord {
  const metrics = accuracy.slice(0, epochs).map((a, epoch) => ({ epoch, step: (epoch + 1) * 20, trainLoss: 1 - a + 0.05, trainAccuracy: a + 0.01, valLoss: 1 - a, valAccuracy: a }));
  const last = metrics.at(-1)!;
  return {
    ...record,
    epochs: metrics,
    intermediate: metrics.map((m) => ({ step: m.epoch, value: m.valAccuracy })),
    curve: Array.from({ length: epochs * 20 }, (_, s) => 1 / (1 + s) + 0.1234567),
    stepsDone: epochs * 20,
    valAccuracy: last.valAccuracy,
    valLoss: last.valLoss,
    trainLoss: last.trainLoss,
    stepMs: 0.75,
    samplesPerSec: 21333.3,
    cohortSamplesPerSec: 85333.3,
    cohort: 'c0',
    slot: record.index % 4,
    cohortTrials: 4,
    bytes: { weights: 4096, gradients: 4096, optimizer: 8192, activations: 2048, total: 18432 },
    startedAt: `2026-09-01T10:00:0${record.index % 10}.123Z`,
  };
}

const finish = (record: TrialRecord, state: TrialState, extra: Partial<TrialRecord> = {}): TrialRecord => ({
  ...record,
  state,
  finishedAt: `2026-09-01T10:05:0${record.index % 10}.456Z`,
  ...extra,
});

/** One trial of every kind fusetune records, in index order; `objectives` = 2 adds shape costs and two values. */
export function fixtureTrials(objectives: 1 | 2): TrialRecord[] {
  const p = (extra: Params): Params => ({ lr: 0.003, l2: 0.002, batch_size: 32, layers: 1, units: 64, optimizer: 'adam', dropout: 0.12, activation: 'relu', ...extra });
  const cost = objectives === 2 ? { cost: { stepMs: 0.5, samplesPerSec: 64000 + 0.5, bytes: 18432 } } : {};
  const values = (v: number, t: TrialRecord) => (objectives === 2 ? [v, t.cost?.samplesPerSec ?? NaN] : [v]);
  const trials: TrialRecord[] = [];
  const add = (make: (index: number) => TrialRecord) => trials.push(make(trials.length));
  add((i) => {
    const t = { ...trained(base(i, p({ layers: 2, units_2: 32 }), 'running'), 3, [0.6, 0.7, 0.8]), ...cost };
    return finish(t, 'done', { values: values(0.8, t), test: { accuracy: 0.79, loss: 0.41 } });
  });
  add((i) => {
    const t = { ...trained(base(i, p({ optimizer: 'momentum', momentum: 0.93, lr: 0.0001 }), 'running'), 3, [0.5, 0.55, 0.61]), ...cost };
    // No values recorded: the mapping takes them from the metrics.
    return finish(t, 'done');
  });
  add((i) => finish({ ...trained(base(i, p({ layers: 3, units_2: 8, batch_size: 64 }), 'running'), 1, [0.3]), ...cost }, 'pruned', { reason: 'below the median at epoch 0' }));
  add((i) => {
    const t = trained(base(i, p({ lr: 0.1, l2: 0 }), 'running'), 2, [0.4, NaN]);
    t.intermediate.push({ step: 2, value: Infinity });
    t.curve[5] = NaN;
    t.curve[6] = -Infinity;
    return finish({ ...t, valLoss: NaN, trainLoss: Infinity }, 'diverged', { reason: 'loss or an update became NaN/Inf at step 25', divergedStep: 25 });
  });
  add((i) => finish(base(i, p({ batch_size: 16, units: 128 }), 'failed'), 'failed', { reason: 'cohort c1: out of memory' }));
  add((i) => ({ ...trained(base(i, p({ dropout: 0, l2: 0.01 }), 'running'), 2, [0.45, 0.5]), ...cost }));
  add((i) => finish({ ...trained(base(i, p({ dropout: 0.5 }), 'running'), 1, [0.2]) }, 'stopped', { reason: 'stopped before the planned steps' }));
  add((i) => base(i, p({ lr: 0.01, units: 16 }), 'pending'));
  add((i) => {
    const t = { ...trained(base(i, p({ units: 32 }), 'running'), 3, [0.7, 0.75, 0.9]), ...cost };
    // A done trial with a NaN objective: Optuna records such a trial as FAIL.
    return finish({ ...t, valAccuracy: NaN }, 'done', { values: objectives === 2 ? [NaN, 64000.5] : [NaN] });
  });
  add((i) => {
    const t = { ...trained(base(i, p({ lr: 0.05 }), 'running'), 2, [0.55, 0.65]), ...cost, exploits: [{ step: 20, from: 0, params: { lr: 0.004 } }] };
    return finish(t, 'done', { values: values(0.65, t), valLoss: Infinity });
  });
  return trials;
}

/** A study as the Python dump (DUMP_STUDIES_PY) shows it. */
interface PythonStudy {
  directions: string[];
  system_attrs: unknown;
  trials: { number: number; state: string; values: readonly number[] | null; params: unknown; distributions: unknown; intermediate: unknown; user_attrs: unknown; system_attrs: unknown; datetime_start: string | null; datetime_complete: string | null }[];
}

export interface WrittenStudy {
  study: Study;
  trials: TrialRecord[];
  /** Written whole (one CREATE_TRIAL each) or as a worker does: created RUNNING, then params, reports and the result. */
  path: 'at-once' | 'live';
}

/** Writes "one" (one objective, every trial at once) and "two" (two objectives, as a live worker would). */
export async function writeEveryKind(storage: JournalStorage): Promise<WrittenStudy[]> {
  const one = fixtureStudy('one', 1);
  await recordStudy(storage, one, { trials: fixtureTrials(1) });
  const two = fixtureStudy('two', 2);
  const trials = fixtureTrials(2);
  const { study } = await openFusetuneStudy(storage, two);
  await storage.heartbeat(study.studyId);
  for (const trial of trials) {
    const data = trialToOptuna(trial, two);
    if (data.state === 'WAITING') {
      await storage.createTrial(study.studyId, data);
      continue;
    }
    const created = await storage.createTrial(study.studyId);
    await storage.update(created.trialId, { params: data.params, distributions: data.distributions });
    for (const [step, value] of data.intermediate ?? []) await storage.batch().setIntermediate(created.trialId, step, value).commitAll();
    await storage.update(created.trialId, trialOutcome(trial, two));
  }
  return [
    { study: one, trials: fixtureTrials(1), path: 'at-once' },
    { study: two, trials, path: 'live' },
  ];
}

/** Python's reading of each trial against what the mapping meant to write. */
export function expectIntact(view: Record<string, PythonStudy>, written: WrittenStudy[]): void {
  for (const { study, trials, path } of written) {
    const read = view[study.name]!;
    expect(read.directions).toEqual(study.objective.map((o) => o.direction.toUpperCase()));
    expect(read.system_attrs).toMatchObject({ 'study:metric_names': study.objective.map((o) => o.metric) });
    expect(read.trials).toHaveLength(trials.length);
    trials.forEach((trial, i) => {
      const data = trialToOptuna(trial, study);
      const got = read.trials[i]!;
      const label = `${study.name} trial ${i} (${trial.state})`;
      expect([label, got.number, got.state, got.values], label).toEqual([label, i, data.state, data.values]);
      expect(got.params, label).toEqual(data.params);
      expect(got.distributions, label).toEqual(data.distributions);
      expect(got.intermediate, label).toEqual(Object.fromEntries((data.intermediate ?? []).map(([step, value]) => [String(step), value])));
      expect(got.user_attrs, label).toEqual(data.userAttrs);
      expect(got.system_attrs, label).toEqual(data.systemAttrs);
      expect(got.datetime_complete, label).toBe(data.datetimeComplete ?? null);
      if (path === 'at-once') expect(got.datetime_start, label).toBe(data.datetimeStart ?? null);
    });
  }
}
