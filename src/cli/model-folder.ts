// A results folder as a model: which trials' weights `fusetune run` keeps (weights/trial-N.safetensors), the fitted transform (preprocess.json) and the test rows (test-rows.json).
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Dataset } from '../data/dataset.ts';
import { encodedWidth, parsePreprocess, type Preprocess, serializePreprocess } from '../data/transform.ts';
import type { Objective } from '../model/objectives.ts';
import { ACTIVATIONS, type Activation } from '../model/trial-config.ts';
import { pathKind, type StudyFolder } from '../store/node-store.ts';
import { rankTrials, type StudyRecord, type TrialRecord } from '../store/records.ts';
import { decodeSafetensors, mlpParams } from '../store/safetensors.ts';
import { InputError } from '../util/input-error.ts';

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
  const present = listWeights(dir);
  for (const index of present) if (!keep.has(index)) rmSync(join(dir, weightsFile(index)), { force: true });
  return present.filter((index) => keep.has(index));
}

/** Trials whose weights are in the folder's weights/, in order. */
function listWeights(dir: string): number[] {
  let names: string[];
  try {
    names = readdirSync(join(dir, WEIGHTS_DIR));
  } catch {
    return [];
  }
  return names.flatMap((n) => /^trial-(\d+)\.safetensors$/.exec(n)?.[1] ?? []).map(Number).sort((a, b) => a - b);
}

/** A results folder's trial, ready to apply: its transform, its network and where they came from. */
export interface FolderModel {
  dir: string;
  record: StudyRecord;
  preprocess: Preprocess;
  /** The trial whose weights these are, and the file they came from (relative to `dir`). */
  trial: number;
  weightsFile: string;
  widths: number[];
  activation: Activation;
  params: Float32Array;
}

function readFolderFile(dir: string, name: string, missing: string): string {
  const path = join(dir, name);
  if (!existsSync(path)) throw new InputError(`--model ${dir}: ${missing}`);
  return readFileSync(path, 'utf8');
}

/** The weights file of `trial` (best.safetensors without one), refusing a folder or trial without weights by name. */
function weightsOf(dir: string, trial: number | undefined): string {
  if (trial === undefined) {
    if (existsSync(join(dir, 'best.safetensors'))) return 'best.safetensors';
    throw new InputError(`--model ${dir} has no weights (best.safetensors): the run finished no trial, or trained it on another worker`);
  }
  const name = weightsFile(trial);
  if (existsSync(join(dir, name))) return name;
  const kept = listWeights(dir);
  throw new InputError(`--trial ${trial}: ${dir} has no ${name}; it keeps the weights of trial(s) ${kept.join(', ') || 'none'} (fusetune run --keep K keeps the best K)`);
}

/** The network's widths and activation, from the weights file's metadata (the study record's trial config where it has none). */
function networkOf(dir: string, file: string, metadata: Record<string, string>, trial: TrialRecord | undefined): { widths: number[]; activation: Activation } {
  const widths = (metadata.widths ?? '').split(',').map(Number);
  if (widths.length < 2 || !widths.every((w) => Number.isInteger(w) && w > 0)) throw new InputError(`--model ${dir}: ${file} has no layer widths in its metadata ("widths": ${JSON.stringify(metadata.widths)})`);
  const activation = metadata.activation ?? trial?.config.activation;
  if (!ACTIVATIONS.includes(activation as Activation)) throw new InputError(`--model ${dir}: ${file} names no activation, nor does study.json for trial ${metadata.trial}`);
  return { widths, activation: activation as Activation };
}

/** Refuses weights whose input or output width is not what the transform encodes and the target needs. */
function checkShape(dir: string, file: string, widths: readonly number[], preprocess: Preprocess): void {
  const features = encodedWidth(preprocess.columns);
  const outputs = preprocess.target.task === 'classification' ? preprocess.target.classes.length : 1;
  if (widths[0] === features && widths.at(-1) === outputs) return;
  const wants = preprocess.target.task === 'classification' ? `${outputs} classes` : '1 regression output';
  throw new InputError(`--model ${dir}: ${file} is a ${widths.join('-')} network, but preprocess.json encodes ${features} features and ${wants}: the weights and the transform are of different studies`);
}

function parseJson(text: string, path: string): unknown {
  return named(path, () => {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new InputError(`not valid JSON (${(error as Error).message})`);
    }
  });
}

/** Runs `read`, prefixing a refusal with the file it was about. */
function named<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof InputError) error.message = `${path}: ${error.message}`;
    throw error;
  }
}

/** Reads a results folder as a model: study.json, preprocess.json and the trial's weights (best.safetensors by default). */
export function loadModel(folder: string, trial?: number): FolderModel {
  const dir = resolve(folder);
  const kind = pathKind(dir, '--model', folder);
  if (kind === 'none' || !kind.isDirectory()) throw new InputError(`--model ${folder}: ${kind === 'none' ? 'no such folder' : 'is a file; give the results folder of fusetune run'}`);
  const record = parseJson(readFolderFile(dir, 'study.json', 'no study.json: not a results folder of fusetune run'), join(dir, 'study.json')) as StudyRecord;
  const preprocess = parsePreprocess(readFolderFile(dir, PREPROCESS_FILE, `no ${PREPROCESS_FILE}: predict and export apply table studies' models (data.kind "table"); this study's data is ${record.dataset?.name ?? 'unknown'}`), join(dir, PREPROCESS_FILE));
  const file = weightsOf(dir, trial);
  const { tensors, metadata } = named(join(dir, file), () => decodeSafetensors(readFileSync(join(dir, file))));
  const index = trial ?? Number(metadata.trial);
  const { widths, activation } = networkOf(dir, file, metadata, record.trials.find((t) => t.index === index));
  checkShape(dir, file, widths, preprocess);
  return { dir, record, preprocess, trial: index, weightsFile: file, widths, activation, params: named(join(dir, file), () => mlpParams(tensors, widths)) };
}
