// The fused engine end to end on a tiny data set: a 10-step trajectory against the float64
// reference, trial independence, and divergence isolation.
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.ts';
import { Cohort } from '../../src/engine/cohort.ts';
import { uploadDataset } from '../../src/engine/device-dataset.ts';
import { epochOrder, initialParameters } from '../../src/engine/init.ts';
import { shapeOf } from '../../src/model/cohort-layout.ts';
import { runCohort } from '../../src/engine/train.ts';
import { GpuTimer } from '../../src/gpu/timing.ts';
import { parameterLayout } from '../../src/model/parameter-layout.ts';
import { denseForward, mlpStep, optimizerStep, softmaxXent } from '../../src/kernels/reference.ts';
import { optimizerConfig, type OptimizerKind, type TrialConfig } from '../../src/model/trial-config.ts';
import { Rng } from '../../src/util/random.ts';
import { expectRelativeError } from '../helpers/close.ts';
import { gpu } from '../helpers/gpu.ts';

const F = 5;
const C = 3;

function tinyDataset(seed = 3): Dataset {
  const rng = new Rng(seed);
  const split = { train: 41, validation: 13, test: 11 };
  const n = split.train + split.validation + split.test;
  const x = rng.floats(n * F);
  const y = Uint32Array.from({ length: n }, (_, i) => (x[i * F]! + x[i * F + 1]! > 0 ? 1 : x[i * F + 2]! > 0.3 ? 2 : 0));
  return { name: 'tiny', description: 'tiny test set', task: 'classification', features: F, classes: C, x, y, split };
}

function trial(kind: OptimizerKind, lr: number, seed: number, extra: Partial<TrialConfig> = {}): TrialConfig {
  return { hidden: [7, 4], activation: 'tanh', batchSize: 6, epochs: 2, optimizer: optimizerConfig(kind, lr), l1: 0, l2: 0, dropout: 0, seed, ...extra };
}

/** The same training in float64 from the same initial weights, batch orders and dropout masks. */
function referenceTrajectory(data: Dataset, trials: TrialConfig[], steps: number) {
  const T = trials.length;
  const widths = [F, ...trials[0]!.hidden, C];
  const { P, nWeights } = parameterLayout(widths);
  const B = trials[0]!.batchSize;
  const params = new Float64Array(T * P);
  trials.forEach((t, i) => params.set(initialParameters(widths, t.seed), i * P));
  const m = new Float64Array(T * P);
  const v = new Float64Array(T * P);
  const stepsPerEpoch = Math.floor(data.split.train / B);
  const losses: number[][] = [];
  for (let s = 0; s < steps; s++) {
    const epoch = Math.floor(s / stepsPerEpoch);
    const batch = s % stepsPerEpoch;
    const x = new Float64Array(T * B * F);
    const y = new Uint32Array(T * B);
    trials.forEach((t, i) => {
      const order = epochOrder(t.seed, epoch, data.split.train, B, true);
      for (let b = 0; b < B; b++) {
        const row = order[batch * B + b]!;
        y[i * B + b] = data.y[row]!;
        for (let f = 0; f < F; f++) x[(i * B + b) * F + f] = data.x[row * F + f]!;
      }
    });
    const drop = { rates: trials.map((t) => t.dropout), seeds: trials.map((t) => t.seed), steps: trials.map(() => s) };
    const pass = mlpStep(x, y, params, { widths, activation: trials[0]!.activation }, T, B, drop);
    losses.push(Array.from(pass.loss));
    optimizerStep(params, pass.grads, m, v, trials, trials.map((t) => ({ lr: t.optimizer.lr, count: s + 1 })), P, nWeights);
  }
  return { losses, params, widths, P };
}

async function train(data: Dataset, trials: TrialConfig[], epochs: number, maxSteps?: number) {
  const ctx = await gpu();
  const device = uploadDataset(ctx, data, 'engine-test-data');
  const cohort = await Cohort.create(ctx, { id: 'engine-test', shape: shapeOf(trials[0]!, F, C), trials, data: device, ringSlots: 4 });
  const losses: number[][] = [];
  const result = await runCohort(ctx, cohort, {
    epochs,
    maxSteps,
    timer: new GpuTimer(ctx),
    evaluateTest: true,
    onChunk: (chunk) => {
      for (let s = 0; s < chunk.steps; s++) losses.push(Array.from(chunk.losses.subarray(s * cohort.T, (s + 1) * cohort.T)));
    },
  });
  cohort.destroy();
  ctx.memory.freePrefix('engine-test-data/');
  return { result, losses };
}

describe('engine', () => {
  it('pins a 10-step trajectory of three different trials to the float64 reference', async () => {
    const data = tinyDataset();
    const trials = [trial('adam', 0.01, 1), trial('momentum', 0.05, 2, { l2: 0.01, dropout: 0.3 }), trial('rmsprop', 0.003, 3, { l1: 0.001 })];
    const { result, losses } = await train(data, trials, 2, 10);
    expect(result.stepsDone).toBe(10);
    expect(losses).toHaveLength(10);
    const want = referenceTrajectory(data, trials, 10);
    expectRelativeError(losses.flat(), want.losses.flat(), 1e-4, 'losses');
    expectRelativeError(result.params, want.params, 1e-4, 'final parameters');
    // Validation after the first epoch ran on the reference parameters of step 6 (41 rows / 6 = 6 steps).
    const val = referenceTrajectory(data, trials, 6);
    const valX = data.x.subarray(data.split.train * F, (data.split.train + data.split.validation) * F);
    let h: Float64Array = Float64Array.from(valX);
    const L = val.widths.length - 1;
    const { wBase, bBase } = parameterLayout(val.widths);
    for (let l = 0; l < L; l++) {
      h = denseForward(h, val.params, { T: 3, B: data.split.validation, I: val.widths[l]!, O: val.widths[l + 1]!, P: val.P, wBase: wBase[l]!, bBase: bBase[l]! }, l === L - 1 ? 'linear' : 'tanh', l === 0 ? 0 : undefined);
    }
    const valLabels = data.y.subarray(data.split.train, data.split.train + data.split.validation);
    const xent = softmaxXent(h, valLabels, 3, data.split.validation, C, 0);
    expectRelativeError(result.epochs[0]!.validation.map((r) => r.loss), Array.from(xent.loss), 1e-4, 'validation loss');
    expect(result.epochs[0]!.validation.map((r) => r.accuracy)).toEqual(Array.from(xent.correct, (c) => c / data.split.validation));
    expect(result.test?.every((r) => r.rows === data.split.test)).toBe(true);
  });

  it('a trial trains to the same bits alone as in a cohort of three', async () => {
    const data = tinyDataset(5);
    const trials = [trial('adam', 0.01, 11), trial('sgd', 0.1, 12, { dropout: 0.2 }), trial('adamw', 0.02, 13)];
    const together = await train(data, trials, 2);
    const alone = await train(data, [trials[1]!], 2);
    const P = parameterLayout([F, 7, 4, C]).P;
    expect(Array.from(alone.result.params)).toEqual(Array.from(together.result.params.subarray(P, 2 * P)));
    expect(alone.losses.map((l) => l[0])).toEqual(together.losses.map((l) => l[1]));
  });

  it('a diverging trial is flagged with its step and the others finish exactly as without it', async () => {
    const data = tinyDataset(7);
    const relu = { activation: 'relu' } as const;
    const healthy = [trial('adam', 0.01, 21, relu), trial('momentum', 0.05, 23, relu)];
    // Softmax cross-entropy keeps gradients bounded, so only a huge step overflows float32 for sure.
    const diverging = trial('sgd', 1e25, 22, relu);
    const withIt = await train(data, [healthy[0]!, diverging, healthy[1]!], 2);
    const without = await train(data, healthy, 2);
    expect(withIt.result.status[1]!.diverged).toBe(true);
    expect(withIt.result.status[1]!.divergedStep).toBeGreaterThanOrEqual(0);
    expect(withIt.result.status[1]!.divergedStep).toBeLessThan(5);
    expect(withIt.result.status[0]!.diverged || withIt.result.status[2]!.diverged).toBe(false);
    const P = parameterLayout([F, 7, 4, C]).P;
    const pick = (p: Float32Array, ts: number[]) => ts.flatMap((t) => Array.from(p.subarray(t * P, (t + 1) * P)));
    expect(pick(withIt.result.params, [0, 2])).toEqual(pick(without.result.params, [0, 1]));
    const metrics = (r: typeof withIt, ts: number[]) => r.result.epochs.flatMap((e) => ts.map((t) => [e.validation[t]!.loss, e.validation[t]!.accuracy, e.train[t]!.loss]));
    expect(metrics(withIt, [0, 2])).toEqual(metrics(without, [0, 1]));
  });
});

describe('slot commands', () => {
  it("copySlot gives the target the source's weights and optimizer state bit for bit, on the device; assign starts a slot afresh", async () => {
    const ctx = await gpu();
    const data = tinyDataset(9);
    const device = uploadDataset(ctx, data, 'slots-data');
    const trials = [trial('adam', 0.01, 31), trial('adam', 0.05, 32), trial('rmsprop', 0.003, 33)];
    const cohort = await Cohort.create(ctx, { id: 'slots', shape: shapeOf(trials[0]!, F, C), trials, data: device });
    await runCohort(ctx, cohort, { epochs: 1, timer: new GpuTimer(ctx) });
    const before = [await cohort.readSlotParams(0), await cohort.readSlotState(0)] as const;
    expect(Array.from(before[0])).not.toEqual(Array.from(await cohort.readSlotParams(2)));
    const next = { ...trials[2]!, optimizer: optimizerConfig('adam', 0.02) };
    cohort.copySlot(0, 2, next);
    expect(cohort.slot(2)).toEqual({ config: next, steps: cohort.slot(0).steps, frozen: false });
    expect(Array.from(await cohort.readSlotParams(2))).toEqual(Array.from(before[0]));
    const state = await cohort.readSlotState(2);
    expect(Array.from(state.m)).toEqual(Array.from(before[1].m));
    expect(Array.from(state.v)).toEqual(Array.from(before[1].v));
    // The source is untouched.
    expect(Array.from(await cohort.readSlotParams(0))).toEqual(Array.from(before[0]));
    // assign: the trial's own initial weights, zeroed state, step 0.
    const fresh = trial('adam', 0.01, 77);
    cohort.assign(1, fresh);
    expect(cohort.slot(1)).toEqual({ config: fresh, steps: 0, frozen: false });
    expect(Array.from(await cohort.readSlotParams(1))).toEqual(Array.from(initialParameters([F, 7, 4, C], 77)));
    const zeroed = await cohort.readSlotState(1);
    expect(zeroed.m.every((x) => x === 0) && zeroed.v.every((x) => x === 0)).toBe(true);
    // A trial of another shape or needing state the cohort lacks is refused, naming why.
    expect(() => cohort.assign(1, { ...fresh, hidden: [5] })).toThrow(/shape .* differs/);
    cohort.destroy();
    ctx.memory.freePrefix('slots-data/');
  });
});
