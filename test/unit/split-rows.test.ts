// scripts/split-rows.ts, which scripts/compare-sklearn.py reads: a table study's three splits as file rows, disjoint, covering every row with a target, in the sizes the study reports.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '../..');

function splitRows(study: string): { rows: { train: number[]; validation: number[]; test: number[] }; fileRows: number; columns: { name: string; kind: string }[]; trials: number; task: string } {
  const r = spawnSync(process.execPath, ['--import', './bin/register.js', 'scripts/split-rows.ts', study], { cwd: REPO, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('scripts/split-rows.ts', () => {
  it('prints cars.json’s splits: disjoint file rows, every row with a target once, and the columns the transform reads', () => {
    const out = splitRows('studies/cars.json');
    const { train, validation, test } = out.rows;
    expect([train.length, validation.length, test.length]).toEqual([238, 80, 80]);
    const all = [...train, ...validation, ...test];
    expect(new Set(all).size).toBe(all.length);
    // cars.json has 406 rows, 8 of them without Miles_per_Gallon: those are dropped, the rest split.
    expect(out.fileRows).toBe(406);
    expect(all.length).toBe(398);
    expect(Math.max(...all)).toBeLessThan(406);
    expect(out.columns.map((c) => c.name)).not.toContain('Name');
    expect(out.columns.find((c) => c.name === 'Origin')?.kind).toBe('categorical');
    expect({ task: out.task, trials: out.trials }).toEqual({ task: 'regression', trials: 16 });
  });

  it('refuses a study whose data is not a table', () => {
    const r = spawnSync(process.execPath, ['--import', './bin/register.js', 'scripts/split-rows.ts', 'studies/quick-synthetic.json'], { cwd: REPO, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/table data only/);
  });
});
