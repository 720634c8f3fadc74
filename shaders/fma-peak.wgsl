// fma-peak: the compute ceiling `fusetune bench` compares the matmul kernels with. Every invocation
// runs 8 independent vec4 chains x ← x·a + b for `iters` rounds (32 fused multiply-adds, 64 FLOP per
// round), so the chains hide FMA latency and nothing but arithmetic is timed; the sum is stored so
// the compiler cannot drop the work.
//
// Shape key: N = invocations (one vec4 result each).
// Bindings:
//   @group(0) @binding(0) out:  [N] vec4<f32>, the sum of the 8 chains of each invocation
//   @group(0) @binding(1) dims: PeakDims uniform (a and b at run time, so nothing folds)
// Dispatch: x · y workgroups of WG = 64 cover N (y > 1 only past maxComputeWorkgroupsPerDimension).

override WG: u32 = 64u;

struct PeakDims {
  n: u32,
  iters: u32,
  groups_x: u32,
  pad: u32,
  a: f32,
  b: f32,
  pad1: f32,
  pad2: f32,
}

@group(0) @binding(0) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(1) var<uniform> dims: PeakDims;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wg.y * dims.groups_x + wg.x) * WG + lid;
  if (i >= dims.n) {
    return;
  }
  let a = vec4<f32>(dims.a);
  let b = vec4<f32>(dims.b);
  // Distinct starts per chain and lane: x0 + k/8 + lane/32.
  let x0 = f32(i % 16u) / 16.0;
  let lane = vec4<f32>(0.0, 1.0, 2.0, 3.0) / 32.0;
  var c0 = vec4<f32>(x0) + lane;
  var c1 = c0 + 0.125;
  var c2 = c0 + 0.25;
  var c3 = c0 + 0.375;
  var c4 = c0 + 0.5;
  var c5 = c0 + 0.625;
  var c6 = c0 + 0.75;
  var c7 = c0 + 0.875;
  for (var r = 0u; r < dims.iters; r++) {
    c0 = fma(c0, a, b);
    c1 = fma(c1, a, b);
    c2 = fma(c2, a, b);
    c3 = fma(c3, a, b);
    c4 = fma(c4, a, b);
    c5 = fma(c5, a, b);
    c6 = fma(c6, a, b);
    c7 = fma(c7, a, b);
  }
  out[i] = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7));
}
