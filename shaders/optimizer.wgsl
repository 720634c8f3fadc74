// optimizer: one update of every parameter of every trial, each trial with its own optimizer.
// Rules follow torch.optim (docs/kernels.md lists them and the differences), with g = dL/dw:
//   regularization (weights only, not biases): g += l2·w + l1·sign(w)
//   SGD:       momentum μ > 0: buf = g on the first step, else μ·buf + (1 - dampening)·g;
//              g = g + μ·buf (Nesterov) or buf;   w -= lr·g
//   RMSprop:   v = α·v + (1 - α)·g²;  d = g / (√v + ε);  momentum μ > 0: buf = μ·buf + d, w -= lr·buf;
//              else w -= lr·d
//   Adam:      m = β1·m + (1 - β1)·g;  v = β2·v + (1 - β2)·g²;  w -= (lr / bc1) · m / (√v / √bc2 + ε)
//   AdamW:     w *= 1 - lr·weight_decay (all parameters), then Adam
// lr, bc1 = 1 - β1^n and bc2 = 1 - β2^n come per step from the host (step_data.trials[t]).
// Divergence guard: a frozen trial, or one whose status has any flag, is skipped; a NaN/Inf gradient or
// result flags the trial diverged and leaves that vec4 of parameters and state untouched.
//
// Shape key: T = trials, P = floats of one trial's parameters (a multiple of 4: the layout pads it),
// the first n_weights of them weights; P4 = P / 4.
// Bindings (vec4 views of the same [T][P] float buffers the dense kernels use):
//   @group(0) @binding(0) params:  [T][P4] vec4
//   @group(0) @binding(1) grads:   [T][P4] vec4
//   @group(0) @binding(2) state_m: [T][P4] vec4, momentum buffer (SGD, RMSprop) or first moment (Adam)
//   @group(0) @binding(3) state_v: [T][P4] vec4, second moment (RMSprop, Adam)
//   @group(0) @binding(4) trials:  TrialParams [T]
//   @group(0) @binding(5) status:  TrialStatus [T]
//   @group(0) @binding(6) dims:    OptimizerDims
//   @group(1) @binding(0) step_data: StepData of this step (dynamic offset)
// Dispatch: (x, y, T) with x·y ≥ ceil(P4 / (WG · PER)). Each invocation updates PER vec4s, WG apart
// (coalesced on GPUs), and loads its trial's settings once: on SwiftShader the per-invocation cost
// dominated a one-float-per-invocation version 6× (docs/kernels.md).

override WG: u32 = 64u;
override PER: u32 = 8u;

struct OptimizerDims {
  P4: u32,
  n_weights: u32,
  groups_x: u32,
  pad: u32,
}

@group(0) @binding(0) var<storage, read_write> params: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> grads: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> state_m: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> state_v: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> trials: array<TrialParams>;
@group(0) @binding(5) var<storage, read_write> status: array<TrialStatus>;
@group(0) @binding(6) var<uniform> dims: OptimizerDims;
@group(1) @binding(0) var<storage, read> step_data: StepData;

fn any_bad(x: vec4<f32>) -> bool {
  return any((bitcast<vec4<u32>>(x) & vec4<u32>(0x7f800000u)) == vec4<u32>(0x7f800000u));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = wg.z;
  let tp = trials[t];
  if (tp.frozen != 0u || atomicLoad(&status[t].flags) != 0u) {
    return;
  }
  let ts = step_data.trials[t];
  let first = (wg.y * dims.groups_x + wg.x) * WG * PER + lid;
  for (var r = 0u; r < PER; r++) {
    let i = first + r * WG;
    if (i >= dims.P4) {
      break;
    }
    let idx = t * dims.P4 + i;
    var w = params[idx];
    var g = grads[idx];
    let lane = vec4<u32>(4u * i) + vec4<u32>(0u, 1u, 2u, 3u);
    g += select(vec4<f32>(0.0), tp.l2 * w + tp.l1 * sign(w), lane < vec4<u32>(dims.n_weights));
    // m and v are read and written only by the optimizers that keep them, so a cohort without
    // such trials may bind 4-byte placeholders.
    var m = vec4<f32>(0.0);
    var v = vec4<f32>(0.0);
    var uses_m = false;
    var uses_v = false;
    switch tp.optimizer {
      case OPT_RMSPROP: {
        uses_v = true;
        v = tp.alpha * state_v[idx] + (1.0 - tp.alpha) * g * g;
        let d = g / (sqrt(v) + tp.eps);
        if (tp.momentum > 0.0) {
          uses_m = true;
          m = tp.momentum * state_m[idx] + d;
          w -= ts.lr * m;
        } else {
          w -= ts.lr * d;
        }
      }
      case OPT_ADAM, OPT_ADAMW: {
        uses_m = true;
        uses_v = true;
        if (tp.optimizer == OPT_ADAMW) {
          w *= 1.0 - ts.lr * tp.weight_decay;
        }
        m = tp.beta1 * state_m[idx] + (1.0 - tp.beta1) * g;
        v = tp.beta2 * state_v[idx] + (1.0 - tp.beta2) * g * g;
        w -= (ts.lr / ts.bc1) * m / (sqrt(v) / sqrt(ts.bc2) + tp.eps);
      }
      default: {
        var step = g;
        if (tp.momentum > 0.0) {
          uses_m = true;
          m = select(tp.momentum * state_m[idx] + (1.0 - tp.dampening) * g, g, ts.count <= 1u);
          step = select(m, g + tp.momentum * m, tp.nesterov != 0u);
        }
        w -= ts.lr * step;
      }
    }
    if (any_bad(g) || any_bad(w) || any_bad(m) || any_bad(v)) {
      atomicOr(&status[t].flags, STATUS_DIVERGED);
      atomicMin(&status[t].diverged_step, ts.count - 1u);
      continue;
    }
    params[idx] = w;
    if (uses_m) {
      state_m[idx] = m;
    }
    if (uses_v) {
      state_v[idx] = v;
    }
  }
}
