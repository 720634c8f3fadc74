// dense-backward-input: the gradient reaching the previous layer's pre-activation,
//   dZp[t] = (dZ[t] · W[t]ᵀ) ⊙ mask[t] / (1 - p[t]) ⊙ act'(Yp[t])
// where Yp is the previous layer's stored activation output, mask its dropout mask (recomputed
// from the same hash as dropout.wgsl, only when the DROPOUT override is true) and act' is
// written in terms of Yp (common/activation.wgsl; ACT is the previous layer's activation).
//
// Shape key: T = trials, B = batch rows (M), O = this layer's outputs (K), I = its inputs (N).
// Bindings:
//   @group(0) @binding(0) mm_a:    dZ [T][B][O] (a_m = O, a_k = 1)
//   @group(0) @binding(1) mm_b:    params [T][P]: W [I][O] at b_base, read transposed (b_k = 1, b_n = O)
//   @group(0) @binding(2) out:     dZp [T][B][I]
//   @group(0) @binding(3) dims:    MatmulDims (e_*: Yp [T][B][I]; layer: the previous layer's index)
//   @group(0) @binding(4) y_prev:  Yp [T][B][I], the previous layer's activation output before dropout
//   @group(0) @binding(5) trials:  TrialParams [T] (dropout rate and seed)
//   @group(1) @binding(0) step_data: StepData of this step (dynamic offset)
// Dispatch: (ceil(I / MM_TILE_N), ceil(B / MM_TILE_M), T).

override DROPOUT: bool = false;

@group(0) @binding(0) var<storage, read> mm_a: array<f32>;
@group(0) @binding(1) var<storage, read> mm_b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> dims: MatmulDims;
@group(0) @binding(4) var<storage, read> y_prev: array<f32>;
@group(0) @binding(5) var<storage, read> trials: array<TrialParams>;
@group(1) @binding(0) var<storage, read> step_data: StepData;

fn mm_store(t: u32, row: u32, col: u32, value: f32) {
  let element = row * dims.N + col;
  var grad = value;
  if (DROPOUT) {
    let tp = trials[t];
    grad *= dropout_scale(tp.seed, step_data.trials[t].count - 1u, dims.layer, element, tp.dropout);
  }
  let y = y_prev[dims.e_base + t * dims.e_trial + element];
  out[dims.c_base + t * dims.c_trial + element] = grad * activation_grad(y);
}

@compute @workgroup_size(MM_WG_X, MM_WG_Y)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  mm_compute(wg, lid);
}
