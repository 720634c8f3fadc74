// Matmul core "shared", what the dense kernels run on GPUs: the classic tiling. A workgroup of 16×16
// stages 64×16 of A and 16×64 of B in workgroup memory per K-step, and each invocation accumulates a
// 4×4 block. Loads from storage are shared by 16 invocations, which is what real GPUs reward;
// SwiftShader pays for every barrier, so software adapters run variants/matmul-reg8x8.wgsl instead
// (docs/kernels.md).
//
// The contract of every core (this one and shaders/variants/matmul-*.wgsl): the kernel file declares
// mm_a, mm_b (storage arrays of f32), dims: MatmulDims, and fn mm_store(t, row, col, value), its
// epilogue; the core declares MM_WG_X/Y and MM_TILE_M/N and fn mm_compute(wg, lid).
// Dispatch: (ceil(N/64), ceil(M/64), T).

const MM_WG_X: u32 = 16u;
const MM_WG_Y: u32 = 16u;
const MM_TILE_M: u32 = 64u;
const MM_TILE_N: u32 = 64u;
const MM_TILE_K: u32 = 16u;

var<workgroup> mm_tile_a: array<vec4<f32>, 256>;  // [k][m / 4]: 16 × 64 floats
var<workgroup> mm_tile_b: array<vec4<f32>, 256>;  // [k][n / 4]: 16 × 64 floats

fn mm_compute(wg: vec3<u32>, lid: vec3<u32>) {
  let t = wg.z;
  let M = dims.M;
  let N = dims.N;
  let K = dims.K;
  let tid = lid.y * MM_WG_X + lid.x;
  let m_tile = wg.y * MM_TILE_M;
  let n_tile = wg.x * MM_TILE_N;
  let a0 = dims.a_base + t * dims.a_trial;
  let b0 = dims.b_base + t * dims.b_trial;
  // Each invocation stages one vec4 of A (4 rows at one k) and one vec4 of B (4 columns at one k).
  let stage_k = tid / 16u;
  let stage_v = tid % 16u;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < K; k0 += MM_TILE_K) {
    let k = k0 + stage_k;
    let kc = min(k, K - 1u);
    let ok = k < K;
    var av = vec4<f32>(0.0);
    var bv = vec4<f32>(0.0);
    for (var i = 0u; i < 4u; i++) {
      let m = m_tile + stage_v * 4u + i;
      let n = n_tile + stage_v * 4u + i;
      av[i] = select(0.0, mm_a[a0 + min(m, M - 1u) * dims.a_m + kc * dims.a_k], ok && m < M);
      bv[i] = select(0.0, mm_b[b0 + kc * dims.b_k + min(n, N - 1u) * dims.b_n], ok && n < N);
    }
    mm_tile_a[stage_k * 16u + stage_v] = av;
    mm_tile_b[stage_k * 16u + stage_v] = bv;
    workgroupBarrier();
    for (var kk = 0u; kk < MM_TILE_K; kk++) {
      let b = mm_tile_b[kk * 16u + lid.x];
      let a = mm_tile_a[kk * 16u + lid.y];
      acc0 = fma(vec4<f32>(a.x), b, acc0);
      acc1 = fma(vec4<f32>(a.y), b, acc1);
      acc2 = fma(vec4<f32>(a.z), b, acc2);
      acc3 = fma(vec4<f32>(a.w), b, acc3);
    }
    workgroupBarrier();
  }
  let row0 = m_tile + lid.y * 4u;
  let col0 = n_tile + lid.x * 4u;
  let accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      if (row0 + i < M && col0 + j < N) {
        mm_store(t, row0 + i, col0 + j, accs[i][j]);
      }
    }
  }
}
