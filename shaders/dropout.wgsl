// dropout: inverted dropout of a hidden layer's output, D = Y ⊙ mask / (1 - p), per trial rate p.
// The mask is common/dropout-mask.wgsl's hash of (trial seed, step, layer, element); the backward
// pass (dense-backward-input.wgsl) recomputes the same mask. Rate 0 copies Y exactly.
//
// Shape key: T = trials, B = rows, W = the layer's width; E = B·W elements per trial.
// Bindings:
//   @group(0) @binding(0) y:      Y [T][B][W]
//   @group(0) @binding(1) out:    D [T][B][W]
//   @group(0) @binding(2) trials: TrialParams [T]
//   @group(0) @binding(3) dims:   DropoutDims
//   @group(1) @binding(0) step_data: StepData of this step (dynamic offset)
// Dispatch: (x, y, T) with x·y ≥ ceil(E / WG) (folded when x would exceed the per-dimension limit).

override WG: u32 = 256u;

struct DropoutDims {
  E: u32,
  groups_x: u32,
  layer: u32,
  pad: u32,
}

@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> trials: array<TrialParams>;
@group(0) @binding(3) var<uniform> dims: DropoutDims;
@group(1) @binding(0) var<storage, read> step_data: StepData;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let t = wg.z;
  let e = (wg.y * dims.groups_x + wg.x) * WG + lid;
  if (e >= dims.E) {
    return;
  }
  let tp = trials[t];
  let i = t * dims.E + e;
  out[i] = y[i] * dropout_scale(tp.seed, step_data.trials[t].count - 1u, dims.layer, e, tp.dropout);
}
