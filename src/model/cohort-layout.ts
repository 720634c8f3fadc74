// The shape of a cohort and every buffer it allocates, as pure arithmetic: the engine allocates exactly
// these, and the scheduler uses the same numbers to admit and split cohorts before anything is allocated.
import { parameterLayout } from './parameter-layout.ts';
import { stepsPerEpoch } from './steps.ts';
import { METRIC_FLOATS, RING_SLOTS, ringStride, STATUS_BYTES, TrialParams } from './structs.ts';
import { optimizerState } from './optimizers.ts';
import type { Activation, TrialConfig } from './trial-config.ts';

export interface CohortShape {
  /** Widths from input to output: [F, hidden..., C]. */
  widths: number[];
  activation: Activation;
  batchSize: number;
}

export function shapeOf(config: Pick<TrialConfig, 'hidden' | 'activation' | 'batchSize'>, features: number, classes: number): CohortShape {
  return { widths: [features, ...config.hidden, classes], activation: config.activation, batchSize: config.batchSize };
}

export type MemoryCategory = 'weights' | 'gradients' | 'optimizer' | 'activations' | 'batching' | 'control';

export interface BufferPlan {
  /** Label suffix under the cohort's id, e.g. `weights` or `act-1`. */
  name: string;
  category: MemoryCategory;
  bytes: number;
}

/** The optional buffers of a cohort: optimizer state (m, v) and dropout's. */
export interface SlotBuffers {
  m: boolean;
  v: boolean;
  dropout: boolean;
}

/** Why a trial cannot take a slot of a cohort holding `holds` (a buffer it needs is missing); null when it can. */
export function slotRefusal(holds: SlotBuffers, trial: Pick<TrialConfig, 'optimizer' | 'dropout'>): string | null {
  const need = optimizerState(trial.optimizer.kind, trial.optimizer.momentum);
  if ((need.m && !holds.m) || (need.v && !holds.v)) return `${trial.optimizer.kind} needs optimizer state the cohort did not allocate`;
  if (trial.dropout > 0 && !holds.dropout) return 'dropout needs buffers the cohort did not allocate';
  return null;
}

/** Rows per evaluation pass: the larger held-out split, at most 512 (evaluation activations grow with it). */
export function defaultEvalBatch(split: { validation: number; test: number }): number {
  return Math.max(1, Math.min(512, Math.max(split.validation, split.test)));
}

export interface CohortLayoutInput {
  shape: CohortShape;
  /** The trials a cohort starts with; their optimizer state and dropout decide what it allocates. */
  trials: readonly Pick<TrialConfig, 'optimizer' | 'dropout'>[];
  /** Slots of the cohort (default: one per trial); slots beyond the trials start idle, for refills. */
  slots?: number;
  /** Allocate optimizer state and dropout buffers even if the first trials need none (so a refill may). */
  reserve?: Partial<SlotBuffers>;
  /** Rows of the training split (batches are drawn from these). */
  trainRows: number;
  /** Rows per evaluation pass (validation/test are evaluated in chunks of this many rows). */
  evalBatch: number;
  /**
   * Slots validate on rows of their own (cross-validation folds), at most this many each: adds the
   * buffers that gather each slot's evaluation rows, chunk by chunk. Absent: all slots validate on
   * the validation split, read straight from the data set.
   */
  slotValidationRows?: number;
  /** Slots of the per-step ring (the most steps one submit records); default RING_SLOTS. */
  ringSlots?: number;
  /** The device's minStorageBufferOffsetAlignment (the ring's slots are bound at such offsets). */
  offsetAlignment: number;
}

export interface CohortLayout {
  T: number;
  /** Floats of one trial's parameters: all weights first, then all biases. */
  P: number;
  nWeights: number;
  wBase: number[];
  bBase: number[];
  stepsPerEpoch: number;
  dropout: boolean;
  state: { m: boolean; v: boolean };
  /** Per-slot validation (slotValidationRows): evaluation chunks per pass, and rows of each slot's evaluation order (chunks · evalBatch). */
  slotEval: { chunks: number; rows: number } | null;
  buffers: BufferPlan[];
}

const f32 = 4;

/** Every buffer of a cohort with its size; `bytes` of the plan sums them. */
export function cohortLayout(input: CohortLayoutInput): CohortLayout {
  const { shape, trials, trainRows, evalBatch } = input;
  const T = input.slots ?? trials.length;
  if (T < trials.length) throw new RangeError(`cohort layout: ${trials.length} trials do not fit in ${T} slots`);
  const { widths, batchSize: B } = shape;
  const layout = parameterLayout(widths);
  const L = widths.length - 1;
  const steps = stepsPerEpoch(trainRows, B);
  const dropout = trials.some((t) => t.dropout > 0) || (input.reserve?.dropout ?? false);
  const state = { m: input.reserve?.m ?? false, v: input.reserve?.v ?? false };
  for (const t of trials) {
    const s = optimizerState(t.optimizer.kind, t.optimizer.momentum);
    state.m ||= s.m;
    state.v ||= s.v;
  }
  const params = T * layout.P * f32;
  const buffers: BufferPlan[] = [
    { name: 'weights', category: 'weights', bytes: params },
    { name: 'grads', category: 'gradients', bytes: params },
    // Placeholders (one vec4) keep the optimizer's bindings valid when no trial keeps that state.
    { name: 'optimizer-m', category: 'optimizer', bytes: state.m ? params : 16 },
    { name: 'optimizer-v', category: 'optimizer', bytes: state.v ? params : 16 },
    { name: 'order', category: 'batching', bytes: T * steps * B * 4 },
    { name: 'x0', category: 'activations', bytes: T * B * widths[0]! * f32 },
    { name: 'y0', category: 'batching', bytes: T * B * 4 },
    { name: 'trials', category: 'control', bytes: T * TrialParams.byteSize },
    { name: 'status', category: 'control', bytes: T * STATUS_BYTES },
    { name: 'metrics', category: 'control', bytes: 2 * T * METRIC_FLOATS * f32 },
    // One loss per step and trial of the submit in flight (rows are the step ring's slots).
    { name: 'history', category: 'control', bytes: (input.ringSlots ?? RING_SLOTS) * T * f32 },
    { name: 'step-ring', category: 'control', bytes: (input.ringSlots ?? RING_SLOTS) * ringStride(T, input.offsetAlignment) },
  ];
  let slotEval: CohortLayout['slotEval'] = null;
  if (input.slotValidationRows !== undefined) {
    const chunks = Math.max(1, Math.ceil(input.slotValidationRows / evalBatch));
    slotEval = { chunks, rows: chunks * evalBatch };
    buffers.push(
      { name: 'eval-order', category: 'batching', bytes: T * slotEval.rows * 4 },
      { name: 'eval-x', category: 'activations', bytes: T * evalBatch * widths[0]! * f32 },
      { name: 'eval-y', category: 'batching', bytes: T * evalBatch * 4 },
      // One StepData per chunk, whose batch index is the chunk: gather reads the chunk's rows by it.
      { name: 'eval/step-ring', category: 'control', bytes: chunks * ringStride(T, input.offsetAlignment) },
    );
  }
  for (let l = 0; l < L; l++) {
    const width = widths[l + 1]!;
    buffers.push({ name: `act-${l}`, category: 'activations', bytes: T * B * width * f32 });
    buffers.push({ name: `dz-${l}`, category: 'activations', bytes: T * B * width * f32 });
    if (dropout && l < L - 1) buffers.push({ name: `drop-${l}`, category: 'activations', bytes: T * B * width * f32 });
    buffers.push({ name: `eval-${l}`, category: 'activations', bytes: T * evalBatch * width * f32 });
  }
  return { T, P: layout.P, nWeights: layout.nWeights, wBase: layout.wBase, bBase: layout.bBase, stepsPerEpoch: steps, dropout, state, slotEval, buffers };
}

export function totalBytes(buffers: readonly BufferPlan[]): number {
  return buffers.reduce((sum, b) => sum + Math.max(4, Math.ceil(b.bytes / 4) * 4), 0);
}

export function bytesByCategory(buffers: readonly BufferPlan[]): Record<MemoryCategory, number> {
  const out: Record<MemoryCategory, number> = { weights: 0, gradients: 0, optimizer: 0, activations: 0, batching: 0, control: 0 };
  for (const b of buffers) out[b.category] += Math.max(4, Math.ceil(b.bytes / 4) * 4);
  return out;
}

/**
 * Bytes one trial accounts for: its own weights, gradients and optimizer state, plus its share
 * (1/T) of the activation and batching buffers.
 */
export function trialBytes(layout: CohortLayout, trial: Pick<TrialConfig, 'optimizer'>): Record<'weights' | 'gradients' | 'optimizer' | 'activations', number> {
  const perTrial = layout.P * f32;
  const s = optimizerState(trial.optimizer.kind, trial.optimizer.momentum);
  const shared = bytesByCategory(layout.buffers);
  return {
    weights: perTrial,
    gradients: perTrial,
    optimizer: perTrial * ((s.m ? 1 : 0) + (s.v ? 1 : 0)),
    activations: Math.round((shared.activations + shared.batching) / layout.T),
  };
}
