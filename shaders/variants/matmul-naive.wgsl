// Matmul variant "naive": one output per invocation, workgroup 16×16, a plain loop over K.
// Same contract as common/matmul.wgsl. Kept as the benchmark's baseline (docs/kernels.md).

const MM_WG_X: u32 = 16u;
const MM_WG_Y: u32 = 16u;
const MM_TILE_M: u32 = 16u;
const MM_TILE_N: u32 = 16u;

fn mm_compute(wg: vec3<u32>, lid: vec3<u32>) {
  let t = wg.z;
  let row = wg.y * MM_TILE_M + lid.y;
  let col = wg.x * MM_TILE_N + lid.x;
  if (row >= dims.M || col >= dims.N) {
    return;
  }
  let a_row = dims.a_base + t * dims.a_trial + row * dims.a_m;
  let b_col = dims.b_base + t * dims.b_trial + col * dims.b_n;
  var sum = 0.0;
  for (var k = 0u; k < dims.K; k++) {
    sum += mm_a[a_row + k * dims.a_k] * mm_b[b_col + k * dims.b_k];
  }
  mm_store(t, row, col, sum);
}
