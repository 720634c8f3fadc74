// The fitted transform (imputation, one-hot, standardization), as preprocess.json: fitted on training rows, applied to any rows.
import { z } from 'zod';
import { parseDecimal } from '../util/decimal.ts';
import { DataError } from './errors.ts';
import { FLOAT32_MAX, missingSet, type RawColumn, type RawTable, rowError, tableSource } from './table.ts';

export const PREPROCESS_FORMAT = 'fusetune-preprocess';
export const PREPROCESS_VERSION = 1;

/** One numeric input: missing cells take the training median, then `(value − mean) / std` (population std; 1 for a constant column). */
export interface NumericTransform {
  name: string;
  kind: 'numeric';
  median: number;
  mean: number;
  std: number;
  /** An extra 0/1 feature right after the value: 1 where the cell was missing. */
  indicator: boolean;
}

/**
 * One categorical input, one-hot: a feature per kept category (in this order), then a "missing" feature
 * when the training rows had missing cells, then always an "other" feature for the categories folded
 * away (rarer than the kept ones) and for categories first seen after fitting. A missing cell with no
 * "missing" feature counts as "other".
 */
export interface CategoricalTransform {
  name: string;
  kind: 'categorical';
  categories: string[];
  missing: boolean;
}

export type ColumnTransform = NumericTransform | CategoricalTransform;

export type TargetTransform = { name: string; task: 'classification'; classes: string[] } | { name: string; task: 'regression'; mean: number; std: number };

/** preprocess.json: everything needed to encode new rows the way the training rows were encoded. */
export interface Preprocess {
  format: typeof PREPROCESS_FORMAT;
  version: typeof PREPROCESS_VERSION;
  /** The file it was fitted on (its name only). */
  source: string;
  /** How many training rows the statistics come from. */
  fittedRows: number;
  /** Cells read as missing (after trimming), defaults included. */
  missing: string[];
  /** The inputs in feature order; columns the model ignores are not listed. */
  columns: ColumnTransform[];
  /** Classification: class i is `classes[i]`. Regression: the model predicts `(value − mean) / std`. */
  target: TargetTransform;
}

export interface FitOptions {
  /** Categories kept per column (the most frequent in the training rows); the rest fold into "other". */
  maxCategories: number;
  /** Add a missing-indicator feature after each numeric column that has missing training cells. */
  missingIndicators: boolean;
}

/** Features a column encodes to. */
export function columnWidth(column: ColumnTransform): number {
  return column.kind === 'numeric' ? (column.indicator ? 2 : 1) : column.categories.length + (column.missing ? 1 : 0) + 1;
}

/** The encoded row's width (features the network reads). */
export function encodedWidth(columns: readonly ColumnTransform[]): number {
  return columns.reduce((sum, c) => sum + columnWidth(c), 0);
}

/** A name per feature: `Flipper Length (mm)`, `… (missing)` for an indicator, `Island=Biscoe`, `Island (missing)`, `Island (other)`. */
export function featureNames(columns: readonly ColumnTransform[]): string[] {
  return columns.flatMap((c) =>
    c.kind === 'numeric'
      ? [c.name, ...(c.indicator ? [`${c.name} (missing)`] : [])]
      : [...c.categories.map((category) => `${c.name}=${category}`), ...(c.missing ? [`${c.name} (missing)`] : []), `${c.name} (other)`],
  );
}

/** A text column's codes, or a number column's values as categories (their shortest decimal spelling). */
export function categoryCodes(column: RawColumn): { codes: Int32Array; levels: string[] } {
  if (column.type === 'text') return column;
  const index = new Map<number, number>();
  const levels: string[] = [];
  const codes = new Int32Array(column.values.length);
  column.values.forEach((value, r) => {
    if (Number.isNaN(value)) return void (codes[r] = -1);
    let code = index.get(value);
    if (code === undefined) {
      code = levels.length;
      levels.push(String(value));
      index.set(value, code);
    }
    codes[r] = code;
  });
  return { codes, levels };
}

/** The numbers of a column read as numeric: a text column is refused at its first cell that is not a number. */
export function numericValues(table: Pick<RawTable, 'name' | 'lines'>, column: RawColumn, declared: string): Float64Array {
  if (column.type === 'number') return column.values;
  for (let r = 0; r < column.codes.length; r++) {
    const code = column.codes[r]!;
    if (code >= 0 && parseDecimal(column.levels[code]!) === null) {
      throw rowError(table, r, `${JSON.stringify(column.levels[code])} is not a number, and the column is ${declared}`, column.name);
    }
  }
  // Only numbers and missing cells: a column whose words were all missing tokens.
  return Float64Array.from(column.codes, (code) => (code < 0 ? NaN : Number(column.levels[code])));
}

/** Refuses a value the float32 features cannot carry (±Infinity from the file, or past ±3.4e38). */
export function checkFinite(table: Pick<RawTable, 'name' | 'lines'>, values: Float64Array, rows: ArrayLike<number>, column: string): void {
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const value = values[r]!;
    if (!(Math.abs(value) <= FLOAT32_MAX) && !Number.isNaN(value)) throw rowError(table, r, `${value} is outside the float32 range (±3.4e38)`, column);
  }
}

function fitNumeric(table: RawTable, column: RawColumn, rows: Uint32Array, indicators: boolean): NumericTransform {
  const values = numericValues(table, column, 'numeric');
  checkFinite(table, values, rows, column.name);
  const present = new Float64Array(rows.length);
  let count = 0;
  for (let i = 0; i < rows.length; i++) {
    const value = values[rows[i]!]!;
    if (!Number.isNaN(value)) present[count++] = value;
  }
  if (count === 0) throw new DataError(tableSource(table.name), `no values in the ${rows.length} training rows: set the column to "ignore" in data.columns`, undefined, column.name);
  const sorted = present.subarray(0, count).sort();
  const mid = count >> 1;
  const median = count % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  // Statistics of the imputed training column, as scikit-learn's SimpleImputer then StandardScaler see it.
  const missing = rows.length - count;
  let sum = median * missing;
  for (let i = 0; i < count; i++) sum += sorted[i]!;
  const mean = sum / rows.length;
  let squares = missing * (median - mean) ** 2;
  for (let i = 0; i < count; i++) squares += (sorted[i]! - mean) ** 2;
  const std = Math.sqrt(squares / rows.length);
  return { name: column.name, kind: 'numeric', median, mean, std: std > 0 ? std : 1, indicator: indicators && missing > 0 };
}

function fitCategorical(column: RawColumn, rows: Uint32Array, maxCategories: number): CategoricalTransform {
  const { codes, levels } = categoryCodes(column);
  const counts = new Uint32Array(levels.length);
  let missing = 0;
  for (let i = 0; i < rows.length; i++) {
    const code = codes[rows[i]!]!;
    if (code < 0) missing++;
    else counts[code]!++;
  }
  const byFrequency = levels.map((_, code) => code).filter((code) => counts[code]! > 0);
  byFrequency.sort((a, b) => counts[b]! - counts[a]! || compareLevels(levels[a]!, levels[b]!, column.type));
  const kept = byFrequency.slice(0, maxCategories).map((code) => levels[code]!);
  kept.sort((a, b) => compareLevels(a, b, column.type));
  return { name: column.name, kind: 'categorical', categories: kept, missing: missing > 0 };
}

/** Category order: by value for a number column (`4` before `10`), by UTF-16 code units for text (the same on every machine). */
function compareLevels(a: string, b: string, type: RawColumn['type']): number {
  if (type === 'number') return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Fits each listed column on the training `rows` only: medians, means, standard deviations, kept categories. */
export function fitColumns(table: RawTable, kinds: readonly { column: RawColumn; kind: 'numeric' | 'categorical' }[], rows: Uint32Array, options: FitOptions): ColumnTransform[] {
  return kinds.map(({ column, kind }) => (kind === 'numeric' ? fitNumeric(table, column, rows, options.missingIndicators) : fitCategorical(column, rows, options.maxCategories)));
}

/**
 * Writes the encoded `rows` of `table` into `x` ([rows.length][width] row-major, row i from rows[i]),
 * which must be zero-filled (a new array): one-hot features write only their ones. Columns are found
 * by name; a column the transform needs and the table lacks is an error naming it.
 */
export function encodeRows(table: RawTable, columns: readonly ColumnTransform[], rows: ArrayLike<number>, x: Float32Array): void {
  const width = encodedWidth(columns);
  if (x.length !== rows.length * width) throw new Error(`encodeRows: x holds ${x.length} floats, ${rows.length} rows × ${width} features need ${rows.length * width}`);
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  let offset = 0;
  for (const transform of columns) {
    const column = byName.get(transform.name);
    if (!column) throw new DataError(tableSource(table.name), `the file has no column "${transform.name}", which the model reads (columns: ${[...byName.keys()].join(', ')})`, undefined, transform.name);
    if (transform.kind === 'numeric') encodeNumeric(table, column, transform, rows, x, width, offset);
    else encodeCategorical(column, transform, rows, x, width, offset);
    offset += columnWidth(transform);
  }
}

function encodeNumeric(table: RawTable, column: RawColumn, t: NumericTransform, rows: ArrayLike<number>, x: Float32Array, width: number, offset: number): void {
  const values = numericValues(table, column, 'numeric');
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const value = values[r]!;
    const missing = Number.isNaN(value);
    if (!missing && !(Math.abs(value) <= FLOAT32_MAX)) checkFinite(table, values, [r], column.name);
    const z = ((missing ? t.median : value) - t.mean) / t.std;
    if (!(Math.abs(z) <= FLOAT32_MAX)) throw rowError(table, r, `${value} standardizes to ${z}, past float32's range (the training rows vary far less)`, column.name);
    x[i * width + offset] = z;
    if (t.indicator) x[i * width + offset + 1] = missing ? 1 : 0;
  }
}

function encodeCategorical(column: RawColumn, t: CategoricalTransform, rows: ArrayLike<number>, x: Float32Array, width: number, offset: number): void {
  const { codes, levels } = categoryCodes(column);
  const other = t.categories.length + (t.missing ? 1 : 0);
  const slotOf = new Map(t.categories.map((category, i) => [category, i]));
  const slotOfCode = Int32Array.from(levels, (level) => slotOf.get(level) ?? other);
  const missingSlot = t.missing ? t.categories.length : other;
  for (let i = 0; i < rows.length; i++) {
    const code = codes[rows[i]!]!;
    x[i * width + offset + (code < 0 ? missingSlot : slotOfCode[code]!)] = 1;
  }
}

/** Encodes every row of a new table with a fitted transform (for `predict` and export): [rows][width] float32. */
export function applyTransform(preprocess: Preprocess, table: RawTable): Float32Array {
  const width = encodedWidth(preprocess.columns);
  const x = new Float32Array(table.rows * width);
  encodeRows(
    table,
    preprocess.columns,
    Uint32Array.from({ length: table.rows }, (_, i) => i),
    x,
  );
  return x;
}

/** The missing tokens a reader needs to read new rows as the training rows were read. */
export function missingOf(preprocess: Preprocess): Set<string> {
  return missingSet(preprocess.missing);
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const preprocessSchema = z
  .object({
    format: z.literal(PREPROCESS_FORMAT),
    version: z.literal(PREPROCESS_VERSION),
    source: z.string(),
    fittedRows: z.number().int().min(1),
    missing: z.array(z.string()),
    columns: z.array(
      z.discriminatedUnion('kind', [
        z.object({ name: z.string(), kind: z.literal('numeric'), median: finite, mean: finite, std: finite.refine((v) => v > 0, 'must be above 0'), indicator: z.boolean() }).strict(),
        z.object({ name: z.string(), kind: z.literal('categorical'), categories: z.array(z.string()), missing: z.boolean() }).strict(),
      ]),
    ),
    target: z.discriminatedUnion('task', [
      z.object({ name: z.string(), task: z.literal('classification'), classes: z.array(z.string()).min(2) }).strict(),
      z.object({ name: z.string(), task: z.literal('regression'), mean: finite, std: finite.refine((v) => v > 0, 'must be above 0') }).strict(),
    ]),
  })
  .strict();

/** preprocess.json's text: stable key order, two-space indent. */
export function serializePreprocess(preprocess: Preprocess): string {
  return `${JSON.stringify(preprocess, null, 2)}\n`;
}

/** Reads preprocess.json, refusing another format or version with a DataError naming the field. */
export function parsePreprocess(text: string, name = 'preprocess.json'): Preprocess {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DataError(name, `not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (json && typeof json === 'object' && (json as { format?: unknown }).format === PREPROCESS_FORMAT && version !== PREPROCESS_VERSION) {
    throw new DataError(name, `version ${JSON.stringify(version)} is not one this fusetune reads (${PREPROCESS_VERSION})`);
  }
  const parsed = preprocessSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new DataError(name, `${issue.path.length ? issue.path.join('.') : '(top level)'}: ${issue.message}`);
  }
  return parsed.data as Preprocess;
}
