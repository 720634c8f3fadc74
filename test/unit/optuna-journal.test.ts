// Optuna's journal in pure TS: Python's JSON, records and their errors, replay with Optuna's rules, the storage's
// claims, heartbeats and budgets, and fusetune ↔ Optuna trials (the real Optuna checks these in optuna-interop).
import { describe, expect, it } from 'vitest';
import { JournalStorage, MemoryJournalBackend, type TrialData } from '../../src/store/journal-storage.ts';
import {
  JournalFormatError,
  JournalReplay,
  OP,
  decodeRecord,
  distributionFromJson,
  distributionToJson,
  encodeRecord,
  formatOptunaDatetime,
  parseJournalLines,
  parseJournalText,
  parseOptunaDatetime,
  trialParams,
  type JournalRecord,
  type OptunaDistribution,
} from '../../src/store/optuna-journal.ts';
import {
  ForeignParamsError,
  MAX_CURVE_POINTS,
  openFusetuneStudy,
  pastTrialsFromOptuna,
  recordStudy,
  spaceFromOptuna,
  studyChanges,
  toOptunaDistribution,
  trialFromOptuna,
  trialToOptuna,
} from '../../src/store/optuna-mapping.ts';
import { decodePythonJson, encodePythonJson } from '../../src/store/python-json.ts';
import { fixtureStudy, fixtureTrials } from './optuna-fixtures.ts';

const float = { name: 'FloatDistribution', low: 0, high: 1, log: false, step: null } as const;

function storageOn(backend: MemoryJournalBackend, workerId: string, clock?: () => number): Promise<JournalStorage> {
  return JournalStorage.open(backend, { workerId, clock });
}

describe("Python's JSON", () => {
  it('writes and reads bare NaN, Infinity and -Infinity with Python separators', () => {
    const value = { a: NaN, b: [Infinity, -Infinity, 1.5, -0.25], c: 'NaN Infinity', d: null, e: { f: true } };
    const text = encodePythonJson(value);
    // In strings, the words' first letters are escaped (optuna-dashboard's reader replaces the bare words everywhere).
    expect(text).toBe('{"a": NaN, "b": [Infinity, -Infinity, 1.5, -0.25], "c": "\\u004eaN \\u0049nfinity", "d": null, "e": {"f": true}}');
    expect(decodePythonJson(text)).toEqual(value);
    expect(decodePythonJson('{"x": -Infinity, "y": [NaN], "z": "a\\"b\\u00e9"}')).toEqual({ x: -Infinity, y: [NaN], z: 'a"bé' });
  });

  it('refuses malformed text with a position, and keeps "__proto__" as data', () => {
    expect(() => decodePythonJson('{"a": NaN,}')).toThrow(/position 10/);
    expect(() => decodePythonJson('[Infinity')).toThrow(SyntaxError);
    expect(() => decodePythonJson('NaNx')).toThrow(/after the value/);
    const parsed = decodePythonJson('{"__proto__": {"polluted": NaN}}') as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('journal records', () => {
  const study: JournalRecord = { op_code: OP.CREATE_STUDY, worker_id: 'w', study_name: 's', directions: [2] };

  it('encode as Optuna writes them and decode back', () => {
    const record: JournalRecord = { op_code: OP.SET_TRIAL_STATE_VALUES, worker_id: 'w', trial_id: 3, state: 1, values: [NaN, Infinity], datetime_complete: '2026-09-01T10:00:00.000000+00:00' };
    const line = encodeRecord(record);
    expect(line).toBe('{"op_code": 6, "worker_id": "w", "trial_id": 3, "state": 1, "values": [NaN, Infinity], "datetime_complete": "2026-09-01T10:00:00.000000+00:00"}');
    expect(decodeRecord(line, 'x')).toEqual(record);
  });

  it('name the record and the field that is wrong', () => {
    expect(() => decodeRecord('{"op_code": 11, "worker_id": "w"}', 'j line 4')).toThrow('j line 4: op_code 11 is not one Optuna knows (0-10)');
    expect(() => decodeRecord('{"op_code": 0, "worker', 'j line 9')).toThrow(JournalFormatError);
    expect(() => decodeRecord('[4]', 'j line 1')).toThrow('j line 1: record: must be a JSON object');
    // The other fields are checked when the record applies, as Optuna reads them: a change to a trial
    // that does not exist is ignored whatever it holds.
    const names = (log: number) => `j line ${log + 1}`;
    const head = ['{"op_code": 0, "worker_id": "w", "study_name": "s", "directions": [1]}', '{"op_code": 4, "worker_id": "w", "study_id": 0, "datetime_start": null}'];
    const replay = (...lines: string[]) => new JournalReplay('me', names).apply([...head, ...lines].map((l, i) => decodeRecord(l, names(i))));
    expect(() => replay('{"op_code": 7, "worker_id": "w", "trial_id": 0, "step": 1.5, "intermediate_value": 1}')).toThrow(/j line 3: step/);
    expect(() => replay('{"op_code": 8, "worker_id": "w", "trial_id": 0, "user_attr": {"a": 1, "b": 2}}')).toThrow(/j line 3: user_attr: must hold exactly one key/);
    expect(() => replay('{"op_code": 8, "worker_id": "w", "trial_id": 0}')).toThrow(/j line 3: user_attr/);
    expect(() => replay('{"op_code": 8, "worker_id": "w", "user_attr": {"a": 1}}')).toThrow('j line 3: trial_id: missing');
    expect(() => replay('{"op_code": 8, "worker_id": "w", "trial_id": 5}', '{"op_code": 2, "worker_id": "w", "study_id": 9}')).not.toThrow();
  });

  it('skip a torn last line and refuse a malformed line that more lines follow', () => {
    const good = encodeRecord(study);
    expect(parseJournalText(`${good}\n${good}\n{"op_code": 4, "wor`)).toHaveLength(2);
    expect(parseJournalLines([good, '{"op_code": 4, "wor'], 1, 'f').read).toBe(1);
    expect(() => parseJournalLines([good, '{"op_code": 4, "wor', good], 1, 'f')).toThrow('f line 2: malformed JSON');
    expect(() => parseJournalText(`${good}\n\n${good}\n`, 'f')).toThrow(/f line 2/);
  });

  it('keep distributions as Optuna JSON strings, reading the deprecated classes too', () => {
    expect(distributionToJson({ name: 'FloatDistribution', low: 0.001, high: 0.1, log: true, step: null })).toBe(
      '{"name": "FloatDistribution", "attributes": {"step": null, "low": 0.001, "high": 0.1, "log": true}}',
    );
    expect(distributionToJson({ name: 'IntDistribution', low: 16, high: 128, log: false, step: 16 })).toBe('{"name": "IntDistribution", "attributes": {"log": false, "step": 16, "low": 16, "high": 128}}');
    expect(distributionFromJson('{"name": "CategoricalDistribution", "attributes": {"choices": ["a", 1, null, true, 0.5]}}')).toEqual({ name: 'CategoricalDistribution', choices: ['a', 1, null, true, 0.5] });
    expect(distributionFromJson('{"name": "LogUniformDistribution", "attributes": {"low": 0.1, "high": 1.0}}')).toMatchObject({ name: 'FloatDistribution', log: true, legacy: 'LogUniformDistribution' });
    expect(distributionFromJson('{"name": "IntUniformDistribution", "attributes": {"step": 2, "low": 0, "high": 10}}')).toMatchObject({ name: 'IntDistribution', step: 2 });
    expect(() => distributionFromJson('{"name": "NormalDistribution", "attributes": {}}')).toThrow(/unknown distribution/);
  });

  it('write time stamps as isoformat(timespec="microseconds") with +00:00 and read naive and Z ones as UTC', () => {
    expect(formatOptunaDatetime(Date.UTC(2026, 8, 1, 10, 0, 0, 123))).toBe('2026-09-01T10:00:00.123000+00:00');
    const ms = Date.UTC(2026, 8, 1, 10, 0, 0, 123);
    expect(parseOptunaDatetime('2026-09-01T10:00:00.123000+00:00')).toBe(ms);
    expect(parseOptunaDatetime('2026-09-01T10:00:00.123456')).toBe(ms);
    expect(parseOptunaDatetime('2026-09-01T12:00:00.123+02:00')).toBe(ms);
    expect(parseOptunaDatetime('2026-09-01T10:00:00.123Z')).toBe(ms);
    expect(parseOptunaDatetime('yesterday')).toBeNaN();
  });
});

describe('replay', () => {
  const r = (record: Record<string, unknown>): JournalRecord => ({ worker_id: 'w', ...record }) as JournalRecord;
  const start = '2026-09-01T10:00:00.000000+00:00';

  it("counts ids as Optuna does: study_id by successful creation, trial_id across studies, number within a study", () => {
    const replay = new JournalReplay('me');
    replay.apply([
      r({ op_code: 0, study_name: 'a', directions: [1] }),
      r({ op_code: 0, study_name: 'b', directions: [2, 1] }),
      r({ op_code: 0, study_name: 'a', directions: [2] }),
      r({ op_code: 4, study_id: 1, datetime_start: start }),
      r({ op_code: 4, study_id: 0, datetime_start: start }),
      r({ op_code: 4, study_id: 1, datetime_start: start }),
      r({ op_code: 4, study_id: 5, datetime_start: start }),
      r({ op_code: 0, study_name: 'c', directions: [1] }),
    ]);
    expect(replay.studies().map((s) => [s.studyId, s.name, s.directions])).toEqual([
      [0, 'a', ['minimize']],
      [1, 'b', ['maximize', 'minimize']],
      [2, 'c', ['minimize']],
    ]);
    expect(replay.trialsOf(1).map((t) => [t.trialId, t.number])).toEqual([
      [0, 0],
      [2, 1],
    ]);
    expect(replay.trialsOf(0).map((t) => [t.trialId, t.number])).toEqual([[1, 0]]);
    expect(replay.logNumberRead).toBe(8);
  });

  it('ignores changes to finished trials and to deleted studies, and incompatible distributions', () => {
    const replay = new JournalReplay('me');
    const cat = (choices: unknown[]) => distributionToJson({ name: 'CategoricalDistribution', choices: choices as string[] });
    replay.apply([
      r({ op_code: 0, study_name: 'a', directions: [1] }),
      r({ op_code: 4, study_id: 0, datetime_start: start }),
      r({ op_code: 5, trial_id: 0, param_name: 'opt', param_value_internal: 1, distribution: cat(['sgd', 'adam']) }),
      r({ op_code: 4, study_id: 0, datetime_start: start }),
      r({ op_code: 5, trial_id: 1, param_name: 'opt', param_value_internal: 0, distribution: cat(['sgd', 'rmsprop']) }),
      r({ op_code: 6, trial_id: 0, state: 1, values: [0.5], datetime_complete: start }),
      r({ op_code: 7, trial_id: 0, step: 1, intermediate_value: 9 }),
      r({ op_code: 8, trial_id: 0, user_attr: { late: true } }),
      r({ op_code: 6, trial_id: 0, state: 3, values: null, datetime_complete: start }),
      r({ op_code: 1, study_id: 0 }),
      r({ op_code: 2, study_id: 0, user_attr: { gone: 1 } }),
    ]);
    const [first, second] = [replay.trial(0)!, replay.trial(1)!];
    expect([first.state, first.values, first.intermediate.size, first.userAttrs]).toEqual(['COMPLETE', [0.5], 0, {}]);
    expect(trialParams(first)).toEqual({ opt: 'adam' });
    expect(second.params).toEqual({});
    expect(replay.studies()).toEqual([]);
  });

  it('lets the first RUNNING record of a WAITING trial win and names its owner', () => {
    const replay = new JournalReplay('me');
    replay.apply([
      r({ op_code: 0, study_name: 'a', directions: [1] }),
      r({ op_code: 4, study_id: 0, datetime_start: null, state: 4, system_attrs: { fixed_params: { lr: 0.1 } } }),
      { op_code: 6, worker_id: 'other', trial_id: 0, state: 0, values: null, datetime_start: start },
      { op_code: 6, worker_id: 'me', trial_id: 0, state: 0, values: null, datetime_start: start },
    ]);
    expect(replay.trial(0)).toMatchObject({ state: 'RUNNING', owner: 'other', ownerLog: 2 });
    expect(replay.takeOutcome(3)).toEqual({ applied: false });
  });

  it('refuses records Optuna would crash on, naming the record', () => {
    const replay = new JournalReplay('me');
    expect(() =>
      replay.apply([
        r({ op_code: 0, study_name: 'a', directions: [1] }),
        r({ op_code: 4, study_id: 0, datetime_start: null, params: { x: 1 } }),
      ]),
    ).toThrow('log record 1: param x has no distribution');
  });
});

describe('JournalStorage', () => {
  it('creates a study once and loads it by name, refusing other directions', async () => {
    const backend = new MemoryJournalBackend();
    const a = await storageOn(backend, 'a');
    const b = await storageOn(backend, 'b');
    const created = await a.createStudy('s', ['maximize', 'minimize'], ['val_accuracy', 'val_loss']);
    expect(created.systemAttrs['study:metric_names']).toEqual(['val_accuracy', 'val_loss']);
    await expect(b.createStudy('s', ['maximize', 'minimize'])).rejects.toThrow(/already exists/);
    expect((await b.createOrLoadStudy('s', ['maximize', 'minimize'])).created).toBe(false);
    await expect(b.createOrLoadStudy('s', ['minimize'])).rejects.toThrow('study "s" in the journal has directions [maximize, minimize], not [minimize]');
    await expect(b.loadStudy('nope')).rejects.toThrow('no study named "nope"');
  });

  it('records params, intermediate values and attrs before the state, and reports a state that did not take', async () => {
    const backend = new MemoryJournalBackend();
    const a = await storageOn(backend, 'a');
    const { studyId } = await a.createStudy('s', ['minimize']);
    const trial = await a.createTrial(studyId);
    expect(trial).toMatchObject({ number: 0, state: 'RUNNING', owner: 'a' });
    const done = await a.update(trial.trialId, { params: { lr: 0.5 }, distributions: { lr: float }, intermediate: [[0, 2], [1, NaN]], userAttrs: { n: 1 }, state: 'COMPLETE', values: [1.5] });
    expect(done).toBe(true);
    expect(a.trial(trial.trialId)).toMatchObject({ state: 'COMPLETE', values: [1.5], params: { lr: 0.5 }, userAttrs: { n: 1 } });
    expect([...a.trial(trial.trialId).intermediate]).toEqual([
      [0, 2],
      [1, NaN],
    ]);
    expect(await a.setState(trial.trialId, 'FAIL')).toBe(false);
    await expect(a.setParam(trial.trialId, 'opt', 'adamw', { name: 'CategoricalDistribution', choices: ['sgd'] })).rejects.toThrow('param opt: "adamw" is not one of the choices ["sgd"]');
    await expect(a.setUserAttr(99, 'x', 1)).rejects.toThrow('no trial with id 99');
  });

  it('hands each WAITING trial to one worker', async () => {
    const backend = new MemoryJournalBackend();
    const a = await storageOn(backend, 'a');
    const b = await storageOn(backend, 'b');
    const { studyId } = await a.createStudy('s', ['minimize']);
    await a.enqueueTrial(studyId, { lr: 0.1 });
    await a.enqueueTrial(studyId, { lr: 0.2 });
    await b.sync();
    const claims = await Promise.all([a, b, a].map(async (worker) => ({ worker: worker.workerId, trial: await worker.claimWaitingTrial(studyId) })));
    const taken = claims.filter((c) => c.trial !== null);
    expect(taken.map((c) => c.trial!.number).sort()).toEqual([0, 1]);
    for (const { worker, trial } of taken) expect([trial!.owner, trial!.state, trial!.systemAttrs.fixed_params]).toEqual([worker, 'RUNNING', { lr: trial!.number === 0 ? 0.1 : 0.2 }]);
    expect(await b.claimWaitingTrial(studyId)).toBeNull();
  });

  it("enqueues a retry of a stopped trial as Optuna's RetryFailedTrialCallback does", async () => {
    const a = await storageOn(new MemoryJournalBackend(), 'a');
    const { studyId } = await a.createStudy('s', ['minimize']);
    const first = await a.createTrial(studyId, { params: { lr: 0.5 }, distributions: { lr: float }, userAttrs: { curve: [1] } });
    await a.failTrials([first.trialId], 'stopped: the device was lost');
    const retry = await a.enqueueRetry(first.trialId);
    expect(retry).toMatchObject({ number: 1, state: 'WAITING', params: { lr: 0.5 }, userAttrs: {}, systemAttrs: { failed_trial: 0, retry_history: [0], retried_from: 0 } });
    const taken = await a.claimWaitingTrial(studyId);
    await a.failTrials([taken!.trialId], 'stopped again');
    expect((await a.enqueueRetry(taken!.trialId)).systemAttrs).toEqual({ failed_trial: 0, retry_history: [0, 1], retried_from: 1 });
  });

  it('fails the trials of a worker whose heartbeat stopped, and only those', async () => {
    const backend = new MemoryJournalBackend();
    let now = Date.UTC(2026, 8, 1, 10, 0, 0);
    const clock = () => now;
    const dead = await storageOn(backend, 'dead', clock);
    const alive = await storageOn(backend, 'alive', clock);
    const optunaWorker = await storageOn(backend, 'optuna', clock);
    const { studyId } = await dead.createStudy('s', ['minimize']);
    await Promise.all([alive.loadStudy('s'), optunaWorker.loadStudy('s')]);
    await dead.heartbeat(studyId);
    await alive.heartbeat(studyId);
    const lost = await dead.createTrials(studyId, [undefined, undefined]);
    const kept = await alive.createTrial(studyId);
    await optunaWorker.createTrial(studyId);
    now += 50_000;
    await alive.heartbeat(studyId);
    now += 20_000;
    await alive.sync();
    expect(alive.staleTrials(studyId, 60_000, now).map((t) => t.number)).toEqual(lost.map((t) => t.number));
    expect(alive.staleTrials(studyId, 80_000, now)).toEqual([]);
    const failed = await alive.failStaleTrials(studyId, 60_000, now);
    expect(failed.map((t) => t.state)).toEqual(['FAIL', 'FAIL']);
    expect(String(failed[0]!.systemAttrs['fusetune:retry'])).toMatch(/worker dead showed no life since 2026-09-01T10:00:00.000000\+00:00; failed by worker alive/);
    expect(alive.trial(kept.trialId).state).toBe('RUNNING');
    // The dead worker's late result does not take; its trials are enqueued again (counted in their place).
    expect(await dead.setState(lost[0]!.trialId, 'COMPLETE', [1])).toBe(false);
    expect(alive.trials(studyId).filter((t) => t.state === 'WAITING').map((t) => t.systemAttrs.retried_from)).toEqual(lost.map((t) => t.number));
    expect(alive.countedTrials(studyId)).toBe(4);
  });

  it('keeps a budget across workers: the log order decides who is past it', async () => {
    const backend = new MemoryJournalBackend();
    const a = await storageOn(backend, 'a');
    const b = await storageOn(backend, 'b');
    const { studyId } = await a.createStudy('s', ['minimize']);
    await b.sync();
    const aHas = await a.createTrialsInBudget(studyId, 5, [undefined, undefined, undefined]);
    // b does not look again before creating: two of its three land past the budget and are failed.
    const bTrials = await b.createTrials(studyId, [undefined, undefined, undefined]);
    expect(bTrials.map((t) => t.countedBefore)).toEqual([3, 4, 5]);
    const bHas = await b.createTrialsInBudget(studyId, 5, []);
    expect([aHas.length, bHas.length]).toEqual([3, 0]);
    expect(await b.failTrials([bTrials[2]!.trialId], 'created past the budget of 5 trials')).toEqual([bTrials[2]!.trialId]);
    expect(b.countedTrials(studyId)).toBe(5);
    // A trial failed for retry frees its place.
    await a.failTrials([aHas[0]!.trialId], 'stale');
    const again = await b.createTrialsInBudget(studyId, 5, [undefined, undefined]);
    expect(again.map((t) => [t.number, t.countedBefore])).toEqual([[6, 4]]);
    expect(a.countedTrials(studyId)).toBe(4);
    await a.sync();
    expect(a.countedTrials(studyId)).toBe(5);
  });

  it('beats until stopped', async () => {
    const backend = new MemoryJournalBackend();
    const a = await storageOn(backend, 'a');
    const { studyId } = await a.createStudy('s', ['minimize']);
    const beating = a.startHeartbeat(studyId, 5);
    while (backend.records.filter((r) => r.op_code === OP.SET_STUDY_SYSTEM_ATTR).length < 3) await new Promise((done) => setTimeout(done, 5));
    await beating.stop();
    const count = backend.records.length;
    await new Promise((done) => setTimeout(done, 30));
    expect(backend.records.length).toBe(count);
    expect(a.study(studyId).heartbeats.has('a')).toBe(true);
  });
});

describe('fusetune ↔ Optuna', () => {
  for (const objectives of [1, 2] as const) {
    it(`brings back every kind of trial whole (${objectives} objective${objectives > 1 ? 's' : ''}), written at once or as updates`, async () => {
      const study = fixtureStudy(`s${objectives}`, objectives);
      const trials = fixtureTrials(objectives);
      const storage = await storageOn(new MemoryJournalBackend(), 'w');
      const stored = await recordStudy(storage, study, { trials });
      // Values Optuna needs that the record left to its metrics: the done trial's objectives, the pruned trial's last report.
      const expected = trials.map((t) => (t.index === 1 ? { ...t, values: objectives === 2 ? [0.61, 64000.5] : [0.61] } : t.index === 2 && objectives === 1 ? { ...t, values: [0.3] } : t));
      expect(storage.trials(stored.studyId).map((t) => trialFromOptuna(t, study))).toEqual(expected);
      // The live path: created RUNNING, then everything as updates.
      const live = await openFusetuneStudy(storage, { ...study, name: `live${objectives}` });
      for (const trial of trials) {
        const created = await storage.createTrial(live.study.studyId);
        const { state, datetimeStart: _start, ...rest } = trialToOptuna(trial, study);
        if (state === 'WAITING') {
          await storage.update(created.trialId, { ...rest, state: 'FAIL', systemAttrs: { ...rest.systemAttrs, 'fusetune:retry': 'not run' } });
          continue;
        }
        await storage.update(created.trialId, state === 'RUNNING' ? rest : { ...rest, state });
      }
      const back = storage.trials(live.study.studyId).map((t) => trialFromOptuna(t, study));
      const comparable = (t: (typeof trials)[number]) => ({ ...t, startedAt: undefined });
      expect(back.filter((_, i) => trials[i]!.state !== 'pending').map(comparable)).toEqual(expected.filter((t) => t.state !== 'pending').map(comparable));
    });
  }

  it('maps states, values and attrs as docs/storage.md says', () => {
    const study = fixtureStudy('s', 1);
    const data = fixtureTrials(1).map((t) => trialToOptuna(t, study));
    expect(data.map((d) => d.state)).toEqual(['COMPLETE', 'COMPLETE', 'PRUNED', 'FAIL', 'FAIL', 'RUNNING', 'FAIL', 'WAITING', 'FAIL', 'COMPLETE']);
    expect(data[1]!.values).toEqual([0.61]);
    expect(data[2]!.values).toEqual([0.3]);
    expect(data[6]!.systemAttrs).toEqual({ 'fusetune:state': 'stopped', 'fusetune:retry': 'stopped before the planned steps' });
    expect(data[7]!.systemAttrs!.fixed_params).toEqual(fixtureTrials(1)[7]!.params);
    expect(data[8]!.systemAttrs!['fusetune:state']).toBe('done');
    expect(Object.keys(data[0]!.userAttrs!)).toEqual(expect.arrayContaining(['val_accuracy', 'samples_per_sec', 'step_ms', 'device_bytes', 'cohort', 'test_accuracy', 'config', 'epochs', 'curve']));
    expect(Object.keys(data[3]!.userAttrs!)).toEqual(expect.arrayContaining(['reason', 'diverged_step']));
    // Only active params: units_2 only where layers ≥ 2, momentum only for the momentum optimizer.
    expect(Object.keys(data[0]!.distributions!).sort()).toEqual(['activation', 'batch_size', 'dropout', 'l2', 'layers', 'lr', 'optimizer', 'units', 'units_2']);
    expect(data[1]!.distributions!.momentum).toEqual({ name: 'FloatDistribution', low: 0, high: Number.MAX_VALUE, log: false, step: null });
    expect(toOptunaDistribution(study.space.dropout!)).toEqual({ name: 'FloatDistribution', low: 0, high: 0.5, log: false, step: null });
    expect(toOptunaDistribution(study.space.activation!)).toEqual({ name: 'CategoricalDistribution', choices: ['relu'] });
  });

  it('keeps a long loss curve as block means', () => {
    const study = fixtureStudy('s', 1);
    const trial = { ...fixtureTrials(1)[0]!, curve: Array.from({ length: MAX_CURVE_POINTS * 2 + 1 }, (_, i) => i) };
    const attrs = trialToOptuna(trial, study).userAttrs!;
    expect(attrs.curve_every).toBe(3);
    expect((attrs.curve as number[]).slice(0, 2)).toEqual([1, 4]);
  });

  it('reads an Optuna study into sampler history and a space, refusing parameters fusetune cannot train', async () => {
    const storage = await storageOn(new MemoryJournalBackend(), 'w');
    const { studyId } = await storage.createStudy('py', ['maximize']);
    const lr: OptunaDistribution = { name: 'FloatDistribution', low: 0.001, high: 0.1, log: true, step: null };
    const opt: OptunaDistribution = { name: 'CategoricalDistribution', choices: ['sgd', 'adam'] };
    const layers: OptunaDistribution = { name: 'IntDistribution', low: 1, high: 3, log: false, step: 1 };
    const make: TrialData[] = [
      { state: 'COMPLETE', values: [0.9], params: { lr: 0.01, optimizer: 'adam', layers: 2 }, distributions: { lr, optimizer: opt, layers }, intermediate: [[1, 0.8], [0, 0.5]] },
      { state: 'PRUNED', values: null, params: { lr: 0.05, optimizer: 'sgd' }, distributions: { lr, optimizer: opt }, intermediate: [[0, 0.2]] },
      { state: 'WAITING', systemAttrs: { fixed_params: { lr: 0.02, optimizer: 'sgd', layers: 1 } } },
    ];
    await storage.createTrials(studyId, make);
    const trials = storage.trials(studyId);
    expect(pastTrialsFromOptuna(trials)).toEqual([
      { number: 0, params: { lr: 0.01, optimizer: 'adam', layers: 2 }, state: 'complete', values: [0.9], intermediate: [[0, 0.5], [1, 0.8]] },
      { number: 1, params: { lr: 0.05, optimizer: 'sgd' }, state: 'pruned', values: null, intermediate: [[0, 0.2]] },
      { number: 2, params: { lr: 0.02, optimizer: 'sgd', layers: 1 }, state: 'running', values: null, intermediate: [] },
    ]);
    const { space, notes } = spaceFromOptuna(storage.study(studyId), trials);
    expect(space).toEqual({ lr: { type: 'float', low: 0.001, high: 0.1, log: true }, optimizer: { type: 'categorical', choices: ['sgd', 'adam'] }, layers: { type: 'int', low: 1, high: 3, log: false } });
    expect(notes).toEqual(['layers is set in 1 of 2 trials (conditional in Optuna): fusetune samples it in every trial']);
    const record = trialFromOptuna(trials[0]!, fixtureStudy('py', 1));
    expect(record).toMatchObject({ index: 0, state: 'done', valAccuracy: 0.9, values: [0.9], intermediate: [{ step: 0, value: 0.5 }, { step: 1, value: 0.8 }] });
    expect(record.config).toMatchObject({ hidden: [128, 128], optimizer: { kind: 'adam', lr: 0.01 } });

    await storage.createTrial(studyId, { state: 'COMPLETE', values: [1], params: { x: 1, lr: 5 }, distributions: { x: float, lr: { name: 'FloatDistribution', low: 0.001, high: 10, log: true, step: null } } });
    const error = (() => {
      try {
        pastTrialsFromOptuna(storage.trials(studyId));
      } catch (e) {
        return e as ForeignParamsError;
      }
    })();
    expect(error).toBeInstanceOf(ForeignParamsError);
    expect(error!.problems).toEqual(['x (trials 3) is not a fusetune hyperparameter']);
  });

  it('names what changed in a study since the journal recorded it', async () => {
    const storage = await storageOn(new MemoryJournalBackend(), 'w');
    const study = fixtureStudy('s', 1);
    const { study: stored } = await openFusetuneStudy(storage, study);
    expect(studyChanges(stored, study)).toEqual([]);
    const changed = { ...study, seed: 8, space: { ...study.space, lr: { ...study.space.lr!, high: 0.3 } } } as typeof study;
    expect(studyChanges(stored, changed)).toEqual(['seed: 7 → 8', 'space.lr.high: 0.1 → 0.3']);
  });
});
