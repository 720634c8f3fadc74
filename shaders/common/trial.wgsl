// Shared by the training kernels: per-trial hyperparameters, per-step scalars, status flags, float checks.
//
// T = trials. Every training kernel finds its trial's settings at trials[t] and its step's
// scalars at step_data.trials[t]; host code writes both (src/kernels/trial-buffers.ts declares
// the same structs).

// Optimizer kinds (TrialParams.optimizer).
const OPT_SGD: u32 = 0u;      // plain SGD, or momentum / Nesterov when momentum > 0
const OPT_RMSPROP: u32 = 1u;
const OPT_ADAM: u32 = 2u;
const OPT_ADAMW: u32 = 3u;

// TrialStatus.flags bits, set on the GPU only. A trial with any bit set is frozen: its updates are
// no-ops. (The host freezes a trial through TrialParams.frozen, a buffer the GPU never writes, so
// the two cannot overwrite each other.)
const STATUS_DIVERGED: u32 = 1u;  // loss, a gradient or an update became NaN/Inf
const STEP_NONE: u32 = 0xffffffffu;

struct TrialParams {
  optimizer: u32,
  momentum: f32,
  dampening: f32,
  nesterov: u32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  alpha: f32,
  weight_decay: f32,
  l1: f32,
  l2: f32,
  dropout: f32,
  seed: u32,
  // Nonzero: stopped by the host (early stopping, finished); updates are no-ops.
  frozen: u32,
  pad1: u32,
  pad2: u32,
}

// Per step and trial, computed on the host so kernels stay elementwise. NOTE: every trial keeps its
// own step count and batch position, so trials of one cohort may be at different steps (a refilled
// slot starts at 1) and a trial trains the same numbers in any cohort.
struct TrialStep {
  lr: f32,
  // 1 - beta1^count and 1 - beta2^count (Adam's bias corrections).
  bc1: f32,
  bc2: f32,
  // The trial's own 1-based update count; count - 1 is its step (seeds dropout masks).
  count: u32,
  // Index of the trial's batch within its current epoch's order.
  batch: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
}

// One slot per step of a submit, bound with a dynamic offset.
struct StepData {
  // Row of the loss history this step writes (the step's index within its submit).
  slot: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
  trials: array<TrialStep>,
}

struct TrialStatus {
  flags: atomic<u32>,
  // First step at which the trial diverged (STEP_NONE while healthy).
  diverged_step: atomic<u32>,
}

// NaN or ±Inf, by bits: compilers may assume floats are finite and fold x != x away.
fn is_bad(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}
