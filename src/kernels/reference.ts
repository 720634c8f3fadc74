// Plain float64 TypeScript twins of every kernel, argument order as in the kernels' bindings.
// Shape key: T = trials, B = batch rows, I = inputs, O = outputs, C = classes, F = features,
// P = floats of one trial's parameters (weights [I][O] row-major at wBase, bias [O] at bBase).
// The tests compare the GPU with these; these are checked against finite differences first.
import { regressionLossOf, type RegressionLoss } from '../model/loss.ts';
import { parameterLayout, type DenseShape } from '../model/parameter-layout.ts';
import { PAD_LABEL } from '../model/structs.ts';
import type { Activation, OptimizerConfig } from '../model/trial-config.ts';

type Numbers = ArrayLike<number>;

// ---- activations -------------------------------------------------------------------------

export function activate(z: number, act: Activation): number {
  switch (act) {
    case 'relu':
      return Math.max(z, 0);
    case 'tanh':
      return Math.tanh(z);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-z));
    default:
      return z;
  }
}

/** act'(z) written through the output y = act(z), as the kernels compute it. */
export function activationGrad(y: number, act: Activation): number {
  switch (act) {
    case 'relu':
      return y > 0 ? 1 : 0;
    case 'tanh':
      return 1 - y * y;
    case 'sigmoid':
      return y * (1 - y);
    default:
      return 1;
  }
}

// ---- dense layer ---------------------------------------------------------------------------


/** Y[t] = act(X[t] · W[t] + b[t]); `xTrial` 0 shares one X among the trials. */
export function denseForward(x: Numbers, params: Numbers, s: DenseShape, act: Activation, xTrial = s.B * s.I): Float64Array {
  const { T, B, I, O, P, wBase, bBase } = s;
  const y = new Float64Array(T * B * O);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      for (let o = 0; o < O; o++) {
        let z = params[t * P + bBase + o]!;
        for (let i = 0; i < I; i++) z += x[t * xTrial + b * I + i]! * params[t * P + wBase + i * O + o]!;
        y[(t * B + b) * O + o] = activate(z, act);
      }
    }
  }
  return y;
}

export interface DropoutSpec {
  /** Per-trial rate and seed. */
  rates: Numbers;
  seeds: Numbers;
  /** Per trial: its own step (count − 1), which seeds its masks. */
  steps: Numbers;
  layer: number;
}

/** dZp[t] = (dZ[t] · W[t]ᵀ) ⊙ dropout scale ⊙ act'(Yp[t]). */
export function denseBackwardInput(
  dz: Numbers,
  params: Numbers,
  yPrev: Numbers,
  s: DenseShape,
  prevAct: Activation,
  dropout?: DropoutSpec,
): Float64Array {
  const { T, B, I, O, P, wBase } = s;
  const out = new Float64Array(T * B * I);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < I; i++) {
        let g = 0;
        for (let o = 0; o < O; o++) g += dz[(t * B + b) * O + o]! * params[t * P + wBase + i * O + o]!;
        const element = b * I + i;
        if (dropout) g *= dropoutScale(dropout.seeds[t]!, dropout.steps[t]!, dropout.layer, element, dropout.rates[t]!);
        const at = t * B * I + element;
        out[at] = g * activationGrad(yPrev[at]!, prevAct);
      }
    }
  }
  return out;
}

/** dW[t] = X[t]ᵀ · dZ[t] and db[t] = Σ_rows dZ[t], written into a grads array laid out like params. */
export function denseBackwardWeights(x: Numbers, dz: Numbers, s: DenseShape, grads = new Float64Array(s.T * s.P)): Float64Array {
  const { T, B, I, O, P, wBase, bBase } = s;
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < I; i++) {
      for (let o = 0; o < O; o++) {
        let g = 0;
        for (let b = 0; b < B; b++) g += x[(t * B + b) * I + i]! * dz[(t * B + b) * O + o]!;
        grads[t * P + wBase + i * O + o] = g;
      }
    }
    for (let o = 0; o < O; o++) {
      let g = 0;
      for (let b = 0; b < B; b++) g += dz[(t * B + b) * O + o]!;
      grads[t * P + bBase + o] = g;
    }
  }
  return grads;
}

// ---- softmax cross-entropy ------------------------------------------------------------------

export interface XentResult {
  /** Mean loss per trial. */
  loss: Float64Array;
  /** (p − onehot) / B, [T][B][C]. */
  dlogits: Float64Array;
  /** Rows whose first maximal logit is the label, per trial. */
  correct: Float64Array;
}

/** Rows labelled PAD_LABEL are skipped (their dlogits stay 0); the loss is still divided by B. */
export function softmaxXent(logits: Numbers, labels: Numbers, T: number, B: number, C: number, labelTrial = B): XentResult {
  const loss = new Float64Array(T);
  const correct = new Float64Array(T);
  const dlogits = new Float64Array(T * B * C);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const z0 = (t * B + b) * C;
      const y = labels[t * labelTrial + b]!;
      if (y === PAD_LABEL) continue;
      let m = logits[z0]!;
      let arg = 0;
      for (let c = 1; c < C; c++) {
        if (logits[z0 + c]! > m) {
          m = logits[z0 + c]!;
          arg = c;
        }
      }
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(logits[z0 + c]! - m);
      loss[t] += Math.log(s) + m - logits[z0 + y]!;
      if (arg === y) correct[t]++;
      for (let c = 0; c < C; c++) dlogits[z0 + c] = (Math.exp(logits[z0 + c]! - m) / s - (c === y ? 1 : 0)) / B;
    }
    loss[t] /= B;
  }
  return { loss, dlogits, correct };
}

// ---- regression loss ----------------------------------------------------------------------------

export interface RegressionLossResult {
  /** Mean loss per trial (sum over the rows / B). */
  loss: Float64Array;
  /** dℓ/dz / B, [T][B]. */
  doutputs: Float64Array;
  /** Per trial: Σ|e|, Σe² and the rows counted (padding rows are not). */
  absErr: Float64Array;
  sqErr: Float64Array;
  rows: Float64Array;
}

/**
 * Squared error or Huber of T trials' outputs [T][B] against their targets (float values at
 * t·targetTrial + b); a NaN target marks a padding row (PAD_LABEL's bits are a NaN), skipped.
 */
export function regressionLoss(outputs: Numbers, targets: Numbers, T: number, B: number, lossKind: RegressionLoss, targetTrial = B): RegressionLossResult {
  const r: RegressionLossResult = { loss: new Float64Array(T), doutputs: new Float64Array(T * B), absErr: new Float64Array(T), sqErr: new Float64Array(T), rows: new Float64Array(T) };
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const y = targets[t * targetTrial + b]!;
      if (Number.isNaN(y)) continue;
      const e = outputs[t * B + b]! - y;
      r.loss[t] += regressionLossOf(e, lossKind);
      r.absErr[t] += Math.abs(e);
      r.sqErr[t] += e * e;
      r.rows[t]++;
      const g = lossKind.kind === 'mse' ? 2 * e : Math.min(Math.max(e, -lossKind.delta), lossKind.delta);
      r.doutputs[t * B + b] = g / B;
    }
    r.loss[t] /= B;
  }
  return r;
}

// ---- dropout ----------------------------------------------------------------------------------

/** lowbias32, as common/dropout-mask.wgsl. */
export function hashU32(v: number): number {
  let x = v >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** 0 when the element is dropped, 1 / (1 − rate) when kept, exactly 1 at rate 0. */
export function dropoutScale(seed: number, step: number, layer: number, element: number, rate: number): number {
  if (rate <= 0) return 1;
  let h = hashU32(seed);
  h = hashU32(h ^ step);
  h = hashU32(h ^ Math.imul(layer, 0x9e3779b9));
  h = hashU32(h ^ element);
  const u = (h >>> 8) / 16777216;
  return u >= rate ? 1 / (1 - rate) : 0;
}

/** D = Y ⊙ mask / (1 − p) for T trials of B×W. */
export function dropout(y: Numbers, spec: DropoutSpec, T: number, E: number): Float64Array {
  const out = new Float64Array(T * E);
  for (let t = 0; t < T; t++) {
    for (let e = 0; e < E; e++) {
      out[t * E + e] = y[t * E + e]! * dropoutScale(spec.seeds[t]!, spec.steps[t]!, spec.layer, e, spec.rates[t]!);
    }
  }
  return out;
}

// ---- gather -------------------------------------------------------------------------------------

/** Batch `batch` of every trial: rows order[t][batch·B + b] of the data set. */
export function gather(data: Numbers, labels: Numbers, order: Numbers, batches: Numbers, T: number, B: number, F: number, R: number) {
  const x = new Float64Array(T * B * F);
  const y = new Uint32Array(T * B);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const row = order[t * R + batches[t]! * B + b]!;
      y[t * B + b] = labels[row]!;
      for (let f = 0; f < F; f++) x[(t * B + b) * F + f] = data[row * F + f]!;
    }
  }
  return { x, y };
}

// ---- optimizers -----------------------------------------------------------------------------------

/** What one trial's update needs: its optimizer settings and regularization. */
export interface UpdateSettings {
  optimizer: OptimizerConfig;
  l1: number;
  l2: number;
}

/** One update's host-computed scalars: learning rate and the trial's 1-based update count. */
export interface UpdateStep {
  lr: number;
  count: number;
}

/**
 * One torch.optim-style update of T trials in place (params, m, v), P floats each, the first
 * `nWeights` weights (L1/L2 apply to them only). Trials whose `frozen` entry is true are skipped;
 * returns, per trial, whether the update produced a NaN/Inf (then that trial is left untouched).
 */
export function optimizerStep(
  params: Float64Array,
  grads: Numbers,
  m: Float64Array,
  v: Float64Array,
  settings: readonly UpdateSettings[],
  steps: readonly UpdateStep[],
  P: number,
  nWeights: number,
  frozen: readonly boolean[] = [],
): boolean[] {
  return settings.map((s, t) => {
    if (frozen[t]) return false;
    const o = s.optimizer;
    const { lr, count } = steps[t]!;
    const next = { w: new Float64Array(P), m: new Float64Array(P), v: new Float64Array(P) };
    let bad = false;
    for (let i = 0; i < P; i++) {
      const idx = t * P + i;
      let w = params[idx]!;
      let g = grads[idx]!;
      let mi = m[idx]!;
      let vi = v[idx]!;
      if (i < nWeights) g += s.l2 * w + s.l1 * Math.sign(w);
      if (o.kind === 'rmsprop') {
        vi = o.alpha * vi + (1 - o.alpha) * g * g;
        const d = g / (Math.sqrt(vi) + o.eps);
        if (o.momentum > 0) {
          mi = o.momentum * mi + d;
          w -= lr * mi;
        } else {
          w -= lr * d;
        }
      } else if (o.kind === 'adam' || o.kind === 'adamw') {
        if (o.kind === 'adamw') w *= 1 - lr * o.weightDecay;
        mi = o.beta1 * mi + (1 - o.beta1) * g;
        vi = o.beta2 * vi + (1 - o.beta2) * g * g;
        const bc1 = 1 - o.beta1 ** count;
        const bc2 = 1 - o.beta2 ** count;
        w -= (lr / bc1) * (mi / (Math.sqrt(vi) / Math.sqrt(bc2) + o.eps));
      } else {
        // sgd and momentum: torch.optim.SGD (the buffer starts as g, undamped).
        let step = g;
        if (o.momentum > 0) {
          mi = count <= 1 ? g : o.momentum * mi + (1 - o.dampening) * g;
          step = o.nesterov ? g + o.momentum * mi : mi;
        }
        w -= lr * step;
      }
      if (![g, w, mi, vi].every(Number.isFinite)) bad = true;
      next.w[i] = w;
      next.m[i] = mi;
      next.v[i] = vi;
    }
    // The kernel updates element by element and skips only the bad ones; the reference keeps a
    // diverged trial untouched, and tests compare diverged trials only through their flag.
    if (!bad) {
      params.set(next.w, t * P);
      m.set(next.m, t * P);
      v.set(next.v, t * P);
    }
    return bad;
  });
}

// ---- the compute-ceiling probe ------------------------------------------------------------------

/**
 * fma-peak's result for invocation i: the sum over its 8 chains of x_n where x ← x·a + b from
 * x_0 = (i mod 16)/16 + k/8 + lane/32, in closed form x_n = aⁿ(x_0 − c) + c with c = b/(1 − a).
 */
export function fmaPeak(n: number, iters: number, a: number, b: number): Float64Array {
  const out = new Float64Array(4 * n);
  const c = b / (1 - a);
  const an = a ** iters;
  for (let i = 0; i < n; i++) {
    for (let lane = 0; lane < 4; lane++) {
      let sum = 0;
      for (let k = 0; k < 8; k++) sum += an * ((i % 16) / 16 + k / 8 + lane / 32 - c) + c;
      out[4 * i + lane] = sum;
    }
  }
  return out;
}

// ---- a whole MLP, for finite-difference checks and trajectories ---------------------------------------

export interface MlpShape {
  /** Widths from input to output: [F, h1, ..., C]. */
  widths: number[];
  activation: Activation;
}

export interface MlpPass {
  /** Activation outputs per layer (before dropout); the last is the logits (or the regression output). */
  outputs: Float64Array[];
  /** The input of every layer (after dropout for hidden layers). */
  inputs: Float64Array[];
  loss: Float64Array;
  /** Classification only (regression: zeros). */
  correct: Float64Array;
  grads: Float64Array;
}

/**
 * Forward and backward of T independent MLPs on their batches, optional dropout after hidden
 * layers. `regression` given: `labels` are the targets' values and the loss is that regression
 * loss on the one output; otherwise softmax cross-entropy on class labels.
 */
export function mlpStep(
  x: Numbers,
  labels: Numbers,
  params: Numbers,
  shape: MlpShape,
  T: number,
  B: number,
  dropoutSpec?: Omit<DropoutSpec, 'layer'>,
  regression?: RegressionLoss,
): MlpPass {
  const { widths, activation } = shape;
  const layout = parameterLayout(widths);
  const L = widths.length - 1;
  const dense = (l: number): DenseShape => ({
    T,
    B,
    I: widths[l]!,
    O: widths[l + 1]!,
    P: layout.P,
    wBase: layout.wBase[l]!,
    bBase: layout.bBase[l]!,
  });
  const inputs: Float64Array[] = [Float64Array.from(x)];
  const outputs: Float64Array[] = [];
  for (let l = 0; l < L; l++) {
    const y = denseForward(inputs[l]!, params, dense(l), l === L - 1 ? 'linear' : activation);
    outputs.push(y);
    if (l < L - 1) inputs.push(dropoutSpec ? dropout(y, { ...dropoutSpec, layer: l }, T, B * widths[l + 1]!) : y);
  }
  let head: { loss: Float64Array; dz: Float64Array; correct: Float64Array };
  if (regression) {
    const r = regressionLoss(outputs[L - 1]!, labels, T, B, regression);
    head = { loss: r.loss, dz: r.doutputs, correct: new Float64Array(T) };
  } else {
    const r = softmaxXent(outputs[L - 1]!, labels, T, B, widths[L]!);
    head = { loss: r.loss, dz: r.dlogits, correct: r.correct };
  }
  const grads = new Float64Array(T * layout.P);
  let dz = head.dz;
  for (let l = L - 1; l >= 0; l--) {
    denseBackwardWeights(inputs[l]!, dz, dense(l), grads);
    if (l > 0) {
      dz = denseBackwardInput(dz, params, outputs[l - 1]!, dense(l), activation, dropoutSpec && { ...dropoutSpec, layer: l - 1 });
    }
  }
  return { outputs, inputs, loss: head.loss, correct: head.correct, grads };
}
