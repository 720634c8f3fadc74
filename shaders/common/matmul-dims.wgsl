// Shape and addressing of one batched product C[t] = A[t] · B[t] for t < T, shared by the dense kernels.
//
// M, N, K: C is M×N, the reduction runs over K. Operands are addressed by strides, so one core
// serves X·W (forward), dZ·Wᵀ (input gradient) and Xᵀ·dZ (weight gradient) without copies:
//   A(t, m, k) = mm_a[a_base + t*a_trial + m*a_m + k*a_k]
//   B(t, k, n) = mm_b[b_base + t*b_trial + k*b_k + n*b_n]
//   C(t, m, n) at c_base + t*c_trial + m*N + n (row-major)
// e_* locate the kernel's epilogue operand (bias, stored activations, bias gradient).
// A trial stride of 0 shares one operand among all trials (e.g. the validation inputs).
struct MatmulDims {
  M: u32,
  N: u32,
  K: u32,
  layer: u32,
  a_base: u32,
  a_trial: u32,
  a_m: u32,
  a_k: u32,
  b_base: u32,
  b_trial: u32,
  b_k: u32,
  b_n: u32,
  c_base: u32,
  c_trial: u32,
  e_base: u32,
  e_trial: u32,
}
