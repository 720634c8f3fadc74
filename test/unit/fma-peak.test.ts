// shaders/fma-peak.wgsl (the compute-ceiling probe) against the closed form of its FMA chains.
import { expect, it } from 'vitest';
import { createFmaPeak, PEAK_A, PEAK_B } from '../../src/kernels/fma-peak.ts';
import { fmaPeak } from '../../src/kernels/reference.ts';
import { expectRelativeError } from '../helpers/close.ts';
import { gpu, runPass } from '../helpers/gpu.ts';
import { poisoned } from '../helpers/kernels.ts';

it('fma-peak computes every chain, for an awkward invocation count', async () => {
  const ctx = await gpu();
  const n = 1000; // not a multiple of the 64-wide workgroup
  for (const iters of [0, 1, 257]) {
    const out = poisoned(ctx, 'peak-test/out', 4 * (n + 2));
    const kernel = await createFmaPeak(ctx);
    const bound = kernel.bind('peak-test', out, n, iters);
    await runPass(ctx, (pass) => kernel.encode(pass, bound));
    const got = await ctx.memory.readF32(out);
    expectRelativeError(got.subarray(0, 4 * n), fmaPeak(n, iters, PEAK_A, PEAK_B), 1e-5, `iters ${iters}`);
    expect(Array.from(got.subarray(4 * n)).every(Number.isNaN)).toBe(true);
    ctx.memory.freePrefix('peak-test/');
  }
});
