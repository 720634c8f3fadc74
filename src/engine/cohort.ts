// A cohort: T slots of one shape trained together, every step one fixed list of fused dispatches.
// Slots hold trials that may be at different steps; the engine obeys slot commands (assign, freeze,
// copy, set hyperparameters) and never decides which trial runs next.
import type { GpuContext } from '../gpu/device.ts';
import { createDenseBackwardInput } from '../kernels/dense-backward-input.ts';
import { createDenseBackwardWeights } from '../kernels/dense-backward-weights.ts';
import { createDenseForward } from '../kernels/dense-forward.ts';
import { createDropout } from '../kernels/dropout.ts';
import { createGather } from '../kernels/gather.ts';
import { encodeBound, type BoundKernel } from '../kernels/kernel.ts';
import { createOptimizer } from '../kernels/optimizer.ts';
import { createRegressionLoss } from '../kernels/regression-loss.ts';
import { preferredMatmulVariant, type MatmulVariant } from '../kernels/shaders.ts';
import { createSoftmaxXent } from '../kernels/softmax-xent.ts';
import type { RegressionLoss } from '../model/loss.ts';
import { METRIC_FLOATS, RING_SLOTS, STATUS_BYTES, TrialParams, type TrialParamsValues } from '../model/structs.ts';
import { freshStatus, StepRing, STATUS_DIVERGED, STEP_NONE, trialParamsOf, trialStepOf } from '../kernels/trial-buffers.ts';
import { batchTooLarge } from '../model/steps.ts';
import { shapeKey, type TrialConfig } from '../model/trial-config.ts';
import type { DeviceDataset } from './device-dataset.ts';
import { epochOrder, initialParameters } from './init.ts';
import { regressionMetrics, rowRange, targetSumOfSquares, type RegressionMetrics, type SlotRows } from './rows.ts';
import { cohortLayout, defaultEvalBatch, slotRefusal, type CohortLayout, type CohortShape, type SlotBuffers } from '../model/cohort-layout.ts';

export type EvalSplit = 'validation' | 'test';

/** Slots with rows of their own (cross-validation folds): see CohortInit.slotRows. */
export interface SlotRowsInit {
  /** Rows of the first slots' trials (undefined: the training and validation splits). */
  rows: readonly (SlotRows | undefined)[];
  /** The most rows any slot of this cohort will validate on (sizes the evaluation buffers). */
  maxValidationRows: number;
}

export interface CohortInit {
  /** Prefix of every buffer label, e.g. `cohort-3`. */
  id: string;
  shape: CohortShape;
  /** The trials of the first slots; with `slots` larger, the rest start idle. */
  trials: TrialConfig[];
  /** Slots of the cohort (default: one per trial). */
  slots?: number;
  /** Allocate optimizer state and dropout buffers for trials assigned later (see CohortLayoutInput.reserve). */
  reserve?: Partial<SlotBuffers>;
  data: DeviceDataset;
  /** false: batches are the data set's rows in order (replayable elsewhere). Default true. */
  shuffle?: boolean;
  /** Rows per evaluation pass; default min(512, largest evaluated split). */
  evalBatch?: number;
  /** The most steps one submit records. Default RING_SLOTS. */
  ringSlots?: number;
  /** Starting parameters per trial (same layout as the kernels'); default torch.nn.Linear init from the seed. */
  initial?: (Float32Array | undefined)[];
  /** The matmul core of the dense kernels; default: the one preferred for the adapter. */
  matmul?: MatmulVariant;
  /** Regression data: the loss (default squared error). Classification always trains with softmax cross-entropy. */
  loss?: RegressionLoss;
  /**
   * Each slot trains and validates on rows of its own (assign's `rows`): a cross-validation fold
   * per slot. Validation then gathers every slot's own rows chunk by chunk; the test split stays
   * shared. Without it every slot trains on the training split and validates on the validation split.
   */
  slotRows?: SlotRowsInit;
}

/** Per trial, what a chunk of steps left behind. */
export interface TrialStatusRead {
  diverged: boolean;
  /** Cohort step at which the loss or an update first went NaN/Inf. */
  divergedStep: number | null;
}

/**
 * A slot's accumulated metrics. `loss` is the mean of what the loss kernel sees (for regression:
 * the standardized target's units); classification has `accuracy`, regression NaN there and
 * rmse/mae in the target's own units, r2 for evaluations.
 */
export interface MetricsRead extends Partial<RegressionMetrics> {
  loss: number;
  accuracy: number;
  rows: number;
}

interface EvalChunk {
  /** Per-slot validation: gathers every slot's rows of this chunk (at `stepOffset` of the evaluation ring). */
  gather?: BoundKernel;
  forwards: BoundKernel[];
  loss: BoundKernel;
  stepOffset?: number;
}

/** One dispatch of the training step, named for the profile (e.g. `dense-forward 0 (784→128)`). */
export interface StepDispatch {
  name: string;
  bound: BoundKernel;
}

/**
 * Where encodeTrainSteps records the step's dispatches: one compute pass (training), or a function
 * that records each dispatch itself (the profile puts each into its own timed pass).
 */
export type DispatchSink = GPUComputePassEncoder | ((dispatch: StepDispatch, stepOffset: number) => void);

/** What the host knows of one slot: its trial and how far that trial has trained. */
interface Slot {
  /** The trial training in this slot; null while the slot idles. */
  config: TrialConfig | null;
  /** Optimizer steps the trial has taken (its own count, not the cohort's). */
  steps: number;
  /** Frozen slots still ride along in every dispatch but never update (TrialParams.frozen). */
  frozen: boolean;
  /** The epoch whose row order is in this slot's part of the order buffer. */
  orderEpoch: number | null;
  /** Its own training and validation rows (slotRows cohorts); null: the splits. */
  rows: SlotRows | null;
}

/** Busy trial-steps (a training trial in the slot) over dispatched trial-steps (every slot). */
export interface SlotOccupancy {
  busy: number;
  dispatched: number;
}

export class Cohort {
  /** Training steps the cohort has dispatched (every slot at once). */
  stepsDone = 0;
  readonly occupancy: SlotOccupancy = { busy: 0, dispatched: 0 };
  readonly layout: CohortLayout;
  readonly ring: StepRing;
  private readonly buffers = new Map<string, GPUBuffer>();
  private readonly step: StepDispatch[] = [];
  private readonly evals = new Map<EvalSplit, EvalChunk[]>();
  private readonly trialParams: ArrayBuffer;
  private readonly slots: Slot[];
  private scratch: GPUBuffer | null = null;
  /** Per-slot validation: one StepData per evaluation chunk (gather's batch index is the chunk). */
  private readonly evalRing: StepRing | null = null;
  /** Regression: R²'s denominator of the shared splits' rows (standardized target). */
  private readonly splitSst = new Map<EvalSplit, number>();

  private constructor(
    private readonly ctx: GpuContext,
    readonly init: Required<Pick<CohortInit, 'shuffle' | 'evalBatch' | 'ringSlots'>> & CohortInit,
  ) {
    this.layout = cohortLayout({
      shape: init.shape,
      trials: init.trials,
      slots: init.slots,
      reserve: init.reserve,
      trainRows: init.data.source.split.train,
      evalBatch: init.evalBatch,
      ringSlots: init.ringSlots,
      offsetAlignment: ctx.limits.minStorageBufferOffsetAlignment,
      // A slot without rows of its own validates on the validation split.
      slotValidationRows: init.slotRows && Math.max(init.slotRows.maxValidationRows, init.data.source.split.validation),
    });
    this.slots = Array.from({ length: this.layout.T }, (_, t) => ({
      config: init.trials[t] ?? null,
      steps: 0,
      frozen: t >= init.trials.length,
      orderEpoch: null,
      rows: init.slotRows?.rows[t] ?? null,
    }));
    this.trialParams = TrialParams.packArray(this.slots.map((slot) => (slot.config ? trialParamsOf(slot.config) : { frozen: 1 })));
    for (const plan of this.layout.buffers) {
      if (plan.name === 'step-ring' || plan.name === 'eval/step-ring') continue;
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
      this.buffers.set(plan.name, ctx.memory.create(`${init.id}/${plan.name}`, plan.bytes, usage));
    }
    this.ring = new StepRing(ctx, init.id, this.T, init.ringSlots);
    if (this.layout.slotEval) this.evalRing = new StepRing(ctx, `${init.id}/eval`, this.T, this.layout.slotEval.chunks);
  }

  static async create(ctx: GpuContext, init: CohortInit): Promise<Cohort> {
    const source = init.data.source;
    const { split } = source;
    const validation = Math.max(split.validation, init.slotRows?.maxValidationRows ?? 0);
    const evalBatch = init.evalBatch ?? defaultEvalBatch({ validation, test: split.test });
    const tooLarge = batchTooLarge(init.shape.batchSize, split.train);
    if (tooLarge) throw new Error(`${init.id}: batch size ${init.shape.batchSize} ${tooLarge} of "${source.name}"`);
    const outputs = init.shape.widths.at(-1);
    if (outputs !== source.classes) {
      throw new Error(`${init.id}: the network has ${outputs} outputs, ${source.task} on "${source.name}" needs ${source.classes}`);
    }
    if (init.loss && source.task !== 'regression') throw new Error(`${init.id}: a regression loss was given for classification data "${source.name}"`);
    const cohort = new Cohort(ctx, { shuffle: true, ringSlots: RING_SLOTS, ...init, evalBatch });
    try {
      cohort.slots.forEach((slot, t) => slot.rows && cohort.checkRows(t, slot.rows));
      await cohort.bindAll();
      cohort.upload();
    } catch (error) {
      cohort.destroy();
      throw error;
    }
    return cohort;
  }

  /** Slots of the cohort: every dispatch serves all of them. */
  get T(): number {
    return this.layout.T;
  }

  get id(): string {
    return this.init.id;
  }

  get stepsPerEpoch(): number {
    return this.layout.stepsPerEpoch;
  }

  /** Bytes this cohort holds on the device now, measured by the allocator. */
  get bytesHeld(): number {
    return this.ctx.memory.bytes(`${this.id}/`);
  }

  buffer(name: string): GPUBuffer {
    const buffer = this.buffers.get(name);
    if (!buffer) throw new Error(`${this.id}: no buffer "${name}"`);
    return buffer;
  }

  private upload(): void {
    const { queue } = this.ctx.device;
    const { P } = this.layout;
    const params = new Float32Array(this.T * P);
    this.slots.forEach((slot, t) => {
      if (!slot.config) return;
      const start = this.init.initial?.[t] ?? initialParameters(this.init.shape.widths, slot.config.seed);
      if (start.length !== P) throw new Error(`${this.id}: initial parameters of trial ${t} have ${start.length} floats, expected ${P}`);
      params.set(start, t * P);
    });
    queue.writeBuffer(this.buffer('weights'), 0, params);
    queue.writeBuffer(this.buffer('trials'), 0, this.trialParams);
    queue.writeBuffer(this.buffer('status'), 0, freshStatus(this.T));
    if (this.evalRing) {
      const chunks = this.layout.slotEval!.chunks;
      for (let c = 0; c < chunks; c++) this.evalRing.set(c, {}, Array.from({ length: this.T }, () => ({ batch: c })));
      this.evalRing.upload();
      for (let t = 0; t < this.T; t++) this.writeEvalOrder(t);
    }
  }

  /** The task's regression loss, or null for classification. */
  get regression(): RegressionLoss | null {
    return this.init.data.source.task === 'regression' ? (this.init.loss ?? { kind: 'mse' }) : null;
  }

  /** Refuses rows a slot of this cohort cannot take (too few to train a batch, too many to validate). */
  private checkRows(t: number, rows: SlotRows): void {
    const { split, name } = this.init.data.source;
    const B = this.init.shape.batchSize;
    if (!this.layout.slotEval) throw new Error(`${this.id}: slot ${t} was given rows of its own, but the cohort was created without slotRows`);
    const tooLarge = batchTooLarge(B, rows.train.length);
    if (tooLarge) throw new Error(`${this.id}: slot ${t}: batch size ${B} ${tooLarge} it was given`);
    if (rows.train.length > split.train) throw new Error(`${this.id}: slot ${t} trains on ${rows.train.length} rows, more than the ${split.train} training rows of "${name}"`);
    const most = this.init.slotRows!.maxValidationRows;
    if (rows.validation.length > most) throw new Error(`${this.id}: slot ${t} validates on ${rows.validation.length} rows, more than the cohort's ${most}`);
  }

  /** Full batches in one epoch of slot `t`'s training rows. */
  slotStepsPerEpoch(t: number): number {
    const rows = this.slotAt(t).rows;
    return rows ? Math.floor(rows.train.length / this.init.shape.batchSize) : this.stepsPerEpoch;
  }

  /** The rows slot `t` is validated on. */
  private validationRows(t: number): Uint32Array {
    const { split } = this.init.data.source;
    return this.slotAt(t).rows?.validation ?? rowRange(split.train, split.validation);
  }

  /** Per-slot validation: slot `t`'s evaluation order, its validation rows padded with the padding row. */
  private writeEvalOrder(t: number): void {
    if (!this.layout.slotEval) return;
    const order = new Uint32Array(this.layout.slotEval.rows).fill(this.init.data.padRow);
    order.set(this.validationRows(t));
    this.ctx.device.queue.writeBuffer(this.buffer('eval-order'), t * order.byteLength, order);
  }

  private async bindAll(): Promise<void> {
    const { ctx, layout, init } = this;
    const { widths, activation, batchSize: B } = init.shape;
    const { T, P } = layout;
    const L = widths.length - 1;
    const owner = `${init.id}/uniform`;
    const stepGroup = this.ring.bindGroup;
    const trials = this.buffer('trials');
    const variant = init.matmul ?? preferredMatmulVariant(ctx.report);
    const [gather, hiddenForward, outputForward, dropout, lossTrain, lossEval, backwardWeights, backwardInput, optimizer] = await Promise.all([
      createGather(ctx),
      createDenseForward(ctx, activation, variant),
      createDenseForward(ctx, 'linear', variant),
      createDropout(ctx),
      this.createLoss(true),
      this.createLoss(false),
      createDenseBackwardWeights(ctx, variant),
      createDenseBackwardInput(ctx, activation, layout.dropout, variant),
      createOptimizer(ctx),
    ]);
    const forwardKernel = (l: number) => (l === L - 1 ? outputForward : hiddenForward);
    const dense = (l: number) => ({ T, B, I: widths[l]!, O: widths[l + 1]!, P, wBase: layout.wBase[l]!, bBase: layout.bBase[l]! });
    const layerInput = (l: number) => (l === 0 ? this.buffer('x0') : this.buffer(layout.dropout ? `drop-${l - 1}` : `act-${l - 1}`));

    // One training step, in order: gather, forward (+ dropout), loss, backward, update.
    const data = init.data;
    const layerName = (kernel: string, l: number) => `${kernel} ${l} (${widths[l]}→${widths[l + 1]})`;
    const push = (name: string, bound: BoundKernel) => this.step.push({ name, bound });
    push(
      'gather',
      gather.bind(owner, { data: data.x, labels: data.y, order: this.buffer('order'), x: this.buffer('x0'), y: this.buffer('y0'), stepGroup }, { T, B, F: widths[0]!, R: layout.stepsPerEpoch * B }),
    );
    for (let l = 0; l < L; l++) {
      push(layerName('dense-forward', l), forwardKernel(l).bind(owner, { x: layerInput(l), params: this.buffer('weights'), y: this.buffer(`act-${l}`) }, dense(l)));
      if (layout.dropout && l < L - 1) {
        push(`dropout ${l}`, dropout.bind(owner, { y: this.buffer(`act-${l}`), out: this.buffer(`drop-${l}`), trials, stepGroup }, { T, B, W: widths[l + 1]!, layer: l }));
      }
    }
    push(lossTrain.id, lossTrain.bind(owner, { outputs: this.buffer(`act-${L - 1}`), labels: this.buffer('y0'), doutputs: this.buffer(`dz-${L - 1}`), stepGroup }, { B }));
    for (let l = L - 1; l >= 0; l--) {
      push(layerName('dense-backward-weights', l), backwardWeights.bind(owner, { x: layerInput(l), dz: this.buffer(`dz-${l}`), grads: this.buffer('grads') }, dense(l)));
      if (l > 0) {
        push(
          layerName('dense-backward-input', l),
          backwardInput.bind(
            owner,
            {
              dz: this.buffer(`dz-${l}`),
              params: this.buffer('weights'),
              dzPrev: this.buffer(`dz-${l - 1}`),
              yPrev: this.buffer(`act-${l - 1}`),
              trials,
              stepGroup,
            },
            { ...dense(l), prevLayer: l - 1 },
          ),
        );
      }
    }
    push(
      'optimizer',
      optimizer.bind(
        owner,
        {
          params: this.buffer('weights'),
          grads: this.buffer('grads'),
          stateM: this.buffer('optimizer-m'),
          stateV: this.buffer('optimizer-v'),
          trials,
          status: this.buffer('status'),
          stepGroup,
        },
        { T, P, weights: layout.nWeights },
      ),
    );

    // Evaluation: every trial reads the same rows straight from the data set (trial stride 0), or,
    // where slots validate on rows of their own, each chunk first gathers every slot's rows.
    const { split } = data.source;
    const F = widths[0]!;
    const evalForwards = (r: number, x: GPUBuffer, xBase: number, xTrial: number) =>
      Array.from({ length: L }, (_, l) =>
        forwardKernel(l).bind(
          owner,
          { x: l === 0 ? x : this.buffer(`eval-${l - 1}`), params: this.buffer('weights'), y: this.buffer(`eval-${l}`) },
          { ...dense(l), B: r, xBase: l === 0 ? xBase : 0, xTrial: l === 0 ? xTrial : r * widths[l]! },
        ),
      );
    const evalLoss = (r: number, labels: GPUBuffer, labelBase: number, labelTrial: number, group: GPUBindGroup) =>
      lossEval.bind(owner, { outputs: this.buffer(`eval-${L - 1}`), labels, doutputs: this.buffer(`dz-${L - 1}`), stepGroup: group }, { B: r, labelBase, labelTrial, metricsBase: T * METRIC_FLOATS });
    const starts: Record<EvalSplit, [number, number]> = {
      validation: [split.train, split.validation],
      test: [split.train + split.validation, split.test],
    };
    for (const [name, [start, rows]] of Object.entries(starts) as [EvalSplit, [number, number]][]) {
      if (name === 'validation' && layout.slotEval) continue;
      const chunks: EvalChunk[] = [];
      for (let first = 0; first < rows; first += init.evalBatch) {
        const r = Math.min(init.evalBatch, rows - first);
        chunks.push({ forwards: evalForwards(r, data.x, (start + first) * F, 0), loss: evalLoss(r, data.y, start + first, 0, stepGroup) });
      }
      this.evals.set(name, chunks);
    }
    if (layout.slotEval) {
      const r = init.evalBatch;
      const evalGroup = this.evalRing!.bindGroup;
      const gatherEval = gather.bind(
        owner,
        { data: data.x, labels: data.y, order: this.buffer('eval-order'), x: this.buffer('eval-x'), y: this.buffer('eval-y'), stepGroup: evalGroup },
        { T, B: r, F, R: layout.slotEval.rows },
      );
      const forwards = evalForwards(r, this.buffer('eval-x'), 0, r * F);
      const loss = evalLoss(r, this.buffer('eval-y'), 0, r, evalGroup);
      const chunks = Array.from({ length: layout.slotEval.chunks }, (_, c): EvalChunk => ({ gather: gatherEval, forwards, loss, stepOffset: this.evalRing!.offset(c) }));
      this.evals.set('validation', chunks);
    }
  }

  /**
   * The task's loss kernel (softmax cross-entropy, or the regression loss on the one output) behind
   * one bind: outputs, labels (class or target bits) and their gradient, into this cohort's
   * metrics, history and status.
   */
  private async createLoss(grad: boolean) {
    const { ctx, T } = this;
    const regression = this.regression;
    const C = this.init.shape.widths.at(-1)!;
    const xent = regression ? null : await createSoftmaxXent(ctx, grad);
    const mse = regression ? await createRegressionLoss(ctx, grad, regression) : null;
    const shared = () => ({ metrics: this.buffer('metrics'), history: this.buffer('history'), status: this.buffer('status') });
    type Buffers = { outputs: GPUBuffer; labels: GPUBuffer; doutputs: GPUBuffer; stepGroup: GPUBindGroup };
    type Dims = { B: number; labelBase?: number; labelTrial?: number; metricsBase?: number };
    return {
      id: regression ? 'regression-loss' : 'softmax-xent',
      bind: (owner: string, b: Buffers, d: Dims): BoundKernel =>
        mse
          ? mse.bind(owner, { outputs: b.outputs, targets: b.labels, doutputs: b.doutputs, ...shared(), stepGroup: b.stepGroup }, { T, B: d.B, targetBase: d.labelBase, targetTrial: d.labelTrial, metricsBase: d.metricsBase })
          : xent!.bind(owner, { logits: b.outputs, labels: b.labels, dlogits: b.doutputs, ...shared(), stepGroup: b.stepGroup }, { T, B: d.B, C, labelBase: d.labelBase, labelTrial: d.labelTrial, metricsBase: d.metricsBase }),
    };
  }

  /** The dispatches of one training step, in order. */
  get stepDispatches(): readonly StepDispatch[] {
    return this.step;
  }

  /** The trial in slot `t` (null while it idles) and the steps it has taken. */
  slot(t: number): { config: TrialConfig | null; steps: number; frozen: boolean } {
    const slot = this.slotAt(t);
    return { config: slot.config, steps: slot.steps, frozen: slot.frozen };
  }

  /** The rows slot `t` trains and validates on (null: the splits). */
  slotRows(t: number): SlotRows | null {
    return this.slotAt(t).rows;
  }

  /** Slots whose trial trains (assigned and not frozen). */
  activeSlots(): number[] {
    return this.slots.flatMap((slot, t) => (slot.config && !slot.frozen ? [t] : []));
  }

  private slotAt(t: number): Slot {
    const slot = this.slots[t];
    if (!slot) throw new RangeError(`${this.id}: no slot ${t} (the cohort has ${this.T})`);
    return slot;
  }

  /**
   * Steps every training slot can take before one of them reaches the end of its epoch. NOTE: a
   * submit never crosses a trial's epoch boundary, because each slot holds one epoch's row order
   * and a new order is written between submits. Infinity when no slot trains.
   */
  stepsToEpochEnd(): number {
    let steps = Infinity;
    for (const t of this.activeSlots()) {
      const spe = this.slotStepsPerEpoch(t);
      steps = Math.min(steps, spe - (this.slots[t]!.steps % spe));
    }
    return steps;
  }

  /**
   * Writes what the next submit needs for every training slot: its epoch's row order where it
   * changed, and a cleared training accumulator where the trial starts an epoch. Ordered with
   * the submits around it (queue.writeBuffer).
   */
  private prepareSlots(): void {
    const { queue } = this.ctx.device;
    const B = this.init.shape.batchSize;
    const R = this.stepsPerEpoch * B;
    const zeros = new Float32Array(METRIC_FLOATS);
    for (const t of this.activeSlots()) {
      const slot = this.slots[t]!;
      const spe = this.slotStepsPerEpoch(t);
      const epoch = Math.floor(slot.steps / spe);
      if (slot.orderEpoch !== epoch) {
        const own = slot.rows?.train;
        const order = epochOrder(slot.config!.seed, epoch, own?.length ?? this.init.data.source.split.train, B, this.init.shuffle);
        // A slot's own rows are visited in the order its epoch permutes their positions.
        if (own) order.forEach((position, i) => (order[i] = own[position]!));
        queue.writeBuffer(this.buffer('order'), t * R * 4, order);
        slot.orderEpoch = epoch;
      }
      if (slot.steps % spe === 0) queue.writeBuffer(this.buffer('metrics'), t * METRIC_FLOATS * 4, zeros);
    }
  }

  /**
   * Records `count` training steps of every slot into `sink` (one submit: the ring holds one
   * submit's steps). Each trial steps from its own count and batch position; idle and frozen
   * slots ride along without updating. `count` must not pass stepsToEpochEnd().
   */
  encodeTrainSteps(sink: DispatchSink, count: number): void {
    if (count > this.ring.slots) throw new Error(`${this.id}: ${count} steps exceed the ring's ${this.ring.slots} slots`);
    if (count > this.stepsToEpochEnd()) throw new Error(`${this.id}: ${count} steps would cross a trial's epoch boundary (${this.stepsToEpochEnd()} left)`);
    this.prepareSlots();
    const spe = this.slots.map((_, t) => this.slotStepsPerEpoch(t));
    for (let s = 0; s < count; s++) {
      this.ring.set(
        s,
        { slot: s },
        this.slots.map((slot, t) => {
          if (!slot.config || slot.frozen) return { count: Math.max(1, slot.steps), batch: 0 };
          return { ...trialStepOf(slot.config, slot.steps + s + 1), batch: (slot.steps + s) % spe[t]! };
        }),
      );
    }
    this.ring.upload(count);
    const put = typeof sink === 'function' ? sink : (dispatch: StepDispatch, offset: number) => encodeBound(sink, dispatch.bound, offset);
    for (let s = 0; s < count; s++) {
      const offset = this.ring.offset(s);
      for (const dispatch of this.step) put(dispatch, offset);
    }
    const active = this.activeSlots();
    for (const t of active) this.slots[t]!.steps += count;
    this.stepsDone += count;
    this.occupancy.busy += count * active.length;
    this.occupancy.dispatched += count * this.T;
  }

  /** Moves every training slot to the start of its next epoch (the benchmark's endless training). */
  skipToNextEpoch(): void {
    for (const t of this.activeSlots()) {
      const slot = this.slots[t]!;
      const spe = this.slotStepsPerEpoch(t);
      slot.steps = (Math.floor(slot.steps / spe) + 1) * spe;
    }
  }

  /** Clears the evaluation accumulators; then `encodeEval` fills them. */
  clearEvalMetrics(encoder: GPUCommandEncoder): void {
    encoder.clearBuffer(this.buffer('metrics'), this.T * METRIC_FLOATS * 4, this.T * METRIC_FLOATS * 4);
  }

  /** Records a forward pass over all of `split` for every trial (validation: its own rows), accumulating the loss kernel's sums. */
  encodeEval(pass: GPUComputePassEncoder, split: EvalSplit): void {
    for (const chunk of this.evals.get(split) ?? []) {
      if (chunk.gather) encodeBound(pass, chunk.gather, chunk.stepOffset);
      for (const bound of chunk.forwards) encodeBound(pass, bound);
      encodeBound(pass, chunk.loss, chunk.stepOffset ?? 0);
    }
  }

  /** Copies the loss history of the submit's `count` steps and the status records into `staging` (at 0). */
  copyChunkResults(encoder: GPUCommandEncoder, count: number, staging: GPUBuffer): void {
    const historyBytes = count * this.T * 4;
    encoder.copyBufferToBuffer(this.buffer('history'), 0, staging, 0, historyBytes);
    encoder.copyBufferToBuffer(this.buffer('status'), 0, staging, historyBytes, this.T * STATUS_BYTES);
  }

  /** Parses what copyChunkResults wrote: losses [count][T] and each trial's status. */
  parseChunkResults(bytes: ArrayBuffer, count: number): { losses: Float32Array; status: TrialStatusRead[] } {
    const losses = new Float32Array(bytes, 0, count * this.T).slice();
    const raw = new Uint32Array(bytes, count * this.T * 4, this.T * 2);
    const status = Array.from({ length: this.T }, (_, t) => {
      const diverged = (raw[2 * t]! & STATUS_DIVERGED) !== 0;
      const step = raw[2 * t + 1]!;
      return { diverged, divergedStep: diverged && step !== STEP_NONE ? step : null };
    });
    return { losses, status };
  }

  chunkResultBytes(count: number): number {
    return count * this.T * 4 + this.T * 8;
  }

  /**
   * Reads every slot's training accumulators (this epoch's batches so far) or the evaluation
   * accumulators of the `split` just evaluated (evaluateCohort). Regression metrics come back in
   * the target's own units; R² against the evaluated rows' own mean.
   */
  async readMetrics(which: 'train' | EvalSplit): Promise<MetricsRead[]> {
    const floats = await this.ctx.memory.readF32(this.buffer('metrics'), this.T * METRIC_FLOATS, which === 'train' ? 0 : this.T * METRIC_FLOATS);
    const scale = this.init.data.source.targetScale;
    return Array.from({ length: this.T }, (_, t) => {
      const [sum, second, rows, fourth] = floats.subarray(t * METRIC_FLOATS, (t + 1) * METRIC_FLOATS);
      const loss = rows! > 0 ? sum! / rows! : NaN;
      if (!this.regression) return { loss, accuracy: rows! > 0 ? second! / rows! : NaN, rows: rows! };
      const sst = which === 'train' ? NaN : this.sumOfSquares(which, t);
      return { loss, accuracy: NaN, rows: rows!, ...regressionMetrics({ absErr: second!, sqErr: fourth!, rows: rows! }, scale?.std ?? 1, sst) };
    });
  }

  /** Regression: Σ (y − ȳ)² over the rows slot `t` is evaluated on in `split`. */
  private sumOfSquares(split: EvalSplit, t: number): number {
    const target = this.init.data.source.target!;
    const own = split === 'validation' ? this.slotAt(t).rows : null;
    if (own) return targetSumOfSquares(target, own.validation);
    let sst = this.splitSst.get(split);
    if (sst === undefined) {
      const { train, validation, test } = this.init.data.source.split;
      sst = targetSumOfSquares(target, split === 'validation' ? rowRange(train, validation) : rowRange(train + validation, test));
      this.splitSst.set(split, sst);
    }
    return sst;
  }

  /** Every slot's parameters, [T][P] in the kernels' layout. */
  async readParams(): Promise<Float32Array> {
    return this.ctx.memory.readF32(this.buffer('weights'), this.T * this.layout.P);
  }

  /** One slot's parameters, [P]. */
  async readSlotParams(t: number): Promise<Float32Array> {
    this.slotAt(t);
    return this.ctx.memory.readF32(this.buffer('weights'), this.layout.P, t * this.layout.P);
  }

  /** One slot's optimizer state (m and v; empty where the cohort keeps none), for checks. */
  async readSlotState(t: number): Promise<{ m: Float32Array; v: Float32Array }> {
    this.slotAt(t);
    const { P, state } = this.layout;
    const read = (on: boolean, name: string) => (on ? this.ctx.memory.readF32(this.buffer(name), P, t * P) : Promise.resolve(new Float32Array(0)));
    const [m, v] = await Promise.all([read(state.m, 'optimizer-m'), read(state.v, 'optimizer-v')]);
    return { m, v };
  }

  private writeTrialParams(t: number, values: TrialParamsValues): void {
    TrialParams.write(new DataView(this.trialParams), values, t);
    this.ctx.device.queue.writeBuffer(this.buffer('trials'), t * TrialParams.byteSize, this.trialParams, t * TrialParams.byteSize, TrialParams.byteSize);
  }

  /** Stops updating slot `t` (its trial was pruned, finished or diverged); it keeps its weights. */
  freeze(t: number): void {
    const slot = this.slotAt(t);
    if (slot.frozen) return;
    slot.frozen = true;
    this.writeTrialParams(t, { ...(slot.config ? trialParamsOf(slot.config) : {}), frozen: 1 });
  }

  isFrozen(t: number): boolean {
    return this.slotAt(t).frozen;
  }

  /** The optional buffers this cohort allocated (what a trial assigned later may use). */
  get holds(): SlotBuffers {
    return { ...this.layout.state, dropout: this.layout.dropout };
  }

  /** Why `config` cannot train in this cohort's slots, or null when it can. */
  incompatibility(config: TrialConfig): string | null {
    const { shape } = this.init;
    const own = shapeKey({ hidden: shape.widths.slice(1, -1), activation: shape.activation, batchSize: shape.batchSize });
    if (shapeKey(config) !== own) return `shape ${shapeKey(config)} differs from the cohort's ${own}`;
    return slotRefusal(this.holds, config);
  }

  /**
   * Puts a new trial in slot `t`, on the device: its own initial weights (from its seed, or
   * `initial`), zeroed optimizer state, fresh status, its own step count (0) and batch order, and
   * (slotRows cohorts) its own training and validation rows (default: the splits). Nothing of the
   * slot's previous trial can reach the new one.
   */
  assign(t: number, config: TrialConfig, initial?: Float32Array, rows?: SlotRows): void {
    const slot = this.slotAt(t);
    const problem = this.incompatibility(config);
    if (problem) throw new Error(`${this.id}: cannot assign slot ${t}: ${problem}`);
    if (rows) this.checkRows(t, rows);
    const { queue } = this.ctx.device;
    const { P, state } = this.layout;
    const params = initial ?? initialParameters(this.init.shape.widths, config.seed);
    if (params.length !== P) throw new Error(`${this.id}: initial parameters for slot ${t} have ${params.length} floats, expected ${P}`);
    queue.writeBuffer(this.buffer('weights'), t * P * 4, params);
    const zeros = new Float32Array(P);
    if (state.m) queue.writeBuffer(this.buffer('optimizer-m'), t * P * 4, zeros);
    if (state.v) queue.writeBuffer(this.buffer('optimizer-v'), t * P * 4, zeros);
    queue.writeBuffer(this.buffer('status'), t * STATUS_BYTES, freshStatus(1));
    Object.assign(slot, { config, steps: 0, frozen: false, orderEpoch: null, rows: rows ?? null });
    this.writeEvalOrder(t);
    this.writeTrialParams(t, trialParamsOf(config));
  }

  /** Leaves slot `t` idle (frozen, no trial). */
  release(t: number): void {
    this.freeze(t);
    this.slotAt(t).config = null;
  }

  /**
   * Population-based training's exploit, on the device: slot `to` takes the weights, optimizer
   * state, epoch accumulators and step count of slot `from`, then trains on with `config` (its own
   * seed, new hyperparameters). No weights pass through the host.
   */
  copySlot(from: number, to: number, config: TrialConfig): void {
    const source = this.slotAt(from);
    const target = this.slotAt(to);
    if (!source.config) throw new Error(`${this.id}: slot ${from} holds no trial to copy`);
    if (from === to) throw new Error(`${this.id}: a slot cannot copy itself`);
    const problem = this.incompatibility(config);
    if (problem) throw new Error(`${this.id}: cannot copy into slot ${to}: ${problem}`);
    const { device } = this.ctx;
    const { P, state } = this.layout;
    const bytes = P * 4;
    // WebGPU refuses a copy within one buffer: go through a scratch buffer, both copies in one encoder.
    this.scratch ??= this.ctx.memory.create(`${this.id}/scratch`, bytes, GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
    const scratch = this.scratch;
    const encoder = device.createCommandEncoder({ label: `${this.id}.copy-slot` });
    const copy = (name: string, size: number) => {
      encoder.copyBufferToBuffer(this.buffer(name), from * size, scratch, 0, size);
      encoder.copyBufferToBuffer(scratch, 0, this.buffer(name), to * size, size);
    };
    copy('weights', bytes);
    if (state.m) copy('optimizer-m', bytes);
    if (state.v) copy('optimizer-v', bytes);
    copy('metrics', METRIC_FLOATS * 4);
    device.queue.submit([encoder.finish()]);
    device.queue.writeBuffer(this.buffer('status'), to * STATUS_BYTES, freshStatus(1));
    // The target trains on from where the source is, on the source's rows.
    Object.assign(target, { config, steps: source.steps, frozen: false, orderEpoch: null, rows: source.rows });
    this.writeEvalOrder(to);
    this.writeTrialParams(to, trialParamsOf(config));
  }

  /**
   * Moves the trial of `source`'s slot `from` into this cohort's slot `to`, on the device: weights,
   * optimizer state, epoch accumulators and status are copied buffer to buffer, and the trial keeps
   * its config and step count (a cohort compacts by moving its trials into a smaller one). The
   * trial trains on bit for bit as it would have in its old slot.
   */
  adopt(source: Cohort, from: number, to: number): void {
    const moving = source.slotAt(from);
    this.slotAt(to);
    if (!moving.config) throw new Error(`${source.id}: slot ${from} holds no trial to move`);
    if (source.layout.P !== this.layout.P) throw new Error(`${this.id}: cannot adopt from ${source.id}: another parameter layout`);
    const problem = this.incompatibility(moving.config);
    if (problem) throw new Error(`${this.id}: cannot adopt slot ${from} of ${source.id}: ${problem}`);
    if (moving.rows) this.checkRows(to, moving.rows);
    const { P } = this.layout;
    const encoder = this.ctx.device.createCommandEncoder({ label: `${this.id}.adopt` });
    const copy = (name: string, size: number) => encoder.copyBufferToBuffer(source.buffer(name), from * size, this.buffer(name), to * size, size);
    copy('weights', P * 4);
    // A state the source never kept is zero: what this cohort's fresh buffer holds after assign.
    const zeros = new Float32Array(P);
    for (const [name, on] of [
      ['optimizer-m', 'm'],
      ['optimizer-v', 'v'],
    ] as const) {
      if (!this.layout.state[on]) continue;
      if (source.layout.state[on]) copy(name, P * 4);
      else this.ctx.device.queue.writeBuffer(this.buffer(name), to * P * 4, zeros);
    }
    copy('metrics', METRIC_FLOATS * 4);
    copy('status', STATUS_BYTES);
    this.ctx.device.queue.submit([encoder.finish()]);
    Object.assign(this.slotAt(to), { config: moving.config, steps: moving.steps, frozen: moving.frozen, orderEpoch: null, rows: moving.rows });
    this.writeEvalOrder(to);
    this.writeTrialParams(to, { ...trialParamsOf(moving.config), frozen: moving.frozen ? 1 : 0 });
  }

  /** New hyperparameters for the trial in slot `t` from its next step on (PBT's explore); the shape stays. */
  setConfig(t: number, config: TrialConfig): void {
    const slot = this.slotAt(t);
    const problem = this.incompatibility(config);
    if (problem) throw new Error(`${this.id}: cannot change slot ${t}: ${problem}`);
    slot.config = config;
    this.writeTrialParams(t, { ...trialParamsOf(config), frozen: slot.frozen ? 1 : 0 });
  }

  destroy(): void {
    this.ctx.memory.freePrefix(`${this.id}/`);
    this.buffers.clear();
  }
}
