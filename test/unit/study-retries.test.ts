// A trial cut off through no fault of its own trains again as itself: a dead worker's trials and a resumed
// run's interrupted ones are re-enqueued with the same parameters and seed (Optuna's RetryFailedTrialCallback,
// linked by `retried_from`), and a trial cut off before its parameters were recorded is asked again as the
// same trial, never trained with the defaults.
import { describe, expect, it } from 'vitest';
import { AskTellStudy } from '../../src/search/ask-tell.ts';
import { parseStudy } from '../../src/search/study.ts';
import { JournalStorage, MemoryJournalBackend } from '../../src/store/journal-storage.ts';
import { trialParams, type OptunaDistribution } from '../../src/store/optuna-journal.ts';
import { JournalLedger } from '../../src/study/ledger.ts';

const study = parseStudy({
  name: 'retries',
  seed: 11,
  data: { kind: 'circles', n: 120, seed: 2 },
  space: { lr: { type: 'float', low: 0.001, high: 0.1, log: true }, units: { type: 'categorical', choices: [4, 8, 16] } },
  budget: { trials: 6 },
});
const lr: OptunaDistribution = { name: 'FloatDistribution', low: 0.001, high: 0.1, log: true, step: null };

describe("a dead worker's trials", () => {
  it('are failed and re-enqueued with the same params, linked by retried_from, once, however many workers notice', async () => {
    const backend = new MemoryJournalBackend();
    let now = Date.UTC(2026, 8, 1, 10, 0, 0);
    const clock = () => now;
    const dead = await JournalStorage.open(backend, { workerId: 'dead', clock });
    const a = await JournalStorage.open(backend, { workerId: 'a', clock });
    const b = await JournalStorage.open(backend, { workerId: 'b', clock });
    const { studyId } = await dead.createStudy('s', ['maximize']);
    await dead.heartbeat(studyId);
    const held = await dead.createTrial(studyId, { params: { lr: 0.02 }, distributions: { lr } });
    const bare = await dead.createTrial(studyId);
    now += 90_000;
    await Promise.all([a.sync(), b.sync()]);
    const [failedByA, failedByB] = await Promise.all([a.failStaleTrials(studyId, 60_000, now), b.failStaleTrials(studyId, 60_000, now)]);
    expect(failedByA.length + failedByB.length).toBe(2);
    await a.sync();
    const trials = a.trials(studyId);
    expect(trials.map((t) => t.state)).toEqual(['FAIL', 'FAIL', 'WAITING', 'WAITING']);
    const retryOf = (number: number) => trials.find((t) => t.systemAttrs.retried_from === number)!;
    expect(trialParams(retryOf(held.number))).toEqual({ lr: 0.02 });
    expect(retryOf(held.number).systemAttrs).toMatchObject({ failed_trial: held.number, retried_from: held.number, retry_history: [held.number] });
    // A trial that had no parameters yet is asked again from scratch, as the same trial.
    expect(retryOf(bare.number).params).toEqual({});
    expect(retryOf(bare.number).systemAttrs).toMatchObject({ failed_trial: bare.number, retried_from: bare.number });
    // The budget counts the retries in place of the failed attempts.
    expect(a.countedTrials(studyId)).toBe(2);
  });
});

describe('a resumed run', () => {
  it('asks a trial cut off before its parameters were recorded again as the same trial: its parameters and seed', async () => {
    const backend = new MemoryJournalBackend();
    const first = await JournalStorage.open(backend, { workerId: 'first' });
    const ledger = await JournalLedger.open(first, study);
    const claims = await ledger.claim(3, 6);
    const search = new AskTellStudy(study);
    const asked = claims.map((c) => search.askAs(c.number, { params: c.params, seedNumber: c.seedNumber }));
    // Killed after the trials were created and trial 0's parameters written, before 1's and 2's.
    ledger.started({ index: asked[0]!.number, params: asked[0]!.params, config: asked[0]!.config });
    await ledger.flush();

    const resumed = await JournalLedger.open(await JournalStorage.open(backend, { workerId: 'resumed' }), study);
    expect(await resumed.retryInterrupted()).toBe(3);
    const again = new AskTellStudy(study);
    again.observe(await resumed.history());
    const retried = (await resumed.claim(3, 6)).map((c) => again.askAs(c.number, { params: c.params, seedNumber: c.seedNumber }));
    expect(retried.map((t) => t.number)).toEqual([3, 4, 5]);
    expect(retried.map((t) => t.params)).toEqual(asked.map((t) => t.params));
    expect(retried.map((t) => t.config)).toEqual(asked.map((t) => t.config));
  });
});
