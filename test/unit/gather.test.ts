// shaders/gather.wgsl against reference.gather: each trial's batch in its own row order.
import { expect, it } from 'vitest';
import { createGather } from '../../src/kernels/gather.ts';
import { gather } from '../../src/kernels/reference.ts';
import { Rng, freshSeed } from '../../src/util/random.ts';
import { gpu, runPass, storage } from '../helpers/gpu.ts';
import { oneStep, poisoned } from '../helpers/kernels.ts';

it('gather copies every trial’s rows and labels exactly', async () => {
  const ctx = await gpu();
  const seed = freshSeed();
  const rng = new Rng(seed);
  const N = 101;
  const F = 13;
  const T = 3;
  const B = 7;
  const R = 90;
  // Each trial at its own batch of its own epoch order.
  const batches = [4, 0, 11];
  const owner = 'gather-test';
  const data = rng.floats(N * F);
  const labels = Uint32Array.from({ length: N }, () => rng.int(10));
  const order = new Uint32Array(T * R);
  for (let t = 0; t < T; t++) {
    const perm = rng.shuffle(Uint32Array.from({ length: N }, (_, i) => i));
    order.set(perm.subarray(0, R), t * R);
  }
  const x = poisoned(ctx, `${owner}/x`, T * B * F);
  const y = storage(ctx, `${owner}/yout`, new Uint32Array(T * B).fill(0xdead));
  const ring = oneStep(ctx, owner, T, {}, batches.map((batch) => ({ batch })));
  const kernel = await createGather(ctx);
  const bound = kernel.bind(
    owner,
    {
      data: storage(ctx, `${owner}/data`, data),
      labels: storage(ctx, `${owner}/labels`, labels),
      order: storage(ctx, `${owner}/order`, order),
      x,
      y,
      stepGroup: ring.bindGroup,
    },
    { T, B, F, R },
  );
  await runPass(ctx, (pass) => kernel.encode(pass, bound, 0));
  const want = gather(data, labels, order, batches, T, B, F, R);
  expect(Array.from(await ctx.memory.readF32(x)), `seed ${seed}`).toEqual(Array.from(want.x, Math.fround));
  expect(Array.from(await ctx.memory.readU32(y))).toEqual(Array.from(want.y));
  ctx.memory.freePrefix(owner);
});
