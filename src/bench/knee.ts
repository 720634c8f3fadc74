// Where a speed curve bends: the batch size after which larger batches stop paying off.

export interface CurvePoint {
  /** Batch size (or any growing size). */
  x: number;
  /** Samples per second (or any speed) at x. */
  y: number;
}

/** Growth under this fraction no longer counts as growing (10%). */
export const KNEE_GROWTH = 0.1;

/**
 * The smallest x after which no larger x is more than `growth` faster than the best speed seen up to
 * it: the curve "stops growing by more than 10%". Comparing with the best so far, not only the next
 * point, keeps one noisy dip from ending the curve early while the speed still climbs after it.
 * Null when only the last point qualifies: the curve was still growing at the largest size measured.
 */
export function findKnee(points: readonly CurvePoint[], growth = KNEE_GROWTH): number | null {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  let best = -Infinity;
  for (let i = 0; i < sorted.length - 1; i++) {
    best = Math.max(best, sorted[i]!.y);
    const later = sorted.slice(i + 1).every((p) => p.y <= best * (1 + growth));
    if (later) return sorted[i]!.x;
  }
  return null;
}
