// `fusetune check`'s library: every kernel and matmul variant passes its reference comparison on
// this adapter, and the checks leave no buffers behind.
import { expect, it } from 'vitest';
import { selfCheck } from '../../src/kernels/self-check.ts';
import { freshSeed } from '../../src/util/random.ts';
import { gpu } from '../helpers/gpu.ts';

it('every kernel and matmul variant matches its reference on Dawn', async () => {
  const ctx = await gpu();
  const before = ctx.memory.bytes();
  const seed = freshSeed();
  const results = await selfCheck(ctx, seed);
  const kernels = new Set(results.map((r) => r.kernel.split(' ')[0]));
  expect([...kernels].sort()).toEqual(['dense-backward-input', 'dense-backward-weights', 'dense-forward', 'dropout', 'gather', 'optimizer', 'regression-loss', 'softmax-xent']);
  expect(results.filter((r) => !r.ok), `seed ${seed}`).toEqual([]);
  expect(results.every((r) => Number.isFinite(r.relativeError) && r.relativeError >= 0)).toBe(true);
  expect(ctx.memory.bytes()).toBe(before);
});
