// How much work a measurement does: passes sized to a target time, repetitions sized to a budget (pure).

/** Sizes for one run of the suite: `quick` for a smoke run, `full` for the numbers we publish. */
export interface BenchBudget {
  /** Aim for timed passes of about this many milliseconds (long enough for 100 µs timestamp rounding). */
  targetPassMs: number;
  /** Spend about this long on the repetitions of one measurement. */
  measurementMs: number;
  minReps: number;
  maxReps: number;
  /** The most dispatches (or steps) one timed pass records. */
  maxPerPass: number;
  /**
   * The fused and profile suites stop at the T whose step would take longer than this, predicted
   * from the T before (a CPU adapter's limit); none: no limit.
   */
  maxStepMs?: number;
}

export const BUDGETS: Record<'quick' | 'full', BenchBudget> = {
  quick: { targetPassMs: 40, measurementMs: 600, minReps: 3, maxReps: 7, maxPerPass: 256, maxStepMs: 1500 },
  full: { targetPassMs: 100, measurementMs: 2500, minReps: 3, maxReps: 15, maxPerPass: 256, maxStepMs: 4000 },
};

/** Dispatches (or steps) per pass so that a pass takes about targetPassMs, given what one took warm. */
export function perPass(msEach: number, budget: BenchBudget, cap = budget.maxPerPass): number {
  if (!(msEach > 0)) return Math.max(1, Math.min(cap, budget.maxPerPass));
  return Math.max(1, Math.min(cap, budget.maxPerPass, Math.round(budget.targetPassMs / msEach)));
}

/** Repetitions that fit the measurement budget, never fewer than minReps (a slow case still gets a spread). */
export function repetitions(msPerRep: number, budget: BenchBudget): number {
  if (!(msPerRep > 0)) return budget.maxReps;
  return Math.max(budget.minReps, Math.min(budget.maxReps, Math.floor(budget.measurementMs / msPerRep)));
}

/** Powers of two from `from` to `to` inclusive. */
export function powersOfTwo(from: number, to: number): number[] {
  const out: number[] = [];
  for (let x = from; x <= to; x *= 2) out.push(x);
  return out;
}
