// The structs the kernels share with the host (shaders/common/trial.wgsl), and the byte sizes that follow from them.
import { ScalarStruct } from './struct.ts';

export const TrialParams = new ScalarStruct('TrialParams', [
  ['optimizer', 'u32'],
  ['momentum', 'f32'],
  ['dampening', 'f32'],
  ['nesterov', 'u32'],
  ['beta1', 'f32'],
  ['beta2', 'f32'],
  ['eps', 'f32'],
  ['alpha', 'f32'],
  ['weight_decay', 'f32'],
  ['l1', 'f32'],
  ['l2', 'f32'],
  ['dropout', 'f32'],
  ['seed', 'u32'],
  ['frozen', 'u32'],
  ['pad1', 'u32'],
  ['pad2', 'u32'],
] as const);
export type TrialParamsValues = Partial<Record<(typeof TrialParams.fields)[number][0], number>>;

export const TrialStep = new ScalarStruct('TrialStep', [
  ['lr', 'f32'],
  ['bc1', 'f32'],
  ['bc2', 'f32'],
  ['count', 'u32'],
  ['batch', 'u32'],
  ['pad0', 'u32'],
  ['pad1', 'u32'],
  ['pad2', 'u32'],
] as const);
export type TrialStepValues = Partial<Record<(typeof TrialStep.fields)[number][0], number>>;

/** The fixed head of StepData; its `trials` array of TrialStep follows. */
export const StepHeader = new ScalarStruct('StepData', [
  ['slot', 'u32'],
  ['pad0', 'u32'],
  ['pad1', 'u32'],
  ['pad2', 'u32'],
] as const);
export type StepHeaderValues = Partial<Record<(typeof StepHeader.fields)[number][0], number>>;

/** Bytes of one TrialStatus (flags, diverged_step): written by the GPU only. */
export const STATUS_BYTES = 8;

/**
 * Floats per trial in a metrics accumulator: loss_sum, correct, rows, last_loss (softmax-xent);
 * loss_sum, abs_err_sum, rows, sq_err_sum (regression-loss).
 */
export const METRIC_FLOATS = 4;

/** The label word of the device data set's padding row (shaders/common/pad-label.wgsl): loss kernels skip it. */
export const PAD_LABEL = 0xffffffff;

/** NOTE: the most steps one submit records: the step ring's slots (and the loss history's rows). */
export const RING_SLOTS = 64;

/** Bytes of one step's StepData for T trials: the header and T TrialSteps (what one binding covers). */
export function stepDataBytes(T: number): number {
  return StepHeader.byteSize + T * TrialStep.byteSize;
}

/** Byte stride of one step-ring slot for T trials: its StepData, aligned for dynamic offsets. */
export function ringStride(T: number, minStorageBufferOffsetAlignment: number): number {
  return Math.ceil(stepDataBytes(T) / minStorageBufferOffsetAlignment) * minStorageBufferOffsetAlignment;
}
