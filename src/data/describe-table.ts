// A table file as the app's upload shows it before Run: each column's counts and kind, and what a run would train on (or the DataError it would meet).
import type { ColumnKind, ColumnProfile } from './columns.ts';
import type { Folds, SplitCounts, Task } from './dataset.ts';
import { DataError } from './errors.ts';
import { formatOf, readTable } from './read-table.ts';
import { fitTable, profileTable, type TableOptions } from './table-dataset.ts';
import type { RawTable, TableFormat } from './table.ts';

/** One column: its counts and guess (columns.ts), and the kind a run gives it (the study's override, the guess, or `ignore` for the target). */
export interface ColumnSummary extends ColumnProfile {
  /** The guess, kept apart from `kind` so the app can offer it back. */
  guessed: ColumnKind;
}

/** What fitTable makes of the file under these settings: the numbers a run starts from. */
export interface EncodedSummary {
  task: Task;
  /** Classification: the class names, in the network's order. */
  classNames: string[] | null;
  /** Input features after one-hot encoding and missing indicators. */
  width: number;
  split: SplitCounts;
  /** Cross-validation folds, when the study asks for them. */
  folds: number | null;
  /** The rows one trial trains on: the training split, or with folds the smallest fold's training rows (what batch sizes must fit). */
  trainRows: number;
  /** Rows without a target, left out. */
  dropped: number;
}

export interface TableSummary {
  name: string;
  format: TableFormat | null;
  rows: number;
  columns: ColumnSummary[];
  /** Null while no target is named, or when the settings cannot train (see `error`). */
  encoded: EncodedSummary | null;
  /** The DataError's message a run would stop with (the CLI's own words), or null. */
  error: string | null;
}

/** A table's settings while the study is being edited: the target may not be chosen yet. */
export type DescribeOptions = Omit<TableOptions, 'target'> & { target?: string };

/**
 * Each column with its kind, and the encoded width and split a run gets, computed by fitTable, the
 * first half of the tableDataset a run uses (so the two cannot disagree), without encoding a row.
 * Only DataErrors become `error`: anything else is a bug and is thrown.
 */
export function describeTable(table: RawTable, options: DescribeOptions): TableSummary {
  const base = { name: table.name, format: table.format, rows: table.rows };
  let encoded: EncodedSummary | null = null;
  let error: string | null = null;
  let kinds = new Map<string, ColumnKind>();
  let profiles: ColumnProfile[] | null = null;
  if (options.target) {
    try {
      const fit = fitTable(table, { ...options, target: options.target });
      kinds = fit.kinds;
      profiles = fit.profiles;
      const split = { train: fit.split.train.length, validation: fit.split.validation.length, test: fit.split.test.length };
      encoded = { task: fit.target.task, classNames: fit.target.classNames ?? null, width: fit.width, split, folds: fit.folds?.k ?? null, trainRows: trainRows(split.train, fit.folds), dropped: fit.dropped };
    } catch (caught) {
      if (!(caught instanceof DataError)) throw caught;
      error = caught.message;
    }
  }
  profiles ??= profileTable(table);
  const columns = profiles.map((p) => ({ ...p, guessed: p.kind, kind: kinds.get(p.name) ?? (p.name === options.target ? 'ignore' : (options.columns[p.name] ?? p.kind)) }));
  return { ...base, columns, encoded, error };
}

/** A fold trains on every training row outside it, so the largest fold leaves the fewest. */
function trainRows(train: number, folds: Folds | undefined): number {
  if (!folds) return train;
  const sizes = new Array<number>(folds.k).fill(0);
  for (const fold of folds.ofRow) sizes[fold]!++;
  return train - Math.max(...sizes);
}

/**
 * The table read last, so that a change of target, task or kind describes it again without reading
 * the file again (seconds for millions of rows). Keyed by the contents' identity, the name, the
 * format and the missing tokens: the only settings the readers see.
 */
export interface ReadCache {
  contents: Uint8Array | string | null;
  key: string;
  table: RawTable | null;
}

export function emptyReadCache(): ReadCache {
  return { contents: null, key: '', table: null };
}

/**
 * Reads a file's contents (text, or bytes for Arrow and Parquet) with the settings' missing tokens and
 * describes it. A file that cannot be read gives no columns and the reader's DataError message.
 */
export async function describeTableFile(contents: Uint8Array | string, name: string, options: DescribeOptions & { format?: TableFormat }, cache?: ReadCache): Promise<TableSummary> {
  let format: TableFormat | null = null;
  try {
    format = formatOf(name, options.format);
    const key = JSON.stringify([name, format, options.missing]);
    let table = cache && cache.contents === contents && cache.key === key ? cache.table : null;
    if (!table) {
      table = await readTable(contents, { name, format, missing: options.missing });
      if (cache) Object.assign(cache, { contents, key, table });
    }
    return describeTable(table, options);
  } catch (caught) {
    if (!(caught instanceof DataError)) throw caught;
    return { name, format, rows: 0, columns: [], encoded: null, error: caught.message };
  }
}
