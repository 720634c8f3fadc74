// Runs every kernel on this adapter against its float64 reference: `fusetune check`, and the app's device panel.
import type { GpuContext } from '../gpu/device.ts';
import { optimizerConfig, type Activation, type OptimizerKind } from '../model/trial-config.ts';
import { Rng } from '../util/random.ts';
import { createDenseBackwardInput } from './dense-backward-input.ts';
import { createDenseBackwardWeights } from './dense-backward-weights.ts';
import { createDenseForward } from './dense-forward.ts';
import { createDropout } from './dropout.ts';
import { createGather } from './gather.ts';
import { encodeBound, type BoundKernel } from './kernel.ts';
import { createOptimizer } from './optimizer.ts';
import * as ref from './reference.ts';
import { availableMatmulVariants, preferredMatmulVariant, type MatmulVariant } from './shaders.ts';
import { METRIC_FLOATS } from '../model/structs.ts';
import { createRegressionLoss } from './regression-loss.ts';
import { createSoftmaxXent } from './softmax-xent.ts';
import { TrialParams, type TrialParamsValues } from '../model/structs.ts';
import { freshStatus, StepRing, trialParamsOf, trialStepOf } from './trial-buffers.ts';

export interface CheckResult {
  kernel: string;
  shape: string;
  /** ‖gpu − ref‖ / ‖ref‖ */
  relativeError: number;
  ok: boolean;
}

/** The acceptance bound of the kernel tests. */
export const CHECK_TOLERANCE = 1e-4;

function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    diff += (actual[i]! - expected[i]!) ** 2;
    norm += expected[i]! ** 2;
  }
  const e = norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
  return Number.isNaN(e) ? Infinity : e;
}

/** Awkward sizes (not multiples of any tile) and one that crosses the 64-wide tiles. */
const SHAPES = [
  { T: 3, B: 7, I: 13, O: 5 },
  { T: 2, B: 70, I: 130, O: 67 },
];
/** For the matmul cores also: past the 128-wide tiles in M and N, with K tails for K tiles of 4, 8 and 32. */
const CORE_SHAPES = [...SHAPES, { T: 2, B: 131, I: 45, O: 129 }];

class Bench {
  private n = 0;
  constructor(
    readonly ctx: GpuContext,
    readonly owner: string,
  ) {}
  buffer(data: Float32Array | Uint32Array): GPUBuffer {
    return this.ctx.memory.upload(`${this.owner}/b${this.n++}`, data, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
  }
  out(n: number): GPUBuffer {
    return this.buffer(new Float32Array(n).fill(NaN));
  }
  trials(values: TrialParamsValues[]): GPUBuffer {
    return this.ctx.memory.upload(`${this.owner}/trials${this.n++}`, new Uint8Array(TrialParams.packArray(values)));
  }
  step(T: number, header: Parameters<StepRing['set']>[1], trials: Parameters<StepRing['set']>[2] = []): StepRing {
    const ring = new StepRing(this.ctx, this.owner, T, 1);
    ring.set(0, header, trials.length ? trials : Array.from({ length: T }, () => ({})));
    ring.upload();
    return ring;
  }
  async run(bound: BoundKernel, stepOffset = 0): Promise<void> {
    const encoder = this.ctx.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encodeBound(pass, bound, stepOffset);
    pass.end();
    this.ctx.device.queue.submit([encoder.finish()]);
  }
  read(buffer: GPUBuffer): Promise<Float32Array> {
    return this.ctx.memory.readF32(buffer);
  }
  free(): void {
    this.ctx.memory.freePrefix(`${this.owner}/`);
  }
}

type Check = (b: Bench, rng: Rng) => Promise<CheckResult[]>;

const shapeText = (s: { T: number; B: number; I: number; O: number }) => `T=${s.T} B=${s.B} I=${s.I} O=${s.O}`;
const result = (kernel: string, shape: string, gpu: ArrayLike<number>, want: ArrayLike<number>, tolerance = CHECK_TOLERANCE): CheckResult => {
  const relativeError_ = relativeError(gpu, want);
  return { kernel, shape, relativeError: relativeError_, ok: relativeError_ < tolerance };
};

const ACTS: Activation[] = ['linear', 'relu', 'tanh', 'sigmoid'];
/** The core the engine trains with on this adapter: checked with every activation. */
const trainedWith = (b: Bench) => preferredMatmulVariant(b.ctx.report);
/** Every other core this device can compile (a core needing a missing feature is not built). */
const otherVariants = (b: Bench) => availableMatmulVariants(b.ctx.device.features).filter((v) => v !== trainedWith(b));
const variantText = (b: Bench, v: MatmulVariant) => (v === trainedWith(b) ? '' : ` (${v})`);

const checkForward: Check = async (b, rng) => {
  const out: CheckResult[] = [];
  for (const s of CORE_SHAPES) {
    const main = s === CORE_SHAPES[2] ? [] : ACTS.map((a) => [a, trainedWith(b)] as const);
    for (const [act, variant] of [...main, ...otherVariants(b).map((v) => ['relu', v] as const)]) {
      const P = s.I * s.O + s.O + 3;
      const dims = { ...s, P, wBase: 1, bBase: 1 + s.I * s.O };
      const x = rng.floats(s.T * s.B * s.I);
      const params = rng.floats(s.T * P, -0.5, 0.5);
      const kernel = await createDenseForward(b.ctx, act, variant);
      const y = b.out(s.T * s.B * s.O);
      await b.run(kernel.bind(b.owner, { x: b.buffer(x), params: b.buffer(params), y }, dims));
      out.push(result(`dense-forward ${act}${variantText(b, variant)}`, shapeText(s), await b.read(y), ref.denseForward(x, params, dims, act)));
    }
  }
  return out;
};

const checkBackward: Check = async (b, rng) => {
  const out: CheckResult[] = [];
  const main = ACTS.flatMap((act) => [false, true].map((dropout) => ({ act, dropout, variant: trainedWith(b) })));
  const others = otherVariants(b).map((variant) => ({ act: 'tanh' as Activation, dropout: true, variant }));
  for (const s of CORE_SHAPES) {
    const cases = s === CORE_SHAPES[2] ? [main[3]!, ...others] : [...main, ...others];
    const P = s.I * s.O + s.O + 2;
    const dims = { ...s, P, wBase: 2, bBase: 2 + s.I * s.O };
    for (const { act, dropout, variant } of cases) {
      const dz = rng.floats(s.T * s.B * s.O);
      const params = rng.floats(s.T * P, -0.5, 0.5);
      const yPrev = Float32Array.from(rng.floats(s.T * s.B * s.I, -2, 2), (z) => ref.activate(z, act));
      const rates = Array.from({ length: s.T }, (_, t) => (dropout ? [0.5, 0.2, 0][t % 3]! : 0));
      const seeds = Array.from({ length: s.T }, () => rng.u32());
      const steps = Array.from({ length: s.T }, (_, t) => 5 + 3 * t);
      const ring = b.step(s.T, {}, steps.map((step) => ({ count: step + 1 })));
      const kernel = await createDenseBackwardInput(b.ctx, act, dropout, variant);
      const dzPrev = b.out(s.T * s.B * s.I);
      const trials = b.trials(rates.map((r, t) => ({ dropout: r, seed: seeds[t]! })));
      await b.run(kernel.bind(b.owner, { dz: b.buffer(dz), params: b.buffer(params), dzPrev, yPrev: b.buffer(yPrev), trials, stepGroup: ring.bindGroup }, { ...dims, prevLayer: 1 }));
      const want = ref.denseBackwardInput(dz, params, yPrev, dims, act, dropout ? { rates, seeds, steps, layer: 1 } : undefined);
      out.push(result(`dense-backward-input ${act}${dropout ? ' + dropout' : ''}${variantText(b, variant)}`, shapeText(s), await b.read(dzPrev), want));
    }
    for (const variant of availableMatmulVariants(b.ctx.device.features)) {
      const x = rng.floats(s.T * s.B * s.I);
      const dz = rng.floats(s.T * s.B * s.O);
      const grads = b.buffer(new Float32Array(s.T * P));
      const kernel = await createDenseBackwardWeights(b.ctx, variant);
      await b.run(kernel.bind(b.owner, { x: b.buffer(x), dz: b.buffer(dz), grads }, dims));
      out.push(result(`dense-backward-weights${variantText(b, variant)}`, shapeText(s), await b.read(grads), ref.denseBackwardWeights(x, dz, dims)));
    }
  }
  return out;
};

const checkXentDropoutGather: Check = async (b, rng) => {
  const out: CheckResult[] = [];
  for (const { T, B, C } of [
    { T: 3, B: 7, C: 5 },
    { T: 2, B: 130, C: 10 },
  ]) {
    const logits = rng.floats(T * B * C, -6, 6);
    const labels = Uint32Array.from({ length: T * B }, () => rng.int(C));
    const dlogits = b.out(T * B * C);
    const metrics = b.buffer(new Float32Array(T * METRIC_FLOATS));
    const ring = b.step(T, { slot: 0 }, Array.from({ length: T }, () => ({ count: 2 })));
    const kernel = await createSoftmaxXent(b.ctx, true);
    const bound = kernel.bind(
      b.owner,
      { logits: b.buffer(logits), labels: b.buffer(labels), dlogits, metrics, history: b.out(T), status: b.buffer(freshStatus(T)), stepGroup: ring.bindGroup },
      { T, B, C },
    );
    await b.run(bound);
    const want = ref.softmaxXent(logits, labels, T, B, C);
    const m = await b.read(metrics);
    out.push(result('softmax-xent dlogits', `T=${T} B=${B} C=${C}`, await b.read(dlogits), want.dlogits));
    out.push(result('softmax-xent loss', `T=${T} B=${B} C=${C}`, Array.from({ length: T }, (_, t) => m[t * METRIC_FLOATS]! / B), want.loss));
  }
  {
    const [T, B, W] = [3, 37, 29];
    const y = rng.floats(T * B * W);
    const rates = [0.5, 0, 0.13];
    const seeds = [rng.u32(), rng.u32(), rng.u32()];
    const steps = [9, 0, 1234];
    const ring = b.step(T, {}, steps.map((step) => ({ count: step + 1 })));
    const kernel = await createDropout(b.ctx);
    const out_ = b.out(T * B * W);
    await b.run(kernel.bind(b.owner, { y: b.buffer(y), out: out_, trials: b.trials(rates.map((r, t) => ({ dropout: r, seed: seeds[t]! }))), stepGroup: ring.bindGroup }, { T, B, W, layer: 2 }));
    out.push(result('dropout', `T=${T} B=${B} W=${W}`, await b.read(out_), ref.dropout(y, { rates, seeds, steps, layer: 2 }, T, B * W)));
  }
  {
    const [N, F, T, B, R] = [101, 13, 3, 7, 90];
    const data = rng.floats(N * F);
    const labels = Uint32Array.from({ length: N }, () => rng.int(10));
    const order = new Uint32Array(T * R);
    for (let t = 0; t < T; t++) order.set(rng.shuffle(Uint32Array.from({ length: N }, (_, i) => i)).subarray(0, R), t * R);
    const batches = [4, 0, 11];
    const ring = b.step(T, {}, batches.map((batch) => ({ batch })));
    const kernel = await createGather(b.ctx);
    const x = b.out(T * B * F);
    const yOut = b.buffer(new Uint32Array(T * B));
    await b.run(kernel.bind(b.owner, { data: b.buffer(data), labels: b.buffer(labels), order: b.buffer(order), x, y: yOut, stepGroup: ring.bindGroup }, { T, B, F, R }));
    out.push(result('gather', `T=${T} B=${B} F=${F}`, await b.read(x), ref.gather(data, labels, order, batches, T, B, F, R).x, 1e-7));
  }
  return out;
};

const checkRegressionLoss: Check = async (b, rng) => {
  const out: CheckResult[] = [];
  for (const [loss, T, B] of [
    [{ kind: 'mse' }, 3, 7],
    [{ kind: 'huber', delta: 0.7 }, 2, 130],
  ] as const) {
    const outputs = rng.floats(T * B, -3, 3);
    const targets = rng.floats(T * B, -2, 2);
    const doutputs = b.out(T * B);
    const metrics = b.buffer(new Float32Array(T * METRIC_FLOATS));
    const ring = b.step(T, { slot: 0 }, Array.from({ length: T }, () => ({ count: 2 })));
    const kernel = await createRegressionLoss(b.ctx, true, loss);
    const bound = kernel.bind(
      b.owner,
      { outputs: b.buffer(outputs), targets: b.buffer(targets), doutputs, metrics, history: b.out(T), status: b.buffer(freshStatus(T)), stepGroup: ring.bindGroup },
      { T, B },
    );
    await b.run(bound);
    const want = ref.regressionLoss(outputs, targets, T, B, loss);
    const m = await b.read(metrics);
    out.push(result(`regression-loss ${loss.kind} doutputs`, `T=${T} B=${B}`, await b.read(doutputs), want.doutputs));
    out.push(result(`regression-loss ${loss.kind} loss`, `T=${T} B=${B}`, Array.from({ length: T }, (_, t) => m[t * METRIC_FLOATS]! / B), want.loss));
  }
  return out;
};

const checkOptimizer: Check = async (b, rng) => {
  const kinds: [OptimizerKind, object][] = [
    ['sgd', {}],
    ['sgd', { momentum: 0.9, dampening: 0.2 }],
    ['momentum', { nesterov: true }],
    ['rmsprop', { momentum: 0.5 }],
    ['adam', {}],
    ['adamw', {}],
  ];
  const T = kinds.length;
  const P = 1036;
  const nWeights = 1001;
  const configs = kinds.map(([kind, o], t) => ({
    hidden: [],
    activation: 'relu' as const,
    batchSize: 1,
    epochs: 1,
    optimizer: optimizerConfig(kind, 0.01 * (t + 1), o),
    l1: 0.002,
    l2: 0.01,
    dropout: 0,
    seed: t,
  }));
  const params0 = rng.floats(T * P);
  const steps = [rng.floats(T * P), rng.floats(T * P), rng.floats(T * P)];
  const params = b.buffer(params0);
  const grads = b.buffer(new Float32Array(T * P));
  const ring = new StepRing(b.ctx, b.owner, T, steps.length);
  steps.forEach((_, s) => ring.set(s, { slot: s }, configs.map((c) => trialStepOf(c, s + 1))));
  ring.upload();
  const kernel = await createOptimizer(b.ctx);
  const bound = kernel.bind(
    b.owner,
    { params, grads, stateM: b.buffer(new Float32Array(T * P)), stateV: b.buffer(new Float32Array(T * P)), trials: b.trials(configs.map(trialParamsOf)), status: b.buffer(freshStatus(T)), stepGroup: ring.bindGroup },
    { T, P, weights: nWeights },
  );
  const want = Float64Array.from(params0);
  const m = new Float64Array(T * P);
  const v = new Float64Array(T * P);
  for (let s = 0; s < steps.length; s++) {
    b.ctx.device.queue.writeBuffer(grads, 0, steps[s]!);
    await b.run(bound, ring.offset(s));
    ref.optimizerStep(want, steps[s]!, m, v, configs, configs.map((c) => ({ lr: c.optimizer.lr, count: s + 1 })), P, nWeights);
  }
  const got = await b.read(params);
  // Compare the updates (not the parameters), so a small update cannot hide behind a large weight.
  return configs.map((c, t) => {
    const delta = (a: ArrayLike<number>) => Array.from({ length: P }, (_, i) => a[t * P + i]! - params0[t * P + i]!);
    return result(`optimizer ${c.optimizer.kind}`, `P=${P}, 3 steps`, delta(got), delta(want), 1e-3);
  });
};

/** Every check, each on fresh random inputs from `seed`; buffers are freed afterwards. */
export async function selfCheck(ctx: GpuContext, seed: number, onResult?: (r: CheckResult) => void): Promise<CheckResult[]> {
  const all: CheckResult[] = [];
  for (const check of [checkForward, checkBackward, checkXentDropoutGather, checkRegressionLoss, checkOptimizer]) {
    const bench = new Bench(ctx, 'self-check');
    try {
      for (const r of await check(bench, new Rng(seed))) {
        all.push(r);
        onResult?.(r);
      }
    } finally {
      bench.free();
    }
  }
  return all;
}
