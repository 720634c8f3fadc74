// The matmul cores added for GPU shapes (tile128, splitk, subgroup) through all three dense kernels
// at a shape past their 128-wide tiles with K tails, trial independence, and features: a core that
// needs `subgroups` is offered and compiled only where the device has it.
import { describe, expect, it } from 'vitest';
import { createDenseBackwardInput } from '../../src/kernels/dense-backward-input.ts';
import { createDenseBackwardWeights } from '../../src/kernels/dense-backward-weights.ts';
import { createDenseForward } from '../../src/kernels/dense-forward.ts';
import { MissingFeatureError } from '../../src/kernels/kernel.ts';
import { activate, denseBackwardInput, denseBackwardWeights, denseForward } from '../../src/kernels/reference.ts';
import { availableMatmulVariants, kernelFeatures, MATMUL_FEATURES, MATMUL_VARIANTS, matmulTile, shaderSource, type MatmulVariant } from '../../src/kernels/shaders.ts';
import { acquireNodeGpu } from '../../src/gpu/node-gpu.ts';
import { Rng, freshSeed } from '../../src/util/random.ts';
import { expectRelativeError } from '../helpers/close.ts';
import { gpu, runPass, storage } from '../helpers/gpu.ts';
import { oneStep, poisoned, trialsBuffer } from '../helpers/kernels.ts';

const NEW_CORES: MatmulVariant[] = ['tile128', 'splitk', 'subgroup'];
/** M and N past 128, K = 45 (tails of 4, 8 and 32), and the transposed products' K = 131 and 129. */
const SHAPE = { T: 2, B: 131, I: 45, O: 129 };

describe('the new cores match the references through every dense kernel', () => {
  for (const variant of NEW_CORES) {
    it(`${variant}: forward, input gradient with dropout, weight and bias gradients`, async () => {
      const ctx = await gpu();
      expect(availableMatmulVariants(ctx.device.features)).toContain(variant);
      const seed = freshSeed();
      const rng = new Rng(seed);
      const { T, B, I, O } = SHAPE;
      const wBase = 3;
      const bBase = wBase + I * O + 1;
      const P = bBase + O + 2;
      const dims = { T, B, I, O, P, wBase, bBase };
      const owner = `cores-${variant}`;
      const x = rng.floats(T * B * I);
      const params = rng.floats(T * P, -0.5, 0.5);

      const forward = await createDenseForward(ctx, 'sigmoid', variant);
      const y = poisoned(ctx, `${owner}/y`, T * B * O);
      const fb = forward.bind(owner, { x: storage(ctx, `${owner}/x`, x), params: storage(ctx, `${owner}/p`, params), y }, dims);
      await runPass(ctx, (pass) => forward.encode(pass, fb));
      expectRelativeError(await ctx.memory.readF32(y), denseForward(x, params, dims, 'sigmoid'), 1e-4, `${variant} forward seed ${seed}`);

      const dz = rng.floats(T * B * O);
      const yPrev = Float32Array.from(rng.floats(T * B * I, -2, 2), (z) => activate(z, 'tanh'));
      const rates = [0.3, 0];
      const seeds = [rng.u32(), rng.u32()];
      const steps = [12, 40];
      const ring = oneStep(ctx, owner, T, {}, steps.map((step) => ({ count: step + 1 })));
      const backwardInput = await createDenseBackwardInput(ctx, 'tanh', true, variant);
      const dzPrev = poisoned(ctx, `${owner}/dzPrev`, T * B * I);
      const trials = trialsBuffer(ctx, owner, rates.map((dropout, t) => ({ dropout, seed: seeds[t]! })));
      const ib = backwardInput.bind(
        owner,
        { dz: storage(ctx, `${owner}/dz`, dz), params: storage(ctx, `${owner}/p2`, params), dzPrev, yPrev: storage(ctx, `${owner}/yPrev`, yPrev), trials, stepGroup: ring.bindGroup },
        { ...dims, prevLayer: 1 },
      );
      await runPass(ctx, (pass) => backwardInput.encode(pass, ib, ring.offset(0)));
      const wantInput = denseBackwardInput(dz, params, yPrev, dims, 'tanh', { rates, seeds, steps, layer: 1 });
      expectRelativeError(await ctx.memory.readF32(dzPrev), wantInput, 1e-4, `${variant} input gradient seed ${seed}`);

      const backwardWeights = await createDenseBackwardWeights(ctx, variant);
      const grads = storage(ctx, `${owner}/grads`, new Float32Array(T * P));
      const wb = backwardWeights.bind(owner, { x: storage(ctx, `${owner}/x2`, x), dz: storage(ctx, `${owner}/dz2`, dz), grads }, dims);
      await runPass(ctx, (pass) => backwardWeights.encode(pass, wb));
      expectRelativeError(await ctx.memory.readF32(grads), denseBackwardWeights(x, dz, dims), 1e-4, `${variant} weight gradient seed ${seed}`);
      ctx.memory.freePrefix(`${owner}/`);
    });
  }
});

describe('trial independence', () => {
  for (const variant of NEW_CORES) {
    it(`${variant}: a trial computes the same bits alone (T=1) as among others (T=3)`, async () => {
      const ctx = await gpu();
      const rng = new Rng(freshSeed());
      const [B, I, O] = [70, 150, 33];
      const P = I * O + O;
      const x = rng.floats(3 * B * I);
      const params = rng.floats(3 * P, -0.5, 0.5);
      const kernel = await createDenseForward(ctx, 'relu', variant);
      const run = async (T: number, xs: Float32Array, ps: Float32Array) => {
        const owner = `indep-${variant}`;
        const y = poisoned(ctx, `${owner}/y`, T * B * O);
        const bound = kernel.bind(owner, { x: storage(ctx, `${owner}/x`, xs), params: storage(ctx, `${owner}/p`, ps), y }, { T, B, I, O, P, wBase: 0, bBase: I * O });
        await runPass(ctx, (pass) => kernel.encode(pass, bound));
        const out = await ctx.memory.readF32(y);
        ctx.memory.freePrefix(`${owner}/`);
        return out;
      };
      const all = await run(3, x, params);
      const alone = await run(1, x.slice(2 * B * I), params.slice(2 * P));
      expect(Array.from(alone)).toEqual(Array.from(all.subarray(2 * B * O)));
    });
  }
});

it('the subgroup core adds the same products in the same order as reg8x8: the same bits on this adapter', async () => {
  const ctx = await gpu();
  const rng = new Rng(freshSeed());
  const [T, B, I, O] = [2, 67, 131, 70];
  const P = I * O + O;
  const x = rng.floats(T * B * I);
  const params = rng.floats(T * P, -0.5, 0.5);
  const out: Float32Array[] = [];
  for (const variant of ['reg8x8', 'subgroup'] as const) {
    const kernel = await createDenseForward(ctx, 'linear', variant);
    const y = poisoned(ctx, 'same-bits/y', T * B * O);
    const bound = kernel.bind('same-bits', { x: storage(ctx, 'same-bits/x', x), params: storage(ctx, 'same-bits/p', params), y }, { T, B, I, O, P, wBase: 0, bBase: I * O });
    await runPass(ctx, (pass) => kernel.encode(pass, bound));
    out.push(await ctx.memory.readF32(y));
    ctx.memory.freePrefix('same-bits/');
  }
  expect(Array.from(out[1]!)).toEqual(Array.from(out[0]!));
});

describe('features', () => {
  it('only the subgroup core needs a feature, and its kernels open with the enable directive', () => {
    expect(MATMUL_FEATURES).toEqual({ subgroup: 'subgroups' });
    expect(kernelFeatures('dense-forward@subgroup')).toEqual(['subgroups']);
    expect(kernelFeatures('dense-forward@splitk')).toEqual([]);
    expect(shaderSource('dense-backward-input@subgroup').startsWith('// Prepended')).toBe(true);
    expect(shaderSource('dense-backward-input@subgroup')).toContain('enable subgroups;');
    expect(shaderSource('dense-backward-input@tile128')).not.toContain('enable subgroups;');
    expect(availableMatmulVariants(new Set<string>())).toEqual(MATMUL_VARIANTS.filter((v) => v !== 'subgroup'));
  });

  it('a device without subgroups is offered no subgroup core, and asking for it names the kernel and the feature', async () => {
    const ctx = await acquireNodeGpu({ withoutFeatures: ['subgroups'] });
    try {
      expect(ctx.device.features.has('subgroups')).toBe(false);
      expect(availableMatmulVariants(ctx.device.features)).not.toContain('subgroup');
      const error = await createDenseForward(ctx, 'relu', 'subgroup').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MissingFeatureError);
      expect((error as Error).message).toBe('kernel dense-forward@subgroup needs the device feature subgroups, which this device does not have');
      // The other cores still compile there.
      await createDenseForward(ctx, 'relu', 'splitk');
    } finally {
      ctx.destroy();
    }
  });

  it('tile constants are read from each core', () => {
    expect(matmulTile('tile128')).toEqual({ tileM: 128, tileN: 128, wgX: 16, wgY: 16 });
    expect(matmulTile('splitk')).toEqual({ tileM: 32, tileN: 32, wgX: 16, wgY: 16 });
    expect(matmulTile('subgroup')).toEqual({ tileM: 64, tileN: 64, wgX: 8, wgY: 8 });
  });
});
