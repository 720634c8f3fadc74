// gather: each trial's mini-batch from the shared data set, in the trial's own row order.
//   X[t][b][f] = data[order[t][batch·B + b]][f],  Y[t][b] = labels[order[t][batch·B + b]]
// where batch = step_data.trials[t].batch, the trial's own position in its epoch. The data set is uploaded once and shared by every trial; the
// order buffer holds one permutation of the training rows per trial and epoch.
//
// Shape key: T = trials, B = batch rows, F = features, R = rows in one trial's order.
// Bindings:
//   @group(0) @binding(0) data:    [N][F] f32, the whole data set
//   @group(0) @binding(1) labels:  [N] u32
//   @group(0) @binding(2) order:   [T][R] u32 row indices
//   @group(0) @binding(3) x_out:   X [T][B][F]
//   @group(0) @binding(4) y_out:   Y [T][B] u32
//   @group(0) @binding(5) dims:    GatherDims
//   @group(1) @binding(0) step_data: StepData of this step (dynamic offset)
// Dispatch: (x, y, T) with x·y ≥ ceil(B·F / (WG · PER)): each invocation copies PER elements, WG
// apart (coalesced on GPUs; on SwiftShader one element per invocation cost 4× more).

override WG: u32 = 64u;
override PER: u32 = 16u;

struct GatherDims {
  B: u32,
  F: u32,
  R: u32,
  groups_x: u32,
}

@group(0) @binding(0) var<storage, read> data: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<u32>;
@group(0) @binding(2) var<storage, read> order: array<u32>;
@group(0) @binding(3) var<storage, read_write> x_out: array<f32>;
@group(0) @binding(4) var<storage, read_write> y_out: array<u32>;
@group(0) @binding(5) var<uniform> dims: GatherDims;
@group(1) @binding(0) var<storage, read> step_data: StepData;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = wg.z;
  let first = (wg.y * dims.groups_x + wg.x) * WG * PER + lid;
  let rows = t * dims.R + step_data.trials[t].batch * dims.B;
  for (var r = 0u; r < PER; r++) {
    let e = first + r * WG;
    if (e >= dims.B * dims.F) {
      break;
    }
    let b = e / dims.F;
    let f = e % dims.F;
    let row = order[rows + b];
    x_out[t * dims.B * dims.F + e] = data[row * dims.F + f];
    if (f == 0u) {
      y_out[t * dims.B + b] = labels[row];
    }
  }
}
