// CSV import: numeric feature columns plus a label column, rows kept in file order, errors naming line and column.
import { parseDecimal } from '../util/decimal.ts';
import type { Dataset } from './dataset.ts';
import { DataError } from './errors.ts';
import { forEachCsvRow } from './read-csv.ts';

/** NOTE: the output layer has one unit per class; past this many, a label is a typo, not a class. */
export const MAX_CLASSES = 65_536;
/** Features are uploaded as float32: a larger magnitude would arrive as Infinity. */
const FLOAT32_MAX = 3.4028234663852886e38;

export interface CsvOptions {
  /** The file's name, used in the data set's name (`csv:<name>`) and in error messages. */
  name: string;
  /** Header name of the label column. */
  labelColumn?: string;
  /** Fraction of rows held out for validation: the last ceil(validation·N) rows of the file. */
  validation?: number;
  /** Z-score each feature with the training rows' mean and (population) standard deviation. */
  standardize?: boolean;
}

interface CsvRow {
  line: number;
  fields: string[];
}

/** Non-blank rows with the 1-based line each starts on. */
function parseRows(text: string, source: string): CsvRow[] {
  const rows: CsvRow[] = [];
  forEachCsvRow(text, ',', source, (fields, line) => rows.push({ line, fields }));
  return rows;
}

/** A feature value: a decimal number within float32's range, or why it is not one. */
function parseFeature(field: string): number | string {
  const trimmed = field.trim();
  if (trimmed === '') return 'empty value';
  const value = parseDecimal(trimmed);
  // Number() reads 0x10, 0b1 and 0o7: say why they are refused.
  if (value === null) return `${JSON.stringify(field)} is not a ${Number.isFinite(Number(trimmed)) ? 'decimal ' : ''}number`;
  if (!(Math.abs(value) <= FLOAT32_MAX)) return `${trimmed} is outside the float32 range (±3.4e38)`;
  return value;
}

/**
 * Parses `text` (a header row, then one row per sample) into a Dataset. Labels that are all
 * integers 0 … MAX_CLASSES−1 are class indices (classes = max + 1); labels none of which is a number
 * are names: the sorted distinct names become classes 0..C-1 and `classNames`. Anything between
 * (-1, 1.5, a name among indices) is refused at its line. Row order is kept so a step can be replayed
 * exactly elsewhere: the last ceil(validation·N) rows are the validation split, the test split is empty.
 */
export function csvDataset(text: string, options: CsvOptions): Dataset {
  const source = `csv:${options.name}`;
  const labelColumn = options.labelColumn ?? 'label';
  const validationFraction = options.validation ?? 0;
  // A byte-order mark would otherwise become part of the first column's name.
  const rows = parseRows(text.replace(/^\uFEFF/, ''), source);
  if (rows.length === 0) throw new DataError(source, 'the file is empty; expected a header row naming the columns');
  const [headerRow, ...dataRows] = rows;
  const header = headerRow.fields.map((name) => name.trim());
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) throw new DataError(source, `the header names column "${name}" twice`, headerRow.line, name);
    seen.add(name);
  }
  const labelIndex = header.indexOf(labelColumn);
  if (labelIndex < 0) {
    throw new DataError(source, `no label column "${labelColumn}"; the header has: ${header.join(', ')}`, headerRow.line);
  }
  const featureIndices = header.map((_, i) => i).filter((i) => i !== labelIndex);
  if (featureIndices.length === 0) throw new DataError(source, `no feature columns besides "${labelColumn}"`, headerRow.line);
  if (dataRows.length === 0) throw new DataError(source, 'the file has a header but no data rows');

  const n = dataRows.length;
  const features = featureIndices.length;
  const x = new Float32Array(n * features);
  const rawLabels: { line: number; label: string }[] = [];
  dataRows.forEach(({ line, fields }, row) => {
    if (fields.length !== header.length) {
      throw new DataError(source, `expected ${header.length} fields, got ${fields.length}`, line);
    }
    featureIndices.forEach((column, f) => {
      const value = parseFeature(fields[column]);
      if (typeof value === 'string') throw new DataError(source, value, line, header[column]);
      x[row * features + f] = value;
    });
    const label = fields[labelIndex].trim();
    if (label === '') throw new DataError(source, 'empty label', line, labelColumn);
    rawLabels.push({ line, label });
  });

  const { y, classes, classNames } = encodeLabels(rawLabels, source, labelColumn);
  const distinct = new Set(y).size;
  if (distinct < 2) {
    throw new DataError(source, `the label column "${labelColumn}" needs at least 2 distinct classes, found ${distinct} (${rawLabels[0]!.label})`);
  }
  const validation = Math.ceil(validationFraction * n);
  const train = n - validation;
  if (train < 1) throw new DataError(source, `validation ${validationFraction} of ${n} rows leaves no training rows`);
  if (options.standardize) standardizeColumns(x, features, train);

  const featureNames = featureIndices.map((i) => header[i]);
  return {
    name: source,
    task: 'classification',
    description:
      `${options.name} (CSV, ${features} feature${features === 1 ? '' : 's'}, ${classes} classes${options.standardize ? ', standardized with training mean/std' : ''}): ` +
      `${train} train / ${validation} val / 0 test`,
    features,
    classes,
    x,
    y,
    split: { train, validation, test: 0 },
    featureNames,
    ...(classNames ? { classNames } : {}),
  };
}

function encodeLabels(raw: { line: number; label: string }[], source: string, column: string): { y: Uint32Array; classes: number; classNames?: string[] } {
  const firstNumber = raw.find(({ label }) => parseDecimal(label) !== null);
  if (firstNumber === undefined) {
    const classNames = [...new Set(raw.map(({ label }) => label))].sort();
    if (classNames.length > MAX_CLASSES) throw new DataError(source, `${classNames.length} distinct labels: more than ${MAX_CLASSES} classes`, undefined, column);
    const index = new Map(classNames.map((name, i) => [name, i]));
    return { y: Uint32Array.from(raw, ({ label }) => index.get(label)!), classes: classNames.length, classNames };
  }
  const y = new Uint32Array(raw.length);
  let classes = 0;
  raw.forEach(({ line, label }, i) => {
    const value = /^\d+$/.test(label) ? Number(label) : NaN;
    if (!(value < MAX_CLASSES)) {
      const problem =
        parseDecimal(label) === null
          ? `label ${JSON.stringify(label)} is a name, but line ${firstNumber.line} has the number ${firstNumber.label}: use class indices or names throughout`
          : `label ${label} is not a class index (an integer 0 … ${MAX_CLASSES - 1}); labels that are names must all be names`;
      throw new DataError(source, problem, line, column);
    }
    y[i] = value;
    classes = Math.max(classes, value + 1);
  });
  return { y, classes };
}

/** Z-scores each column in place with the first `trainRows` rows' statistics; a constant column keeps std 1. */
function standardizeColumns(x: Float32Array, features: number, trainRows: number): void {
  const rows = x.length / features;
  for (let f = 0; f < features; f++) {
    let mean = 0;
    for (let r = 0; r < trainRows; r++) mean += x[r * features + f];
    mean /= trainRows;
    let variance = 0;
    for (let r = 0; r < trainRows; r++) variance += (x[r * features + f] - mean) ** 2;
    const std = Math.sqrt(variance / trainRows) || 1;
    for (let r = 0; r < rows; r++) x[r * features + f] = (x[r * features + f] - mean) / std;
  }
}
