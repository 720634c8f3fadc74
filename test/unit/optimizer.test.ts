// shaders/optimizer.wgsl against reference.optimizerStep: every optimizer in one dispatch over
// several steps, L1/L2 on weights only, frozen trials untouched, and the divergence guard.
import { describe, expect, it } from 'vitest';
import { createOptimizer } from '../../src/kernels/optimizer.ts';
import { optimizerStep, type UpdateSettings } from '../../src/kernels/reference.ts';
import { STATUS_DIVERGED, StepRing, trialParamsOf, trialStepOf } from '../../src/kernels/trial-buffers.ts';
import { optimizerConfig, type TrialConfig } from '../../src/model/trial-config.ts';
import { Rng, freshSeed } from '../../src/util/random.ts';
import { expectRelativeError } from '../helpers/close.ts';
import { gpu, runPass, storage } from '../helpers/gpu.ts';
import { statusBuffer, trialsBuffer } from '../helpers/kernels.ts';

const configs: TrialConfig[] = [
  ['sgd', {}],
  ['sgd', { momentum: 0.9, nesterov: true }],
  ['sgd', { momentum: 0.7, dampening: 0.3 }],
  ['momentum', { momentum: 0.8, dampening: 0.1 }],
  ['momentum', { nesterov: true }],
  ['rmsprop', {}],
  ['rmsprop', { momentum: 0.5 }],
  ['adam', {}],
  ['adamw', { weightDecay: 0.1 }],
].map(([kind, o], t) => ({
  hidden: [],
  activation: 'relu',
  batchSize: 1,
  epochs: 1,
  optimizer: optimizerConfig(kind as never, 0.01 * (t + 1), o as object),
  l1: t % 2 ? 0.003 : 0,
  l2: t % 3 ? 0.02 : 0,
  dropout: 0,
  seed: t,
}));

async function run(T: number, P: number, nWeights: number, params0: Float32Array, gradsPerStep: Float32Array[], frozen: number[] = []) {
  const ctx = await gpu();
  const owner = 'optimizer-test';
  const steps = gradsPerStep.length;
  const params = storage(ctx, `${owner}/params`, params0);
  const grads = storage(ctx, `${owner}/grads`, new Float32Array(T * P));
  const stateM = storage(ctx, `${owner}/m`, new Float32Array(T * P));
  const stateV = storage(ctx, `${owner}/v`, new Float32Array(T * P));
  const statusBuf = statusBuffer(ctx, owner, T);
  const ring = new StepRing(ctx, owner, T, steps);
  for (let s = 0; s < steps; s++) ring.set(s, { slot: s }, configs.slice(0, T).map((c) => trialStepOf(c, s + 1)));
  ring.upload();
  const kernel = await createOptimizer(ctx);
  const bound = kernel.bind(
    owner,
    { params, grads, stateM, stateV, trials: trialsBuffer(ctx, owner, configs.slice(0, T).map((c, t) => ({ ...trialParamsOf(c), frozen: frozen[t] ?? 0 }))), status: statusBuf, stepGroup: ring.bindGroup },
    { T, P, weights: nWeights },
  );
  for (let s = 0; s < steps; s++) {
    ctx.device.queue.writeBuffer(grads, 0, gradsPerStep[s]!);
    await runPass(ctx, (pass) => kernel.encode(pass, bound, ring.offset(s)));
  }
  const out = {
    params: await ctx.memory.readF32(params),
    m: await ctx.memory.readF32(stateM),
    v: await ctx.memory.readF32(stateV),
    status: await ctx.memory.readU32(statusBuf),
  };
  ctx.memory.freePrefix(owner);
  return out;
}

function reference(T: number, P: number, nWeights: number, params0: Float32Array, gradsPerStep: Float32Array[]) {
  const params = Float64Array.from(params0);
  const m = new Float64Array(T * P);
  const v = new Float64Array(T * P);
  const settings: UpdateSettings[] = configs.slice(0, T);
  gradsPerStep.forEach((g, s) => optimizerStep(params, g, m, v, settings, settings.map((c) => ({ lr: c.optimizer.lr, count: s + 1 })), P, nWeights));
  return { params, m, v };
}

describe('optimizer matches torch.optim-style references', () => {
  it('all optimizers, 4 steps, L1/L2 on weights only (P=1036, weights end inside a vec4)', async () => {
    const seed = freshSeed();
    const rng = new Rng(seed);
    const T = configs.length;
    const P = 1036;
    const nWeights = 1001;
    const params0 = rng.floats(T * P);
    const grads = Array.from({ length: 4 }, () => rng.floats(T * P));
    const got = await run(T, P, nWeights, params0, grads);
    const want = reference(T, P, nWeights, params0, grads);
    for (let t = 0; t < T; t++) {
      const slice = (a: ArrayLike<number>) => Array.from({ length: P }, (_, i) => a[t * P + i]!);
      expectRelativeError(slice(got.params), slice(want.params), 1e-5, `${configs[t]!.optimizer.kind} params, seed ${seed}`);
      // The change is what the optimizer computed; compare it too, so a tiny update cannot hide.
      const delta = (a: ArrayLike<number>) => slice(a).map((w, i) => w - params0[t * P + i]!);
      expectRelativeError(delta(got.params), delta(want.params), 1e-3, `${configs[t]!.optimizer.kind} update, seed ${seed}`);
    }
    expect(Array.from(got.status).filter((_, i) => i % 2 === 0)).toEqual(new Array(T).fill(0));
  });

  it('a NaN gradient flags only its trial diverged and leaves the others bit-identical', async () => {
    const rng = new Rng(freshSeed());
    const T = 3;
    const P = 3000;
    const params0 = rng.floats(T * P);
    const grads = Array.from({ length: 2 }, () => rng.floats(T * P));
    const clean = await run(T, P, 250, params0, grads);
    const poisonedGrads = grads.map((g) => g.slice());
    poisonedGrads[1]![P + 17] = NaN;
    const dirty = await run(T, P, 250, params0, poisonedGrads);
    expect(Array.from(dirty.params.subarray(0, P))).toEqual(Array.from(clean.params.subarray(0, P)));
    expect(Array.from(dirty.params.subarray(2 * P))).toEqual(Array.from(clean.params.subarray(2 * P)));
    // The poisoned element keeps its value from before the bad step; no NaN is written.
    const afterFirst = await run(T, P, 250, params0, grads.slice(0, 1));
    expect(dirty.params[P + 17]).toBe(afterFirst.params[P + 17]);
    expect(dirty.status[2]! & STATUS_DIVERGED).toBe(STATUS_DIVERGED);
    expect(dirty.status[3]).toBe(1);
    expect(dirty.status[0]).toBe(0);
    expect(dirty.status[4]).toBe(0);
  });

  it('a trial frozen by the host is not updated', async () => {
    const rng = new Rng(freshSeed());
    const T = 2;
    const P = 52;
    const params0 = rng.floats(T * P);
    const got = await run(T, P, 40, params0, [rng.floats(T * P)], [1, 0]);
    expect(Array.from(got.params.subarray(0, P))).toEqual(Array.from(params0.subarray(0, P)));
    expect(Array.from(got.params.subarray(P))).not.toEqual(Array.from(params0.subarray(P)));
  });
});
