// softmax-xent: softmax cross-entropy of each trial's batch, with its gradient, loss and accuracy.
//   p = softmax(z) (max-subtracted, so stable for any logits)
//   loss[t] = mean_b ( log Σ_c e^(z_bc - m_b) + m_b - z_b,y_b )
//   dZ[t][b][c] = (p_bc - [c = y_b]) / B          (only when GRAD)
//   correct[t] += #{ b : argmax_c z_bc = y_b }     (first maximum wins)
// Rows whose label is PAD_LABEL (an evaluation chunk's padding) are skipped and not counted.
// GRAD = true (training): also writes dZ, the step's mean loss into the loss history, and flags the
// trial diverged when that loss is NaN/Inf. GRAD = false (evaluation): only accumulates.
//
// Shape key: T = trials, B = rows, C = classes.
// Bindings:
//   @group(0) @binding(0) logits:  Z [T][B][C] (z_trial = B·C)
//   @group(0) @binding(1) labels:  y at l_base + t·l_trial + b (l_trial = 0: shared labels)
//   @group(0) @binding(2) dlogits: dZ [T][B][C] (GRAD only)
//   @group(0) @binding(3) metrics: per trial [loss_sum, correct, rows, last_loss] at acc_base + 4t, accumulated
//   @group(0) @binding(4) history: loss history [slots][T], row = step_data.slot (GRAD only)
//   @group(0) @binding(5) status:  TrialStatus [T]
//   @group(0) @binding(6) dims:    XentDims
//   @group(1) @binding(0) step_data: StepData of this step (dynamic offset)
// Dispatch: (1, 1, T), one workgroup of WG invocations per trial: rows are strided over the
// invocations, then reduced in workgroup memory in a fixed order (deterministic results).

override WG: u32 = 64u;
override GRAD: bool = true;

struct XentDims {
  B: u32,
  C: u32,
  T: u32,
  z_trial: u32,
  l_base: u32,
  l_trial: u32,
  acc_base: u32,
  pad: u32,
}

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<u32>;
@group(0) @binding(2) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(3) var<storage, read_write> metrics: array<f32>;
@group(0) @binding(4) var<storage, read_write> history: array<f32>;
@group(0) @binding(5) var<storage, read_write> status: array<TrialStatus>;
@group(0) @binding(6) var<uniform> dims: XentDims;
@group(1) @binding(0) var<storage, read> step_data: StepData;

var<workgroup> part_loss: array<f32, WG>;
var<workgroup> part_correct: array<f32, WG>;
var<workgroup> part_rows: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = wg.z;
  let C = dims.C;
  let inv_b = 1.0 / f32(dims.B);
  var loss = 0.0;
  var correct = 0.0;
  var rows = 0.0;
  for (var b = lid; b < dims.B; b += WG) {
    let z0 = t * dims.z_trial + b * C;
    let y = labels[dims.l_base + t * dims.l_trial + b];
    if (y == PAD_LABEL) {
      continue;
    }
    var m = logits[z0];
    var arg = 0u;
    for (var c = 1u; c < C; c++) {
      let z = logits[z0 + c];
      if (z > m) {
        m = z;
        arg = c;
      }
    }
    var s = 0.0;
    for (var c = 0u; c < C; c++) {
      s += exp(logits[z0 + c] - m);
    }
    loss += log(s) + m - logits[z0 + y];
    correct += select(0.0, 1.0, arg == y);
    rows += 1.0;
    if (GRAD) {
      let inv_s = 1.0 / s;
      for (var c = 0u; c < C; c++) {
        let p = exp(logits[z0 + c] - m) * inv_s;
        dlogits[z0 + c] = (p - select(0.0, 1.0, c == y)) * inv_b;
      }
    }
  }
  part_loss[lid] = loss;
  part_correct[lid] = correct;
  part_rows[lid] = rows;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      part_loss[lid] += part_loss[lid + stride];
      part_correct[lid] += part_correct[lid + stride];
      part_rows[lid] += part_rows[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let sum = part_loss[0];
    let mean = sum * inv_b;
    let acc = dims.acc_base + 4u * t;
    metrics[acc] += sum;
    metrics[acc + 1u] += part_correct[0];
    metrics[acc + 2u] += part_rows[0];
    metrics[acc + 3u] = mean;
    if (GRAD) {
      history[step_data.slot * dims.T + t] = mean;
      if (is_bad(mean)) {
        atomicOr(&status[t].flags, STATUS_DIVERGED);
        atomicMin(&status[t].diverged_step, step_data.trials[t].count - 1u);
      }
    }
  }
}
