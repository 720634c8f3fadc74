// CSV import: numeric feature columns plus a label column, rows kept in file order, errors naming line and column.
import Papa from 'papaparse';
import type { Dataset } from './dataset.ts';
import { DataError } from './errors.ts';

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

/** Non-blank rows with the 1-based line each starts on (a quoted field may span lines). */
function parseRows(text: string, source: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let rowStart = 0;
  let line = 1;
  // NOTE: the delimiter is fixed: guessing it can split a file wrongly and then blame a "ragged row".
  Papa.parse<string[]>(text, {
    delimiter: ',',
    step: (result) => {
      const error = result.errors[0];
      if (error) throw new DataError(source, `${error.message} (${error.code})`, line);
      const fields = result.data;
      if (!(fields.length === 1 && fields[0].trim() === '')) rows.push({ line, fields });
      const rowEnd = result.meta.cursor;
      const linebreak = result.meta.linebreak || '\n';
      for (let at = text.indexOf(linebreak, rowStart); at !== -1 && at < rowEnd; at = text.indexOf(linebreak, at + 1)) line++;
      rowStart = rowEnd;
    },
  });
  return rows;
}

/** A feature value: a finite decimal number, nothing else (empty, NaN and Infinity are errors). */
function parseFeature(value: string): number {
  const trimmed = value.trim();
  return trimmed === '' ? NaN : Number(trimmed);
}

/**
 * Parses `text` (a header row, then one row per sample) into a Dataset. Labels that are all
 * non-negative integers are class indices (classes = max + 1); otherwise the sorted distinct label
 * strings become classes 0..C-1 and `classNames`. Row order is kept so a step can be replayed
 * exactly elsewhere: the last ceil(validation·N) rows are the validation split, the test split is empty.
 */
export function csvDataset(text: string, options: CsvOptions): Dataset {
  const source = `csv:${options.name}`;
  const labelColumn = options.labelColumn ?? 'label';
  const validationFraction = options.validation ?? 0;
  const rows = parseRows(text, source);
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
  const rawLabels: string[] = [];
  dataRows.forEach(({ line, fields }, row) => {
    if (fields.length !== header.length) {
      throw new DataError(source, `expected ${header.length} fields, got ${fields.length}`, line);
    }
    featureIndices.forEach((column, f) => {
      const value = parseFeature(fields[column]);
      if (!Number.isFinite(value)) {
        throw new DataError(source, `${JSON.stringify(fields[column])} is not a number`, line, header[column]);
      }
      x[row * features + f] = value;
    });
    const label = fields[labelIndex].trim();
    if (label === '') throw new DataError(source, 'empty label', line, labelColumn);
    rawLabels.push(label);
  });

  const { y, classes, classNames } = encodeLabels(rawLabels);
  const distinct = new Set(y).size;
  if (distinct < 2) {
    throw new DataError(source, `the label column "${labelColumn}" needs at least 2 distinct classes, found ${distinct} (${rawLabels[0]})`);
  }
  const validation = Math.ceil(validationFraction * n);
  const train = n - validation;
  if (train < 1) throw new DataError(source, `validation ${validationFraction} of ${n} rows leaves no training rows`);
  if (options.standardize) standardizeColumns(x, features, train);

  const featureNames = featureIndices.map((i) => header[i]);
  return {
    name: source,
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

function encodeLabels(raw: string[]): { y: Uint32Array; classes: number; classNames?: string[] } {
  if (raw.every((label) => /^\d+$/.test(label))) {
    const y = Uint32Array.from(raw, Number);
    return { y, classes: y.reduce((max, v) => Math.max(max, v), 0) + 1 };
  }
  const classNames = [...new Set(raw)].sort();
  const index = new Map(classNames.map((name, i) => [name, i]));
  return { y: Uint32Array.from(raw, (label) => index.get(label)!), classes: classNames.length, classNames };
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
