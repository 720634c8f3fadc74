// expectClose: the one comparison of GPU results with references (tolerance atol + |ref|·rtol).
import { expect } from 'vitest';

export interface CloseOptions {
  rtol?: number;
  atol?: number;
  label?: string;
}

type Numbers = ArrayLike<number>;

/** Relative L2 error ‖a − b‖ / ‖b‖ (‖a‖ when b is all zero). */
export function relativeError(actual: Numbers, expected: Numbers): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    diff += (actual[i]! - expected[i]!) ** 2;
    norm += expected[i]! ** 2;
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
}

/**
 * Fails when any element differs by more than atol + |ref|·rtol, listing the first ten
 * mismatches and the largest difference; NaN matches only NaN.
 */
export function expectClose(actual: Numbers, expected: Numbers, { rtol = 1e-4, atol = 1e-6, label = 'values' }: CloseOptions = {}): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  const mismatches: string[] = [];
  let maxDiff = 0;
  let count = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const bothNaN = Number.isNaN(a) && Number.isNaN(e);
    const diff = Math.abs(a - e);
    if (!bothNaN) maxDiff = Math.max(maxDiff, Number.isNaN(diff) ? Infinity : diff);
    if (!bothNaN && !(diff <= atol + Math.abs(e) * rtol)) {
      count++;
      if (mismatches.length < 10) mismatches.push(`  [${i}] gpu ${a} ref ${e} (diff ${diff.toExponential(2)})`);
    }
  }
  if (count > 0) {
    expect.fail(`${label}: ${count} of ${expected.length} differ beyond atol ${atol} + rtol ${rtol}; max diff ${maxDiff.toExponential(3)}\n${mismatches.join('\n')}`);
  }
}

/** Asserts ‖gpu − ref‖/‖ref‖ < bound (the kernels' acceptance criterion). */
export function expectRelativeError(actual: Numbers, expected: Numbers, bound = 1e-4, label = 'values'): void {
  const err = relativeError(actual, expected);
  expect(err, `${label}: relative error ${err.toExponential(3)}`).toBeLessThan(bound);
}
