// `fusetune ask` and `fusetune tell` on a journal file: trials trained elsewhere join the study, within its
// budget; `fusetune run` on the same journal continues it; Optuna reads every trial.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStudy, studyForTask, studyToJson } from '../../src/search/study.ts';
import { openJournalStorage } from '../../src/store/journal-node.ts';
import { METRIC_NAMES_ATTR } from '../../src/store/optuna-journal.ts';
import { STUDY_ATTR } from '../../src/store/optuna-mapping.ts';
import { cliInProcess } from '../helpers/cli-main.ts';
import { DUMP_STUDIES_PY, findPython, runPython } from './optuna-helpers.ts';

const BIN = join(import.meta.dirname, '../../bin/fusetune.js');
const { python, reason } = findPython(['optuna']);
if (!python) console.log(`skipping the Optuna check: ${reason}`);
const fusetune = (args: string[], cwd?: string) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 180_000, cwd });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('fusetune ask / tell', () => {
  it('asks trials within the budget, records their results, and fusetune run continues the study', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusetune-ask-'));
    const study = join(dir, 'study.json');
    writeFileSync(
      study,
      JSON.stringify({
        name: 'asked',
        seed: 7,
        data: { kind: 'circles', n: 120, noise: 0.05, seed: 2 },
        space: { lr: { type: 'float', low: 0.01, high: 0.1, log: true }, units: { type: 'categorical', choices: [4, 8] } },
        defaults: { batch_size: 8, epochs: 2 },
        sampler: { type: 'tpe', startupTrials: 2 },
        budget: { trials: 4 },
      }),
    );
    const storage = ['--storage', `journal:${join(dir, 'journal.log')}`];
    const asked = fusetune(['ask', study, ...storage, '-n', '2']);
    expect(asked.code, asked.stderr).toBe(0);
    const trials = asked.stdout.trim().split('\n').map((line) => JSON.parse(line) as { number: number; params: Record<string, unknown>; config: { seed: number } });
    expect(trials.map((t) => t.number)).toEqual([0, 1]);
    expect(Object.keys(trials[0]!.params).sort()).toEqual(['lr', 'units']);

    expect(fusetune(['tell', study, ...storage, '--trial', '0', '--value', '0.9', '--report', '1=0.5,2=0.8']).code).toBe(0);
    expect(fusetune(['tell', study, ...storage, '--trial', '1', '--state', 'pruned', '--report', '1=0.2']).code).toBe(0);
    // Bad input is refused, naming what is wrong.
    const again = fusetune(['tell', study, ...storage, '--trial', '0', '--value', '0.5']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/--trial 0: it is COMPLETE, not RUNNING/);
    expect(fusetune(['tell', study, ...storage, '--trial', '9', '--value', '0.5']).stderr).toMatch(/--trial 9: the study has no such trial/);
    expect(fusetune(['ask', study, ...storage, '-n', '0']).code).toBe(2);

    // A third asked trial is left unanswered: run trains the fourth and last, without waiting for it.
    expect(JSON.parse(fusetune(['ask', study, ...storage]).stdout).number).toBe(2);
    const run = fusetune(['run', study, ...storage, '--out', join(dir, 'run')]);
    expect(run.code, run.stderr).toBe(0);
    const journal = await openJournalStorage({ kind: 'journal', path: join(dir, 'journal.log') });
    const states = journal.trials(0).map((t) => [t.number, t.state]);
    await journal.close();
    expect(states).toEqual([
      [0, 'COMPLETE'],
      [1, 'PRUNED'],
      [2, 'RUNNING'],
      [3, 'COMPLETE'],
    ]);
    if (python) {
      const dump = runPython(python, DUMP_STUDIES_PY, [join(dir, 'journal.log')]) as Record<string, { trials: { state: string; values: number[] | null; intermediate: Record<string, number> }[] }>;
      expect(dump.asked!.trials.map((t) => t.state)).toEqual(['COMPLETE', 'PRUNED', 'RUNNING', 'COMPLETE']);
      expect(dump.asked!.trials[0]!.values).toEqual([0.9]);
      expect(dump.asked!.trials[0]!.intermediate).toEqual({ '1': 0.5, '2': 0.8 });
    }
  });
});

describe('fusetune ask / tell on a table study that names neither task nor objective', () => {
  /** A cars-like table: miles per gallon (decimals, so regression) from weight and origin; a study on it with no task and no objective. */
  function carsLike(data: object = {}, extra: object = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'fusetune-ask-table-'));
    const lines = ['Weight,Origin,Miles_per_Gallon'];
    for (let i = 0; i < 40; i++) lines.push(`${2000 + ((i * 37) % 40) * 50},${['USA', 'Europe', 'Japan'][i % 3]},${(40 - ((i * 37) % 40) * 0.5 + (i % 3)).toFixed(1)}`);
    writeFileSync(join(dir, 'cars.csv'), `${lines.join('\n')}\n`);
    const study = {
      name: 'cars-like',
      data: { kind: 'table', path: 'cars.csv', target: 'Miles_per_Gallon', ...data },
      space: { lr: { type: 'float', low: 0.001, high: 0.1, log: true } },
      defaults: { batch_size: 4, units: 4, epochs: 1 },
      budget: { trials: 2 },
      ...extra,
    };
    writeFileSync(join(dir, 'study.json'), JSON.stringify(study));
    return { dir, study };
  }

  it('optimizes what fusetune run would (val_rmse, minimize): ask, tell and run share one journal', async () => {
    const { dir, study } = carsLike();
    const storage = ['--storage', 'journal:journal.log'];
    const asked = await cliInProcess(['ask', 'study.json', ...storage], { cwd: dir });
    expect(asked.code, asked.stderr).toBe(0);
    expect(JSON.parse(asked.stdout).number).toBe(0);
    // An RMSE in miles per gallon: outside val_accuracy's 0 … 1, which ask and tell assumed before.
    const told = await cliInProcess(['tell', 'study.json', ...storage, '--trial', '0', '--value', '3.2'], { cwd: dir });
    expect(told.code, told.stderr).toBe(0);

    const journal = await openJournalStorage({ kind: 'journal', path: join(dir, 'journal.log') });
    const recorded = journal.studies()[0]!;
    const values = journal.trials(recorded.studyId).map((t) => t.values);
    await journal.close();
    expect(recorded.directions).toEqual(['minimize']);
    expect(recorded.systemAttrs[METRIC_NAMES_ATTR]).toEqual(['val_rmse']);
    expect(recorded.userAttrs[STUDY_ATTR.study]).toEqual(studyToJson(studyForTask(parseStudy(study), 'regression')));
    expect(values).toEqual([[3.2]]);
    // run reads the whole table, finds the same study in the journal (a different one is refused) and trains the last trial.
    const run = fusetune(['run', join(dir, 'study.json'), '--storage', `journal:${join(dir, 'journal.log')}`, '--out', join(dir, 'run')], dir);
    expect(run.code, run.stderr).toBe(0);
  });

  it('refuses, exit 2, when the data cannot be read: naming data.path and what to state instead', async () => {
    const { dir } = carsLike({ path: 'missing.csv' });
    for (const args of [['ask', 'study.json'], ['tell', 'study.json', '--trial', '0', '--value', '3.2']]) {
      const r = await cliInProcess([...args, '--storage', 'journal:journal.log'], { cwd: dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('data.path missing.csv: no such file');
      expect(r.stderr).toContain('state data.task or objective');
    }
    // With the task or the objective stated, the data is not needed (the trials train elsewhere).
    for (const stated of [carsLike({ path: 'missing.csv', task: 'regression' }), carsLike({ path: 'missing.csv' }, { objective: { metric: 'val_mae' } })]) {
      const r = await cliInProcess(['ask', 'study.json', '--storage', 'journal:journal.log'], { cwd: stated.dir });
      expect(r.code, r.stderr).toBe(0);
    }
  });
});
