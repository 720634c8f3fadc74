// Matmul variant "tile128": a 128×128 block of C per workgroup of 16×16, each invocation an 8×8 block
// (16 vec4 accumulators), K staged 8 at a time in workgroup memory. Same contract as common/matmul.wgsl.
//
// Why: on a GPU the `shared` core's 4×4 per invocation reads two vec4s of workgroup memory per 16
// FMAs; here two vec4s of A and two of B feed 64 FMAs, the ratio that lets tiled GPU matmuls approach
// the FMA peak at large sizes. Staging follows the operand's contiguous axis (a_k = 1 or not, b_n = 1
// or not, uniform branches), so neighbouring invocations read neighbouring floats. An invocation's
// rows are ly·4 + {0..3} and 64 + ly·4 + {0..3} (columns alike), so the 16 invocations of a row read
// consecutive vec4s. A tile of 128 wastes half a 64-row batch: this core is for large products;
// `splitk` is for the fused training shapes.

const MM_WG_X: u32 = 16u;
const MM_WG_Y: u32 = 16u;
const MM_TILE_M: u32 = 128u;
const MM_TILE_N: u32 = 128u;
const MM_TILE_K: u32 = 8u;

var<workgroup> mm_tile_a: array<vec4<f32>, 256>;  // [k][m / 4]: 8 × 128 floats
var<workgroup> mm_tile_b: array<vec4<f32>, 256>;  // [k][n / 4]: 8 × 128 floats

// A(t, m, k) with m clamped (rows past M are never stored) and k past K read as 0.
fn mm_load_a(a0: u32, m: u32, k: u32) -> f32 {
  return select(0.0, mm_a[a0 + min(m, dims.M - 1u) * dims.a_m + min(k, dims.K - 1u) * dims.a_k], k < dims.K);
}

fn mm_load_b(b0: u32, k: u32, n: u32) -> f32 {
  return select(0.0, mm_b[b0 + min(k, dims.K - 1u) * dims.b_k + min(n, dims.N - 1u) * dims.b_n], k < dims.K);
}

fn mm_compute(wg: vec3<u32>, lid: vec3<u32>) {
  let t = wg.z;
  let tid = lid.y * MM_WG_X + lid.x;
  let m_tile = wg.y * MM_TILE_M;
  let n_tile = wg.x * MM_TILE_N;
  let a0 = dims.a_base + t * dims.a_trial;
  let b0 = dims.b_base + t * dims.b_trial;
  let a_along_k = dims.a_k == 1u;
  let b_along_n = dims.b_n == 1u;
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
  for (var k0 = 0u; k0 < dims.K; k0 += MM_TILE_K) {
    // Stage 8 × 128 of A and of B: 4 floats per invocation each.
    if (a_along_k) {
      let m = tid / 2u;
      let kq = (tid % 2u) * 4u;
      for (var c = 0u; c < 4u; c++) {
        mm_tile_a[(kq + c) * 32u + m / 4u][m % 4u] = mm_load_a(a0, m_tile + m, k0 + kq + c);
      }
    } else {
      let k = tid / 32u;
      let m = (tid % 32u) * 4u;
      mm_tile_a[k * 32u + tid % 32u] = vec4<f32>(
        mm_load_a(a0, m_tile + m, k0 + k), mm_load_a(a0, m_tile + m + 1u, k0 + k),
        mm_load_a(a0, m_tile + m + 2u, k0 + k), mm_load_a(a0, m_tile + m + 3u, k0 + k));
    }
    if (b_along_n) {
      let k = tid / 32u;
      let n = (tid % 32u) * 4u;
      mm_tile_b[k * 32u + tid % 32u] = vec4<f32>(
        mm_load_b(b0, k0 + k, n_tile + n), mm_load_b(b0, k0 + k, n_tile + n + 1u),
        mm_load_b(b0, k0 + k, n_tile + n + 2u), mm_load_b(b0, k0 + k, n_tile + n + 3u));
    } else {
      let n = tid / 2u;
      let kq = (tid % 2u) * 4u;
      for (var c = 0u; c < 4u; c++) {
        mm_tile_b[(kq + c) * 32u + n / 4u][n % 4u] = mm_load_b(b0, k0 + kq + c, n_tile + n);
      }
    }
    workgroupBarrier();
    for (var k = 0u; k < MM_TILE_K; k++) {
      let lo = mm_tile_a[k * 32u + lid.y];
      let hi = mm_tile_a[k * 32u + 16u + lid.y];
      let b_lo = mm_tile_b[k * 32u + lid.x];
      let b_hi = mm_tile_b[k * 32u + 16u + lid.x];
      acc0_lo = fma(vec4<f32>(lo.x), b_lo, acc0_lo);
      acc0_hi = fma(vec4<f32>(lo.x), b_hi, acc0_hi);
      acc1_lo = fma(vec4<f32>(lo.y), b_lo, acc1_lo);
      acc1_hi = fma(vec4<f32>(lo.y), b_hi, acc1_hi);
      acc2_lo = fma(vec4<f32>(lo.z), b_lo, acc2_lo);
      acc2_hi = fma(vec4<f32>(lo.z), b_hi, acc2_hi);
      acc3_lo = fma(vec4<f32>(lo.w), b_lo, acc3_lo);
      acc3_hi = fma(vec4<f32>(lo.w), b_hi, acc3_hi);
      acc4_lo = fma(vec4<f32>(hi.x), b_lo, acc4_lo);
      acc4_hi = fma(vec4<f32>(hi.x), b_hi, acc4_hi);
      acc5_lo = fma(vec4<f32>(hi.y), b_lo, acc5_lo);
      acc5_hi = fma(vec4<f32>(hi.y), b_hi, acc5_hi);
      acc6_lo = fma(vec4<f32>(hi.z), b_lo, acc6_lo);
      acc6_hi = fma(vec4<f32>(hi.z), b_hi, acc6_hi);
      acc7_lo = fma(vec4<f32>(hi.w), b_lo, acc7_lo);
      acc7_hi = fma(vec4<f32>(hi.w), b_hi, acc7_hi);
    }
    workgroupBarrier();
  }
  let tile = array<vec4<f32>, 16>(
    acc0_lo, acc0_hi, acc1_lo, acc1_hi, acc2_lo, acc2_hi, acc3_lo, acc3_hi,
    acc4_lo, acc4_hi, acc5_lo, acc5_hi, acc6_lo, acc6_hi, acc7_lo, acc7_hi,
  );
  for (var i = 0u; i < 8u; i++) {
    let row = m_tile + (i / 4u) * 64u + lid.y * 4u + i % 4u;
    for (var j = 0u; j < 8u; j++) {
      let col = n_tile + (j / 4u) * 64u + lid.x * 4u + j % 4u;
      if (row < dims.M && col < dims.N) {
        mm_store(t, row, col, tile[i * 2u + j / 4u][j % 4u]);
      }
    }
  }
}
