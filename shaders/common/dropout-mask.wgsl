// The dropout mask as a pure function of (trial seed, step, layer, element): no RNG state, so the
// forward pass (dropout.wgsl) and the backward pass (dense-backward-input.wgsl) agree exactly.
// src/kernels/reference.ts computes the same bits.

// A 32-bit integer hash with good avalanche (Chris Wellons' "lowbias32").
fn hash_u32(v: u32) -> u32 {
  var x = v;
  x ^= x >> 16u;
  x *= 0x7feb352du;
  x ^= x >> 15u;
  x *= 0x846ca68bu;
  x ^= x >> 16u;
  return x;
}

// Inverted dropout factor of one element: 0 when dropped, 1 / (1 - rate) when kept,
// exactly 1 when rate is 0 (so rate 0 is an identity).
fn dropout_scale(seed: u32, step: u32, layer: u32, element: u32, rate: f32) -> f32 {
  if (rate <= 0.0) {
    return 1.0;
  }
  var h = hash_u32(seed);
  h = hash_u32(h ^ step);
  h = hash_u32(h ^ (layer * 0x9e3779b9u));
  h = hash_u32(h ^ element);
  // 24 uniform bits in [0, 1).
  let u = f32(h >> 8u) * (1.0 / 16777216.0);
  return select(0.0, 1.0 / (1.0 - rate), u >= rate);
}
