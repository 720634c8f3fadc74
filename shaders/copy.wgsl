// copy: dst[i] = src[i] for i < n4 (vec4<f32> elements), the memory-bandwidth probe of `fusetune bench`.
//
// Shape key: N4 = number of vec4<f32> elements (n4 in dims).
// Bindings:
//   @group(0) @binding(0) src:  [N4] vec4<f32>, read
//   @group(0) @binding(1) dst:  [N4] vec4<f32>, read_write
//   @group(0) @binding(2) dims: CopyDims uniform
// Dispatch: x * y workgroups cover ceil(N4 / WG) (y > 1 only when x would exceed
// maxComputeWorkgroupsPerDimension); WG = 256, a multiple of every GPU's SIMD width.

override WG: u32 = 256u;

struct CopyDims {
  n4: u32,
  // Workgroups along x, so a 2D grid flattens back to one index.
  groups_x: u32,
  pad0: u32,
  pad1: u32,
}

@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> dims: CopyDims;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wg.y * dims.groups_x + wg.x) * WG + lid;
  if (i < dims.n4) {
    dst[i] = src[i];
  }
}
