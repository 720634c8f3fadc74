// Matmul variant "reg8x8", what the dense kernels run on software adapters (SwiftShader): each
// invocation computes an 8×8 block of C in registers, reading A and B straight from storage; a
// workgroup of 8×8 covers 64×64 outputs. Same contract as common/matmul.wgsl.
//
// Why no workgroup memory: on SwiftShader (WebGPU on the CPU) barriers are costly and dynamic
// array indexing spills, so fully unrolled register accumulators win (docs/kernels.md has the
// variants and their GFLOP/s); on GPUs the 8 reuses of every loaded value still cut loads 8×.
// Out-of-range rows and columns load from a clamped, valid address and are never stored, so the
// inner loop has no branches.
//
// Dispatch: (ceil(N/64), ceil(M/64), T).

const MM_WG_X: u32 = 8u;
const MM_WG_Y: u32 = 8u;
const MM_TILE_M: u32 = 64u;
const MM_TILE_N: u32 = 64u;

fn mm_compute(wg: vec3<u32>, lid: vec3<u32>) {
  let t = wg.z;
  let M = dims.M;
  let N = dims.N;
  let K = dims.K;
  let row0 = wg.y * MM_TILE_M + lid.y * 8u;
  let col0 = wg.x * MM_TILE_N + lid.x * 8u;
  let a0 = dims.a_base + t * dims.a_trial;
  let b0 = dims.b_base + t * dims.b_trial;
  let ra0 = a0 + min(row0 + 0u, M - 1u) * dims.a_m;
  let ra1 = a0 + min(row0 + 1u, M - 1u) * dims.a_m;
  let ra2 = a0 + min(row0 + 2u, M - 1u) * dims.a_m;
  let ra3 = a0 + min(row0 + 3u, M - 1u) * dims.a_m;
  let ra4 = a0 + min(row0 + 4u, M - 1u) * dims.a_m;
  let ra5 = a0 + min(row0 + 5u, M - 1u) * dims.a_m;
  let ra6 = a0 + min(row0 + 6u, M - 1u) * dims.a_m;
  let ra7 = a0 + min(row0 + 7u, M - 1u) * dims.a_m;
  let cb0 = b0 + min(col0 + 0u, N - 1u) * dims.b_n;
  let cb1 = b0 + min(col0 + 1u, N - 1u) * dims.b_n;
  let cb2 = b0 + min(col0 + 2u, N - 1u) * dims.b_n;
  let cb3 = b0 + min(col0 + 3u, N - 1u) * dims.b_n;
  let cb4 = b0 + min(col0 + 4u, N - 1u) * dims.b_n;
  let cb5 = b0 + min(col0 + 5u, N - 1u) * dims.b_n;
  let cb6 = b0 + min(col0 + 6u, N - 1u) * dims.b_n;
  let cb7 = b0 + min(col0 + 7u, N - 1u) * dims.b_n;
  var acc0_lo = vec4<f32>(0.0);
  var acc0_hi = vec4<f32>(0.0);
  var acc1_lo = vec4<f32>(0.0);
  var acc1_hi = vec4<f32>(0.0);
  var acc2_lo = vec4<f32>(0.0);
  var acc2_hi = vec4<f32>(0.0);
  var acc3_lo = vec4<f32>(0.0);
  var acc3_hi = vec4<f32>(0.0);
  var acc4_lo = vec4<f32>(0.0);
  var acc4_hi = vec4<f32>(0.0);
  var acc5_lo = vec4<f32>(0.0);
  var acc5_hi = vec4<f32>(0.0);
  var acc6_lo = vec4<f32>(0.0);
  var acc6_hi = vec4<f32>(0.0);
  var acc7_lo = vec4<f32>(0.0);
  var acc7_hi = vec4<f32>(0.0);
  var oa = 0u;
  var ob = 0u;
  for (var k = 0u; k < K; k++) {
    let b_lo = vec4<f32>(mm_b[cb0 + ob], mm_b[cb1 + ob], mm_b[cb2 + ob], mm_b[cb3 + ob]);
    let b_hi = vec4<f32>(mm_b[cb4 + ob], mm_b[cb5 + ob], mm_b[cb6 + ob], mm_b[cb7 + ob]);
    let x0 = vec4<f32>(mm_a[ra0 + oa]);
    acc0_lo = fma(x0, b_lo, acc0_lo);
    acc0_hi = fma(x0, b_hi, acc0_hi);
    let x1 = vec4<f32>(mm_a[ra1 + oa]);
    acc1_lo = fma(x1, b_lo, acc1_lo);
    acc1_hi = fma(x1, b_hi, acc1_hi);
    let x2 = vec4<f32>(mm_a[ra2 + oa]);
    acc2_lo = fma(x2, b_lo, acc2_lo);
    acc2_hi = fma(x2, b_hi, acc2_hi);
    let x3 = vec4<f32>(mm_a[ra3 + oa]);
    acc3_lo = fma(x3, b_lo, acc3_lo);
    acc3_hi = fma(x3, b_hi, acc3_hi);
    let x4 = vec4<f32>(mm_a[ra4 + oa]);
    acc4_lo = fma(x4, b_lo, acc4_lo);
    acc4_hi = fma(x4, b_hi, acc4_hi);
    let x5 = vec4<f32>(mm_a[ra5 + oa]);
    acc5_lo = fma(x5, b_lo, acc5_lo);
    acc5_hi = fma(x5, b_hi, acc5_hi);
    let x6 = vec4<f32>(mm_a[ra6 + oa]);
    acc6_lo = fma(x6, b_lo, acc6_lo);
    acc6_hi = fma(x6, b_hi, acc6_hi);
    let x7 = vec4<f32>(mm_a[ra7 + oa]);
    acc7_lo = fma(x7, b_lo, acc7_lo);
    acc7_hi = fma(x7, b_hi, acc7_hi);
    oa += dims.a_k;
    ob += dims.b_k;
  }
  // One copy of the epilogue in a loop (not 64 inlined ones): the stores are a small part of the
  // work, and a kernel's epilogue (e.g. the dropout hash) would otherwise bloat compile time.
  let tile = array<vec4<f32>, 16>(
    acc0_lo, acc0_hi, acc1_lo, acc1_hi, acc2_lo, acc2_hi, acc3_lo, acc3_hi,
    acc4_lo, acc4_hi, acc5_lo, acc5_hi, acc6_lo, acc6_hi, acc7_lo, acc7_hi,
  );
  let rows = min(8u, M - min(row0, M));
  let cols = min(8u, N - min(col0, N));
  for (var i = 0u; i < rows; i++) {
    for (var j = 0u; j < cols; j++) {
      mm_store(t, row0 + i, col0 + j, tile[i * 2u + j / 4u][j % 4u]);
    }
  }
}
