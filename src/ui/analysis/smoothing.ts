// Curve smoothing as TensorBoard does it: an exponential moving average, debiased so the first points are not pulled to zero.

/**
 * Each value replaced by the debiased EMA of it and the values before it; `weight` 0 leaves the
 * curve as it is, 0.99 flattens it. Non-finite values stay where they are and do not feed the average.
 */
export function emaSmooth(values: readonly number[], weight: number): number[] {
  if (weight <= 0) return [...values];
  const w = Math.min(weight, 0.999);
  let last = 0;
  let debias = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    last = last * w + (1 - w) * v;
    debias = debias * w + (1 - w);
    return last / debias;
  });
}

/** Means of equal runs of `values` so that at most `maxPoints` remain, each at the last index (1-based) of its run. */
export function thin(values: readonly number[], maxPoints: number): { at: number; value: number }[] {
  const n = values.length;
  const stride = Math.max(1, Math.ceil(n / maxPoints));
  const out: { at: number; value: number }[] = [];
  for (let start = 0; start < n; start += stride) {
    let sum = 0;
    let count = 0;
    for (let i = start; i < Math.min(n, start + stride); i++) {
      if (Number.isFinite(values[i]!)) {
        sum += values[i]!;
        count++;
      }
    }
    if (count > 0) out.push({ at: Math.min(n, start + stride), value: sum / count });
  }
  return out;
}
