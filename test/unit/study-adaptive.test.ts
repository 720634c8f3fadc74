// The ask/tell loop on real GPU work: pruning, slot refills, PBT exploits, budgets and Pareto fronts,
// each checked for exactness against the same trials trained without them.
import { describe, expect, it } from 'vitest';
import { syntheticDataset } from '../../src/data/synthetic.ts';
import { Cohort } from '../../src/engine/cohort.ts';
import { uploadDataset } from '../../src/engine/device-dataset.ts';
import { runCohort } from '../../src/engine/train.ts';
import { GpuTimer } from '../../src/gpu/timing.ts';
import { shapeOf } from '../../src/model/cohort-layout.ts';
import { parseStudy, type StudyInput } from '../../src/search/study.ts';
import { objectiveValues, type TrialRecord } from '../../src/store/records.ts';
import { runStudy, type StudyEvent } from '../../src/study/run-study.ts';
import { gpu } from '../helpers/gpu.ts';

const spec = { kind: 'xor', n: 200, noise: 0.05, seed: 4 } as const;
const dataset = syntheticDataset(spec);

function study(extra: Partial<StudyInput> = {}) {
  return parseStudy({
    name: 'adaptive',
    seed: 11,
    data: spec,
    space: { lr: { type: 'float', low: 0.001, high: 1, log: true }, optimizer: { type: 'categorical', choices: ['adam', 'sgd'] } },
    defaults: { batch_size: 10, units: 8, epochs: 6 },
    budget: { trials: 10 },
    ...extra,
  });
}

const trace = (t: TrialRecord) => ({ curve: t.curve, epochs: t.epochs, intermediate: t.intermediate });

describe('pruning and slot refills', () => {
  it("a pruned trial's numbers up to its stop equal the same trial's in a run without pruning, bit for bit", async () => {
    const ctx = await gpu();
    const pruned = await runStudy({ ctx, study: study({ pruner: { type: 'successive-halving', reductionFactor: 2 }, parallel: 4 }), dataset });
    const full = await runStudy({ ctx, study: study({ parallel: 4 }), dataset });
    const stopped = pruned.record.trials.filter((t) => t.state === 'pruned');
    expect(stopped.length).toBeGreaterThan(2);
    for (const t of stopped) {
      const whole = full.record.trials[t.index]!;
      expect(t.params).toEqual(whole.params);
      expect(t.curve.length).toBeLessThan(whole.curve.length);
      expect(trace(t)).toEqual({ curve: whole.curve.slice(0, t.curve.length), epochs: whole.epochs.slice(0, t.epochs.length), intermediate: whole.intermediate.slice(0, t.intermediate.length) });
      expect(t.reason).toMatch(/pruned by successive-halving at epoch \d+/);
    }
    // Trials that were not pruned trained exactly as in the full run.
    for (const t of pruned.record.trials.filter((t) => t.state === 'done')) expect(trace(t)).toEqual(trace(full.record.trials[t.index]!));
    expect(pruned.record.samplesTrained).toBeLessThan(full.record.samplesTrained!);
  });

  it('a cohort left half empty compacts on the device; its moved trials train on bit for bit', async () => {
    const ctx = await gpu();
    // All eight asked at once, one shape; successive halving keeps 2 of 8 at epoch 1 and the budget is spent.
    const s = (pruner: StudyInput['pruner']) => study({ pruner, parallel: 8, budget: { trials: 8 } });
    const compacted = await runStudy({ ctx, study: s({ type: 'successive-halving', reductionFactor: 4 }), dataset });
    const full = await runStudy({ ctx, study: s({ type: 'none' }), dataset });
    const moved = compacted.record.trials.filter((t) => compacted.record.cohorts!.filter((c) => c.trials.includes(t.index)).length > 1);
    expect(moved.length).toBeGreaterThan(0);
    for (const t of moved) {
      expect(t.state).toBe('done');
      expect(trace(t)).toEqual(trace(full.record.trials[t.index]!));
    }
    // The smaller cohort has no idle slot.
    const last = compacted.record.cohorts!.at(-1)!;
    expect(last.slots).toBe(moved.length);
    expect(last.occupancy.busy).toBe(last.occupancy.dispatched);
  });

  it('a trial refilled into a freed slot trains exactly as it does alone, and occupancy is recorded', async () => {
    const ctx = await gpu();
    const events: StudyEvent[] = [];
    const { record } = await runStudy({ ctx, study: study({ pruner: { type: 'median', startupTrials: 1 }, parallel: 4 }), dataset, onEvent: (e) => events.push(e) });
    const refills = events.filter((e): e is Extract<StudyEvent, { type: 'slot-refilled' }> => e.type === 'slot-refilled');
    expect(refills.length).toBeGreaterThan(0);
    const refilled = record.trials[refills.at(-1)!.index]!;
    expect(refilled.cohort).toBe(refills.at(-1)!.cohort);
    // Alone: a cohort of one, the same config, for the steps it trained.
    const data = uploadDataset(ctx, dataset, 'alone-data');
    const cohort = await Cohort.create(ctx, { id: 'alone', shape: shapeOf(refilled.config, dataset.features, dataset.classes), trials: [refilled.config], data });
    const losses: number[] = [];
    const alone = await runCohort(ctx, cohort, { epochs: refilled.config.epochs, maxSteps: refilled.stepsDone, timer: new GpuTimer(ctx), onChunk: (c) => losses.push(...c.losses) });
    cohort.destroy();
    ctx.memory.freePrefix('alone-data/');
    expect(refilled.curve).toEqual(losses);
    expect(refilled.epochs.map((e) => [e.valLoss, e.valAccuracy, e.trainLoss, e.trainAccuracy])).toEqual(alone.epochs.map((e) => [e.validation[0]!.loss, e.validation[0]!.accuracy, e.train[0]!.loss, e.train[0]!.accuracy]));
    // Occupancy: busy trial-steps over dispatched ones, per cohort and for the study.
    const { busy, dispatched } = record.occupancy!;
    expect(busy).toBeGreaterThan(0);
    expect(busy).toBeLessThanOrEqual(dispatched);
    expect(record.cohorts!.reduce((s, c) => s + c.occupancy.busy, 0)).toBe(busy);
    expect(record.cohorts!.reduce((s, c) => s + c.occupancy.dispatched, 0)).toBe(dispatched);
    expect(record.cohorts!.some((c) => c.trials.length > c.slots)).toBe(true);
  });

  it('leaves nothing on the device and keeps trials within the trial budget', async () => {
    const ctx = await gpu();
    const before = ctx.memory.bytes();
    const { record } = await runStudy({ ctx, study: study({ pruner: { type: 'hyperband', reductionFactor: 2 }, parallel: 3 }), dataset });
    expect(record.trials).toHaveLength(10);
    expect(record.trials.every((t) => ['done', 'pruned', 'diverged'].includes(t.state))).toBe(true);
    expect(ctx.memory.bytes()).toBe(before);
  });
});

describe('budgets', () => {
  it('stops asking once the samples budget is spent; trials already training finish', async () => {
    const ctx = await gpu();
    const { record } = await runStudy({ ctx, study: study({ budget: { samples: 3000 }, parallel: 2, defaults: { batch_size: 10, units: 8, epochs: 2 } }), dataset });
    // Each trial trains 2 epochs × 14 steps × 10 rows = 280 samples; asking stops past 3000.
    expect(record.trials.length).toBeGreaterThanOrEqual(11);
    expect(record.trials.length).toBeLessThanOrEqual(12);
    expect(record.samplesTrained).toBeGreaterThanOrEqual(3000);
    expect(record.trials.every((t) => t.state === 'done' || t.state === 'diverged')).toBe(true);
  });
});

describe('population-based training', () => {
  const pbt = () =>
    study({
      sampler: { type: 'pbt', population: 4, interval: 7, mutable: ['lr'], quantile: 0.25 },
      space: { lr: { type: 'float', low: 0.001, high: 1, log: true } },
      defaults: { batch_size: 10, units: 8, epochs: 3, optimizer: 'adam' },
      budget: {},
    });

  it('exploits on the device every interval, records each lineage, and is deterministic for a seed', async () => {
    const ctx = await gpu();
    const a = await runStudy({ ctx, study: pbt(), dataset });
    const b = await runStudy({ ctx, study: pbt(), dataset });
    expect(a.record.trials).toHaveLength(4);
    expect(a.record.trials.every((t) => t.state === 'done' && t.stepsDone === 42)).toBe(true);
    const exploits = a.record.trials.flatMap((t) => t.exploits ?? []);
    // Rounds at steps 7 … 35: one exploit each (the bottom quarter of four).
    expect(exploits.map((e) => e.step).sort((x, y) => x - y)).toEqual([7, 14, 21, 28, 35]);
    const exploited = a.record.trials.find((t) => t.exploits?.length)!;
    expect(exploited.config.optimizer.lr).toBe(exploited.exploits!.at(-1)!.params.lr);
    expect(a.record.trials.map((t) => [t.curve, t.epochs, t.exploits])).toEqual(b.record.trials.map((t) => [t.curve, t.epochs, t.exploits]));
  });
});

describe('several objectives', () => {
  it('ranks by the first objective and records the Pareto front of accuracy against device bytes', async () => {
    const ctx = await gpu();
    const s = study({
      space: { lr: { type: 'float', low: 0.003, high: 0.3, log: true }, units: { type: 'categorical', choices: [2, 4, 8, 16] } },
      objective: [{ metric: 'val_accuracy' }, { metric: 'device_bytes' }],
      budget: { trials: 8 },
      defaults: { batch_size: 10, epochs: 2, optimizer: 'adam' },
    });
    const { record } = await runStudy({ ctx, study: s, dataset });
    const objectives = s.objective;
    const done = record.trials.filter((t) => t.state === 'done');
    expect(done.every((t) => t.cost !== undefined && t.values?.length === 2)).toBe(true);
    const front = record.paretoFront!;
    expect(front.length).toBeGreaterThan(0);
    const vals = (i: number) => objectiveValues(record.trials[i]!, objectives)!;
    const dominates = (a: number[], b: number[]) => a[0]! >= b[0]! && a[1]! <= b[1]! && (a[0]! > b[0]! || a[1]! < b[1]!);
    for (const i of front) for (const t of done) expect(dominates(vals(t.index), vals(i))).toBe(false);
    for (const t of done.filter((t) => !front.includes(t.index))) expect(front.some((i) => dominates(vals(i), vals(t.index)))).toBe(true);
  });
});
