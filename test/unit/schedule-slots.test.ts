// The slot planner (pure, no GPU): refills, new cohorts, closes, compactions, and steps to the next event.
import { describe, expect, it } from 'vitest';
import { optimizerConfig, shapeKey, type TrialConfig } from '../../src/model/trial-config.ts';
import type { DeviceBudget } from '../../src/schedule/plan.ts';
import { parseStudy } from '../../src/search/study.ts';
import { eventAt, planSlots, refillReserve, reportStep, stepsToNextEvent, type CohortView, type SlotInput, type WaitingTrial } from '../../src/schedule/slots.ts';

const budget: DeviceBudget = {
  maxStorageBufferBindingSize: 128 * 2 ** 20,
  maxBufferSize: 256 * 2 ** 20,
  maxComputeWorkgroupsPerDimension: 65535,
  minStorageBufferOffsetAlignment: 256,
  memoryBudget: 2 ** 30,
};

function config(units: number, extra: Partial<TrialConfig> = {}): TrialConfig {
  return { hidden: [units], activation: 'relu', batchSize: 32, epochs: 1, optimizer: optimizerConfig('adam', 0.01), l1: 0, l2: 0, dropout: 0, seed: 0, ...extra };
}

const adamHolds = { m: true, v: true, dropout: false };
const cohort = (units: number, members: (number | null)[], holds = adamHolds, bytes = 1000): CohortView => ({ key: shapeKey(config(units)), members, bytes, holds });
const waiting = (number: number, units: number, extra: Partial<TrialConfig> = {}): WaitingTrial => ({ number, config: config(units, extra) });

function input(cohorts: CohortView[], trials: WaitingTrial[], extra: Partial<SlotInput> = {}): SlotInput {
  return { cohorts, waiting: trials, moreToCome: false, maxConcurrent: 4, packing: { features: 16, classes: 4, trainRows: 1000, evalBatch: 100, budget, maxTrialsPerCohort: 8 }, ...extra };
}

describe('planSlots', () => {
  it('refills free slots of a running cohort of the same shape, in trial order, before starting a cohort', () => {
    const plan = planSlots(input([cohort(8, [0, null, 2, null])], [waiting(5, 8), waiting(6, 16), waiting(7, 8), waiting(9, 8)]));
    expect(plan.close).toEqual([]);
    expect(plan.refill).toEqual([
      { trial: 5, cohort: 0, slot: 1 },
      { trial: 7, cohort: 0, slot: 3 },
    ]);
    // 6 has another shape; 9 found no free slot left: both start in new cohorts, the oldest trial's first.
    expect(plan.start.map((s) => s.plan.trials.map((t) => t.index))).toEqual([[6], [9]]);
    expect(plan.compact).toEqual([]);
  });

  it('never refills a slot whose cohort lacks a buffer the trial needs', () => {
    const plain = { m: false, v: false, dropout: false };
    const plan = planSlots(input([cohort(8, [0, null], plain)], [waiting(3, 8), waiting(4, 8, { optimizer: optimizerConfig('sgd', 0.1), dropout: 0.2 }), waiting(5, 8, { optimizer: optimizerConfig('sgd', 0.1) })]));
    expect(plan.refill).toEqual([{ trial: 5, cohort: 0, slot: 1 }]);
    expect(plan.start.map((s) => s.plan.trials.map((t) => t.index))).toEqual([[3, 4]]);
  });

  it('closes a cohort none of whose slots trains, even when trials of its shape wait', () => {
    const plan = planSlots(input([cohort(8, [null, null]), cohort(16, [4, null, null, null])], [waiting(5, 8)]));
    expect(plan.close).toEqual([0]);
    expect(plan.refill).toEqual([]);
    expect(plan.start.map((s) => s.plan.trials.map((t) => t.index))).toEqual([[5]]);
    // The other cohort is a quarter full and no trial of its shape waits: it moves into a cohort of one.
    expect(plan.compact).toEqual([{ cohort: 1, members: [{ trial: 4, slot: 0 }] }]);
  });

  it('compacts a cohort at most half full, unless a trial of its shape still waits for a slot', () => {
    const half = cohort(8, [null, 1, null, 3]);
    expect(planSlots(input([half], [])).compact).toEqual([
      {
        cohort: 0,
        members: [
          { trial: 1, slot: 1 },
          { trial: 3, slot: 3 },
        ],
      },
    ]);
    expect(planSlots(input([cohort(8, [0, 1, null, 3])], [])).compact).toEqual([]);
    // Refilled first: then it is no longer half empty.
    expect(planSlots(input([half], [waiting(7, 8)])).compact).toEqual([]);
    // A trial of its shape that could not be placed (too many cohorts running) keeps it as it is.
    const busy = planSlots(input([cohort(8, [null, 1, null, null]), cohort(16, [10, 11])], [waiting(7, 8), waiting(8, 32)], { maxConcurrent: 2 }));
    expect(busy.refill).toEqual([{ trial: 7, cohort: 0, slot: 0 }]);
    const blocked = planSlots(input([cohort(8, [null, 1, null, null]), cohort(16, [10, 11])], [waiting(7, 8, { activation: 'tanh' }), waiting(8, 8, { dropout: 0.1 })], { maxConcurrent: 2 }));
    expect(blocked.start).toEqual([]);
    expect(blocked.compact).toEqual([]);
    const other = planSlots(input([cohort(8, [null, 1, null, null]), cohort(16, [10, 11])], [waiting(8, 32)], { maxConcurrent: 2 }));
    expect(other.start).toEqual([]);
    expect(other.compact).toEqual([{ cohort: 0, members: [{ trial: 1, slot: 1 }] }]);
  });

  it('starts cohorts within maxConcurrent and the memory budget, and reserves for refills while more trials may come', () => {
    const trials = [waiting(0, 8), waiting(1, 16), waiting(2, 32)];
    const all = planSlots(input([], trials));
    expect(all.start.map((s) => s.plan.trials.map((t) => t.index))).toEqual([[0], [1], [2]]);
    // Trials still wait behind the first two; none behind the last.
    expect(all.start.map((s) => s.reserve)).toEqual([true, true, false]);
    expect(planSlots(input([], trials, { moreToCome: true })).start.map((s) => s.reserve)).toEqual([true, true, true]);
    expect(planSlots(input([cohort(64, [9])], trials, { maxConcurrent: 3 })).start.map((s) => s.plan.trials[0]!.index)).toEqual([0, 1]);
    expect(planSlots(input([cohort(64, [9]), cohort(64, [8])], trials, { maxConcurrent: 2 })).start).toEqual([]);
    expect(planSlots(input([cohort(64, [9], adamHolds, budget.memoryBudget)], trials)).start).toEqual([]);
  });

  it('refuses a trial no cohort can hold, naming why', () => {
    const plan = planSlots(input([], [waiting(0, 8, { batchSize: 2000 }), waiting(1, 8)]));
    expect(plan.refuse).toEqual([{ index: 0, reason: 'batch size 2000 exceeds the 1000 training rows' }]);
    expect(plan.start.map((s) => s.plan.trials.map((t) => t.index))).toEqual([[1]]);
  });
});

describe('events', () => {
  const epochs = { unit: 'epoch', every: 1 } as const;
  const steps = { unit: 'step', every: 7 } as const;

  it('steps to the next event: the nearest epoch end, report or trial end of any slot', () => {
    expect(stepsToNextEvent([{ steps: 0, end: 100 }], 30, epochs)).toBe(30);
    expect(stepsToNextEvent([{ steps: 25, end: 100 }, { steps: 3, end: 100 }], 30, epochs)).toBe(5);
    expect(stepsToNextEvent([{ steps: 90, end: 95 }], 30, epochs)).toBe(5);
    expect(stepsToNextEvent([{ steps: 0, end: 100 }], 30, { unit: 'epoch', every: 2 })).toBe(30);
    expect(stepsToNextEvent([{ steps: 8, end: 100 }], 30, steps)).toBe(6);
    expect(stepsToNextEvent([], 30, steps)).toBe(Infinity);
  });

  it('names what a slot reached, and where a report falls in the study unit', () => {
    expect(eventAt({ steps: 30, end: 100 }, 30, epochs)).toEqual({ end: false, epochEnd: true, report: true });
    expect(eventAt({ steps: 30, end: 100 }, 30, { unit: 'epoch', every: 2 })).toEqual({ end: false, epochEnd: true, report: false });
    expect(eventAt({ steps: 95, end: 95 }, 30, epochs)).toEqual({ end: true, epochEnd: false, report: false });
    expect(eventAt({ steps: 14, end: 100 }, 30, steps)).toEqual({ end: false, epochEnd: false, report: true });
    expect(eventAt({ steps: 13, end: 100 }, 30, steps)).toBeNull();
    expect(reportStep(60, 30, epochs)).toBe(2);
    expect(reportStep(14, 30, steps)).toBe(14);
  });
});

describe('refillReserve', () => {
  const study = (space: object, defaults: object = {}) => parseStudy({ data: { kind: 'circles' }, space: { lr: { type: 'float', low: 0.001, high: 0.1 }, ...space }, defaults, budget: { trials: 4 } });
  const optimizers = (choices: string[]) => ({ optimizer: { type: 'categorical', choices } });

  it('reserves the optimizer state and dropout buffers any trial of the study may need', () => {
    expect(refillReserve(study(optimizers(['sgd', 'adam'])))).toEqual({ m: true, v: true, dropout: false });
    expect(refillReserve(study(optimizers(['sgd'])))).toEqual({ m: false, v: false, dropout: false });
    expect(refillReserve(study({}, { optimizer: 'momentum' }))).toEqual({ m: true, v: false, dropout: false });
    // sgd keeps a momentum buffer where the study gives it momentum.
    expect(refillReserve(study({ ...optimizers(['sgd']), momentum: { type: 'float', low: 0.5, high: 0.9 } }))).toEqual({ m: true, v: false, dropout: false });
    expect(refillReserve(study({}, { optimizer: 'sgd', momentum: 0.9, dropout: 0.1 }))).toEqual({ m: true, v: false, dropout: true });
    expect(refillReserve(study({ ...optimizers(['rmsprop']), dropout: { type: 'float', low: 0, high: 0.3 } }))).toEqual({ m: false, v: true, dropout: true });
  });
});
