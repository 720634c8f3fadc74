// Matmul variant "subgroup": the reg8x8 core (an 8×8 block per invocation, 8×8 invocations per
// 64×64 tile, no workgroup memory) with A's loads shared within each quad of a subgroup. Same contract
// as common/matmul.wgsl; built only for adapters with the `subgroups` feature (common/subgroups.wgsl
// enables it and is prepended to this core's kernels alone).
//
// Why: the four invocations of a quad (local index 4q…4q+3) compute the same 8 rows for four column
// blocks, so in reg8x8 each loads the same A values. Here lane j of the quad loads A at k0 + j for
// its 8 rows and quadBroadcast hands every lane all four k: a quarter of A's loads, K/4 broadcasts.
// WGSL does not promise that a quad is 4q…4q+3 of the local index, so the core checks it once
// (every lane sees the expected neighbours) and otherwise, and for the last K mod 4 steps, loads A
// itself as reg8x8 does. Both paths add the same products in the same order: results are identical.

const MM_WG_X: u32 = 8u;
const MM_WG_Y: u32 = 8u;
const MM_TILE_M: u32 = 64u;
const MM_TILE_N: u32 = 64u;

var<private> mm_acc: array<vec4<f32>, 16>;

// One k of the 8×8 block: rows x0…x7 times the columns b_lo, b_hi.
fn mm_rank1(x0: f32, x1: f32, x2: f32, x3: f32, x4: f32, x5: f32, x6: f32, x7: f32, b_lo: vec4<f32>, b_hi: vec4<f32>) {
  mm_acc[0] = fma(vec4<f32>(x0), b_lo, mm_acc[0]);
  mm_acc[1] = fma(vec4<f32>(x0), b_hi, mm_acc[1]);
  mm_acc[2] = fma(vec4<f32>(x1), b_lo, mm_acc[2]);
  mm_acc[3] = fma(vec4<f32>(x1), b_hi, mm_acc[3]);
  mm_acc[4] = fma(vec4<f32>(x2), b_lo, mm_acc[4]);
  mm_acc[5] = fma(vec4<f32>(x2), b_hi, mm_acc[5]);
  mm_acc[6] = fma(vec4<f32>(x3), b_lo, mm_acc[6]);
  mm_acc[7] = fma(vec4<f32>(x3), b_hi, mm_acc[7]);
  mm_acc[8] = fma(vec4<f32>(x4), b_lo, mm_acc[8]);
  mm_acc[9] = fma(vec4<f32>(x4), b_hi, mm_acc[9]);
  mm_acc[10] = fma(vec4<f32>(x5), b_lo, mm_acc[10]);
  mm_acc[11] = fma(vec4<f32>(x5), b_hi, mm_acc[11]);
  mm_acc[12] = fma(vec4<f32>(x6), b_lo, mm_acc[12]);
  mm_acc[13] = fma(vec4<f32>(x6), b_hi, mm_acc[13]);
  mm_acc[14] = fma(vec4<f32>(x7), b_lo, mm_acc[14]);
  mm_acc[15] = fma(vec4<f32>(x7), b_hi, mm_acc[15]);
}

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
  for (var i = 0u; i < 16u; i++) {
    mm_acc[i] = vec4<f32>(0.0);
  }
  // Lanes of one quad share lid.y (hence rows) when the quad is local indices 4q…4q+3.
  let index = lid.y * MM_WG_X + lid.x;
  let lane = index % 4u;
  let base = index - lane;
  let quads_ok = subgroupAll(quadBroadcast(index, 0u) == base && quadBroadcast(index, 1u) == base + 1u &&
                             quadBroadcast(index, 2u) == base + 2u && quadBroadcast(index, 3u) == base + 3u);
  var k = 0u;
  if (quads_ok) {
    let k4 = K - K % 4u;
    for (; k < k4; k += 4u) {
      let oa = (k + lane) * dims.a_k;
      let v0 = mm_a[ra0 + oa];
      let v1 = mm_a[ra1 + oa];
      let v2 = mm_a[ra2 + oa];
      let v3 = mm_a[ra3 + oa];
      let v4 = mm_a[ra4 + oa];
      let v5 = mm_a[ra5 + oa];
      let v6 = mm_a[ra6 + oa];
      let v7 = mm_a[ra7 + oa];
      {
        let ob = (k + 0u) * dims.b_k;
        let b_lo = vec4<f32>(mm_b[cb0 + ob], mm_b[cb1 + ob], mm_b[cb2 + ob], mm_b[cb3 + ob]);
        let b_hi = vec4<f32>(mm_b[cb4 + ob], mm_b[cb5 + ob], mm_b[cb6 + ob], mm_b[cb7 + ob]);
        mm_rank1(quadBroadcast(v0, 0u), quadBroadcast(v1, 0u), quadBroadcast(v2, 0u), quadBroadcast(v3, 0u), quadBroadcast(v4, 0u), quadBroadcast(v5, 0u), quadBroadcast(v6, 0u), quadBroadcast(v7, 0u), b_lo, b_hi);
      }
      {
        let ob = (k + 1u) * dims.b_k;
        let b_lo = vec4<f32>(mm_b[cb0 + ob], mm_b[cb1 + ob], mm_b[cb2 + ob], mm_b[cb3 + ob]);
        let b_hi = vec4<f32>(mm_b[cb4 + ob], mm_b[cb5 + ob], mm_b[cb6 + ob], mm_b[cb7 + ob]);
        mm_rank1(quadBroadcast(v0, 1u), quadBroadcast(v1, 1u), quadBroadcast(v2, 1u), quadBroadcast(v3, 1u), quadBroadcast(v4, 1u), quadBroadcast(v5, 1u), quadBroadcast(v6, 1u), quadBroadcast(v7, 1u), b_lo, b_hi);
      }
      {
        let ob = (k + 2u) * dims.b_k;
        let b_lo = vec4<f32>(mm_b[cb0 + ob], mm_b[cb1 + ob], mm_b[cb2 + ob], mm_b[cb3 + ob]);
        let b_hi = vec4<f32>(mm_b[cb4 + ob], mm_b[cb5 + ob], mm_b[cb6 + ob], mm_b[cb7 + ob]);
        mm_rank1(quadBroadcast(v0, 2u), quadBroadcast(v1, 2u), quadBroadcast(v2, 2u), quadBroadcast(v3, 2u), quadBroadcast(v4, 2u), quadBroadcast(v5, 2u), quadBroadcast(v6, 2u), quadBroadcast(v7, 2u), b_lo, b_hi);
      }
      {
        let ob = (k + 3u) * dims.b_k;
        let b_lo = vec4<f32>(mm_b[cb0 + ob], mm_b[cb1 + ob], mm_b[cb2 + ob], mm_b[cb3 + ob]);
        let b_hi = vec4<f32>(mm_b[cb4 + ob], mm_b[cb5 + ob], mm_b[cb6 + ob], mm_b[cb7 + ob]);
        mm_rank1(quadBroadcast(v0, 3u), quadBroadcast(v1, 3u), quadBroadcast(v2, 3u), quadBroadcast(v3, 3u), quadBroadcast(v4, 3u), quadBroadcast(v5, 3u), quadBroadcast(v6, 3u), quadBroadcast(v7, 3u), b_lo, b_hi);
      }
    }
  }
  for (; k < K; k++) {
    let oa = k * dims.a_k;
    let ob = k * dims.b_k;
    let b_lo = vec4<f32>(mm_b[cb0 + ob], mm_b[cb1 + ob], mm_b[cb2 + ob], mm_b[cb3 + ob]);
    let b_hi = vec4<f32>(mm_b[cb4 + ob], mm_b[cb5 + ob], mm_b[cb6 + ob], mm_b[cb7 + ob]);
    mm_rank1(mm_a[ra0 + oa], mm_a[ra1 + oa], mm_a[ra2 + oa], mm_a[ra3 + oa], mm_a[ra4 + oa], mm_a[ra5 + oa], mm_a[ra6 + oa], mm_a[ra7 + oa], b_lo, b_hi);
  }
  let rows = min(8u, M - min(row0, M));
  let cols = min(8u, N - min(col0, N));
  for (var i = 0u; i < rows; i++) {
    for (var j = 0u; j < cols; j++) {
      mm_store(t, row0 + i, col0 + j, mm_acc[i * 2u + j / 4u][j % 4u]);
    }
  }
}
