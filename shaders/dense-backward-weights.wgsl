// dense-backward-weights: dW[t] = X[t]ᵀ · dZ[t] and db[t] = Σ_rows dZ[t], in one dispatch.
//
// Shape key: T = trials, B = batch rows (K), I = inputs (M), O = outputs (N), P = floats of one
// trial's parameters.
// Bindings:
//   @group(0) @binding(0) mm_a:   X [T][B][I], the layer's input, read transposed (a_m = 1, a_k = I)
//   @group(0) @binding(1) mm_b:   dZ [T][B][O] (b_k = O, b_n = 1)
//   @group(0) @binding(2) out:    grads [T][P]: dW [I][O] at c_base, db [O] at e_base (same layout as params)
//   @group(0) @binding(3) dims:   MatmulDims
// Dispatch: (ceil(O / MM_TILE_N), ceil(I / MM_TILE_M) + 1, T): the extra row of workgroups sums
// dZ's columns into db while the others run the matmul core.

@group(0) @binding(0) var<storage, read> mm_a: array<f32>;
@group(0) @binding(1) var<storage, read> mm_b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> dims: MatmulDims;

fn mm_store(t: u32, row: u32, col: u32, value: f32) {
  out[dims.c_base + t * dims.c_trial + row * dims.N + col] = value;
}

// One column sum per invocation: db[n] = Σ_k dZ[k][n].
fn bias_grad(wg: vec3<u32>, lid: vec3<u32>) {
  let t = wg.z;
  let lane = lid.y * MM_WG_X + lid.x;
  let col = wg.x * MM_TILE_N + lane;
  if (lane >= MM_TILE_N || col >= dims.N) {
    return;
  }
  let b0 = dims.b_base + t * dims.b_trial + col * dims.b_n;
  var sum = 0.0;
  for (var k = 0u; k < dims.K; k++) {
    sum += mm_b[b0 + k * dims.b_k];
  }
  out[dims.e_base + t * dims.e_trial + col] = sum;
}

@compute @workgroup_size(MM_WG_X, MM_WG_Y)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  if (wg.y * MM_TILE_M >= dims.M) {
    bias_grad(wg, lid);
    return;
  }
  mm_compute(wg, lid);
}
