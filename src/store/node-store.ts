// A study's folder on disk (Node): checked before any work, created at its first write; Optuna's journal as trials go, then study.json, trials.csv and weights.
import { accessSync, constants, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InputError } from '../util/input-error.ts';
import type { StudyRecord } from './records.ts';
import { trialsCsv } from './export.ts';
import { decodeSafetensors, encodeSafetensors, mlpParams, mlpTensorNames, mlpTensors } from './safetensors.ts';

/**
 * Writes `data` to `path` through a temporary file, so a crash never leaves half a file (nor, on
 * failure, the temporary one). A full disk is said as such, naming the file.
 */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const temp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temp, data);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') throw new Error(`no space left on the device of ${path}`, { cause: error });
    throw error;
  }
}

/**
 * A study name as a folder name: letters, digits, `.`, `_` and `-`, the rest as `-`, never leading
 * with a dot, so `../../x` stays inside runs/ and `a/b` is one folder.
 */
export function folderSafeName(name: string): string {
  const safe = name.replace(/[^\p{L}\p{N}._-]+/gu, '-').replace(/^[.-]+/, '');
  // Whole characters: slicing UTF-16 units would cut an astral letter in half.
  const cut = [...safe].slice(0, 64).join('');
  return cut === '' ? 'study' : cut;
}

/**
 * What is at `path`, following symbolic links: 'none' (nothing, not even a link), or its stats. A
 * dangling or looping link, or a file on the way, is refused naming `what` (`--out`,
 * `--storage journal:`), the path as `shown` to the user, and the culprit: never a raw ENOTDIR or ELOOP.
 */
export function pathKind(path: string, what: string, shown: string = path): 'none' | Stats {
  const label = `${what}${what.endsWith(':') ? '' : ' '}${shown}`;
  const refuse = (culprit: string, problem: string, cause?: unknown) => new InputError(culprit === path && shown === path ? `${label} ${problem}` : `${label}: ${culprit} ${problem}`, { cause });
  let link: Stats;
  try {
    link = lstatSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'none';
    if (code === 'ENOTDIR') throw refuse(nearestFile(path), 'is a file, not a folder');
    if (code === 'ELOOP') throw refuse(loopingLinkAbove(path), 'is a symbolic link that loops');
    throw refuse(path, `cannot be looked at (${code ?? error})`, error);
  }
  if (!link.isSymbolicLink()) return link;
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw refuse(path, 'is a symbolic link that loops');
    if (code === 'ENOENT') throw refuse(path, `is a symbolic link to ${readlinkSync(path)}, which does not exist`);
    throw refuse(path, `is a symbolic link that cannot be followed (${code ?? error})`, error);
  }
}

/** The file on the way to `path` (a path under a file gives ENOTDIR). */
function nearestFile(path: string): string {
  for (let at = dirname(path); at !== dirname(at); at = dirname(at)) if (existsSync(at) && !statSync(at).isDirectory()) return at;
  return dirname(path);
}

/** The first looping link on the way to `path` (ELOOP), from the root down. */
function loopingLinkAbove(path: string): string {
  const ancestors: string[] = [];
  for (let at = path; at !== dirname(at); at = dirname(at)) ancestors.unshift(at);
  for (const at of ancestors) {
    try {
      if (lstatSync(at).isSymbolicLink()) statSync(at);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ELOOP') return at;
    }
  }
  return path;
}

/** The nearest existing folder at or above `path`, or the problem: something on the way is a file or a broken link. */
function existingAncestor(path: string, what: string): string {
  let at = dirname(path);
  for (;;) {
    const kind = pathKind(at, what, path);
    if (kind !== 'none') {
      if (!kind.isDirectory()) throw new InputError(`${what} ${path}: ${at} is a file, not a folder`);
      return at;
    }
    at = dirname(at);
  }
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
  const kind = pathKind(path, what);
  if (kind === 'none') {
    checkCanCreateIn(existingAncestor(path, what), path, what);
    return;
  }
  if (!kind.isDirectory()) throw new InputError(`${what} ${path} is a file, not a folder`);
  if (!options.resume) {
    const entries = readdirSync(path);
    if (entries.length > 0) {
      const listed = entries.length > 3 ? `${entries.slice(0, 3).join(', ')}, …` : entries.join(', ');
      throw new InputError(`${what} ${path} already holds files (${listed}): use --resume to continue that run, or give another folder`);
    }
  }
  checkCanCreateIn(path, path, what);
}

/** Checks that a file can be read at `path` (`data.path`), naming `what` and the path: not missing, not a folder, readable. */
export function checkInputFile(path: string, what: string): void {
  const kind = pathKind(resolve(path), what, path);
  if (kind === 'none') throw new InputError(`${what} ${path}: no such file`);
  if (kind.isDirectory()) throw new InputError(`${what} ${path} is a folder, not a file`);
  try {
    accessSync(path, constants.R_OK);
  } catch (error) {
    throw new InputError(`${what} ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? error})`, { cause: error });
  }
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
    return mlpParams(decodeSafetensors(readFileSync(path), { expect: mlpTensorNames(widths.length - 1) }).tensors, widths);
  }

  /** A text file in the folder (e.g. the best PBT trial's schedule). */
  writeText(name: string, text: string): string {
    makeFolder(this.dir);
    const path = join(this.dir, name);
    writeAtomic(path, text);
    return path;
  }
}
