// The Optuna journal file: fusetune writes what Optuna 3.1 (Debian's python3-optuna) reads intact, reads what
// Optuna writes, shares one file with it under the symlink lock, and survives torn writes and stale locks.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { JournalFileBackend } from '../../src/store/journal-file.ts';
import { JournalStorage } from '../../src/store/journal-storage.ts';
import { encodeRecord, OP, trialParams } from '../../src/store/optuna-journal.ts';
import { ForeignParamsError, pastTrialsFromOptuna, trialFromOptuna } from '../../src/store/optuna-mapping.ts';
import { expectIntact, fixtureStudy, writeEveryKind } from './optuna-fixtures.ts';
import { DUMP_STUDIES_PY, OPTUNA_WRITES_PY, findPython, fusetuneView, pythonView, runPython } from './optuna-helpers.ts';

const { python, reason } = findPython(['optuna']);
if (!python) console.log(`journal-file: skipping the Optuna checks: ${reason}`);

const open: JournalStorage[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function storageAt(path: string, workerId?: string, staleLockMs?: number): Promise<JournalStorage> {
  const storage = await JournalStorage.open(await JournalFileBackend.open(path, { staleLockMs }), { workerId });
  open.push(storage);
  return storage;
}

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function tempFolder(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  folders.push(folder);
  return folder;
}

const tempJournal = () => join(tempFolder('fusetune-journal-'), 'journal.log');

describe('journal file', () => {
  it('reads incrementally, skips a torn last line and cuts it off before the next append', async () => {
    const path = tempJournal();
    const writer = await storageAt(path, 'writer');
    const reader = await storageAt(path, 'reader');
    const { studyId } = await writer.createStudy('s', ['minimize']);
    await writer.createTrial(studyId);
    expect(await reader.sync()).toBe(2);
    await writer.createTrial(studyId);
    expect(await reader.sync()).toBe(1);
    // A writer died in the middle of a line.
    appendFileSync(path, '{"op_code": 4, "worker_id": "dead", "stu');
    expect(await reader.sync()).toBe(0);
    await writer.createTrial(studyId);
    expect(await reader.sync()).toBe(1);
    expect(reader.trials(studyId).map((t) => t.number)).toEqual([0, 1, 2]);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.some((l) => l.includes('"dead"'))).toBe(false);
  });

  it('refuses a malformed line that more lines follow, naming the file and line', async () => {
    const path = tempJournal();
    const good = encodeRecord({ op_code: OP.CREATE_STUDY, worker_id: 'w', study_name: 's', directions: [1] });
    writeFileSync(path, `${good}\n{"op_code": oops}\n${good}\n`);
    await expect(storageAt(path)).rejects.toThrow(`${path} line 2: malformed JSON`);
  });

  it('breaks a lock left by a dead writer once it has not changed for the grace period', async () => {
    const path = tempJournal();
    const storage = await storageAt(path, undefined, 200);
    symlinkSync(path, `${path}.lock`);
    const { studyId } = await storage.createStudy('s', ['minimize']);
    expect(storage.study(studyId).name).toBe('s');
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it.skipIf(!python)('is read by optuna.load_study with every trial, state, value, param and intermediate value intact', async () => {
    const path = tempJournal();
    const storage = await storageAt(path);
    const written = await writeEveryKind(storage);
    const view = pythonView(runPython(python!, DUMP_STUDIES_PY, [path]));
    expectIntact(view, written);
    // And Optuna's reading is fusetune's, record for record.
    expect(view).toEqual(fusetuneView(storage));
  });

  it.skipIf(!python)('replays a journal Optuna wrote: its trials, a WAITING enqueued one and a RUNNING one', async () => {
    const path = tempJournal();
    runPython(python!, OPTUNA_WRITES_PY, [path]);
    const storage = await storageAt(path);
    const view = pythonView(runPython(python!, DUMP_STUDIES_PY, [path]));
    expect(fusetuneView(storage)).toEqual(view);
    const one = await storage.loadStudy('py-one');
    const trials = storage.trials(one.studyId);
    expect(trials.map((t) => t.state)).toEqual(['COMPLETE', 'COMPLETE', 'PRUNED', 'FAIL', 'COMPLETE', 'RUNNING', 'WAITING']);
    expect(Object.keys(trialParams(trials[0]!))).toEqual(expect.arrayContaining(['lr', 'l2', 'layers', 'units', 'optimizer']));
    expect(trials[5]!.intermediate.size + Object.keys(trials[6]!.params).length).toBe(0);

    const history = pastTrialsFromOptuna(trials);
    expect(history.map((t) => t.state)).toEqual(['complete', 'complete', 'pruned', 'failed', 'complete', 'running', 'running']);
    expect(history[6]!.params).toEqual({ lr: 0.01, l2: 0.002, layers: 1, units: 32, optimizer: 'adam' });
    expect(history[2]!.intermediate).toEqual([
      [0, 0.5 + 0.1 * 0 + 2 / 100],
      [1, 0.5 + 0.1 * 1 + 2 / 100],
    ]);
    const record = trialFromOptuna(trials[4]!, fixtureStudy('py-one', 1));
    // The same float arithmetic as the Python objective.
    expect(record).toMatchObject({ index: 4, state: 'done', valAccuracy: 0.8 + 4 / 100, values: [0.8 + 4 / 100], params: trialParams(trials[4]!) });

    const foreign = await storage.loadStudy('py-foreign');
    expect(() => pastTrialsFromOptuna(storage.trials(foreign.studyId))).toThrow(ForeignParamsError);
    expect(() => pastTrialsFromOptuna(storage.trials(foreign.studyId))).toThrow(/x \(trials 0\) is not a fusetune hyperparameter/);

    // fusetune takes the WAITING trial and finishes it; Optuna then sees it complete, with its params.
    const taken = await storage.claimWaitingTrial(one.studyId);
    expect(taken?.number).toBe(6);
    const fixed = taken!.systemAttrs.fixed_params as Record<string, number | string>;
    const distributions = Object.fromEntries(Object.keys(fixed).map((name) => [name, trials[0]!.distributions[name]!]));
    expect(await storage.update(taken!.trialId, { params: fixed, distributions, intermediate: [[0, 0.7]], state: 'COMPLETE', values: [0.9] })).toBe(true);
    const after = pythonView(runPython(python!, DUMP_STUDIES_PY, [path]))['py-one']!.trials[6]!;
    expect([after.state, after.values, after.params, after.intermediate]).toEqual(['COMPLETE', [0.9], fixed, { '0': 0.7 }]);
  });

  it.skipIf(!python)('shares one file with Optuna writing at the same time, under the symlink lock', async () => {
    const path = tempJournal();
    const storage = await storageAt(path);
    const { studyId } = await storage.createStudy('fusetune-side', ['minimize']);
    const script = `
import sys, warnings
warnings.simplefilter("ignore")
import optuna
from optuna.storages import JournalStorage, JournalFileStorage
optuna.logging.set_verbosity(optuna.logging.ERROR)
study = optuna.create_study(study_name="optuna-side", storage=JournalStorage(JournalFileStorage(sys.argv[1])))
study.optimize(lambda t: t.suggest_float("lr", 1e-4, 1e-1, log=True), n_trials=40)
`;
    const dir = tempFolder('fusetune-py-');
    writeFileSync(join(dir, 'writer.py'), script);
    const child = spawn(python!, [join(dir, 'writer.py'), path], { stdio: 'inherit' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const lr = { name: 'FloatDistribution', low: 1e-4, high: 0.1, log: true, step: null } as const;
    for (let i = 0; i < 40; i++) {
      const trial = await storage.createTrial(studyId);
      await storage.update(trial.trialId, { params: { lr: 0.001 * (i + 1) }, distributions: { lr }, state: 'COMPLETE', values: [i] });
    }
    expect(await exited).toBe(0);
    await storage.sync();
    const view = pythonView(runPython(python!, DUMP_STUDIES_PY, [path]));
    expect(view['optuna-side']!.trials.filter((t) => t.state === 'COMPLETE')).toHaveLength(40);
    expect(view['fusetune-side']!.trials.map((t) => t.values)).toEqual(Array.from({ length: 40 }, (_, i) => [i]));
    expect(fusetuneView(storage)).toEqual(view);
  });
});
