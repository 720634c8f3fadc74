// Matmul variant "splitk": a 32×32 block of C per workgroup of 16×16, the K loop split four ways
// inside the workgroup. Same contract as common/matmul.wgsl.
//
// Why: a fused training step multiplies small blocks (B = 32…256 rows, N = 10…128 columns) over K up
// to 784, so 64×64 tiles give a dispatch few workgroups (T = 32, 64×784 · 784×128: 64 workgroups for
// a GPU with 132 multiprocessors). Here each 64-invocation group g of the workgroup computes the
// 32×32 block (4×4 per invocation) over k ≡ its quarter of each 32-wide K tile, and the four partial
// blocks are added in workgroup memory in a fixed order, ((g0 + g2) + (g1 + g3)), so results are
// deterministic and a trial's numbers do not depend on the others. 4× the workgroups of a 64×64
// tile, one K-tile of A and B (8 KiB) in workgroup memory, reused for the reduction.

const MM_WG_X: u32 = 16u;
const MM_WG_Y: u32 = 16u;
const MM_TILE_M: u32 = 32u;
const MM_TILE_N: u32 = 32u;
const MM_TILE_K: u32 = 32u;

// A tile [k][m / 4] at 0..255, B tile [k][n / 4] at 256..511; after the K loop, partial blocks.
var<workgroup> mm_tiles: array<vec4<f32>, 512>;

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
  // The invocation's K group and its 4×4 block within the 32×32 tile.
  let group = tid / 64u;
  let q = tid % 64u;
  let qx = q % 8u;
  let qy = q / 8u;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < dims.K; k0 += MM_TILE_K) {
    // Stage 32 × 32 of A and of B, 4 floats per invocation each, along the contiguous axis.
    if (dims.a_k == 1u) {
      let m = tid / 8u;
      let kq = (tid % 8u) * 4u;
      for (var c = 0u; c < 4u; c++) {
        mm_tiles[(kq + c) * 8u + m / 4u][m % 4u] = mm_load_a(a0, m_tile + m, k0 + kq + c);
      }
    } else {
      let k = tid / 8u;
      let m = (tid % 8u) * 4u;
      mm_tiles[k * 8u + tid % 8u] = vec4<f32>(
        mm_load_a(a0, m_tile + m, k0 + k), mm_load_a(a0, m_tile + m + 1u, k0 + k),
        mm_load_a(a0, m_tile + m + 2u, k0 + k), mm_load_a(a0, m_tile + m + 3u, k0 + k));
    }
    if (dims.b_n == 1u) {
      let k = tid / 8u;
      let n = (tid % 8u) * 4u;
      mm_tiles[256u + k * 8u + tid % 8u] = vec4<f32>(
        mm_load_b(b0, k0 + k, n_tile + n), mm_load_b(b0, k0 + k, n_tile + n + 1u),
        mm_load_b(b0, k0 + k, n_tile + n + 2u), mm_load_b(b0, k0 + k, n_tile + n + 3u));
    } else {
      let n = tid / 8u;
      let kq = (tid % 8u) * 4u;
      for (var c = 0u; c < 4u; c++) {
        mm_tiles[256u + (kq + c) * 8u + n / 4u][n % 4u] = mm_load_b(b0, k0 + kq + c, n_tile + n);
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 8u; kk++) {
      let k = group * 8u + kk;
      let a = mm_tiles[k * 8u + qy];
      let b = mm_tiles[256u + k * 8u + qx];
      acc0 = fma(vec4<f32>(a.x), b, acc0);
      acc1 = fma(vec4<f32>(a.y), b, acc1);
      acc2 = fma(vec4<f32>(a.z), b, acc2);
      acc3 = fma(vec4<f32>(a.w), b, acc3);
    }
    workgroupBarrier();
  }
  // Reduce the four partial blocks in a fixed order: groups 2 and 3 hand theirs to 0 and 1, then 1 to 0.
  let slot = (group % 2u) * 256u + q * 4u;
  if (group >= 2u) {
    mm_tiles[slot] = acc0;
    mm_tiles[slot + 1u] = acc1;
    mm_tiles[slot + 2u] = acc2;
    mm_tiles[slot + 3u] = acc3;
  }
  workgroupBarrier();
  if (group < 2u) {
    acc0 += mm_tiles[slot];
    acc1 += mm_tiles[slot + 1u];
    acc2 += mm_tiles[slot + 2u];
    acc3 += mm_tiles[slot + 3u];
  }
  workgroupBarrier();
  if (group == 1u) {
    mm_tiles[q * 4u] = acc0;
    mm_tiles[q * 4u + 1u] = acc1;
    mm_tiles[q * 4u + 2u] = acc2;
    mm_tiles[q * 4u + 3u] = acc3;
  }
  workgroupBarrier();
  if (group == 0u) {
    let accs = array<vec4<f32>, 4>(acc0 + mm_tiles[q * 4u], acc1 + mm_tiles[q * 4u + 1u], acc2 + mm_tiles[q * 4u + 2u], acc3 + mm_tiles[q * 4u + 3u]);
    let row0 = m_tile + qy * 4u;
    let col0 = n_tile + qx * 4u;
    for (var i = 0u; i < 4u; i++) {
      for (var j = 0u; j < 4u; j++) {
        if (row0 + i < dims.M && col0 + j < dims.N) {
          mm_store(t, row0 + i, col0 + j, accs[i][j]);
        }
      }
    }
  }
}
