// Packs trial configs into cohorts of one shape that fit the device, before anything is allocated (pure).
import { cohortLayout, shapeOf, totalBytes, type CohortLayout, type CohortShape } from '../model/cohort-layout.ts';
import { batchTooLarge } from '../model/steps.ts';
import type { TrialConfig } from '../model/trial-config.ts';
import { shapeKey } from '../model/trial-config.ts';

export interface PlannedTrial {
  /** The trial's number in the study. */
  index: number;
  config: TrialConfig;
}

export interface CohortPlan {
  id: string;
  shape: CohortShape;
  trials: PlannedTrial[];
  /** Bytes the cohort will hold on the device. */
  bytes: number;
}

export interface RefusedTrial {
  index: number;
  reason: string;
}

/** The device limits and budget the planner packs against (read from the adapter, never hard-coded). */
export interface DeviceBudget {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupsPerDimension: number;
  minStorageBufferOffsetAlignment: number;
  /** Bytes all cohorts running at once may hold. */
  memoryBudget: number;
}

/** The budget from a device's limits; by default the running cohorts may hold up to 2 GiB (or maxBufferSize). */
export function deviceBudget(limits: Pick<GPUSupportedLimits, keyof Omit<DeviceBudget, 'memoryBudget'>>, memoryBudget?: number): DeviceBudget {
  return {
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    maxBufferSize: limits.maxBufferSize,
    maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
    minStorageBufferOffsetAlignment: limits.minStorageBufferOffsetAlignment,
    memoryBudget: memoryBudget ?? Math.min(2 ** 31, limits.maxBufferSize),
  };
}

export interface PlanInput {
  trials: readonly PlannedTrial[];
  features: number;
  classes: number;
  trainRows: number;
  /** Rows per evaluation pass (the engine's evalBatch). */
  evalBatch: number;
  /** Cross-validation: the most rows a slot validates on (cohorts gather each slot's own). */
  slotValidationRows?: number;
  budget: DeviceBudget;
  /** Upper bound on trials per cohort (default 64). */
  maxTrialsPerCohort?: number;
}

export interface Plan {
  cohorts: CohortPlan[];
  refused: RefusedTrial[];
}

function layoutFor(input: PlanInput, shape: CohortShape, trials: readonly PlannedTrial[]): CohortLayout {
  return cohortLayout({
    shape,
    trials: trials.map((t) => t.config),
    trainRows: input.trainRows,
    evalBatch: input.evalBatch,
    slotValidationRows: input.slotValidationRows,
    offsetAlignment: input.budget.minStorageBufferOffsetAlignment,
  });
}

/** Why `trials` do not fit as one cohort, naming the limit; null when they fit. */
export function doesNotFit(input: PlanInput, shape: CohortShape, trials: readonly PlannedTrial[]): string | null {
  const { budget } = input;
  const layout = layoutFor(input, shape, trials);
  const bindingLimit = Math.min(budget.maxStorageBufferBindingSize, budget.maxBufferSize);
  const largest = layout.buffers.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const who = trials.length === 1 ? 'this trial' : `${trials.length} trials`;
  if (largest.bytes > bindingLimit) {
    const limit = budget.maxStorageBufferBindingSize <= budget.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
    return `${who} need a ${largest.name} buffer of ${largest.bytes} bytes, above the device's ${limit} (${bindingLimit} bytes)`;
  }
  if (trials.length > budget.maxComputeWorkgroupsPerDimension) {
    return `${who} exceed maxComputeWorkgroupsPerDimension (${budget.maxComputeWorkgroupsPerDimension}) on the trial axis`;
  }
  const bytes = totalBytes(layout.buffers);
  if (bytes > budget.memoryBudget) {
    return `${who} need ${bytes} bytes on the device, above the memory budget of ${budget.memoryBudget} bytes`;
  }
  return null;
}

/**
 * Groups trials by shape (hidden widths, activation, batch size) and splits each group into the
 * fewest cohorts that fit. A trial that does not fit even alone is refused with the limit it
 * exceeds; the others are planned regardless.
 */
export function planCohorts(input: PlanInput): Plan {
  const groups = new Map<string, PlannedTrial[]>();
  const refused: RefusedTrial[] = [];
  for (const trial of input.trials) {
    const tooLarge = batchTooLarge(trial.config.batchSize, input.trainRows);
    if (tooLarge) {
      refused.push({ index: trial.index, reason: `batch size ${trial.config.batchSize} ${tooLarge}` });
      continue;
    }
    const key = shapeKey(trial.config);
    groups.set(key, [...(groups.get(key) ?? []), trial]);
  }
  const cohorts: CohortPlan[] = [];
  const maxT = input.maxTrialsPerCohort ?? 64;
  for (const group of groups.values()) {
    const shape = shapeOf(group[0]!.config, input.features, input.classes);
    const alone = doesNotFit(input, shape, group.slice(0, 1));
    if (alone) {
      for (const t of group) refused.push({ index: t.index, reason: alone });
      continue;
    }
    let rest = group;
    while (rest.length > 0) {
      // The largest prefix that fits: cohort bytes grow monotonically with T.
      let lo = 1;
      let hi = Math.min(maxT, rest.length);
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (doesNotFit(input, shape, rest.slice(0, mid))) hi = mid - 1;
        else lo = mid;
      }
      const trials = rest.slice(0, lo);
      rest = rest.slice(lo);
      const bytes = totalBytes(layoutFor(input, shape, trials).buffers);
      cohorts.push({ id: `cohort-${cohorts.length}`, shape, trials, bytes });
    }
  }
  return { cohorts, refused };
}

/**
 * Which planned cohorts to start now: in plan order, while the running ones plus the next stay
 * within the memory budget and `maxConcurrent`. Always admits one when none is running.
 */
export function admit(pending: readonly CohortPlan[], runningBytes: number, runningCount: number, budget: DeviceBudget, maxConcurrent: number): CohortPlan[] {
  const admitted: CohortPlan[] = [];
  let bytes = runningBytes;
  let count = runningCount;
  for (const cohort of pending) {
    if (count >= maxConcurrent) break;
    if (count > 0 && bytes + cohort.bytes > budget.memoryBudget) break;
    admitted.push(cohort);
    bytes += cohort.bytes;
    count++;
  }
  return admitted;
}
