// When a trial has blown up: its batch loss past a multiple of chance level, well before it turns Inf.

/** A trial whose batch loss exceeds this multiple of chance level (model/loss.ts chanceLoss) is stopped as diverged. */
export const DIVERGENCE_FACTOR = 100;

/**
 * The first of `losses` (one trial's batch losses, in step order) past `factor`·`chance`, as its
 * index and the reason to record, or null when none is.
 */
export function explosion(losses: ArrayLike<number>, chance: number, factor = DIVERGENCE_FACTOR): { at: number; reason: (step: number) => string } | null {
  const limit = factor * chance;
  for (let i = 0; i < losses.length; i++) {
    const loss = losses[i]!;
    if (loss > limit) return { at: i, reason: (step) => `batch loss ${loss.toPrecision(3)} at step ${step} exceeds ${factor}× chance level (${chance.toFixed(2)})` };
  }
  return null;
}
