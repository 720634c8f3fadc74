// A table file's columns into a Dataset: target and task, splits, column kinds, the transform fitted on training rows, folds.
import { MAX_CLASSES } from './csv.ts';
import { type ColumnKind, type ColumnProfile, profileColumn } from './columns.ts';
import type { Dataset, Folds, Task } from './dataset.ts';
import { DataError } from './errors.ts';
import type { TableSpec } from './spec.ts';
import { assignFolds, splitByFraction, type SplitRows } from './splits.ts';
import { missingSet, type RawColumn, type RawTable, rowError, tableSource } from './table.ts';
import {
  categoryCodes,
  checkFinite,
  columnWidth,
  encodedWidth,
  encodeRows,
  featureNames,
  fitColumns,
  numericValues,
  PREPROCESS_FORMAT,
  PREPROCESS_VERSION,
  type ColumnTransform,
  type Preprocess,
} from './transform.ts';

/** The spec's settings for a table, once read (`kind`, `path` and `format` found the file). */
export type TableOptions = Omit<TableSpec, 'kind' | 'path' | 'format'>;

/** Fractions when the study gives none. With cross-validation the folds validate, so no validation rows by default. */
export const DEFAULT_VALIDATION = 0.2;
export const DEFAULT_TEST = 0.2;
/** A numeric target with at most this many distinct whole numbers is a class label when the study names no task. */
export const FEW_CLASSES = 20;

export interface TableLoad {
  dataset: Dataset;
  preprocess: Preprocess;
  /** Each data set row's 0-based row in the file, in the data set's order (train, validation, test): the splits, for other tools to reuse. */
  rowIds: Uint32Array;
  /** Every column the file's reader returned, with the guessed kind. */
  profiles: ColumnProfile[];
  /** The kind each column ended with (the study's `columns`, else the guess; target and split columns are `ignore`). */
  kinds: Map<string, ColumnKind>;
  /** Rows dropped because their target is missing. */
  dropped: number;
}

/** Each column's counts and guessed kind. */
export function profileTable(table: RawTable): ColumnProfile[] {
  return table.columns.map((column) => profileColumn(column));
}

function findColumn(table: RawTable, name: string, role: string): RawColumn {
  const column = table.columns.find((c) => c.name === name);
  if (!column) {
    const all = [...table.columns.map((c) => c.name), ...(table.skipped ?? [])];
    throw new DataError(tableSource(table.name), `no ${role} column "${name}"; the file has: ${all.join(', ')}`);
  }
  return column;
}

export interface TargetRows {
  task: Task;
  /** Rows with a target, in file order. */
  rows: Uint32Array;
  /** Classification: class per table row (garbage where the target is missing). */
  classOf?: Uint32Array;
  classNames?: string[];
  /** Regression: the value per table row. */
  values?: Float64Array;
}

function readTarget(table: RawTable, column: RawColumn, task: Task | undefined): TargetRows {
  const source = tableSource(table.name);
  const all = new Uint32Array(table.rows);
  let count = 0;
  if (column.type === 'number') for (let r = 0; r < table.rows; r++) !Number.isNaN(column.values[r]!) && (all[count++] = r);
  else for (let r = 0; r < table.rows; r++) column.codes[r]! >= 0 && (all[count++] = r);
  const rows = all.slice(0, count);
  if (rows.length === 0) throw new DataError(source, `every row's target is missing (${table.rows} rows)`, undefined, column.name);
  const resolved = task ?? guessTask(column, rows);
  if (resolved === 'regression') {
    const values = numericValues(table, column, 'the regression target');
    for (const r of rows) if (!Number.isFinite(values[r]!)) throw rowError(table, r, `the regression target is ${values[r]}; it must be a finite number`, column.name);
    checkFinite(table, values, rows, column.name);
    return { task: resolved, rows, values };
  }
  const { codes, levels } = categoryCodes(column);
  const used = [...new Set(Array.from(rows, (r) => codes[r]!))];
  used.sort(column.type === 'number' ? (a, b) => Number(levels[a]) - Number(levels[b]) : (a, b) => (levels[a]! < levels[b]! ? -1 : levels[a]! > levels[b]! ? 1 : 0));
  if (used.length < 2) throw new DataError(source, `the target needs at least 2 classes, found 1 (${JSON.stringify(levels[used[0]!])} in all ${rows.length} rows)`, undefined, column.name);
  if (used.length > MAX_CLASSES) throw new DataError(source, `${used.length} distinct targets: more than ${MAX_CLASSES} classes (is it a regression target? set task)`, undefined, column.name);
  const classOfCode = new Uint32Array(levels.length);
  used.forEach((code, c) => (classOfCode[code] = c));
  const classOf = new Uint32Array(table.rows);
  for (const r of rows) classOf[r] = classOfCode[codes[r]!]!;
  return { task: resolved, rows, classOf, classNames: used.map((code) => levels[code]!) };
}

/** The task a table's target implies: the study's `task`, else the guess fitTable makes from the target column. */
export function targetTask(table: RawTable, options: Pick<TableOptions, 'target' | 'task'>): Task {
  return readTarget(table, findColumn(table, options.target, 'target'), options.task).task;
}

/** Text classifies; whole numbers with at most FEW_CLASSES distinct values classify; other numbers regress. */
function guessTask(column: RawColumn, rows: Uint32Array): Task {
  if (column.type === 'text') return 'classification';
  const distinct = new Set<number>();
  for (const r of rows) {
    const value = column.values[r]!;
    if (!Number.isInteger(value)) return 'regression';
    distinct.add(value);
    if (distinct.size > FEW_CLASSES) return 'regression';
  }
  return 'classification';
}

function splitRows(table: RawTable, options: TableOptions, target: TargetRows): SplitRows {
  const { split } = options;
  const rows = target.rows;
  if (split.column !== undefined) return splitByColumn(table, findColumn(table, split.column, 'split'), rows);
  const validation = split.validation ?? (options.cv ? 0 : DEFAULT_VALIDATION);
  const test = split.test ?? DEFAULT_TEST;
  if (split.orderBy !== undefined) {
    const ordered = orderRows(table, findColumn(table, split.orderBy, 'orderBy'), rows);
    return splitByFraction(ordered, { validation, test, shuffle: false, seed: split.seed });
  }
  const stratify = split.stratify && target.task === 'classification';
  return splitByFraction(rows, { validation, test, shuffle: split.shuffle ?? true, seed: split.seed, classes: stratify ? Uint32Array.from(rows, (r) => target.classOf![r]!) : undefined });
}

const SPLIT_NAMES: Record<string, keyof SplitRows> = { train: 'train', training: 'train', validation: 'validation', val: 'validation', valid: 'validation', test: 'test' };

function splitByColumn(table: RawTable, column: RawColumn, rows: Uint32Array): SplitRows {
  const { codes, levels } = categoryCodes(column);
  const parts: Record<keyof SplitRows, number[]> = { train: [], validation: [], test: [] };
  for (const r of rows) {
    const code = codes[r]!;
    const part = code < 0 ? undefined : SPLIT_NAMES[levels[code]!.toLowerCase()];
    if (!part) throw rowError(table, r, `${code < 0 ? 'a missing split' : JSON.stringify(levels[code])} is not a split: use train, validation (or val) or test`, column.name);
    parts[part].push(r);
  }
  return { train: Uint32Array.from(parts.train), validation: Uint32Array.from(parts.validation), test: Uint32Array.from(parts.test) };
}

/** `rows` sorted by the column (numbers, or text such as ISO dates, which sort as they read); ties keep file order. */
function orderRows(table: RawTable, column: RawColumn, rows: Uint32Array): Uint32Array {
  const missing = (r: number) => (column.type === 'number' ? Number.isNaN(column.values[r]!) : column.codes[r]! < 0);
  for (const r of rows) if (missing(r)) throw rowError(table, r, 'the orderBy column has a missing value: every row needs a place in time', column.name);
  const ordered = Array.from(rows);
  if (column.type === 'number') ordered.sort((a, b) => column.values[a]! - column.values[b]! || a - b);
  else {
    const levels = column.levels;
    ordered.sort((a, b) => {
      const la = levels[column.codes[a]!]!;
      const lb = levels[column.codes[b]!]!;
      return la < lb ? -1 : la > lb ? 1 : a - b;
    });
  }
  return Uint32Array.from(ordered);
}

function foldsOf(table: RawTable, options: TableOptions, train: Uint32Array, target: TargetRows): Uint8Array {
  const cv = options.cv!;
  const source = tableSource(table.name);
  if (train.length < cv.folds) throw new DataError(source, `${cv.folds} folds need at least ${cv.folds} training rows, the split leaves ${train.length}`);
  if (cv.column === undefined) {
    const stratify = options.split.stratify && target.task === 'classification';
    return assignFolds(train.length, cv.folds, options.split.seed, stratify ? Uint32Array.from(train, (r) => target.classOf![r]!) : undefined);
  }
  const column = findColumn(table, cv.column, 'cv');
  const { codes, levels } = categoryCodes(column);
  const used = [...new Set(Array.from(train, (r) => codes[r]!))].sort((a, b) => a - b);
  const missingAt = train.find((r) => codes[r]! < 0);
  if (missingAt !== undefined) throw rowError(table, missingAt, 'a training row has no fold', column.name);
  if (used.length !== cv.folds) throw new DataError(source, `the training rows name ${used.length} folds (${used.map((c) => levels[c]).join(', ')}), cv.folds says ${cv.folds}`, undefined, column.name);
  // Folds in the order their ids first appear in the file: ids need not be 0..k-1.
  const foldOfCode = new Map(used.map((code, f) => [code, f]));
  return Uint8Array.from(train, (r) => foldOfCode.get(codes[r]!)!);
}

function describe(table: RawTable, options: TableOptions, load: Omit<TableLoad, 'dataset'> & { split: SplitRows; target: TargetRows; width: number }): string {
  const { preprocess, kinds, dropped, split, target, width } = load;
  const count = (kind: ColumnKind) => preprocess.columns.filter((c) => c.kind === kind).length;
  const ignored = [...kinds].filter(([name, kind]) => kind === 'ignore' && name !== options.target).map(([name]) => name);
  const targetPart =
    preprocess.target.task === 'classification'
      ? `classification of ${options.target} into ${preprocess.target.classes.length} classes`
      : `regression of ${options.target} (mean ${fmt(preprocess.target.mean)}, std ${fmt(preprocess.target.std)})`;
  return (
    `${table.name} (${table.format}, ${table.rows} rows${dropped ? `, ${dropped} without ${options.target} dropped` : ''}; ` +
    `${width} features from ${preprocess.columns.length} columns: ${count('numeric')} numeric, ${count('categorical')} categorical` +
    `${ignored.length ? `, ignored ${ignored.join(', ')}` : ''}; ${targetPart}): ` +
    `${split.train.length} train / ${split.validation.length} val / ${split.test.length} test` +
    `${options.cv ? `, ${options.cv.folds}-fold cross-validation over the training rows` : ''}` +
    `${target.task === 'classification' && options.split.stratify && options.split.column === undefined && options.split.orderBy === undefined ? ', stratified' : ''}`
  );
}

function fmt(value: number): string {
  return Number(value.toPrecision(4)).toString();
}

/** Everything a table's data set is made of before a row is encoded: the target, split, kinds, fitted transform and folds. */
export interface TableFit {
  target: TargetRows;
  /** Rows dropped because their target is missing. */
  dropped: number;
  split: SplitRows;
  profiles: ColumnProfile[];
  kinds: Map<string, ColumnKind>;
  columns: ColumnTransform[];
  /** Features per encoded row. */
  width: number;
  /** Regression: the training rows' target mean and population std. */
  scale?: { mean: number; std: number };
  folds?: Folds;
}

/**
 * What tableDataset does before encoding rows: drops rows without a target, splits the rest, decides
 * each column's kind, fits the transform on the training rows only (after `trainLimit`), scales a
 * regression target and deals the training rows into folds, throwing every DataError a run would.
 * Encoding is most of tableDataset's time on a large table, so a preview (the app's upload) stops here.
 */
export function fitTable(table: RawTable, options: TableOptions): TableFit {
  const source = tableSource(table.name);
  if (table.rows === 0) throw new DataError(source, 'the file has no data rows');
  const targetColumn = findColumn(table, options.target, 'target');
  const known = new Set([...table.columns.map((c) => c.name), ...(table.skipped ?? [])]);
  const roles = new Map<string, string>([[options.target, 'the target']]);
  if (options.split.column !== undefined) roles.set(options.split.column, 'the split column');
  if (options.cv?.column !== undefined) roles.set(options.cv.column, 'the fold column');
  for (const [name, kind] of Object.entries(options.columns)) {
    if (!known.has(name)) throw new DataError(source, `data.columns names a column the file does not have; the file has: ${[...known].join(', ')}`, undefined, name);
    const role = roles.get(name);
    if (role && kind !== 'ignore') throw new DataError(source, `data.columns gives ${role} a kind: it is not a feature; leave it out of columns${role === 'the target' ? ' (set task instead)' : ''}`, undefined, name);
  }

  const target = readTarget(table, targetColumn, options.task);
  const dropped = table.rows - target.rows.length;
  const split = splitRows(table, options, target);
  if (options.trainLimit !== undefined && split.train.length > options.trainLimit) split.train = split.train.slice(0, options.trainLimit);
  if (split.train.length === 0) throw new DataError(source, `the split leaves no training rows (${target.rows.length} rows with a target)`);

  const profiles = profileTable(table);
  const kinds = new Map<string, ColumnKind>();
  const features: { column: RawColumn; kind: 'numeric' | 'categorical' }[] = [];
  for (const [c, column] of table.columns.entries()) {
    const profile = profiles[c]!;
    const kind: ColumnKind = roles.has(column.name) ? 'ignore' : (options.columns[column.name] ?? profile.kind);
    kinds.set(column.name, kind);
    if (kind === 'ignore') continue;
    if (profile.missing === profile.rows) throw new DataError(source, `the column has no values (all ${profile.rows} cells are missing): set it to "ignore" in data.columns`, undefined, column.name);
    features.push({ column, kind });
  }
  for (const name of table.skipped ?? []) kinds.set(name, 'ignore');
  if (features.length === 0) throw new DataError(source, `no feature columns: every column besides the target is ignored (${[...kinds.keys()].filter((n) => n !== options.target).join(', ') || 'none'})`);

  const columns = fitColumns(table, features, split.train, { maxCategories: options.maxCategories, missingIndicators: options.missingIndicators });
  let scale: TableFit['scale'];
  if (target.task === 'regression') {
    const values = target.values!;
    let sum = 0;
    for (const r of split.train) sum += values[r]!;
    const mean = sum / split.train.length;
    let squares = 0;
    for (const r of split.train) squares += (values[r]! - mean) ** 2;
    const std = Math.sqrt(squares / split.train.length);
    if (!(std > 0)) throw new DataError(source, `the regression target is the same (${values[split.train[0]!]}) in all ${split.train.length} training rows`, undefined, options.target);
    scale = { mean, std };
  }
  const folds = options.cv ? { k: options.cv.folds, ofRow: foldsOf(table, options, split.train, target) } : undefined;
  return { target, dropped, split, profiles, kinds, columns, width: encodedWidth(columns), ...(scale ? { scale } : {}), ...(folds ? { folds } : {}) };
}

/**
 * Builds the Dataset a study trains on from a table's columns: fitTable's target, split, kinds,
 * transform and folds, then train, validation and test rows encoded in that order.
 */
export function tableDataset(table: RawTable, options: TableOptions): TableLoad {
  const source = tableSource(table.name);
  const { target, dropped, split, profiles, kinds, columns, width, scale, folds } = fitTable(table, options);
  const rowIds = new Uint32Array(split.train.length + split.validation.length + split.test.length);
  rowIds.set(split.train, 0);
  rowIds.set(split.validation, split.train.length);
  rowIds.set(split.test, split.train.length + split.validation.length);
  const n = rowIds.length;
  const x = new Float32Array(n * width);
  encodeRows(table, columns, rowIds, x);

  const y = new Uint32Array(n);
  let targetValues: Float32Array | undefined;
  let targetScale: Dataset['targetScale'];
  let preprocessTarget: Preprocess['target'];
  if (target.task === 'classification') {
    for (let i = 0; i < n; i++) y[i] = target.classOf![rowIds[i]!]!;
    preprocessTarget = { name: options.target, task: 'classification', classes: target.classNames! };
  } else {
    const values = target.values!;
    const { mean, std } = scale!;
    targetValues = new Float32Array(n);
    for (let i = 0; i < n; i++) targetValues[i] = (values[rowIds[i]!]! - mean) / std;
    targetScale = { mean, std, name: options.target };
    preprocessTarget = { name: options.target, task: 'regression', mean, std };
  }
  const preprocess: Preprocess = {
    format: PREPROCESS_FORMAT,
    version: PREPROCESS_VERSION,
    source: table.name,
    fittedRows: split.train.length,
    missing: [...missingSet(options.missing)],
    columns,
    target: preprocessTarget,
  };
  const dataset: Dataset = {
    name: source,
    description: describe(table, options, { preprocess, rowIds, profiles, kinds, dropped, split, target, width }),
    features: width,
    task: target.task,
    classes: target.task === 'classification' ? target.classNames!.length : 1,
    x,
    y,
    split: { train: split.train.length, validation: split.validation.length, test: split.test.length },
    featureNames: featureNames(columns),
    preprocess,
    rows: { ids: rowIds, fileRows: table.rows },
    ...(target.classNames ? { classNames: target.classNames } : {}),
    ...(targetValues ? { target: targetValues, targetScale } : {}),
    ...(folds ? { folds } : {}),
  };
  return { dataset, preprocess, rowIds, profiles, kinds, dropped };
}

/** What the device can hold in one storage binding and one buffer (GPUSupportedLimits' names). */
export interface DeviceLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/**
 * Refuses a data set whose encoded features do not fit one storage binding of the device, naming the
 * sizes and, for a table, its widest columns: a bad-input error (exit 2), checked before any upload.
 */
export function checkDeviceFit(dataset: Dataset, limits: DeviceLimits): void {
  const max = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  // NOTE: the device holds one more row than the data set: the padding row evaluation chunks are filled with.
  const bytes = dataset.x.byteLength + dataset.features * 4;
  if (bytes <= max) return;
  const rows = dataset.split.train + dataset.split.validation + dataset.split.test;
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const widest = dataset.preprocess
    ? [...dataset.preprocess.columns]
        .map((c) => ({ name: c.name, width: columnWidth(c) }))
        .sort((a, b) => b.width - a.width)
        .slice(0, 3)
        .map((c) => `${c.name} (${c.width})`)
        .join(', ')
    : '';
  throw new DataError(
    dataset.name,
    `the encoded data (${rows} rows × ${dataset.features} features × 4 bytes = ${mib(bytes)}) exceeds the device's ${limits.maxStorageBufferBindingSize <= limits.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize'} (${mib(max)}): ` +
      `use fewer rows (trainLimit) or fewer features${widest ? ` (lower maxCategories or ignore a wide column; widest: ${widest})` : ''}`,
  );
}
