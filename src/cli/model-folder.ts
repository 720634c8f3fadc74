// A results folder as a model: which trials' weights `fusetune run` keeps (weights/trial-N.safetensors), the fitted transform (preprocess.json) and the test rows (test-rows.json).
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.ts';
import { serializePreprocess } from '../data/transform.ts';
import type { Objective } from '../model/objectives.ts';
import type { StudyFolder } from '../store/node-store.ts';
import { rankTrials, type TrialRecord } from '../store/records.ts';

export const WEIGHTS_DIR = 'weights';
export const PREPROCESS_FILE = 'preprocess.json';
export const TEST_ROWS_FILE = 'test-rows.json';
export const TEST_ROWS_FORMAT = 'fusetune-test-rows';

/** test-rows.json: the file rows the study held out as its test split, in the order it evaluated them. */
export interface TestRows {
  format: typeof TEST_ROWS_FORMAT;
  /** The data file's name and its row count when the study read it: a changed file is refused. */
  source: string;
  fileRows: number;
  /** 0-based rows of the file (data rows, header excluded). */
  rows: number[];
}

/**
 * Writes what a table study's model needs besides weights: preprocess.json (the transform fitted on the
 * training rows) and test-rows.json (the held-out rows, so `fusetune predict --split test` can check the
 * recorded test metrics). Data without a fitted transform (MNIST, synthetic) writes nothing.
 */
export function writeModelFiles(folder: StudyFolder, dataset: Dataset): string[] {
  if (!dataset.preprocess) return [];
  const written = [folder.writeText(PREPROCESS_FILE, serializePreprocess(dataset.preprocess))];
  if (dataset.rows && dataset.split.test > 0) {
    const testRows: TestRows = { format: TEST_ROWS_FORMAT, source: dataset.preprocess.source, fileRows: dataset.rows.fileRows, rows: Array.from(dataset.rows.ids.subarray(dataset.rows.ids.length - dataset.split.test)) };
    written.push(folder.writeText(TEST_ROWS_FILE, `${JSON.stringify(testRows)}\n`));
  }
  return written;
}

/** A trial's weights in the results folder. */
export function weightsFile(index: number): string {
  return join(WEIGHTS_DIR, `trial-${index}.safetensors`);
}

/** The trials whose weights a run keeps: the best `keep` finished trials by the first objective. */
export function keptTrials(trials: readonly TrialRecord[], objective: Objective, keep: number): number[] {
  return rankTrials(trials, objective)
    .filter((t) => t.state === 'done')
    .slice(0, keep)
    .map((t) => t.index);
}

/**
 * Removes from `dir`/weights/ the weights of trials not in `kept` (written while they were among the
 * best so far, since overtaken). Returns the trials whose weights are there.
 */
export function pruneWeights(dir: string, kept: readonly number[]): number[] {
  const keep = new Set(kept);
  const present: number[] = [];
  let names: string[];
  try {
    names = readdirSync(join(dir, WEIGHTS_DIR));
  } catch {
    return present;
  }
  for (const name of names) {
    const index = /^trial-(\d+)\.safetensors$/.exec(name)?.[1];
    if (index === undefined) continue;
    if (keep.has(Number(index))) present.push(Number(index));
    else rmSync(join(dir, WEIGHTS_DIR, name), { force: true });
  }
  return present.sort((a, b) => a - b);
}
