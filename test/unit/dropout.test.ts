// shaders/dropout.wgsl against reference.dropout: the same mask bit for bit, per-trial rates,
// rate 0 an exact identity.
import { expect, it } from 'vitest';
import { createDropout } from '../../src/kernels/dropout.ts';
import { dropout } from '../../src/kernels/reference.ts';
import { Rng, freshSeed } from '../../src/util/random.ts';
import { expectRelativeError } from '../helpers/close.ts';
import { gpu, runPass, storage } from '../helpers/gpu.ts';
import { oneStep, poisoned, trialsBuffer } from '../helpers/kernels.ts';

it('dropout matches the reference mask, and rate 0 copies exactly', async () => {
  const ctx = await gpu();
  const seed = freshSeed();
  const rng = new Rng(seed);
  const T = 3;
  const B = 37;
  const W = 29;
  const E = B * W;
  const owner = 'dropout-test';
  const y = rng.floats(T * E, -2, 2);
  const rates = [0.5, 0, 0.13];
  const seeds = [rng.u32(), rng.u32(), rng.u32()];
  // Each trial at its own step: trial 2 was refilled into its slot much later than the others.
  const steps = [9, 9, 1];
  const layer = 1;
  const ring = oneStep(ctx, owner, T, {}, steps.map((step) => ({ count: step + 1 })));
  const out = poisoned(ctx, `${owner}/out`, T * E);
  const kernel = await createDropout(ctx);
  const bound = kernel.bind(
    owner,
    {
      y: storage(ctx, `${owner}/y`, y),
      out,
      trials: trialsBuffer(ctx, owner, rates.map((r, t) => ({ dropout: r, seed: seeds[t]! }))),
      stepGroup: ring.bindGroup,
    },
    { T, B, W, layer },
  );
  await runPass(ctx, (pass) => kernel.encode(pass, bound, 0));
  const got = await ctx.memory.readF32(out);
  ctx.memory.freePrefix(owner);
  const want = dropout(y, { rates, seeds, steps, layer }, T, E);
  // Same mask: zeros in the same places.
  const zeroGot = Array.from(got, (v) => v === 0);
  const zeroWant = Array.from(want, (v) => v === 0);
  expect(zeroGot, `seed ${seed}`).toEqual(zeroWant);
  expectRelativeError(got, want, 1e-6, `seed ${seed}`);
  // Trial 1 has rate 0: bit-identical copy.
  expect(Array.from(got.subarray(E, 2 * E))).toEqual(Array.from(y.subarray(E, 2 * E)));
  const dropped = zeroWant.slice(0, E).filter(Boolean).length / E;
  expect(dropped).toBeGreaterThan(0.4);
  expect(dropped).toBeLessThan(0.6);
});
