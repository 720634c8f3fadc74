// Small penguins studies run through the CLI, and fusetune predict on them: shared by the predict and export tests.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StudyRecord, TestMetrics } from '../../src/store/records.ts';

const BIN = join(import.meta.dirname, '../../bin/fusetune.js');
export const PENGUINS = join(import.meta.dirname, '../../node_modules/vega-datasets/data/penguins.json');

export function fusetune(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const runs = new Map<string, { dir: string; out: string; record: StudyRecord }>();

/** A small penguins study (classification of Species, or regression of body mass), run once per file into a fresh folder. */
export function runPenguins(task: 'classification' | 'regression', keep = 2): { dir: string; out: string; record: StudyRecord } {
  const key = `${task}-${keep}`;
  if (!runs.has(key)) runs.set(key, runPenguinsNow(task, keep));
  return runs.get(key)!;
}

function runPenguinsNow(task: 'classification' | 'regression', keep: number): { dir: string; out: string; record: StudyRecord } {
  const dir = mkdtempSync(join(tmpdir(), `fusetune-predict-${task}-`));
  const target = task === 'classification' ? { target: 'Species' } : { target: 'Body Mass (g)', task: 'regression' };
  const objective = { metric: task === 'classification' ? 'val_accuracy' : 'val_rmse' };
  const study = {
    name: `penguins-${task}`,
    seed: 3,
    data: { kind: 'table', path: PENGUINS, ...target, missing: ['.'] },
    space: { lr: { type: 'float', low: 0.005, high: 0.05, log: true } },
    defaults: { optimizer: 'adam', batch_size: 16, units: 8, activation: 'tanh' },
    sampler: { type: 'random' },
    budget: { trials: 3, epochs: 4 },
    objective,
  };
  writeFileSync(join(dir, 'study.json'), JSON.stringify(study));
  const out = join(dir, 'out');
  const r = fusetune(['run', join(dir, 'study.json'), '--out', out, '--keep', String(keep)]);
  if (r.code !== 0) throw new Error(`fusetune run exited ${r.code}: ${r.stderr}`);
  return { dir, out, record: JSON.parse(readFileSync(join(out, 'study.json'), 'utf8')) as StudyRecord };
}

export interface PredictJson {
  trial: number;
  metrics: TestMetrics & { rows: number; skipped: number };
  recorded: TestMetrics | null;
}

/** `fusetune predict --json` on `data`; the parsed report and the predictions CSV's rows. */
export function predict(out: string, data: string, extra: string[] = []): { report: PredictJson; csv: string[][] } {
  const file = join(out, '..', `predictions-${extra.join('')}.csv`);
  const r = fusetune(['predict', '--model', out, '--data', data, '--out', file, '--json', ...extra]);
  if (r.code !== 0) throw new Error(`fusetune predict exited ${r.code}: ${r.stderr}`);
  return { report: JSON.parse(r.stdout) as PredictJson, csv: readFileSync(file, 'utf8').trim().split('\n').map((line) => line.split(',')) };
}

