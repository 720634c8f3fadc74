// A table study's results folder as a model: `fusetune run` writes the fitted transform and the test rows,
// `fusetune predict` on the test split gives back the recorded test metrics, bad input exits 2 naming it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePreprocess } from '../../src/data/transform.ts';
import type { StudyRecord } from '../../src/store/records.ts';

const BIN = join(import.meta.dirname, '../../bin/fusetune.js');
export const PENGUINS = join(import.meta.dirname, '../../node_modules/vega-datasets/data/penguins.json');

export function fusetune(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A small penguins study (classification of Species, or regression of body mass), run into a fresh folder. */
export function runPenguins(task: 'classification' | 'regression', keep = 2): { dir: string; out: string; record: StudyRecord } {
  const dir = mkdtempSync(join(tmpdir(), `fusetune-predict-${task}-`));
  const target = task === 'classification' ? { target: 'Species' } : { target: 'Body Mass (g)', task: 'regression' };
  const study = {
    name: `penguins-${task}`,
    seed: 3,
    data: { kind: 'table', path: PENGUINS, ...target, missing: ['.'] },
    space: { lr: { type: 'float', low: 0.005, high: 0.05, log: true } },
    defaults: { optimizer: 'adam', batch_size: 16, units: 8, activation: 'tanh' },
    sampler: { type: 'random' },
    budget: { trials: 3, epochs: 4 },
  };
  writeFileSync(join(dir, 'study.json'), JSON.stringify(study));
  const out = join(dir, 'out');
  const r = fusetune(['run', join(dir, 'study.json'), '--out', out, '--keep', String(keep)]);
  if (r.code !== 0) throw new Error(`fusetune run exited ${r.code}: ${r.stderr}`);
  return { dir, out, record: JSON.parse(readFileSync(join(out, 'study.json'), 'utf8')) as StudyRecord };
}

describe('fusetune run: a table study’s folder is a model', () => {
  let run: ReturnType<typeof runPenguins>;
  beforeAll(() => {
    run = runPenguins('classification');
  });

  it('writes preprocess.json (the transform fitted on the training rows) and test-rows.json', () => {
    const preprocess = parsePreprocess(readFileSync(join(run.out, 'preprocess.json'), 'utf8'));
    expect(preprocess.fittedRows).toBe(run.record.dataset.split.train);
    expect(preprocess.target).toEqual({ name: 'Species', task: 'classification', classes: ['Adelie', 'Chinstrap', 'Gentoo'] });
    expect(preprocess.missing).toContain('.');
    const testRows = JSON.parse(readFileSync(join(run.out, 'test-rows.json'), 'utf8')) as { fileRows: number; rows: number[] };
    expect(testRows.fileRows).toBe(344);
    expect(testRows.rows).toHaveLength(run.record.dataset.split.test);
    expect(new Set(testRows.rows).size).toBe(testRows.rows.length);
    expect(Math.max(...testRows.rows)).toBeLessThan(344);
  });
});
