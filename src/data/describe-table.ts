// A table file as the app's upload shows it before Run: each column's counts and kind, and what a run would train on (or the DataError it would meet).
import type { ColumnKind, ColumnProfile } from './columns.ts';
import type { Dataset, SplitCounts, Task } from './dataset.ts';
import { DataError } from './errors.ts';
import { formatOf, readTable } from './read-table.ts';
import { profileTable, tableDataset, type TableOptions } from './table-dataset.ts';
import type { RawTable, TableFormat } from './table.ts';

/** One column: its counts and guess (columns.ts), and the kind a run gives it (the study's override, the guess, or `ignore` for the target). */
export interface ColumnSummary extends ColumnProfile {
  /** The guess, kept apart from `kind` so the app can offer it back. */
  guessed: ColumnKind;
}

/** What tableDataset makes of the file under these settings: the numbers a run starts from. */
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
  /** The one-line description a run reports. */
  description: string;
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
 * Each column with its kind, and the encoded width and split a run gets, computed by the same
 * tableDataset a run uses (so the two cannot disagree). Only DataErrors become `error`: anything
 * else is a bug and is thrown.
 */
export function describeTable(table: RawTable, options: DescribeOptions): TableSummary {
  const base = { name: table.name, format: table.format, rows: table.rows };
  let encoded: EncodedSummary | null = null;
  let error: string | null = null;
  let kinds = new Map<string, ColumnKind>();
  let profiles: ColumnProfile[] | null = null;
  if (options.target) {
    try {
      const load = tableDataset(table, { ...options, target: options.target });
      const d = load.dataset;
      kinds = load.kinds;
      profiles = load.profiles;
      encoded = { task: d.task, classNames: d.classNames ?? null, width: d.features, split: d.split, folds: d.folds?.k ?? null, trainRows: trainRows(d), dropped: load.dropped, description: d.description };
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
function trainRows(dataset: Dataset): number {
  if (!dataset.folds) return dataset.split.train;
  const sizes = new Array<number>(dataset.folds.k).fill(0);
  for (const fold of dataset.folds.ofRow) sizes[fold]!++;
  return dataset.split.train - Math.max(...sizes);
}

/**
 * Reads a file's contents (text, or bytes for Arrow and Parquet) with the settings' missing tokens and
 * describes it. A file that cannot be read gives no columns and the reader's DataError message.
 */
export async function describeTableFile(contents: Uint8Array | string, name: string, options: DescribeOptions & { format?: TableFormat }): Promise<TableSummary> {
  let format: TableFormat | null = null;
  try {
    format = formatOf(name, options.format);
    const table = await readTable(contents, { name, format, missing: options.missing });
    return describeTable(table, options);
  } catch (caught) {
    if (!(caught instanceof DataError)) throw caught;
    return { name, format, rows: 0, columns: [], encoded: null, error: caught.message };
  }
}
