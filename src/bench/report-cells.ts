// The cells of benchmark tables: numbers to three significant digits, summaries, percentages; read by every suite's tables.
import { centralValue, isSummary, type BenchValue } from './record.ts';

export interface ReportTable {
  title: string;
  header: string[];
  rows: string[][];
}

/** Three significant digits, no exponent for the ranges benchmarks produce. */
export function num(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '-';
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toString();
  if (abs === 0) return '0';
  return Number(value.toPrecision(3)).toString();
}

/** "median (min–max)" for a summary, the number for a plain value, "-" when missing. */
export function valueText(value: BenchValue | undefined): string {
  if (isSummary(value)) return value.min !== value.max ? `${num(value.median)} (${num(value.min)}–${num(value.max)})` : num(value.median);
  return num(centralValue(value));
}

/** A fraction as a percentage, three significant digits at most; '-' when missing, 0 below 1e-9 (rounding residue). */
export function percent(fraction: number | null | undefined): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '-';
  return Math.abs(fraction) < 1e-9 ? '0%' : `${num(100 * fraction)}%`;
}
