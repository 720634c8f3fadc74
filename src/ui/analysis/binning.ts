// Bins of a parameter's values for heatmaps: a bin per value when there are few, else equal widths (in log space for log parameters).
import { formatNumber, formatScalar } from '../format.ts';

export interface Binning {
  /** Bin labels in axis order. */
  labels: string[];
  /** The bin a value falls in, or null when it has none (an inactive parameter, a non-finite number). */
  binOf: (value: unknown) => number | null;
  /** `log`: equal widths of log10; `linear`: equal widths; `values`: one bin per distinct value. */
  kind: 'values' | 'linear' | 'log';
}

/** NOTE: a parameter with at most this many distinct values gets one bin per value (a grid reads as a grid). */
export const MAX_VALUE_BINS = 8;

/** Bins for continuous values: about √n of them, between 3 and `maxBins`. */
export function binCount(distinct: number, maxBins = 6): number {
  return Math.max(3, Math.min(maxBins, Math.round(Math.sqrt(distinct))));
}

/**
 * Bins for `values` (numbers, strings or booleans; undefined for an inactive parameter). `log`
 * bins positive numbers by log10, so 1e-4…1e-1 gets equal bins per decade rather than one bin
 * holding all but the largest values.
 */
export function binValues(values: readonly unknown[], options: { log?: boolean; maxBins?: number } = {}): Binning {
  const present = values.filter((v) => v !== undefined && v !== null);
  const numeric = present.length > 0 && present.every((v) => typeof v === 'number' && Number.isFinite(v));
  const distinct = [...new Set(present.map((v) => (numeric ? v : formatScalar(v))))];
  if (!numeric || distinct.length <= MAX_VALUE_BINS) {
    const sorted = numeric ? (distinct as number[]).sort((a, b) => a - b) : (distinct as string[]).sort();
    const labels = sorted.map((v) => (typeof v === 'number' ? formatNumber(v) : v));
    const index = new Map<unknown, number>(sorted.map((v, i) => [v, i]));
    return { kind: 'values', labels, binOf: (v) => index.get(numeric ? v : formatScalar(v)) ?? null };
  }
  const numbers = distinct as number[];
  const log = options.log === true && numbers.every((v) => v > 0);
  const f = log ? Math.log10 : (x: number) => x;
  const lo = f(Math.min(...numbers));
  const hi = f(Math.max(...numbers));
  const n = binCount(numbers.length, options.maxBins);
  const width = (hi - lo) / n;
  const edge = (i: number) => (log ? 10 ** (lo + i * width) : lo + i * width);
  const labels = Array.from({ length: n }, (_, i) => `${formatNumber(edge(i), 2)}–${formatNumber(edge(i + 1), 2)}`);
  const binOf = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && (!log || v > 0) ? Math.min(n - 1, Math.max(0, Math.floor((f(v) - lo) / width))) : null);
  return { kind: log ? 'log' : 'linear', labels, binOf };
}

export interface Cell {
  x: string;
  y: string;
  value: number;
  trials: number[];
}

/** Mean of `value` per (x bin, y bin) over the rows that have all three. */
export function binnedCells<T>(rows: readonly T[], x: { binning: Binning; of: (row: T) => unknown }, y: { binning: Binning; of: (row: T) => unknown }, value: (row: T) => number | null, id: (row: T) => number): Cell[] {
  const cells = new Map<string, { xi: number; yi: number; sum: number; trials: number[] }>();
  for (const row of rows) {
    const v = value(row);
    const xi = x.binning.binOf(x.of(row));
    const yi = y.binning.binOf(y.of(row));
    if (v === null || !Number.isFinite(v) || xi === null || yi === null) continue;
    const key = `${xi}/${yi}`;
    const cell = cells.get(key) ?? { xi, yi, sum: 0, trials: [] };
    cell.sum += v;
    cell.trials.push(id(row));
    cells.set(key, cell);
  }
  return [...cells.values()].map((c) => ({ x: x.binning.labels[c.xi]!, y: y.binning.labels[c.yi]!, value: c.sum / c.trials.length, trials: c.trials }));
}
