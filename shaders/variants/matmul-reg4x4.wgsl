// Matmul variant "reg4x4": a 4×4 block per invocation in registers, workgroup 16×16 (64×64 outputs).
// Same contract as common/matmul.wgsl. Kept for the benchmark (docs/kernels.md).

const MM_WG_X: u32 = 16u;
const MM_WG_Y: u32 = 16u;
const MM_TILE_M: u32 = 64u;
const MM_TILE_N: u32 = 64u;

fn mm_compute(wg: vec3<u32>, lid: vec3<u32>) {
  let t = wg.z;
  let M = dims.M;
  let N = dims.N;
  let K = dims.K;
  let row0 = wg.y * MM_TILE_M + lid.y * 4u;
  let col0 = wg.x * MM_TILE_N + lid.x * 4u;
  let a0 = dims.a_base + t * dims.a_trial;
  let b0 = dims.b_base + t * dims.b_trial;
  let ra0 = a0 + min(row0 + 0u, M - 1u) * dims.a_m;
  let ra1 = a0 + min(row0 + 1u, M - 1u) * dims.a_m;
  let ra2 = a0 + min(row0 + 2u, M - 1u) * dims.a_m;
  let ra3 = a0 + min(row0 + 3u, M - 1u) * dims.a_m;
  let cb0 = b0 + min(col0 + 0u, N - 1u) * dims.b_n;
  let cb1 = b0 + min(col0 + 1u, N - 1u) * dims.b_n;
  let cb2 = b0 + min(col0 + 2u, N - 1u) * dims.b_n;
  let cb3 = b0 + min(col0 + 3u, N - 1u) * dims.b_n;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var oa = 0u;
  var ob = 0u;
  for (var k = 0u; k < K; k++) {
    let bv = vec4<f32>(mm_b[cb0 + ob], mm_b[cb1 + ob], mm_b[cb2 + ob], mm_b[cb3 + ob]);
    acc0 = fma(vec4<f32>(mm_a[ra0 + oa]), bv, acc0);
    acc1 = fma(vec4<f32>(mm_a[ra1 + oa]), bv, acc1);
    acc2 = fma(vec4<f32>(mm_a[ra2 + oa]), bv, acc2);
    acc3 = fma(vec4<f32>(mm_a[ra3 + oa]), bv, acc3);
    oa += dims.a_k;
    ob += dims.b_k;
  }
  if (row0 + 0u < M) {
    if (col0 + 0u < N) { mm_store(t, row0 + 0u, col0 + 0u, acc0.x); }
    if (col0 + 1u < N) { mm_store(t, row0 + 0u, col0 + 1u, acc0.y); }
    if (col0 + 2u < N) { mm_store(t, row0 + 0u, col0 + 2u, acc0.z); }
    if (col0 + 3u < N) { mm_store(t, row0 + 0u, col0 + 3u, acc0.w); }
  }
  if (row0 + 1u < M) {
    if (col0 + 0u < N) { mm_store(t, row0 + 1u, col0 + 0u, acc1.x); }
    if (col0 + 1u < N) { mm_store(t, row0 + 1u, col0 + 1u, acc1.y); }
    if (col0 + 2u < N) { mm_store(t, row0 + 1u, col0 + 2u, acc1.z); }
    if (col0 + 3u < N) { mm_store(t, row0 + 1u, col0 + 3u, acc1.w); }
  }
  if (row0 + 2u < M) {
    if (col0 + 0u < N) { mm_store(t, row0 + 2u, col0 + 0u, acc2.x); }
    if (col0 + 1u < N) { mm_store(t, row0 + 2u, col0 + 1u, acc2.y); }
    if (col0 + 2u < N) { mm_store(t, row0 + 2u, col0 + 2u, acc2.z); }
    if (col0 + 3u < N) { mm_store(t, row0 + 2u, col0 + 3u, acc2.w); }
  }
  if (row0 + 3u < M) {
    if (col0 + 0u < N) { mm_store(t, row0 + 3u, col0 + 0u, acc3.x); }
    if (col0 + 1u < N) { mm_store(t, row0 + 3u, col0 + 1u, acc3.y); }
    if (col0 + 2u < N) { mm_store(t, row0 + 3u, col0 + 2u, acc3.z); }
    if (col0 + 3u < N) { mm_store(t, row0 + 3u, col0 + 3u, acc3.w); }
  }
}
