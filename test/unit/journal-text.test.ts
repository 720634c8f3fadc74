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
import { ForeignParamsError, trialToOptuna } from '../../src/store/optuna-mapping.ts';
import type { StudyRecord, TrialRecord } from '../../src/store/records.ts';
import { UNRECORDED_DATA, journalChoices, studyFromJournal } from '../../src/ui/journal-study.ts';
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

async function roundTrip(record: StudyRecord): Promise<{ study: Study; text: string; back: ReturnType<typeof studyFromJournal> }> {
  const study = parseStudy(record.study);
  const text = await studyJournalText(study, record);
  const storage = await openJournalText(text, 'download.log');
  const [only] = journalChoices(storage);
  expect(journalChoices(storage)).toEqual([{ studyId: 0, name: study.name, trials: record.trials.length, directions: study.objective.map((o) => o.direction), fusetune: true }]);
  return { study, text, back: studyFromJournal(storage, only!.studyId) };
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

      expect(back.notes).toEqual([]);
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
    const { record } = studyFromJournal(storage, 0);
    expect(record.trials).toEqual(expectedBack(trials, study));
    expect(record.state).toBe('running');
    expect(record.reason).toMatch(/^2 trials are still running or waiting/);
  });

  it('a torn last line is skipped; a malformed line that more lines follow is refused with its line', async () => {
    const record = fixtureRecord({ trials: 12 });
    const text = await studyJournalText(parseStudy(record.study), record);
    const torn = `${text}{"op_code": 4, "worker_id": "w", "stu`;
    const kept = studyFromJournal(await openJournalText(torn, 'torn.log'), 0).record.trials;
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
  it(`opens its studies: space from the distributions, objectives from the directions, notes on what it lacks (${python ? 'fresh from Optuna' : 'the Optuna 3.1 fixture'})`, async () => {
    const text = python ? optunaWrites(python) : OPTUNA_FIXTURE;
    const storage = await openJournalText(text, 'optuna.log');
    expect(journalChoices(storage).map((c) => [c.name, c.trials, c.fusetune])).toEqual([
      ['py-one', 7, false],
      ['py-two', 3, false],
      ['py-foreign', 1, false],
    ]);
    const one = studyFromJournal(storage, 0);
    expect(one.record.trials.map((t) => t.state)).toEqual(['done', 'done', 'pruned', 'failed', 'done', 'running', 'pending']);
    expect(one.record.trials.map((t) => t.valAccuracy)).toEqual([0.8, 0.81, 0.5 + 0.1 + 2 / 100, null, 0.8 + 4 / 100, null, null]);
    expect(one.record.trials[2]!.intermediate).toEqual([
      { step: 0, value: 0.5 + 2 / 100 },
      { step: 1, value: 0.5 + 0.1 + 2 / 100 },
    ]);
    expect(one.record.trials[6]!.params).toEqual({ lr: 0.01, l2: 0.002, layers: 1, units: 32, optimizer: 'adam' });
    expect(one.record.study).toMatchObject({ data: UNRECORDED_DATA, objective: [{ metric: 'val_accuracy', direction: 'maximize' }] });
    expect(Object.keys(one.record.study.space)).toEqual(['lr', 'l2', 'layers', 'units', 'optimizer', 'units_2']);
    expect(one.notes[0]).toMatch(/Optuna wrote this study.*val accuracy/);
    expect(one.notes).toContain('units_2 is set in 4 of 6 trials (conditional in Optuna): fusetune samples it in every trial');
    expect(one.record).toMatchObject({ state: 'running', best: 4, reportUnit: 'step' });

    const two = studyFromJournal(storage, 1);
    expect(two.record.study.objective).toEqual([
      { metric: 'val_accuracy', direction: 'maximize' },
      { metric: 'val_loss', direction: 'minimize' },
    ]);
    expect(two.record.trials.map((t) => [t.valAccuracy, t.valLoss])).toEqual(two.record.trials.map((t) => [t.params.dropout, t.params.batch_size]));

    expect(() => studyFromJournal(storage, 2)).toThrow(ForeignParamsError);
    expect(() => studyFromJournal(storage, 2)).toThrow(/x \(trials 0\) is not a fusetune hyperparameter/);
  });

  it.skipIf(!python)('the checked-in fixture is what Optuna 3.1 writes: the same studies, trials and parameters', async () => {
    const fresh = await openJournalText(optunaWrites(python!), 'fresh');
    const fixture = await openJournalText(OPTUNA_FIXTURE, 'fixture');
    // py-foreign's sampler is not seeded: its one trial differs from run to run.
    const shape = (storage: typeof fresh) =>
      journalChoices(storage).map((c) => [c.name, c.directions, c.trials, c.name === 'py-foreign' ? [] : storage.trials(c.studyId).map((t) => [t.state, t.values, t.params, [...t.intermediate]])]);
    expect(shape(fixture)).toEqual(shape(fresh));
  });
});
