// shaders/copy.wgsl against its reference (identity) at an awkward size, the output poisoned first.
import { expect, it } from 'vitest';
import { createCopy } from '../../src/kernels/copy.ts';
import { Rng, freshSeed } from '../../src/util/random.ts';
import { gpu, runPass, storage } from '../helpers/gpu.ts';

it('copy moves every element and nothing past the end', async () => {
  const ctx = await gpu();
  const seed = freshSeed();
  const rng = new Rng(seed);
  const n = 4 * 1237; // not a multiple of the 256-wide workgroup
  const src = storage(ctx, 'copy-test/src', rng.floats(n));
  const dst = storage(ctx, 'copy-test/dst', new Float32Array(n + 8).fill(NaN));
  const copy = await createCopy(ctx);
  const binding = copy.bind('copy-test', src, dst, n);
  await runPass(ctx, (pass) => copy.encode(pass, binding));
  const out = await ctx.memory.readF32(dst);
  const expected = await ctx.memory.readF32(src);
  expect(Array.from(out.subarray(0, n)), `seed ${seed}`).toEqual(Array.from(expected));
  expect(out.subarray(n).every(Number.isNaN)).toBe(true);
  ctx.memory.freePrefix('copy-test');
});
