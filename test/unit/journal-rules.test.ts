// What other readers of fusetune's journals need, and what fusetune must read of theirs: Optuna 5.0's op code
// 10, steps past 2^53, optuna-dashboard's browser reader (no null attrs, no lost lines, metric names kept),
// a study Optuna created and fusetune continues, a trial whose last record was torn off.
import { describe, expect, it } from 'vitest';
import { JournalStorage, MemoryJournalBackend } from '../../src/store/journal-storage.ts';
import { journalText } from '../../src/store/journal-text.ts';
import { JournalFormatError, JournalReplay, parseJournalText, type JournalRecord } from '../../src/store/optuna-journal.ts';
import { openFusetuneStudy, STUDY_ATTR, studyChanges, trialFromOptuna, trialOutcome, trialToOptuna } from '../../src/store/optuna-mapping.ts';
import { InputError } from '../../src/util/input-error.ts';
import { readAsDashboard } from '../helpers/dashboard-journal.ts';
import { fixtureStudy, fixtureTrials, writeEveryKind } from './optuna-fixtures.ts';

const start = '2026-09-01T10:00:00.000000+00:00';

describe('reading what Optuna reads', () => {
  it("skips op code 10 (Optuna 5.0's DISCARD_TRIALS) as Optuna does, counting it as a record", () => {
    const text = [
      '{"op_code": 0, "worker_id": "w", "study_name": "s", "directions": [1]}',
      '{"op_code": 4, "worker_id": "w", "study_id": 0, "datetime_start": null}',
      '{"op_code": 10, "worker_id": "w", "study_id": 0, "trial_ids": [0]}',
      '{"op_code": 4, "worker_id": "w", "study_id": 0, "datetime_start": null}',
      '',
    ].join('\n');
    const records = parseJournalText(text, 'j');
    expect(records).toHaveLength(4);
    const replay = new JournalReplay('me');
    replay.apply(records);
    expect(replay.logNumberRead).toBe(4);
    expect(replay.trialsOf(0).map((t) => t.number)).toEqual([0, 1]);
  });

  it('reads intermediate steps past 2^53, as Optuna does', () => {
    const text = [
      '{"op_code": 0, "worker_id": "w", "study_name": "s", "directions": [1]}',
      `{"op_code": 4, "worker_id": "w", "study_id": 0, "datetime_start": "${start}", "intermediate_values": {"100000000000000000000": 0.5}}`,
      '{"op_code": 7, "worker_id": "w", "trial_id": 0, "step": 100000000000000000000, "intermediate_value": 0.25}',
      '',
    ].join('\n');
    const replay = new JournalReplay('me');
    replay.apply(parseJournalText(text, 'j'));
    expect([...replay.trial(0)!.intermediate]).toEqual([[1e20, 0.25]]);
  });

  it('a malformed journal is bad input (exit 2), naming the line', () => {
    let error: unknown;
    try {
      parseJournalText('{"op_code": 0, "worker_id": "w", "study_name": "s", "directions": [1]}\n{oops\n{"op_code": 1, "worker_id": "w", "study_id": 0}\n', 'journal.log');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JournalFormatError);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/^journal\.log line 2: malformed JSON/);
  });
});

describe("optuna-dashboard's browser reader", () => {
  it('reads every record kind fusetune writes without throwing or dropping a line, and keeps the metric names', async () => {
    const backend = new MemoryJournalBackend();
    const storage = await JournalStorage.open(backend, { workerId: 'w' });
    const written = await writeEveryKind(storage);
    // A worker's heartbeats come after the study's metric names.
    for (const { study } of written) {
      const { studyId } = storage.studies().find((s) => s.name === study.name)!;
      await storage.heartbeat(studyId);
    }
    const reading = readAsDashboard(journalText(backend.records));
    expect(reading.problems).toEqual([]);
    expect(reading.metricNames).toEqual(written.map(({ study }) => study.objective.map((o) => o.metric)));
    expect(reading.trials).toBe(written.reduce((n, w) => n + w.trials.length, 0));
  });

  it('never writes a null attribute value: a metric never measured is left out, and read back as null', async () => {
    const study = fixtureStudy('nulls', 1);
    for (const trial of fixtureTrials(1)) {
      const data = trialToOptuna(trial, study);
      for (const [key, value] of Object.entries({ ...data.userAttrs, ...data.systemAttrs })) expect(value, `trial ${trial.index} attr ${key}`).not.toBeNull();
      for (const [key, value] of Object.entries(trialOutcome(trial, study).userAttrs ?? {})) expect(value, `trial ${trial.index} attr ${key}`).not.toBeNull();
    }
    const storage = await JournalStorage.open(new MemoryJournalBackend(), { workerId: 'w' });
    const { study: stored } = await openFusetuneStudy(storage, study);
    const failed = fixtureTrials(1)[4]!;
    expect(failed.valAccuracy).toBeNull();
    await storage.createTrial(stored.studyId, trialToOptuna(failed, study));
    expect(trialFromOptuna(storage.trials(stored.studyId)[0]!, study)).toMatchObject({ valAccuracy: null, valLoss: null, trainLoss: null, stepMs: null });
  });
});

describe('continuing a study', () => {
  it('records the study file in a study Optuna created, so a changed file is refused later', async () => {
    const storage = await JournalStorage.open(new MemoryJournalBackend(), { workerId: 'w' });
    const study = fixtureStudy('by-optuna', 1);
    // Optuna's create_study: the study alone, no fusetune attrs.
    await storage.createStudy(study.name, ['maximize']);
    const { study: opened, created } = await openFusetuneStudy(storage, study);
    expect(created).toBe(false);
    expect(Object.keys(opened.userAttrs)).toEqual(expect.arrayContaining([STUDY_ATTR.study, STUDY_ATTR.space]));
    expect(studyChanges(opened, { ...study, seed: 99 })).toEqual(['seed: 7 → 99']);
  });

  it('a trial whose final state record was torn off reads as stopped (to train again), never as done', async () => {
    const storage = await JournalStorage.open(new MemoryJournalBackend(), { workerId: 'w' });
    const study = fixtureStudy('torn', 1);
    const { study: stored } = await openFusetuneStudy(storage, study);
    const trial = await storage.createTrial(stored.studyId);
    const done = fixtureTrials(1)[0]!;
    // Everything the trial's outcome writes but its last record, the state.
    const { state: _state, values: _values, ...allButState } = trialOutcome(done, study);
    await storage.update(trial.trialId, { params: done.params, distributions: trialToOptuna(done, study).distributions, ...allButState });
    await storage.failTrials([trial.trialId], 'the run that trained it was interrupted');
    expect(trialFromOptuna(storage.trial(trial.trialId), study).state).toBe('stopped');
  });
});

export type { JournalRecord };
