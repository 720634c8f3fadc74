// shaders/dense-backward-input.wgsl and dense-backward-weights.wgsl against the references
// (themselves checked against finite differences in reference.test.ts).
import { describe, it } from 'vitest';
import { createDenseBackwardInput } from '../../src/kernels/dense-backward-input.ts';
import { createDenseBackwardWeights } from '../../src/kernels/dense-backward-weights.ts';
import { activate, denseBackwardInput, denseBackwardWeights } from '../../src/kernels/reference.ts';
import { ACTIVATIONS } from '../../src/model/trial-config.ts';
import { Rng, freshSeed } from '../../src/util/random.ts';
import { expectRelativeError } from '../helpers/close.ts';
import { gpu, runPass, storage } from '../helpers/gpu.ts';
import { oneStep, poisoned, trialsBuffer } from '../helpers/kernels.ts';

const SHAPES = [
  { T: 3, B: 7, I: 13, O: 5 },
  { T: 2, B: 70, I: 130, O: 67 },
];

describe('dense-backward-input matches the reference', () => {
  for (const shape of SHAPES) {
    for (const act of ACTIVATIONS) {
      for (const withDropout of [false, true]) {
        it(`${act}${withDropout ? ' + dropout' : ''} T=${shape.T} B=${shape.B} I=${shape.I} O=${shape.O}`, async () => {
          const ctx = await gpu();
          const seed = freshSeed();
          const rng = new Rng(seed);
          const { T, B, I, O } = shape;
          const wBase = 5;
          const P = wBase + I * O + O + 3;
          const owner = 'dbi-test';
          const dz = rng.floats(T * B * O);
          const params = rng.floats(T * P, -0.5, 0.5);
          // Stored activations are outputs of the activation, so feed act(random).
          const yPrev = Float32Array.from(rng.floats(T * B * I, -2, 2), (z) => activate(z, act));
          const rates = Array.from({ length: T }, (_, t) => (withDropout ? [0.5, 0, 0.2][t % 3]! : 0));
          const seeds = Array.from({ length: T }, () => rng.u32());
          // Each trial at its own step (a refilled slot is behind the others): masks follow the trial's step.
          const steps = Array.from({ length: T }, (_, t) => 41 + 17 * t);
          const layer = 2;
          const ring = oneStep(ctx, owner, T, {}, steps.map((step) => ({ count: step + 1 })));
          const out = poisoned(ctx, `${owner}/out`, T * B * I);
          const kernel = await createDenseBackwardInput(ctx, act, withDropout);
          const bound = kernel.bind(
            owner,
            {
              dz: storage(ctx, `${owner}/dz`, dz),
              params: storage(ctx, `${owner}/p`, params),
              dzPrev: out,
              yPrev: storage(ctx, `${owner}/y`, yPrev),
              trials: trialsBuffer(ctx, owner, rates.map((dropout, t) => ({ dropout, seed: seeds[t]! }))),
              stepGroup: ring.bindGroup,
            },
            { T, B, I, O, P, wBase, prevLayer: layer },
          );
          await runPass(ctx, (pass) => kernel.encode(pass, bound, ring.offset(0)));
          const got = await ctx.memory.readF32(out);
          const want = denseBackwardInput(dz, params, yPrev, { T, B, I, O, P, wBase, bBase: 0 }, act, withDropout ? { rates, seeds, steps, layer } : undefined);
          ctx.memory.freePrefix(owner);
          expectRelativeError(got, want, 1e-4, `seed ${seed}`);
        });
      }
    }
  }
});

describe('dense-backward-weights matches the reference', () => {
  for (const shape of SHAPES) {
    it(`dW and db, T=${shape.T} B=${shape.B} I=${shape.I} O=${shape.O}`, async () => {
      const ctx = await gpu();
      const seed = freshSeed();
      const rng = new Rng(seed);
      const { T, B, I, O } = shape;
      const wBase = 2;
      const bBase = wBase + I * O + 4;
      const P = bBase + O + 1;
      const owner = 'dbw-test';
      const x = rng.floats(T * B * I);
      const dz = rng.floats(T * B * O);
      // Poison all of grads: the parts outside dW and db must stay NaN, the rest must be written.
      const grads = poisoned(ctx, `${owner}/grads`, T * P);
      const kernel = await createDenseBackwardWeights(ctx);
      const bound = kernel.bind(owner, { x: storage(ctx, `${owner}/x`, x), dz: storage(ctx, `${owner}/dz`, dz), grads }, { T, B, I, O, P, wBase, bBase });
      await runPass(ctx, (pass) => kernel.encode(pass, bound));
      const got = await ctx.memory.readF32(grads);
      const want = denseBackwardWeights(x, dz, { T, B, I, O, P, wBase, bBase }, new Float64Array(T * P).fill(NaN));
      ctx.memory.freePrefix(owner);
      const pick = (a: ArrayLike<number>, from: number, n: number) => Array.from({ length: T }, (_, t) => Array.from({ length: n }, (_, i) => a[t * P + from + i]!)).flat();
      expectRelativeError(pick(got, wBase, I * O), pick(want, wBase, I * O), 1e-4, `dW seed ${seed}`);
      expectRelativeError(pick(got, bBase, O), pick(want, bBase, O), 1e-4, `db seed ${seed}`);
      const untouched = [...pick(got, 0, wBase), ...pick(got, wBase + I * O, bBase - wBase - I * O), ...pick(got, bBase + O, P - bBase - O)];
      if (!untouched.every(Number.isNaN)) throw new Error('dense-backward-weights wrote outside dW and db');
    });
  }
});
