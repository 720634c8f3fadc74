// The float64 references themselves, checked against finite differences and hand-computed values
// before any GPU result is compared with them.
import { describe, expect, it } from 'vitest';
import { parameterLayout } from '../../src/model/parameter-layout.ts';
import { dropout, dropoutScale, hashU32, mlpStep, optimizerStep, regressionLoss, softmaxXent, type MlpShape } from '../../src/kernels/reference.ts';
import type { RegressionLoss } from '../../src/model/loss.ts';
import { ACTIVATIONS, optimizerConfig } from '../../src/model/trial-config.ts';
import { Rng, freshSeed } from '../../src/util/random.ts';
import { expectClose } from '../helpers/close.ts';

function mlpLoss(x: Float64Array, labels: Uint32Array, params: Float64Array, shape: MlpShape, T: number, B: number, drop?: { rates: number[]; seeds: number[]; steps: number[] }) {
  return mlpStep(x, labels, params, shape, T, B, drop).loss;
}

describe('reference gradients match finite differences', () => {
  for (const activation of ACTIVATIONS) {
    for (const withDropout of [false, true]) {
      it(`MLP 5-4-3-3, ${activation}${withDropout ? ', dropout 0.3' : ''}`, () => {
        const seed = freshSeed();
        const rng = new Rng(seed);
        const T = 2;
        const B = 3;
        const shape: MlpShape = { widths: [5, 4, 3, 3], activation };
        const { P } = parameterLayout(shape.widths);
        const x = Float64Array.from(rng.floats(T * B * 5));
        const labels = Uint32Array.from({ length: T * B }, () => rng.int(3));
        const params = Float64Array.from(rng.floats(T * P, -0.8, 0.8));
        const drop = withDropout ? { rates: [0.3, 0.3], seeds: [11, 12], steps: [7, 7] } : undefined;
        const { grads } = mlpStep(x, labels, params, shape, T, B, drop);
        const numeric = new Float64Array(T * P);
        const h = 1e-6;
        for (let j = 0; j < T * P; j++) {
          const t = Math.floor(j / P);
          const plus = params.slice();
          plus[j]! += h;
          const minus = params.slice();
          minus[j]! -= h;
          numeric[j] = (mlpLoss(x, labels, plus, shape, T, B, drop)[t]! - mlpLoss(x, labels, minus, shape, T, B, drop)[t]!) / (2 * h);
        }
        // ReLU kinks can make a finite difference straddle the corner; with random inputs that is rare.
        expectClose(grads, numeric, { rtol: 1e-4, atol: 1e-7, label: `seed ${seed}` });
      });
    }
  }
});

describe('regression reference gradients match finite differences', () => {
  const losses: RegressionLoss[] = [{ kind: 'mse' }, { kind: 'huber', delta: 0.5 }];
  for (const loss of losses) {
    it(`MLP 4-5-1, tanh, ${loss.kind}`, () => {
      const seed = freshSeed();
      const rng = new Rng(seed);
      const T = 2;
      const B = 5;
      const shape: MlpShape = { widths: [4, 5, 1], activation: 'tanh' };
      const { P } = parameterLayout(shape.widths);
      const x = Float64Array.from(rng.floats(T * B * 4));
      const targets = Float64Array.from(rng.floats(T * B, -2, 2));
      const params = Float64Array.from(rng.floats(T * P, -0.8, 0.8));
      const { grads } = mlpStep(x, targets, params, shape, T, B, undefined, loss);
      const lossAt = (p: Float64Array, t: number) => mlpStep(x, targets, p, shape, T, B, undefined, loss).loss[t]!;
      const numeric = new Float64Array(T * P);
      const h = 1e-6;
      for (let j = 0; j < T * P; j++) {
        const t = Math.floor(j / P);
        const plus = params.slice();
        plus[j]! += h;
        const minus = params.slice();
        minus[j]! -= h;
        numeric[j] = (lossAt(plus, t) - lossAt(minus, t)) / (2 * h);
      }
      // Huber's kink at |e| = δ can make a difference straddle it; with random inputs that is rare.
      expectClose(grads, numeric, { rtol: 1e-5, atol: 1e-8, label: `seed ${seed}` });
    });
  }

  it('output gradients match finite differences on both sides of Huber’s δ', () => {
    const outputs = [0.1, -0.3, 2.5, -4, 1.25];
    const targets = [0, 0.2, 0, 1, 0.25];
    const loss: RegressionLoss = { kind: 'huber', delta: 1 };
    const r = regressionLoss(outputs, targets, 1, 5, loss);
    const h = 1e-7;
    const numeric = outputs.map((_z, b) => {
      const at = (dz: number) => regressionLoss(outputs.map((v, i) => (i === b ? v + dz : v)), targets, 1, 5, loss).loss[0]!;
      return (at(h) - at(-h)) / (2 * h);
    });
    expectClose(r.doutputs, numeric, { rtol: 1e-6, atol: 1e-8 });
  });
});

describe('regression loss by hand', () => {
  it('squared error: mean e², gradient 2e/B, and the error sums', () => {
    const r = regressionLoss([1, 3, -1], [0, 1, 1], 1, 3, { kind: 'mse' });
    // e = 1, 2, −2
    expect(r.loss[0]).toBeCloseTo(9 / 3, 12);
    expectClose(r.doutputs, [2 / 3, 4 / 3, -4 / 3], { rtol: 1e-12 });
    expect([r.absErr[0], r.sqErr[0], r.rows[0]]).toEqual([5, 9, 3]);
  });

  it('Huber: ½e² inside δ, δ(|e| − ½δ) outside, gradient clamped to ±δ; NaN targets are padding', () => {
    const r = regressionLoss([0.5, 3, 0, 7], [0, 0, 2, NaN], 1, 4, { kind: 'huber', delta: 1 });
    // e = 0.5 → 0.125; e = 3 → 2.5; e = −2 → 1.5; the fourth row is skipped but B stays 4.
    expect(r.loss[0]).toBeCloseTo((0.125 + 2.5 + 1.5) / 4, 12);
    expectClose(r.doutputs, [0.5 / 4, 1 / 4, -1 / 4, 0], { rtol: 1e-12 });
    expect(r.rows[0]).toBe(3);
  });
});

describe('softmax cross-entropy by hand', () => {
  it('equal logits: loss ln C, gradient (1/C − onehot)/B', () => {
    const r = softmaxXent([0, 0, 0, 0], [0, 1], 1, 2, 2);
    expect(r.loss[0]).toBeCloseTo(Math.LN2, 12);
    expectClose(r.dlogits, [-0.25, 0.25, 0.25, -0.25], { rtol: 1e-12 });
    // Ties go to the first maximum: class 0.
    expect(r.correct[0]).toBe(1);
  });

  it('is stable for huge logits', () => {
    const r = softmaxXent([1000, 0, -1000], [0], 1, 1, 3);
    expect(r.loss[0]).toBeCloseTo(0, 12);
    expect(Array.from(r.dlogits).every(Number.isFinite)).toBe(true);
  });
});

describe('dropout mask', () => {
  it('lowbias32 matches hand-computed values', () => {
    expect(hashU32(0)).toBe(0);
    // x=1: x^=0 → 1; x*=0x7feb352d → 0x7feb352d; x^=x>>15; x*=0x846ca68b; x^=x>>16
    let x = 0x7feb352d;
    x ^= x >>> 15;
    x = Math.imul(x, 0x846ca68b) >>> 0;
    x ^= x >>> 16;
    expect(hashU32(1)).toBe(x >>> 0);
  });

  it('drops about a fraction p, keeps the rest scaled by 1/(1−p), and rate 0 is the identity', () => {
    const E = 50_000;
    const y = new Float64Array(E).fill(1);
    const out = dropout(y, { rates: [0.25], seeds: [99], steps: [3], layer: 1 }, 1, E);
    const dropped = out.filter((v) => v === 0).length / E;
    expect(dropped).toBeGreaterThan(0.24);
    expect(dropped).toBeLessThan(0.26);
    expect(out.filter((v) => v !== 0).every((v) => Math.abs(v - 4 / 3) < 1e-12)).toBe(true);
    expect(dropoutScale(1, 2, 3, 4, 0)).toBe(1);
  });

  it('changes with seed, step, layer and element', () => {
    const base = Array.from({ length: 64 }, (_, e) => dropoutScale(5, 1, 0, e, 0.5));
    for (const [seed, step, layer] of [
      [6, 1, 0],
      [5, 2, 0],
      [5, 1, 1],
    ] as const) {
      const other = Array.from({ length: 64 }, (_, e) => dropoutScale(seed, step, layer, e, 0.5));
      expect(other).not.toEqual(base);
    }
  });
});

describe('optimizers by hand', () => {
  const settings = (kind: Parameters<typeof optimizerConfig>[0], o: object = {}) => [{ optimizer: optimizerConfig(kind, 0.1, o), l1: 0, l2: 0 }];
  const one = (kind: Parameters<typeof optimizerConfig>[0], g: number, count = 1, o: object = {}, start = { w: 1, m: 0, v: 0 }) => {
    const params = Float64Array.of(start.w);
    const m = Float64Array.of(start.m);
    const v = Float64Array.of(start.v);
    optimizerStep(params, [g], m, v, settings(kind, o), [{ lr: 0.1, count }], 1, 1);
    return { w: params[0]!, m: m[0]!, v: v[0]! };
  };

  it('SGD: w − lr·g', () => expect(one('sgd', 2).w).toBeCloseTo(0.8, 14));
  it('momentum: first step buf = g, then μ·buf + g', () => {
    expect(one('momentum', 2).m).toBe(2);
    const second = one('momentum', 2, 2, {}, { w: 1, m: 2, v: 0 });
    expect(second.m).toBeCloseTo(3.8, 14);
    expect(second.w).toBeCloseTo(1 - 0.38, 14);
  });
  it('Nesterov: w − lr·(g + μ·buf)', () => expect(one('momentum', 2, 1, { nesterov: true }).w).toBeCloseTo(1 - 0.1 * (2 + 0.9 * 2), 14));
  it('sgd reads momentum, dampening and nesterov as torch.optim.SGD: no dampening on the first step', () => {
    const first = one('sgd', 2, 1, { momentum: 0.9, dampening: 0.5 });
    expect(first.m).toBe(2);
    expect(first.w).toBeCloseTo(0.8, 14);
    const second = one('sgd', 2, 2, { momentum: 0.9, dampening: 0.5 }, { w: 1, m: 2, v: 0 });
    expect(second.m).toBeCloseTo(0.9 * 2 + 0.5 * 2, 14);
    expect(second.w).toBeCloseTo(1 - 0.1 * 2.8, 14);
    expect(one('sgd', 2, 1, { momentum: 0.9, nesterov: true }).w).toBeCloseTo(1 - 0.1 * (2 + 0.9 * 2), 14);
    // Without momentum (the default), sgd keeps no buffer.
    expect(one('sgd', 2, 2, {}, { w: 1, m: 5, v: 0 })).toMatchObject({ w: 0.8, m: 5 });
  });
  it('Adam first step moves by lr·g/(|g| + ε)', () => {
    const r = one('adam', 3);
    expect(r.w).toBeCloseTo(1 - 0.1 * (3 / (3 + 1e-8)), 12);
    expect(r.m).toBeCloseTo(0.3, 14);
    expect(r.v).toBeCloseTo(0.009, 14);
  });
  it('AdamW decays first: w·(1 − lr·wd) − Adam step', () => {
    expect(one('adamw', 3, 1, { weightDecay: 0.5 }).w).toBeCloseTo(1 * (1 - 0.05) - 0.1 * (3 / (3 + 1e-8)), 12);
  });
  it('RMSprop: v = (1−α)·g², w − lr·g/(√v + ε)', () => {
    const r = one('rmsprop', 2);
    expect(r.v).toBeCloseTo(0.01 * 4, 14);
    expect(r.w).toBeCloseTo(1 - 0.1 * (2 / (Math.sqrt(0.04) + 1e-8)), 12);
  });
  it('L1 and L2 add l1·sign(w) + l2·w to weights only', () => {
    const params = Float64Array.of(2, 2);
    optimizerStep(params, [0, 0], new Float64Array(2), new Float64Array(2), [{ optimizer: optimizerConfig('sgd', 1), l1: 0.5, l2: 0.25 }], [{ lr: 1, count: 1 }], 2, 1);
    expect(params[0]).toBeCloseTo(2 - (0.5 + 0.5), 14);
    expect(params[1]).toBe(2);
  });
  it('a NaN gradient leaves the trial untouched and reports it', () => {
    const params = Float64Array.of(1, 1);
    const bad = optimizerStep(params, [NaN, 1], new Float64Array(2), new Float64Array(2), [{ optimizer: optimizerConfig('sgd', 1), l1: 0, l2: 0 }], [{ lr: 1, count: 1 }], 2, 2);
    expect(bad).toEqual([true]);
    expect(Array.from(params)).toEqual([1, 1]);
  });
});
