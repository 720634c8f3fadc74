// regression-loss: squared error (or Huber) of each trial's one output against its target, with its
// gradient and the sums the regression metrics need.
//   e_b = z_b − y_b     (z: the network's single output, y: the standardized target)
//   MSE   (HUBER = false): ℓ(e) = e²                                  dℓ/dz = 2e
//   Huber (HUBER = true):  ℓ(e) = ½e² if |e| ≤ δ, else δ·(|e| − ½δ)     dℓ/dz = clamp(e, −δ, δ)
//   loss[t] = mean_b ℓ(e_b)        dZ[t][b] = dℓ/dz(e_b) / B          (only when GRAD)
//   metrics[t] += [Σ ℓ(e_b), Σ |e_b|, rows, Σ e_b²]
// as torch.nn.MSELoss / HuberLoss(delta) with reduction 'mean'. Rows whose target word is PAD_LABEL
// (an evaluation chunk's padding) are skipped and not counted.
// GRAD = true (training): also writes dZ, the step's mean loss into the loss history, and flags the
// trial diverged when that loss is NaN/Inf. GRAD = false (evaluation): only accumulates.
//
// Shape key: T = trials, B = rows.
// Bindings:
//   @group(0) @binding(0) outputs:  Z [T][B] (z_trial = B; the last layer is 1 wide)
//   @group(0) @binding(1) targets:  the target's float32 bits at t_base + t·t_trial + b (t_trial = 0:
//                                   shared targets). The labels buffer carries them: gather copies
//                                   32-bit words without reading them.
//   @group(0) @binding(2) doutputs: dZ [T][B] (GRAD only)
//   @group(0) @binding(3) metrics:  per trial [loss_sum, abs_err_sum, rows, sq_err_sum] at acc_base + 4t
//   @group(0) @binding(4) history:  loss history [slots][T], row = step_data.slot (GRAD only)
//   @group(0) @binding(5) status:   TrialStatus [T]
//   @group(0) @binding(6) dims:     RegressionDims
//   @group(1) @binding(0) step_data: StepData of this step (dynamic offset)
// Dispatch: (1, 1, T), one workgroup of WG invocations per trial: rows are strided over the
// invocations, then reduced in workgroup memory in a fixed order (deterministic results), as in
// softmax-xent.

override WG: u32 = 64u;
override GRAD: bool = true;
override HUBER: bool = false;

struct RegressionDims {
  B: u32,
  T: u32,
  z_trial: u32,
  t_base: u32,
  t_trial: u32,
  acc_base: u32,
  delta: f32,
  pad: u32,
}

@group(0) @binding(0) var<storage, read> outputs: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<u32>;
@group(0) @binding(2) var<storage, read_write> doutputs: array<f32>;
@group(0) @binding(3) var<storage, read_write> metrics: array<f32>;
@group(0) @binding(4) var<storage, read_write> history: array<f32>;
@group(0) @binding(5) var<storage, read_write> status: array<TrialStatus>;
@group(0) @binding(6) var<uniform> dims: RegressionDims;
@group(1) @binding(0) var<storage, read> step_data: StepData;

var<workgroup> part_loss: array<f32, WG>;
var<workgroup> part_abs: array<f32, WG>;
var<workgroup> part_sq: array<f32, WG>;
var<workgroup> part_rows: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = wg.z;
  let delta = dims.delta;
  let inv_b = 1.0 / f32(dims.B);
  var loss = 0.0;
  var abs_err = 0.0;
  var sq_err = 0.0;
  var rows = 0.0;
  for (var b = lid; b < dims.B; b += WG) {
    let word = targets[dims.t_base + t * dims.t_trial + b];
    if (word == PAD_LABEL) {
      continue;
    }
    let z = t * dims.z_trial + b;
    let e = outputs[z] - bitcast<f32>(word);
    let a = abs(e);
    var l = e * e;
    var g = 2.0 * e;
    if (HUBER) {
      l = select(delta * (a - 0.5 * delta), 0.5 * e * e, a <= delta);
      g = clamp(e, -delta, delta);
    }
    loss += l;
    abs_err += a;
    sq_err += e * e;
    rows += 1.0;
    if (GRAD) {
      doutputs[z] = g * inv_b;
    }
  }
  part_loss[lid] = loss;
  part_abs[lid] = abs_err;
  part_sq[lid] = sq_err;
  part_rows[lid] = rows;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) {
      part_loss[lid] += part_loss[lid + stride];
      part_abs[lid] += part_abs[lid + stride];
      part_sq[lid] += part_sq[lid + stride];
      part_rows[lid] += part_rows[lid + stride];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let sum = part_loss[0];
    let acc = dims.acc_base + 4u * t;
    metrics[acc] += sum;
    metrics[acc + 1u] += part_abs[0];
    metrics[acc + 2u] += part_rows[0];
    metrics[acc + 3u] += part_sq[0];
    if (GRAD) {
      let mean = sum * inv_b;
      history[step_data.slot * dims.T + t] = mean;
      if (is_bad(mean)) {
        atomicOr(&status[t].flags, STATUS_DIVERGED);
        atomicMin(&status[t].diverged_step, step_data.trials[t].count - 1u);
      }
    }
  }
}
