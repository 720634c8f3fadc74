// Summaries of repeated measurements (median with min and max) and the arithmetic that compares them.

/** A repeated measurement: the median quoted with its spread and the number of repetitions. */
export interface Summary {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** Median, min and max of `values`; throws on an empty list so a missing measurement never reads as 0. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('summarize: no values (a measurement ran zero repetitions)');
  if (values.some((v) => !Number.isFinite(v))) throw new Error(`summarize: non-finite value in [${values.join(', ')}]`);
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, n: sorted.length };
}

/**
 * Applies a decreasing function (e.g. ms → items/s) to a summary of times: the slowest time gives
 * the smallest rate, so min and max swap.
 */
export function invert(times: Summary, rate: (ms: number) => number): Summary {
  return { median: rate(times.median), min: rate(times.max), max: rate(times.min), n: times.n };
}

/** Scales every field of a summary by a positive factor. */
export function scale(s: Summary, factor: number): Summary {
  return { median: s.median * factor, min: s.min * factor, max: s.max * factor, n: s.n };
}

/**
 * a ÷ b of two independent summaries of positive values: the median of the ratio is the ratio of
 * medians; its range pairs the extremes (a.min ÷ b.max … a.max ÷ b.min), the widest the two spreads allow.
 */
export function ratio(a: Summary, b: Summary): Summary {
  return { median: a.median / b.median, min: a.min / b.max, max: a.max / b.min, n: Math.min(a.n, b.n) };
}

/** Items per second from items done in `ms` milliseconds. */
export function perSecond(items: number, ms: number): number {
  return (items / ms) * 1000;
}
