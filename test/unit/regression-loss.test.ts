// shaders/regression-loss.wgsl against reference.regressionLoss: loss, doutputs, the error sums,
// accumulation, the loss history, evaluation mode with shared targets and padding rows, and the
// divergence flag; squared error and Huber.
import { describe, expect, it } from 'vitest';
import type { RegressionLoss } from '../../src/model/loss.ts';
import { METRIC_FLOATS, PAD_LABEL } from '../../src/model/structs.ts';
import { createRegressionLoss } from '../../src/kernels/regression-loss.ts';
import { regressionLoss } from '../../src/kernels/reference.ts';
import { STATUS_DIVERGED, STEP_NONE } from '../../src/kernels/trial-buffers.ts';
import { Rng, freshSeed } from '../../src/util/random.ts';
import { expectClose, expectRelativeError } from '../helpers/close.ts';
import { gpu, runPass, storage } from '../helpers/gpu.ts';
import { oneStep, poisoned, statusBuffer } from '../helpers/kernels.ts';

const LOSSES: RegressionLoss[] = [{ kind: 'mse' }, { kind: 'huber', delta: 0.7 }];

describe('regression-loss (training) matches the reference', () => {
  for (const loss of LOSSES) {
    for (const { T, B } of [
      { T: 3, B: 7 },
      { T: 2, B: 130 },
      { T: 5, B: 1 },
    ]) {
      it(`${loss.kind} T=${T} B=${B}`, async () => {
        const ctx = await gpu();
        const seed = freshSeed();
        const rng = new Rng(seed);
        const owner = 'regression-test';
        const outputs = rng.floats(T * B, -3, 3);
        const targets = rng.floats(T * B, -2, 2);
        const slot = 1;
        const slots = 3;
        // Accumulators start from earlier values: the kernel adds to them.
        const start = Float32Array.from({ length: T * METRIC_FLOATS }, (_, i) => i + 1);
        const metrics = storage(ctx, `${owner}/metrics`, start);
        const history = poisoned(ctx, `${owner}/history`, slots * T);
        const doutputs = poisoned(ctx, `${owner}/dz`, T * B);
        const status = statusBuffer(ctx, owner, T);
        const ring = oneStep(ctx, owner, T, { slot }, Array.from({ length: T }, () => ({ count: 9 })));
        const kernel = await createRegressionLoss(ctx, true, loss);
        const bound = kernel.bind(
          owner,
          { outputs: storage(ctx, `${owner}/z`, outputs), targets: storage(ctx, `${owner}/y`, targets), doutputs, metrics, history, status, stepGroup: ring.bindGroup },
          { T, B },
        );
        await runPass(ctx, (pass) => kernel.encode(pass, bound, ring.offset(0)));
        const want = regressionLoss(outputs, targets, T, B, loss);
        expectRelativeError(await ctx.memory.readF32(doutputs), want.doutputs, 1e-5, `doutputs seed ${seed}`);
        const m = await ctx.memory.readF32(metrics);
        const h = await ctx.memory.readF32(history);
        const flags = await ctx.memory.readU32(status);
        ctx.memory.freePrefix(owner);
        for (let t = 0; t < T; t++) {
          const at = t * METRIC_FLOATS;
          expectClose([m[at]! - start[at]!], [want.loss[t]! * B], { rtol: 1e-4, atol: 1e-4, label: `loss sum t${t} seed ${seed}` });
          expectClose([m[at + 1]! - start[at + 1]!], [want.absErr[t]!], { rtol: 1e-4, atol: 1e-4, label: `abs sum t${t}` });
          expect(m[at + 2]! - start[at + 2]!).toBe(B);
          expectClose([m[at + 3]! - start[at + 3]!], [want.sqErr[t]!], { rtol: 1e-4, atol: 1e-4, label: `sq sum t${t}` });
          expectClose([h[slot * T + t]!], [want.loss[t]!], { rtol: 1e-5, atol: 1e-7, label: `history t${t}` });
          expect(flags[2 * t]).toBe(0);
        }
        // Only this step's row of the history is written.
        expect(Array.from(h).filter((_v, i) => Math.floor(i / T) !== slot).every(Number.isNaN)).toBe(true);
      });
    }
  }

  it('Huber: both regimes occur in the random inputs, and the loss differs from MSE where |e| > δ', () => {
    const rng = new Rng(freshSeed());
    const outputs = rng.floats(200, -3, 3);
    const targets = rng.floats(200, -2, 2);
    const delta = 0.7;
    const errors = Array.from(outputs, (z, i) => Math.abs(z - targets[i]!));
    expect(errors.some((e) => e < delta) && errors.some((e) => e > delta)).toBe(true);
    const huber = regressionLoss(outputs, targets, 1, 200, { kind: 'huber', delta });
    const mse = regressionLoss(outputs, targets, 1, 200, { kind: 'mse' });
    expect(huber.loss[0]).toBeLessThan(mse.loss[0]! / 2);
    expect(huber.sqErr[0]).toBe(mse.sqErr[0]);
  });
});

it('evaluation mode reads targets shared by all trials, skips padding rows and writes no gradient', async () => {
  const ctx = await gpu();
  const seed = freshSeed();
  const rng = new Rng(seed);
  const T = 3;
  const B = 70;
  const owner = 'regression-eval';
  const outputs = rng.floats(T * B, -2, 2);
  // The data set's targets: the chunk starts at row 5 of a longer array; rows 40 and 69 of the chunk are padding.
  const all = rng.floats(90, -2, 2);
  const bits = new Uint32Array(all.buffer);
  bits[5 + 40] = PAD_LABEL;
  bits[5 + 69] = PAD_LABEL;
  const metrics = storage(ctx, `${owner}/metrics`, new Float32Array(2 * T * METRIC_FLOATS));
  const doutputs = poisoned(ctx, `${owner}/dz`, 4);
  const ring = oneStep(ctx, owner, T, {});
  const loss: RegressionLoss = { kind: 'huber', delta: 1.3 };
  const kernel = await createRegressionLoss(ctx, false, loss);
  const bound = kernel.bind(
    owner,
    { outputs: storage(ctx, `${owner}/z`, outputs), targets: storage(ctx, `${owner}/y`, bits), doutputs, metrics, history: poisoned(ctx, `${owner}/h`, 4), status: statusBuffer(ctx, owner, T), stepGroup: ring.bindGroup },
    { T, B, targetBase: 5, targetTrial: 0, metricsBase: T * METRIC_FLOATS },
  );
  await runPass(ctx, (pass) => kernel.encode(pass, bound, 0));
  const m = await ctx.memory.readF32(metrics);
  const dz = await ctx.memory.readF32(doutputs);
  ctx.memory.freePrefix(owner);
  const shared = Float32Array.from({ length: T * B }, (_, i) => all[5 + (i % B)]!);
  expect(Number.isNaN(shared[40])).toBe(true);
  const want = regressionLoss(outputs, shared, T, B, loss);
  for (let t = 0; t < T; t++) {
    const at = T * METRIC_FLOATS + t * METRIC_FLOATS;
    expectClose([m[at]!, m[at + 1]!, m[at + 3]!], [want.loss[t]! * B, want.absErr[t]!, want.sqErr[t]!], { rtol: 1e-4, atol: 1e-4, label: `eval sums t${t} seed ${seed}` });
    expect(m[at + 2]).toBe(B - 2);
  }
  expect(Array.from(m.subarray(0, T * METRIC_FLOATS)).every((v) => v === 0)).toBe(true);
  expect(Array.from(dz).every(Number.isNaN)).toBe(true);
});

it('flags a trial whose loss is Inf or NaN as diverged at this step, and only that trial', async () => {
  const ctx = await gpu();
  const rng = new Rng(freshSeed());
  const T = 4;
  const B = 9;
  const owner = 'regression-nan';
  const outputs = rng.floats(T * B);
  // Trial 1 overflows float32 when squared; trial 3 has a NaN output.
  outputs[B + 4] = 3e19;
  outputs[3 * B + 8] = NaN;
  const status = statusBuffer(ctx, owner, T);
  const ring = oneStep(ctx, owner, T, {}, Array.from({ length: T }, (_, t) => ({ count: 40 + t })));
  const kernel = await createRegressionLoss(ctx, true, { kind: 'mse' });
  const doutputs = poisoned(ctx, `${owner}/dz`, T * B);
  const bound = kernel.bind(
    owner,
    {
      outputs: storage(ctx, `${owner}/z`, outputs),
      targets: storage(ctx, `${owner}/y`, rng.floats(T * B)),
      doutputs,
      metrics: storage(ctx, `${owner}/m`, new Float32Array(T * METRIC_FLOATS)),
      history: storage(ctx, `${owner}/h`, new Float32Array(T)),
      status,
      stepGroup: ring.bindGroup,
    },
    { T, B },
  );
  await runPass(ctx, (pass) => kernel.encode(pass, bound, 0));
  const flags = await ctx.memory.readU32(status);
  const dz = await ctx.memory.readF32(doutputs);
  ctx.memory.freePrefix(owner);
  expect(Array.from(flags)).toEqual([0, STEP_NONE, STATUS_DIVERGED, 40, 0, STEP_NONE, STATUS_DIVERGED, 42]);
  expect(Array.from(dz.subarray(0, B)).every(Number.isFinite)).toBe(true);
  expect(Array.from(dz.subarray(2 * B, 3 * B)).every(Number.isFinite)).toBe(true);
});
