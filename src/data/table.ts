// A table as read from a file, column by column into typed arrays (never one object per row), before any kind or transform.
import { parseDecimal } from '../util/decimal.ts';
import { DataError } from './errors.ts';

export const TABLE_FORMATS = ['csv', 'tsv', 'json', 'arrow', 'parquet'] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

/**
 * Cells read as missing in every file, after trimming (pandas' usual spellings). A study's `missing`
 * adds to them. NOTE: "." is not here: in some files it is a value; penguins.json's study lists it.
 */
export const DEFAULT_MISSING: readonly string[] = ['', 'NA', 'N/A', 'n/a', 'NaN', 'nan', 'null', 'NULL', 'None', '<NA>'];

/** Features reach the GPU as float32: a larger magnitude would arrive as Infinity. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** Numbers: NaN marks a missing cell. `temporal` is a date or time the file typed as such (Arrow, Parquet). */
export interface NumberColumn {
  name: string;
  type: 'number';
  values: Float64Array;
  temporal: boolean;
}

/** Anything else (words, booleans as "true"/"false", dates written as text): codes into `levels`, -1 marks a missing cell. */
export interface TextColumn {
  name: string;
  type: 'text';
  codes: Int32Array;
  levels: string[];
}

export type RawColumn = NumberColumn | TextColumn;

export interface RawTable {
  /** The file's name, for messages: `penguins.json`. */
  name: string;
  format: TableFormat;
  rows: number;
  columns: RawColumn[];
  /** CSV/TSV: the 1-based line each data row starts on, so errors name the line; other formats name the row. */
  lines?: Uint32Array;
  /** Arrow/Parquet: the file's columns left unread (the study ignores them). */
  skipped?: string[];
}

/** The source label errors carry: `table:penguins.json`. */
export function tableSource(name: string): string {
  return `table:${name}`;
}

/** An error about `row` (0-based data row) of `table`, located by line (CSV) or by 1-based row (other formats). */
export function rowError(table: Pick<RawTable, 'name' | 'lines'>, row: number, problem: string, column?: string): DataError {
  return table.lines
    ? new DataError(tableSource(table.name), problem, table.lines[row], column)
    : new DataError(tableSource(table.name), problem, undefined, column, { row: row + 1 });
}

/** A cell as a file hands it over: JSON values, CSV text, Arrow/Parquet scalars (bigint for 64-bit integers). */
export type Cell = string | number | bigint | boolean | null | undefined;

/** A cell once read: a number, a word (trimmed, not a missing token, not a number), or null for missing. */
export type Resolved = number | string | null;

/**
 * What `cell` is: strings are trimmed, missing tokens and NaN are null, decimal numbers are numbers (so "01"
 * and 1 are the same value), booleans are the words "true" and "false", 64-bit integers are numbers.
 * Returns undefined for a value that is no table cell (an object, an array).
 */
export function resolveCell(cell: unknown, missing: ReadonlySet<string>): Resolved | undefined {
  if (cell === null || cell === undefined) return null;
  switch (typeof cell) {
    case 'number':
      return Number.isNaN(cell) ? null : cell;
    case 'bigint':
      return Number(cell);
    case 'boolean':
      return String(cell);
    case 'string': {
      const text = cell.trim();
      if (missing.has(text)) return null;
      return parseDecimal(text) ?? text;
    }
    default:
      return undefined;
  }
}

/**
 * Builds one column from cells in row order. It stays numeric while every present cell is a number;
 * the first word turns it into text, where every number is its shortest decimal spelling (`String(n)`),
 * before the word or after it.
 */
export class ColumnBuilder {
  private values: Float64Array | null;
  private codes: Int32Array | null = null;
  private levels: string[] = [];
  private index = new Map<string, number>();
  private length = 0;

  constructor(
    readonly name: string,
    private readonly missing: ReadonlySet<string>,
    capacity = 1024,
    /** A file-typed date or time (ms since 1970): stays numeric and is ignored unless the study says otherwise. */
    private readonly temporal = false,
  ) {
    this.values = new Float64Array(Math.max(capacity, 16));
  }

  get rows(): number {
    return this.length;
  }

  /** Appends one cell as a file hands it over; `where` names it if it is no table cell (an object, an array). */
  push(cell: unknown, where: () => DataError): void {
    const value = resolveCell(cell, this.missing);
    if (value === undefined) throw where();
    this.add(value);
  }

  /** Appends one resolved cell (see resolveCell): the fast path for values met many times, as in a dictionary. */
  add(value: Resolved): void {
    if (this.length === (this.values ?? this.codes)!.length) this.grow();
    const at = this.length++;
    if (value === null) {
      if (this.values) this.values[at] = NaN;
      else this.codes![at] = -1;
    } else if (typeof value === 'number') {
      if (this.values) this.values[at] = value;
      else this.setText(at, String(value));
    } else {
      if (this.values) this.toText(at);
      this.setText(at, value);
    }
  }

  /**
   * Appends `entries[indices[i]]` for i < count (every index below entries.length: the caller checks): a
   * Parquet dictionary page without nulls, written straight into the typed column instead of cell by cell.
   * A text entry is coded the first time a cell uses it, so levels stay the values cells hold, in order.
   */
  addIndexed(entries: readonly Resolved[], indices: ArrayLike<number>, count: number): void {
    if (this.values && entries.some((entry) => typeof entry === 'string')) {
      for (let i = 0; i < count; i++) this.add(entries[indices[i]!]!);
      return;
    }
    while (this.length + count > (this.values ?? this.codes)!.length) this.grow();
    const at = this.length;
    if (this.values) {
      const numbers = Float64Array.from(entries, (entry) => (entry === null ? NaN : (entry as number)));
      for (let i = 0; i < count; i++) this.values[at + i] = numbers[indices[i]!]!;
    } else {
      // -2: not coded yet; -1 is a missing cell's code.
      const codeOf = new Int32Array(entries.length).fill(-2);
      const codes = this.codes!;
      for (let i = 0; i < count; i++) {
        const index = indices[i]!;
        let code = codeOf[index]!;
        if (code === -2) {
          const entry = entries[index]!;
          code = codeOf[index] = entry === null ? -1 : this.codeFor(typeof entry === 'number' ? String(entry) : entry);
        }
        codes[at + i] = code;
      }
    }
    this.length += count;
  }

  /** The column, trimmed to its rows. */
  finish(): RawColumn {
    const n = this.length;
    if (this.values) return { name: this.name, type: 'number', values: this.values.length === n ? this.values : this.values.slice(0, n), temporal: this.temporal };
    return { name: this.name, type: 'text', codes: this.codes!.length === n ? this.codes! : this.codes!.slice(0, n), levels: this.levels };
  }

  private setText(at: number, text: string): void {
    this.codes![at] = this.codeFor(text);
  }

  private codeFor(text: string): number {
    let code = this.index.get(text);
    if (code === undefined) {
      code = this.levels.length;
      this.levels.push(text);
      this.index.set(text, code);
    }
    return code;
  }

  /** The first word at row `at`: the numbers before it become text levels. */
  private toText(at: number): void {
    const values = this.values!;
    this.values = null;
    this.codes = new Int32Array(values.length);
    for (let r = 0; r < at; r++) {
      const value = values[r]!;
      if (Number.isNaN(value)) this.codes[r] = -1;
      else this.setText(r, String(value));
    }
  }

  private grow(): void {
    if (this.values) {
      const next = new Float64Array(this.values.length * 2);
      next.set(this.values);
      this.values = next;
    } else {
      const next = new Int32Array(this.codes!.length * 2);
      next.set(this.codes!);
      this.codes = next;
    }
  }
}

/** The set of cells read as missing: the defaults plus a study's own (trimmed, as cells are). */
export function missingSet(extra: readonly string[] = []): Set<string> {
  return new Set([...DEFAULT_MISSING, ...extra.map((token) => token.trim())]);
}

/** Refuses two columns of one name: every later step finds columns by name. */
export function checkUniqueNames(names: readonly string[], source: string, line?: number): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new DataError(source, `the file names column "${name}" twice`, line, name);
    seen.add(name);
  }
}
