// shaders/softmax-xent.wgsl against reference.softmaxXent: loss, dlogits, accuracy, accumulation,
// the loss history, evaluation mode with shared labels, and the divergence flag.
import { describe, expect, it } from 'vitest';
import { METRIC_FLOATS, PAD_LABEL } from '../../src/model/structs.ts';
import { createSoftmaxXent } from '../../src/kernels/softmax-xent.ts';
import { softmaxXent } from '../../src/kernels/reference.ts';
import { STATUS_DIVERGED, STEP_NONE } from '../../src/kernels/trial-buffers.ts';
import { Rng, freshSeed } from '../../src/util/random.ts';
import { expectClose, expectRelativeError } from '../helpers/close.ts';
import { gpu, runPass, storage } from '../helpers/gpu.ts';
import { oneStep, poisoned, statusBuffer } from '../helpers/kernels.ts';

describe('softmax-xent (training) matches the reference', () => {
  for (const { T, B, C } of [
    { T: 3, B: 7, C: 5 },
    { T: 2, B: 130, C: 10 },
  ]) {
    it(`T=${T} B=${B} C=${C}`, async () => {
      const ctx = await gpu();
      const seed = freshSeed();
      const rng = new Rng(seed);
      const owner = 'xent-test';
      const logits = rng.floats(T * B * C, -6, 6);
      const labels = Uint32Array.from({ length: T * B }, () => rng.int(C));
      const slot = 2;
      const slots = 4;
      // Accumulators start from earlier values: the kernel adds to them.
      const start = Float32Array.from({ length: T * METRIC_FLOATS }, (_, i) => (i % METRIC_FLOATS === 3 ? 0 : i + 1));
      const metrics = storage(ctx, `${owner}/metrics`, start);
      const history = poisoned(ctx, `${owner}/history`, slots * T);
      const dlogits = poisoned(ctx, `${owner}/dz`, T * B * C);
      const status = statusBuffer(ctx, owner, T);
      const ring = oneStep(ctx, owner, T, { slot }, Array.from({ length: T }, () => ({ count: 18 })));
      const kernel = await createSoftmaxXent(ctx, true);
      const bound = kernel.bind(
        owner,
        { logits: storage(ctx, `${owner}/z`, logits), labels: storage(ctx, `${owner}/y`, labels), dlogits, metrics, history, status, stepGroup: ring.bindGroup },
        { T, B, C },
      );
      await runPass(ctx, (pass) => kernel.encode(pass, bound, ring.offset(0)));
      const want = softmaxXent(logits, labels, T, B, C);
      const got = await ctx.memory.readF32(dlogits);
      expectRelativeError(got, want.dlogits, 1e-4, `dlogits seed ${seed}`);
      const m = await ctx.memory.readF32(metrics);
      const h = await ctx.memory.readF32(history);
      const flags = await ctx.memory.readU32(status);
      ctx.memory.freePrefix(owner);
      for (let t = 0; t < T; t++) {
        const at = t * METRIC_FLOATS;
        expectClose([m[at]! - start[at]!], [want.loss[t]! * B], { rtol: 1e-4, atol: 1e-3, label: `loss sum t${t}` });
        expect(m[at + 1]! - start[at + 1]!).toBe(want.correct[t]);
        expect(m[at + 2]! - start[at + 2]!).toBe(B);
        expectClose([m[at + 3]!], [want.loss[t]!], { rtol: 1e-5, label: `last loss t${t}` });
        expectClose([h[slot * T + t]!], [want.loss[t]!], { rtol: 1e-5, label: `history t${t}` });
        expect(flags[2 * t]).toBe(0);
      }
      // Only this step's row of the history is written.
      expect(Array.from(h).filter((_v, i) => Math.floor(i / T) !== slot).every(Number.isNaN)).toBe(true);
    });
  }
});

it('evaluation mode reads labels shared by all trials, skips padding rows and writes no gradient', async () => {
  const ctx = await gpu();
  const rng = new Rng(freshSeed());
  const T = 3;
  const B = 50;
  const C = 4;
  const owner = 'xent-eval';
  const logits = rng.floats(T * B * C, -3, 3);
  // The data set's labels: the batch starts at row 5 of a longer array.
  const allLabels = Uint32Array.from({ length: 80 }, () => rng.int(C));
  // Rows 7 and 49 of the chunk are padding.
  allLabels[5 + 7] = PAD_LABEL;
  allLabels[5 + 49] = PAD_LABEL;
  const metrics = storage(ctx, `${owner}/metrics`, new Float32Array(2 * T * METRIC_FLOATS));
  const dlogits = poisoned(ctx, `${owner}/dz`, 4);
  const ring = oneStep(ctx, owner, T, {});
  const kernel = await createSoftmaxXent(ctx, false);
  const bound = kernel.bind(
    owner,
    {
      logits: storage(ctx, `${owner}/z`, logits),
      labels: storage(ctx, `${owner}/y`, allLabels),
      dlogits,
      metrics,
      history: poisoned(ctx, `${owner}/h`, 4),
      status: statusBuffer(ctx, owner, T),
      stepGroup: ring.bindGroup,
    },
    { T, B, C, labelBase: 5, labelTrial: 0, metricsBase: T * METRIC_FLOATS },
  );
  await runPass(ctx, (pass) => kernel.encode(pass, bound, 0));
  const m = await ctx.memory.readF32(metrics);
  const dz = await ctx.memory.readF32(dlogits);
  ctx.memory.freePrefix(owner);
  const shared = Uint32Array.from({ length: T * B }, (_, i) => allLabels[5 + (i % B)]!);
  const want = softmaxXent(logits, shared, T, B, C);
  for (let t = 0; t < T; t++) {
    const at = T * METRIC_FLOATS + t * METRIC_FLOATS;
    expectClose([m[at]!], [want.loss[t]! * B], { rtol: 1e-4, label: `eval loss t${t}` });
    expect(m[at + 1]).toBe(want.correct[t]);
    expect(m[at + 2]).toBe(B - 2);
  }
  expect(Array.from(m.subarray(0, T * METRIC_FLOATS)).every((v) => v === 0)).toBe(true);
  expect(Array.from(dz).every(Number.isNaN)).toBe(true);
});

it('flags a trial whose loss is NaN as diverged at this step, and only that trial', async () => {
  const ctx = await gpu();
  const rng = new Rng(freshSeed());
  const T = 3;
  const B = 6;
  const C = 3;
  const owner = 'xent-nan';
  const logits = rng.floats(T * B * C);
  logits[B * C + 4] = NaN;
  const status = statusBuffer(ctx, owner, T);
  const ring = oneStep(ctx, owner, T, {}, Array.from({ length: T }, (_, t) => ({ count: 124 + t })));
  const kernel = await createSoftmaxXent(ctx, true);
  const dlogits = poisoned(ctx, `${owner}/dz`, T * B * C);
  const bound = kernel.bind(
    owner,
    {
      logits: storage(ctx, `${owner}/z`, logits),
      labels: storage(ctx, `${owner}/y`, Uint32Array.from({ length: T * B }, () => rng.int(C))),
      dlogits,
      metrics: storage(ctx, `${owner}/m`, new Float32Array(T * METRIC_FLOATS)),
      history: storage(ctx, `${owner}/h`, new Float32Array(T)),
      status,
      stepGroup: ring.bindGroup,
    },
    { T, B, C },
  );
  await runPass(ctx, (pass) => kernel.encode(pass, bound, 0));
  const flags = await ctx.memory.readU32(status);
  const dz = await ctx.memory.readF32(dlogits);
  ctx.memory.freePrefix(owner);
  expect(Array.from(flags)).toEqual([0, STEP_NONE, STATUS_DIVERGED, 124, 0, STEP_NONE]);
  expect(Array.from(dz.subarray(0, B * C)).every(Number.isFinite)).toBe(true);
  expect(Array.from(dz.subarray(2 * B * C)).every(Number.isFinite)).toBe(true);
});
