// `fusetune ask` and `fusetune tell` on a journal file: trials trained elsewhere join the study, within its
// budget; `fusetune run` on the same journal continues it; Optuna reads every trial.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openJournalStorage } from '../../src/store/journal-node.ts';
import { DUMP_STUDIES_PY, findPython, runPython } from './optuna-helpers.ts';

const BIN = join(import.meta.dirname, '../../bin/fusetune.js');
const { python, reason } = findPython(['optuna']);
if (!python) console.log(`skipping the Optuna check: ${reason}`);
const fusetune = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 180_000 });
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
