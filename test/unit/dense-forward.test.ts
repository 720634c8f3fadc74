// shaders/dense-forward.wgsl against reference.denseForward: every activation, awkward shapes,
// parameter offsets, a shared input, every matmul variant, and trial independence.
import { describe, expect, it } from 'vitest';
import { createDenseForward } from '../../src/kernels/dense-forward.ts';
import { denseForward } from '../../src/kernels/reference.ts';
import { MATMUL_VARIANTS } from '../../src/kernels/shaders.ts';
import { ACTIVATIONS, type Activation } from '../../src/model/trial-config.ts';
import { Rng, freshSeed } from '../../src/util/random.ts';
import { expectRelativeError } from '../helpers/close.ts';
import { gpu, runPass, storage } from '../helpers/gpu.ts';
import { poisoned } from '../helpers/kernels.ts';
import type { MatmulVariant } from '../../src/kernels/shaders.ts';

const SHAPES = [
  { T: 3, B: 7, I: 13, O: 5 },
  { T: 2, B: 70, I: 130, O: 67 },
];

async function check(shape: { T: number; B: number; I: number; O: number }, act: Activation, variant: MatmulVariant = 'reg8x8', sharedX = false) {
  const ctx = await gpu();
  const seed = freshSeed();
  const rng = new Rng(seed);
  const { T, B, I, O } = shape;
  // Awkward offsets inside each trial's parameters: W after 3 floats, b after W and 2 more.
  const wBase = 3;
  const bBase = wBase + I * O + 2;
  const P = bBase + O + 1;
  const xTrial = sharedX ? 0 : B * I;
  const x = rng.floats(sharedX ? B * I : T * B * I);
  const params = rng.floats(T * P, -0.5, 0.5);
  const owner = `dense-forward-test`;
  const kernel = await createDenseForward(ctx, act, variant);
  const y = poisoned(ctx, `${owner}/y`, T * B * O);
  const bound = kernel.bind(owner, { x: storage(ctx, `${owner}/x`, x), params: storage(ctx, `${owner}/p`, params), y }, { T, B, I, O, P, wBase, bBase, xTrial });
  await runPass(ctx, (pass) => kernel.encode(pass, bound));
  const got = await ctx.memory.readF32(y);
  const want = denseForward(x, params, { T, B, I, O, P, wBase, bBase }, act, xTrial);
  ctx.memory.freePrefix(owner);
  expectRelativeError(got, want, 1e-4, `${variant} ${act} ${JSON.stringify(shape)} seed ${seed}`);
  return got;
}

describe('dense-forward matches the reference', () => {
  for (const shape of SHAPES) {
    for (const act of ACTIVATIONS) {
      it(`${act} T=${shape.T} B=${shape.B} I=${shape.I} O=${shape.O}`, () => check(shape, act));
    }
  }
  it('with one input shared by all trials (evaluation)', () => check(SHAPES[1]!, 'relu', 'reg8x8', true));
});

describe('matmul variants match the reference', () => {
  for (const variant of MATMUL_VARIANTS) {
    it(variant, async () => {
      await check(SHAPES[0]!, 'tanh', variant);
      await check(SHAPES[1]!, 'relu', variant);
    });
  }
});

it('a trial computes the same bits alone (T=1) as among others (T=3)', async () => {
  const ctx = await gpu();
  const rng = new Rng(freshSeed());
  const B = 9;
  const I = 17;
  const O = 11;
  const P = I * O + O;
  const x = rng.floats(3 * B * I);
  const params = rng.floats(3 * P, -0.5, 0.5);
  const kernel = await createDenseForward(ctx, 'sigmoid');
  const run = async (T: number, xs: Float32Array, ps: Float32Array) => {
    const y = poisoned(ctx, 'indep/y', T * B * O);
    const bound = kernel.bind('indep', { x: storage(ctx, 'indep/x', xs), params: storage(ctx, 'indep/p', ps), y }, { T, B, I, O, P, wBase: 0, bBase: I * O });
    await runPass(ctx, (pass) => kernel.encode(pass, bound));
    const out = await ctx.memory.readF32(y);
    ctx.memory.freePrefix('indep');
    return out;
  };
  const all = await run(3, x, params);
  const alone = await run(1, x.slice(B * I, 2 * B * I), params.slice(P, 2 * P));
  expect(Array.from(alone)).toEqual(Array.from(all.subarray(B * O, 2 * B * O)));
});
