// The shipped table studies (studies/penguins.json, cars.json, cars-cv.json) run end to end through the
// CLI from the repository root, as a fresh clone runs them: their data section unchanged, their budget
// trimmed (fewer trials and epochs) so the test stays cheap; each best trial has held-out test metrics.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '../..');
const BIN = join(REPO, 'bin/fusetune.js');
const STUDIES = join(REPO, 'studies');

interface Trial {
  index: number;
  state: string;
  test?: { accuracy?: number; rmse?: number; mae?: number; r2?: number };
  folds?: { k: number; values: Record<string, number[]> };
}
interface StudyRecord {
  dataset: { task: string; target?: string; folds?: number; split: { train: number; validation: number; test: number } };
  trials: Trial[];
  best: number;
}

const read = (file: string) => JSON.parse(readFileSync(join(STUDIES, file), 'utf8')) as { data: { kind: string; path?: string }; budget: object };

/** Runs `file` from studies/ with `budget` in place of its own, in the repository root (its data paths are relative to it). */
function runTrimmed(file: string, budget: object): StudyRecord {
  const dir = mkdtempSync(join(tmpdir(), 'fusetune-studies-'));
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify({ ...read(file), budget }));
  const r = spawnSync(process.execPath, [BIN, 'run', path, '--out', join(dir, 'out'), '--json'], { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StudyRecord;
}

const bestOf = (record: StudyRecord) => record.trials.find((t) => t.index === record.best)!;

describe('shipped table studies', () => {
  it('are the documented ones, each reading vega-datasets from node_modules', () => {
    const tables = readdirSync(STUDIES).filter((file) => file.endsWith('.json') && read(file).data.kind === 'table');
    // flights.json (3M rows read for 20,000 training rows) is run by hand: docs/data-results.md has its figures.
    expect(tables.sort()).toEqual(['cars-cv.json', 'cars.json', 'flights.json', 'penguins.json']);
    for (const file of tables) expect(read(file).data.path).toMatch(/^node_modules\/vega-datasets\/data\//);
  });

  it('penguins.json classifies Species with test accuracy', () => {
    const record = runTrimmed('penguins.json', { trials: 2, epochs: 5 });
    expect(record.dataset.task).toBe('classification');
    expect(record.dataset.split).toEqual({ train: 206, validation: 69, test: 69 });
    // Three classes: chance is about 44% (the largest class); five epochs separate them far better.
    expect(bestOf(record).test!.accuracy).toBeGreaterThan(0.8);
  });

  it('cars.json regresses Miles_per_Gallon, with test RMSE in miles per gallon', () => {
    const record = runTrimmed('cars.json', { trials: 2, epochs: 10 });
    expect(record.dataset).toMatchObject({ task: 'regression', target: 'Miles_per_Gallon' });
    const test = bestOf(record).test!;
    // The target's standard deviation is 7.8 mpg: predicting the mean scores about that.
    expect(test.rmse).toBeGreaterThan(0);
    expect(test.rmse).toBeLessThan(6);
    expect(test.r2).toBeGreaterThan(0.4);
  });

  it('cars-cv.json records five folds per trial under TPE with a pruner', () => {
    const study = read('cars-cv.json') as unknown as { sampler: { type: string }; pruner: { type: string } };
    expect(study.sampler.type).toBe('tpe');
    expect(study.pruner.type).not.toBe('none');
    const record = runTrimmed('cars-cv.json', { trials: 2, epochs: 3 });
    expect(record.dataset.folds).toBe(5);
    const best = bestOf(record);
    expect(best.folds!.values.val_rmse).toHaveLength(5);
    expect(best.test!.rmse).toBeGreaterThan(0);
  });
});
