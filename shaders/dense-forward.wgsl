// dense-forward: Y[t] = act(X[t] · W[t] + b[t]) for all T trials in one dispatch.
//
// Shape key: T = trials, B = batch rows (M), I = inputs (K), O = outputs (N), P = floats of one
// trial's parameters.
// Bindings:
//   @group(0) @binding(0) mm_a:   X [T][B][I] row-major (a_trial = B·I), or one [B][I] shared by all trials (a_trial = 0)
//   @group(0) @binding(1) mm_b:   params [T][P]: W [I][O] row-major at b_base, bias [O] at e_base
//   @group(0) @binding(2) out:    Y [T][B][O] row-major
//   @group(0) @binding(3) dims:   MatmulDims
// Dispatch: (ceil(O / MM_TILE_N), ceil(B / MM_TILE_M), T); workgroup (MM_WG_X, MM_WG_Y) from the
// matmul core. ACT (override) selects the activation, fused into the epilogue.

@group(0) @binding(0) var<storage, read> mm_a: array<f32>;
@group(0) @binding(1) var<storage, read> mm_b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> dims: MatmulDims;

fn mm_store(t: u32, row: u32, col: u32, value: f32) {
  let bias = mm_b[dims.e_base + t * dims.e_trial + col];
  out[dims.c_base + t * dims.c_trial + row * dims.N + col] = activate(value + bias);
}

@compute @workgroup_size(MM_WG_X, MM_WG_Y)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  mm_compute(wg, lid);
}
