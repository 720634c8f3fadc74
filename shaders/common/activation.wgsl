// Activations and their derivatives, selected by the override ACT (one pipeline per activation).
//
// The derivative is written in terms of the activation's OUTPUT y, so the forward pass keeps
// only y (no pre-activation buffer): relu' = [y > 0], tanh' = 1 - y², sigmoid' = y (1 - y).

const ACT_LINEAR: u32 = 0u;
const ACT_RELU: u32 = 1u;
const ACT_TANH: u32 = 2u;
const ACT_SIGMOID: u32 = 3u;

override ACT: u32 = ACT_LINEAR;

fn activate(z: f32) -> f32 {
  switch ACT {
    case ACT_RELU: { return max(z, 0.0); }
    case ACT_TANH: {
      // Written out: some backends evaluate tanh as a ratio of exps that overflows to NaN.
      let e = exp(-2.0 * abs(z));
      return sign(z) * (1.0 - e) / (1.0 + e);
    }
    case ACT_SIGMOID: { return 1.0 / (1.0 + exp(-z)); }
    default: { return z; }
  }
}

fn activation_grad(y: f32) -> f32 {
  switch ACT {
    case ACT_RELU: { return select(0.0, 1.0, y > 0.0); }
    case ACT_TANH: { return 1.0 - y * y; }
    case ACT_SIGMOID: { return y * (1.0 - y); }
    default: { return 1.0; }
  }
}
