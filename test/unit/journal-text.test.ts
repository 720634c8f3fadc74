// The app's journal download and upload: a study record → journal text → replay gives back its trials; Optuna 3.1
// reads the downloaded text; journals Optuna wrote open as studies to view (or are refused, naming the parameters).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stepsPerEpoch } from '../../src/model/steps.ts';
import { parseStudy, studyToJson, type Study } from '../../src/search/study.ts';
import { journalText, openJournalText, studyJournalText } from '../../src/store/journal-text.ts';
import { JournalFormatError, OP, decodeRecord } from '../../src/store/optuna-journal.ts';
import { trialToOptuna } from '../../src/store/optuna-mapping.ts';
import type { StudyRecord, TrialRecord } from '../../src/store/records.ts';
import type { JournalStorage } from '../../src/store/journal-storage.ts';
import { fusetuneRecord } from '../../src/ui/viewer/fusetune-journal.ts';
import { JournalViewer } from '../../src/ui/viewer/journal-viewer.ts';
import { fixtureStudy as fixtureRecord } from '../helpers/study-fixture.ts';
import { expectIntact, fixtureStudy, fixtureTrials } from './optuna-fixtures.ts';
import { DUMP_STUDIES_PY, OPTUNA_WRITES_PY, findPython, fusetuneView, pythonView, runPython } from './optuna-helpers.ts';

const { python, reason } = findPython(['optuna']);
if (!python) console.log(`journal-text: skipping the checks against a real Optuna: ${reason}`);

const OPTUNA_FIXTURE = readFileSync(new URL('../fixtures/optuna-3.1-journal.log', import.meta.url), 'utf8');

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function tempJournal(text?: string): string {
  const folder = mkdtempSync(join(tmpdir(), 'fusetune-download-'));
  folders.push(folder);
  const path = join(folder, 'download.log');
  if (text !== undefined) writeFileSync(path, text);
  return path;
}

/** A journal written by Optuna itself (OPTUNA_WRITES_PY), as text. */
function optunaWrites(python: string): string {
  const path = tempJournal();
  runPython(python, OPTUNA_WRITES_PY, [path]);
  return readFileSync(path, 'utf8');
}

/** The PBT fixture with its batch size fixed (PBT trains one shape: parseStudy refuses batch_size in its space). */
function validPbt(record: StudyRecord): StudyRecord {
  const { batch_size: _batch, ...space } = record.study.space;
  const trials = record.trials.map((t) => {
    const { batch_size: _b, ...params } = t.params;
    return { ...t, params };
  });
  return { ...record, study: { ...record.study, space, defaults: { ...record.study.defaults, batch_size: 64 } }, trials };
}

/** The trials as they come back: with the values Optuna needs that the record left to its metrics (docs/storage.md). */
function expectedBack(trials: readonly TrialRecord[], study: Study): TrialRecord[] {
  return trials.map((t) => {
    const { values: _values, ...rest } = t;
    const values = trialToOptuna(t, study).values;
    return values ? { ...rest, values: [...values] } : rest;
  });
}

/** fusetune's record of a journal's first study, as the app reads it beside the journal's records. */
function recordOf(storage: JournalStorage, studyId = 0): StudyRecord {
  return fusetuneRecord(storage.study(studyId), storage.trials(studyId))!;
}

/** A journal's text in the app's viewer. */
function viewerOf(text: string, source = 'journal.log'): JournalViewer {
  const viewer = new JournalViewer(source);
  viewer.appendText(text);
  return viewer;
}

async function roundTrip(record: StudyRecord): Promise<{ study: Study; text: string; back: { record: StudyRecord } }> {
  const study = parseStudy(record.study);
  const text = await studyJournalText(study, record);
  const storage = await openJournalText(text, 'download.log');
  expect(viewerOf(text).choices()).toEqual([{ studyId: 0, name: study.name, trials: record.trials.length, directions: study.objective.map((o) => o.direction), fusetune: true }]);
  return { study, text, back: { record: recordOf(storage) } };
}

describe('journal download', () => {
  for (const record of [fixtureRecord(), fixtureRecord({ objectives: 2 }), validPbt(fixtureRecord({ pbt: true }))]) {
    it(`${record.study.name}: study record → journal text → replay gives back the same trials`, async () => {
      const { study, text, back } = await roundTrip(record);
      // One record per line, each ended by a newline, as the file backend writes them.
      const lines = text.split('\n');
      expect(lines.at(-1)).toBe('');
      const records = lines.slice(0, -1).map((line, i) => decodeRecord(line, `line ${i + 1}`));
      expect(records[0]).toMatchObject({ op_code: OP.CREATE_STUDY, study_name: study.name });
      expect(records.filter((r) => r.op_code === OP.CREATE_TRIAL)).toHaveLength(record.trials.length);
      expect(journalText(records)).toBe(text);

      expect(back.record.study).toEqual(studyToJson(study));
      expect(back.record.trials).toEqual(expectedBack(record.trials, study));
      expect(back.record.reportUnit).toBe(record.reportUnit);
      expect(back.record.state).toBe('done');
      // Steps turn into the same epochs as with the data's real split.
      for (const t of record.trials) expect(stepsPerEpoch(back.record.dataset.split.train, t.config.batchSize)).toBe(stepsPerEpoch(record.dataset.split.train, t.config.batchSize));
    });
  }

  it('a study in progress: running, pending and stopped trials come back as they were', async () => {
    const study = fixtureStudy('every-kind', 1);
    const trials = fixtureTrials(1);
    expect(new Set(trials.map((t) => t.state))).toEqual(new Set(['done', 'pruned', 'diverged', 'failed', 'running', 'stopped', 'pending']));
    const storage = await openJournalText(await studyJournalText(study, { trials }), 'download.log');
    const record = recordOf(storage);
    expect(record.trials).toEqual(expectedBack(trials, study));
    expect(record.state).toBe('running');
    expect(record.reason).toMatch(/^2 trials are still running or waiting/);
  });

  it('a torn last line is skipped; a malformed line that more lines follow is refused with its line', async () => {
    const record = fixtureRecord({ trials: 12 });
    const text = await studyJournalText(parseStudy(record.study), record);
    const torn = `${text}{"op_code": 4, "worker_id": "w", "stu`;
    const kept = recordOf(await openJournalText(torn, 'torn.log')).trials;
    expect(kept.map((t) => t.index)).toEqual(record.trials.map((t) => t.index));
    const lines = text.split('\n');
    lines.splice(3, 0, '{"op_code": oops}');
    const error = await openJournalText(lines.join('\n'), 'broken.log').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JournalFormatError);
    expect((error as Error).message).toMatch(/^broken\.log line 4: malformed JSON/);
  });

  it.skipIf(!python)('is read by optuna.load_study with every trial, value, state, parameter and intermediate value', async () => {
    const one = fixtureStudy('every-kind', 1);
    const two = fixtureStudy('two-objectives', 2);
    const texts = [await studyJournalText(one, { trials: fixtureTrials(1) }), await studyJournalText(two, { trials: fixtureTrials(2) })];
    for (const [i, study] of [one, two].entries()) {
      const path = tempJournal(texts[i]);
      const view = pythonView(runPython(python!, DUMP_STUDIES_PY, [path]));
      expectIntact(view, [{ study, trials: fixtureTrials(study.objective.length as 1 | 2), path: 'at-once' }]);
      expect(view).toEqual(fusetuneView(await openJournalText(texts[i]!, path)));
    }
    // The 150-trial study the app's analysis views are tested with.
    const record = fixtureRecord();
    const study = parseStudy(record.study);
    const path = tempJournal(await studyJournalText(study, record));
    const view = pythonView(runPython(python!, DUMP_STUDIES_PY, [path]));
    expectIntact(view, [{ study, trials: record.trials, path: 'at-once' }]);
  });
});

describe('journal upload: a journal Optuna wrote', () => {
  it(`opens its studies in the viewer from their records alone, any parameter names (${python ? 'fresh from Optuna' : 'the Optuna 3.1 fixture'})`, () => {
    const text = python ? optunaWrites(python) : OPTUNA_FIXTURE;
    const viewer = viewerOf(text, 'optuna.log');
    expect(viewer.choices().map((c) => [c.name, c.trials, c.fusetune])).toEqual([
      ['py-one', 7, false],
      ['py-two', 3, false],
      ['py-foreign', 1, false],
    ]);
    const one = viewer.study(0, 'one')!;
    expect(one.trials.map((t) => t.state)).toEqual(['done', 'done', 'pruned', 'failed', 'done', 'running', 'pending']);
    expect(one.trials.map((t) => t.values?.[0] ?? null)).toEqual([0.8, 0.81, 0.5 + 0.1 + 2 / 100, null, 0.8 + 4 / 100, null, null]);
    expect(one.trials[2]!.intermediate).toEqual([
      { step: 0, value: 0.5 + 2 / 100 },
      { step: 1, value: 0.5 + 0.1 + 2 / 100 },
    ]);
    // An enqueued trial shows the params it was enqueued with; user attrs come as Optuna wrote them.
    expect(one.trials[6]!.params).toEqual({ lr: 0.01, l2: 0.002, layers: 1, units: 32, optimizer: 'adam' });
    expect(one.trials[6]!.userAttrs).toEqual({ memo: 'enqueued' });
    expect(one.trials[0]!.userAttrs).toEqual({ note: 'from optuna' });
    expect(one.objectives).toEqual([{ label: 'value', direction: 'maximize' }]);
    expect(one.space.map((p) => p.name)).toEqual(['lr', 'l2', 'layers', 'units', 'optimizer', 'units_2']);
    expect(one.space.find((p) => p.name === 'lr')).toMatchObject({ kind: 'numeric', log: true, low: 1e-4, high: 0.1 });
    expect(one.record).toBeNull();

    const two = viewer.study(1, 'two')!;
    expect(two.objectives).toEqual([
      { label: 'objective 0', direction: 'maximize' },
      { label: 'objective 1', direction: 'minimize' },
    ]);
    expect(two.trials.map((t) => t.values)).toEqual(two.trials.map((t) => [t.params.dropout, t.params.batch_size]));

    // A parameter outside fusetune's hyperparameters is shown like any other: a viewer refuses nothing.
    const foreign = viewer.study(2, 'foreign')!;
    expect(Object.keys(foreign.trials[0]!.params)).toEqual(['x']);
    expect(foreign.trials[0]!.state).toBe('done');
  });

  it.skipIf(!python)('the checked-in fixture is what Optuna 3.1 writes: the same studies, trials and parameters', async () => {
    const fresh = await openJournalText(optunaWrites(python!), 'fresh');
    const fixture = await openJournalText(OPTUNA_FIXTURE, 'fixture');
    // py-foreign's sampler is not seeded: its one trial differs from run to run.
    const shape = (storage: typeof fresh) =>
      storage.studies().map((c) => [c.name, c.directions, storage.trials(c.studyId).length, c.name === 'py-foreign' ? [] : storage.trials(c.studyId).map((t) => [t.state, t.values, t.params, [...t.intermediate]])]);
    expect(shape(fixture)).toEqual(shape(fresh));
  });
});

describe('the app’s journal viewer', () => {
  it('reads a journal fed in pieces (as `fusetune app` streams it) exactly as the whole text, keeping unchanged trials', async () => {
    const record = fixtureRecord({ trials: 30 });
    const text = await studyJournalText(parseStudy(record.study), record);
    const whole = viewerOf(text).study(0, 'x')!;
    const streamed = new JournalViewer('stream.log');
    const before = new Map<number, unknown>();
    let touched = 0;
    for (let at = 0; at < text.length; at += 997) {
      const ids = streamed.appendText(text.slice(at, at + 997));
      touched += ids.size;
      const view = streamed.study(0, 'x');
      if (view) for (const t of view.trials) before.set(t.index, t);
    }
    expect(touched).toBeGreaterThan(0);
    expect(streamed.study(0, 'x')).toEqual(whole);
    // A study read again without new records keeps its trial objects (views skip what did not change).
    const again = streamed.study(0, 'x')!;
    expect(again.trials.every((t) => before.get(t.index) === t)).toBe(true);
    // A record for one trial rebuilds that trial alone (a finished trial ignores it, as Optuna's replay does, but is read again).
    const trialId = again.trials[3]!.trialId!;
    streamed.append([{ op_code: OP.SET_TRIAL_SYSTEM_ATTR, worker_id: 'w', trial_id: trialId, system_attr: { note: 'x' } } as never]);
    const after = streamed.study(0, 'x')!;
    expect(after.trials.filter((t, i) => t !== again.trials[i]).map((t) => t.index)).toEqual([3]);
  });

  it('keeps a torn last line until its end arrives, and names a malformed line once more follow it', () => {
    const viewer = new JournalViewer('live.log');
    viewer.appendText('{"op_code": 0, "worker_id": "w", "study_name": "s", "directions": [1]}\n{"op_code": 4, "worker_id": "w", "study_id": 0, "datet');
    expect(viewer.study(0, 'x')!.trials).toHaveLength(0);
    viewer.appendText('ime_start": null}\n');
    expect(viewer.study(0, 'x')!.trials).toHaveLength(1);
    expect(() => viewer.appendText('{"op_code": oops}\n{"op_code": 1, "worker_id": "w", "study_id": 0}\n')).toThrow(/live\.log line 3: malformed JSON/);
  });
});
