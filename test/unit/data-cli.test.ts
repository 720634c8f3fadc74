// Table studies through the real CLI: the objective a study without one gets follows the data's task,
// and each kind of bad table exits 2 with one message naming the file, the column and the line or row.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultObjective } from '../../src/model/objectives.ts';
import { parseStudy, studyForTask, studyToJson } from '../../src/search/study.ts';
import { numbersArrow, sampleParquet } from '../helpers/tables.ts';
import { cliInProcess } from '../helpers/cli-main.ts';

const BIN = join(import.meta.dirname, '../../bin/fusetune.js');

/** Runs the CLI without blocking, so that the cases below can run side by side (each is mostly start-up). */
function fusetune(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const inProcess = (dir: string, args: string[]) => cliInProcess(args, { cwd: dir });

/** A folder holding `file` (text or bytes) and a one-trial study on it; `data` adds to the study's data section. */
function studyOn(file: string, content: string | Uint8Array, data: object = {}, extra: object = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'fusetune-data-cli-'));
  writeFileSync(join(dir, file), content);
  const study = { name: 'data-cli', data: { kind: 'table', path: file, target: 'y', ...data }, space: {}, defaults: { batch_size: 4, units: 4, epochs: 1 }, budget: { trials: 1 }, ...extra };
  writeFileSync(join(dir, 'study.json'), JSON.stringify(study));
  return dir;
}

/** 40 rows: y = 2v + w's effect (regression), or a class from v's sign. */
function tableText(task: 'regression' | 'classification'): string {
  const lines = ['v,w,y'];
  for (let i = 0; i < 40; i++) {
    const v = ((i * 37) % 40) / 10 - 2;
    lines.push(`${v},${i % 2 ? 'a' : 'b'},${task === 'regression' ? (2 * v + (i % 2)).toFixed(3) : v > 0 ? 'up' : 'down'}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('the default objective follows the task', () => {
  it('is decided in one place: a study without one gets its task’s, one that names its own keeps it', () => {
    const base = { data: { kind: 'table', path: 'x.csv', target: 'y' }, space: {}, budget: { trials: 1 } };
    const open = parseStudy(base);
    expect(open.objective).toEqual([defaultObjective('classification')]);
    expect(studyForTask(open, 'regression').objective).toEqual([{ metric: 'val_rmse', direction: 'minimize' }]);
    expect(studyForTask(open, 'classification')).toBe(open);
    expect(parseStudy({ ...base, data: { ...base.data, task: 'regression' } }).objective).toEqual([{ metric: 'val_rmse', direction: 'minimize' }]);
    // A named objective is the user's: val_accuracy on regression data stays, to be refused by checkStudyAgainstData.
    const named = parseStudy({ ...base, objective: { metric: 'val_accuracy' } });
    expect(studyForTask(named, 'regression').objective[0]!.metric).toBe('val_accuracy');
    // The JSON written for the journal names the objective it ran with, and reads back the same.
    const resolved = studyForTask(open, 'regression');
    expect(parseStudy(studyToJson(resolved)).objective).toEqual(resolved.objective);
  });

  it.concurrent.each([['regression', 'val_rmse'], ['classification', 'val_accuracy']] as const)('a %s table without an objective runs with %s', async (task, metric) => {
    const dir = studyOn('t.csv', tableText(task));
    const r = await fusetune(['run', 'study.json', '--out', 'out', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(r.stdout) as { study: { objective: { metric: string }[] }; dataset: { task: string }; trials: { values: number[] }[] };
    expect(record.dataset.task).toBe(task);
    expect(record.study.objective.map((o) => o.metric)).toEqual([metric]);
    expect(Number.isFinite(record.trials[0]!.values[0])).toBe(true);
  });

  it.concurrent('a named objective of the other task is still refused, exit 2', async () => {
    const dir = studyOn('t.csv', tableText('regression'), {}, { objective: { metric: 'val_accuracy' } });
    const r = await fusetune(['run', 'study.json', '--out', 'out'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('objective.metric: val_accuracy scores classification; regression data is scored by val_rmse, val_mae, val_r2, val_loss');
  });
});

describe('bad tables exit 2 through fusetune run, named, nothing trained', () => {
  const truncatedParquet = sampleParquet(200).subarray(0, 700);
  const corruptParquet = (() => {
    const bytes = sampleParquet(200).slice();
    bytes.fill(0xff, bytes.length - 40, bytes.length - 8); // the footer's metadata, keeping the length and magic
    return bytes;
  })();
  const arrow = numbersArrow({ v: [1, 2, 3, 4, 5, 6], y: [1, 2, 3, 4, 5, 6] });
  it.each([
    ['a ragged row', 't.csv', 'v,y\n1,a\n2,b,3\n3,a\n', {}, 'table:t.csv line 3: expected 2 fields, got 3 (a ragged row)'],
    ['a word in a column declared numeric', 't.csv', 'v,y\n1,a\n2,b\nthree,a\n', { columns: { v: 'numeric' } }, 'table:t.csv line 4, column "v": "three" is not a number, and the column is numeric'],
    ['a target with one class', 't.csv', 'v,y\n1,a\n2,a\n3,a\n', {}, 'table:t.csv, column "y": the target needs at least 2 classes, found 1'],
    ['an all-missing column', 't.csv', 'v,w,y\n1,,a\n2,NA,b\n3,,a\n', {}, 'table:t.csv, column "w": the column has no values (all 3 cells are missing)'],
    ['a regression target with Inf', 't.csv', 'v,y\n1,0.5\n2,1e999\n3,2.5\n', { task: 'regression' }, 'table:t.csv line 3, column "y": the regression target is Infinity'],
    ['a regression target with Inf in JSON records', 't.json', '[{"v":1,"y":0.5},{"v":2,"y":1e999},{"v":3,"y":2}]', { task: 'regression' }, 'table:t.json row 2, column "y": the regression target is Infinity'],
    ['an unknown column in columns', 't.csv', 'v,y\n1,a\n2,b\n', { columns: { Origin: 'categorical' } }, 'table:t.csv, column "Origin": data.columns names a column the file does not have; the file has: v, y'],
    ['a truncated Parquet file', 't.parquet', truncatedParquet, {}, 'table:t.parquet'],
    ['a corrupt Parquet footer', 't.parquet', corruptParquet, {}, 'table:t.parquet'],
    ['a truncated Arrow file', 't.arrow', arrow.subarray(0, arrow.length - 30), {}, 'table:t.arrow'],
  ] as [string, string, string | Uint8Array, object, string][])('%s', async (what, file, content, data, message) => {
    // The first case runs the real binary; the rest the CLI's entry point in this process (the same
    // main() that turns an error into an exit code), which skips a process start each.
    const dir = studyOn(file, content, data);
    const r = what === 'a ragged row' ? await fusetune(['run', 'study.json', '--out', 'out'], dir) : await inProcess(dir, ['run', join(dir, 'study.json'), '--out', join(dir, 'out')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(existsSync(join(dir, 'out', 'journal.log'))).toBe(false);
  });
});

describe('fusetune train --data table:PATH --target COL', () => {
  it.concurrent('trains one network on a table, its task guessed from the target, with test metrics in its units', async () => {
    const dir = studyOn('t.csv', tableText('regression'));
    const r = await fusetune(['train', '--data', 'table:t.csv', '--target', 'y', '--epochs', '2', '--batch', '4', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const final = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { state: string; test: { rows: number; rmse: number; accuracy: number | null } };
    expect(final.state).toBe('done');
    // 40 rows: 60/20/20 leaves 8 to test.
    expect(final.test.rows).toBe(8);
    expect(final.test.rmse).toBeGreaterThan(0);
    expect(final.test.accuracy).toBeNull();
  });

  it.concurrent('names --target where it is missing or does not apply, exit 2', async () => {
    const dir = studyOn('t.csv', tableText('regression'));
    const missing = await fusetune(['train', '--data', 'table:t.csv'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--target: table:PATH needs the column to predict');
    const stray = await fusetune(['train', '--data', 'circles', '--target', 'y'], dir);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('--target: applies to table:PATH data only');
    const unknown = await fusetune(['train', '--data', 'table:t.csv', '--target', 'price'], dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('table:t.csv: no target column "price"; the file has: v, w, y');
  });
});
