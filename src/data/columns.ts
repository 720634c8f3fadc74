// What each column is: its missing cells and distinct values, and the kind fusetune guesses (a study's `columns` overrides it).
import type { RawColumn } from './table.ts';

export const COLUMN_KINDS = ['numeric', 'categorical', 'ignore'] as const;
export type ColumnKind = (typeof COLUMN_KINDS)[number];

/** Whole numbers with at most this many distinct values are categories (a count of cylinders, a 0/1 flag). */
export const FEW_INTEGERS = 10;
/** Integer columns that only increase (or only decrease) over at least this many rows are row ids. */
export const ID_MIN_ROWS = 20;
/** Text with more distinct values than this, and than half its present cells, is an id or free text. */
export const MANY_WORDS = 20;
/** Distinct numbers are counted up to this many; past it the count reads "more than". */
export const DISTINCT_CAP = 1000;

/** ISO dates and date-times (`2001-01-01`, `2001-01-01T08:30:00Z`) and slashed dates (`2001/1/31`, `1/31/2001`). */
const DATE_TEXT = /^(\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?|\d{4}\/\d{1,2}\/\d{1,2}|\d{1,2}\/\d{1,2}\/\d{4})$/;

export interface ColumnProfile {
  name: string;
  /** How the file holds it: numbers, or text (words, booleans, dates written out). */
  type: 'number' | 'text';
  rows: number;
  missing: number;
  /** Distinct present values (numbers: counted up to DISTINCT_CAP; `distinctCapped` when there are more). */
  distinct: number;
  distinctCapped: boolean;
  /** The guess. An all-missing column is guessed by its type and refused unless the study ignores it. */
  kind: ColumnKind;
  /** Why, in a few words: `numbers`, `5 distinct integers`, `increasing integers (an id)`, `dates`, `311 distinct of 398 (an id or free text)`. */
  reason: string;
}

/** Counts and guesses a column's kind from all its rows (a structural choice, like reading the header; no statistic of the transform comes from here). */
export function profileColumn(column: RawColumn): ColumnProfile {
  const rows = column.type === 'number' ? column.values.length : column.codes.length;
  const base = { name: column.name, type: column.type, rows };
  if (column.type === 'text') {
    let missing = 0;
    for (const code of column.codes) if (code < 0) missing++;
    // A level exists because a cell holds it: the distinct values are the levels.
    const distinct = column.levels.length;
    const present = rows - missing;
    const profile = { ...base, missing, distinct, distinctCapped: false };
    if (distinct > 0 && column.levels.every((level) => DATE_TEXT.test(level))) return { ...profile, kind: 'ignore', reason: 'dates' };
    if (distinct > Math.max(MANY_WORDS, present / 2)) return { ...profile, kind: 'ignore', reason: `${distinct} distinct of ${present} (an id or free text)` };
    return { ...profile, kind: 'categorical', reason: distinct === 2 && column.levels.every((l) => l === 'true' || l === 'false') ? 'booleans' : 'text' };
  }
  const values = column.values;
  let missing = 0;
  let integers = true;
  let increasing = true;
  let decreasing = true;
  let previous = NaN;
  const distinctValues = new Set<number>();
  for (let r = 0; r < rows; r++) {
    const value = values[r]!;
    if (Number.isNaN(value)) {
      missing++;
      continue;
    }
    if (integers && !Number.isInteger(value)) integers = false;
    if (!Number.isNaN(previous)) {
      if (value <= previous) increasing = false;
      if (value >= previous) decreasing = false;
    }
    previous = value;
    if (distinctValues.size <= DISTINCT_CAP) distinctValues.add(value);
  }
  const distinctCapped = distinctValues.size > DISTINCT_CAP;
  const distinct = Math.min(distinctValues.size, DISTINCT_CAP);
  const profile = { ...base, missing, distinct, distinctCapped };
  const present = rows - missing;
  if (column.temporal) return { ...profile, kind: 'ignore', reason: 'dates or times' };
  if (present > 0 && integers && distinct <= FEW_INTEGERS) return { ...profile, kind: 'categorical', reason: `${distinct} distinct integers` };
  if (present >= ID_MIN_ROWS && integers && (increasing || decreasing)) return { ...profile, kind: 'ignore', reason: `${increasing ? 'increasing' : 'decreasing'} integers (an id)` };
  return { ...profile, kind: 'numeric', reason: 'numbers' };
}
