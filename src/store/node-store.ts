// A study's folder on disk (Node): checked before any work, created at its first write; Optuna's journal as trials go, then study.json, trials.csv and weights.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../util/input-error.ts';
import type { StudyRecord } from './records.ts';
import { trialsCsv } from './export.ts';
import { decodeSafetensors, encodeSafetensors, mlpParams, mlpTensors } from './safetensors.ts';

/** Writes `data` to `path` through a temporary file, so a crash never leaves half a file (nor, on failure, the temporary one). */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const temp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temp, data);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * A study name as a folder name: letters, digits, `.`, `_` and `-`, the rest as `-`, never leading
 * with a dot, so `../../x` stays inside runs/ and `a/b` is one folder.
 */
export function folderSafeName(name: string): string {
  const safe = name
    .replace(/[^\p{L}\p{N}._-]+/gu, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 64);
  return safe === '' ? 'study' : safe;
}

/** The nearest existing folder at or above `path`, or the problem: something on the way is a file. */
function existingAncestor(path: string, what: string): string {
  let at = dirname(path);
  while (!existsSync(at)) at = dirname(at);
  if (!statSync(at).isDirectory()) throw new InputError(`${what} ${path}: ${at} is a file, not a folder`);
  return at;
}

/** Whether a folder can be created inside `dir`: tried for real, since access() says yes for root in /proc. */
function checkCanCreateIn(dir: string, path: string, what: string): void {
  let probe: string;
  try {
    probe = mkdtempSync(join(dir, '.fusetune-probe-'));
  } catch (error) {
    throw new InputError(`${what} ${path}: cannot create folders in ${dir} (${(error as NodeJS.ErrnoException).code ?? error})`, { cause: error });
  }
  rmdirSync(probe);
}

/**
 * Checks, before any data or GPU work and without creating anything, that `path` can be a study's
 * results folder: not a file, not under a file, creatable, and empty unless the run resumes there.
 * NOTE: the folder itself appears only at StudyFolder's first write, so a study refused later leaves nothing.
 */
export function prepareResultsFolder(path: string, options: { resume: boolean; what?: string }): void {
  const what = options.what ?? 'results folder';
  path = resolve(path);
  if (!existsSync(path)) {
    checkCanCreateIn(existingAncestor(path, what), path, what);
    return;
  }
  if (!statSync(path).isDirectory()) throw new InputError(`${what} ${path} is a file, not a folder`);
  if (!options.resume) {
    const entries = readdirSync(path);
    if (entries.length > 0) {
      const listed = entries.length > 3 ? `${entries.slice(0, 3).join(', ')}, …` : entries.join(', ');
      throw new InputError(`${what} ${path} already holds files (${listed}): use --resume to continue that run, or give another folder`);
    }
  }
  checkCanCreateIn(path, path, what);
}

/** Checks that a file can be written at `path` (e.g. `--save`): not a folder, in an existing folder where files can be created. */
export function checkOutputFile(path: string, what: string): void {
  path = resolve(path);
  if (existsSync(path) && statSync(path).isDirectory()) throw new InputError(`${what} ${path} is a folder; give a file name inside it`);
  const dir = dirname(path);
  if (!existsSync(dir)) throw new InputError(`${what} ${path}: folder ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new InputError(`${what} ${path}: ${dir} is a file, not a folder`);
  checkCanCreateIn(dir, path, what);
}

/** mkdir -p, one level at a time: Node's recursive mkdir loops forever where mkdir says ENOENT for an existing parent (/proc). */
function makeFolder(dir: string): void {
  if (existsSync(dir)) return;
  makeFolder(dirname(dir));
  mkdirSync(dir);
}

export class StudyFolder {
  readonly journalPath: string;

  /** NOTE: the study's journal is Optuna's (see src/store/optuna-journal.ts): a study here opens in Optuna and optuna-dashboard. */
  constructor(readonly dir: string) {
    this.journalPath = join(dir, 'journal.log');
  }

  /** study.json (config and all results) and trials.csv. */
  writeResults(record: StudyRecord): { studyJson: string; trialsCsv: string } {
    makeFolder(this.dir);
    const studyJson = join(this.dir, 'study.json');
    const csv = join(this.dir, 'trials.csv');
    writeAtomic(studyJson, JSON.stringify(record, null, 1) + '\n');
    writeAtomic(csv, trialsCsv(record));
    return { studyJson, trialsCsv: csv };
  }

  /** A trial's weights as .safetensors in torch.nn.Linear layout. */
  writeWeights(name: string, params: Float32Array, widths: number[], metadata: Record<string, string>): string {
    const path = join(this.dir, name);
    makeFolder(dirname(path));
    writeAtomic(path, encodeSafetensors(mlpTensors(params, widths), { widths: widths.join(','), ...metadata }));
    return path;
  }

  /** Weights written by writeWeights (in kernel layout for `widths`), or null when the file is absent. */
  readWeights(name: string, widths: readonly number[]): Float32Array | null {
    const path = join(this.dir, name);
    if (!existsSync(path)) return null;
    return mlpParams(decodeSafetensors(readFileSync(path)).tensors, widths);
  }

  /** A text file in the folder (e.g. the best PBT trial's schedule). */
  writeText(name: string, text: string): string {
    makeFolder(this.dir);
    const path = join(this.dir, name);
    writeAtomic(path, text);
    return path;
  }
}
