// A cohort: T trials of one shape trained together, every step one fixed list of fused dispatches.
import type { GpuContext } from '../gpu/device.ts';
import { createDenseBackwardInput } from '../kernels/dense-backward-input.ts';
import { createDenseBackwardWeights } from '../kernels/dense-backward-weights.ts';
import { createDenseForward } from '../kernels/dense-forward.ts';
import { createDropout } from '../kernels/dropout.ts';
import { createGather } from '../kernels/gather.ts';
import { encodeBound, type BoundKernel } from '../kernels/kernel.ts';
import { createOptimizer } from '../kernels/optimizer.ts';
import { preferredMatmulVariant, type MatmulVariant } from '../kernels/shaders.ts';
import { createSoftmaxXent } from '../kernels/softmax-xent.ts';
import { METRIC_FLOATS, RING_SLOTS, TrialParams } from '../model/structs.ts';
import { freshStatus, StepRing, STATUS_DIVERGED, STEP_NONE, trialParamsOf, trialStepOf } from '../kernels/trial-buffers.ts';
import type { TrialConfig } from '../model/trial-config.ts';
import type { DeviceDataset } from './device-dataset.ts';
import { epochOrder, initialParameters } from './init.ts';
import { cohortLayout, defaultEvalBatch, type CohortLayout, type CohortShape } from '../model/cohort-layout.ts';

export type EvalSplit = 'validation' | 'test';

export interface CohortInit {
  /** Prefix of every buffer label, e.g. `cohort-3`. */
  id: string;
  shape: CohortShape;
  trials: TrialConfig[];
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
}

/** Per trial, what a chunk of steps left behind. */
export interface TrialStatusRead {
  diverged: boolean;
  /** Cohort step at which the loss or an update first went NaN/Inf. */
  divergedStep: number | null;
}

export interface MetricsRead {
  loss: number;
  accuracy: number;
  rows: number;
}

interface EvalChunk {
  forwards: BoundKernel[];
  xent: BoundKernel;
}

export class Cohort {
  /** Training steps every trial of the cohort has taken. */
  stepsDone = 0;
  readonly layout: CohortLayout;
  readonly ring: StepRing;
  private readonly buffers = new Map<string, GPUBuffer>();
  private readonly step: BoundKernel[] = [];
  private readonly evals = new Map<EvalSplit, EvalChunk[]>();
  private readonly trialParams: ArrayBuffer;
  private readonly frozen: boolean[];

  private constructor(
    private readonly ctx: GpuContext,
    readonly init: Required<Pick<CohortInit, 'shuffle' | 'evalBatch' | 'ringSlots'>> & CohortInit,
  ) {
    this.layout = cohortLayout({
      shape: init.shape,
      trials: init.trials,
      trainRows: init.data.source.split.train,
      evalBatch: init.evalBatch,
      ringSlots: init.ringSlots,
      offsetAlignment: ctx.limits.minStorageBufferOffsetAlignment,
    });
    this.frozen = init.trials.map(() => false);
    this.trialParams = TrialParams.packArray(init.trials.map(trialParamsOf));
    for (const plan of this.layout.buffers) {
      if (plan.name === 'step-ring') continue;
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC;
      this.buffers.set(plan.name, ctx.memory.create(`${init.id}/${plan.name}`, plan.bytes, usage));
    }
    this.ring = new StepRing(ctx, init.id, this.T, init.ringSlots);
  }

  static async create(ctx: GpuContext, init: CohortInit): Promise<Cohort> {
    const { split } = init.data.source;
    const evalBatch = init.evalBatch ?? defaultEvalBatch(split);
    if (init.shape.batchSize > split.train) {
      throw new Error(`${init.id}: batch size ${init.shape.batchSize} exceeds the ${split.train} training rows of "${init.data.source.name}"`);
    }
    const cohort = new Cohort(ctx, { shuffle: true, ringSlots: RING_SLOTS, ...init, evalBatch });
    try {
      await cohort.bindAll();
      cohort.upload();
    } catch (error) {
      cohort.destroy();
      throw error;
    }
    return cohort;
  }

  get T(): number {
    return this.init.trials.length;
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
    this.init.trials.forEach((trial, t) => {
      const start = this.init.initial?.[t] ?? initialParameters(this.init.shape.widths, trial.seed);
      if (start.length !== P) throw new Error(`${this.id}: initial parameters of trial ${t} have ${start.length} floats, expected ${P}`);
      params.set(start, t * P);
    });
    queue.writeBuffer(this.buffer('weights'), 0, params);
    queue.writeBuffer(this.buffer('trials'), 0, this.trialParams);
    queue.writeBuffer(this.buffer('status'), 0, freshStatus(this.T));
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
    const [gather, hiddenForward, outputForward, dropout, xentTrain, xentEval, backwardWeights, backwardInput, optimizer] = await Promise.all([
      createGather(ctx),
      createDenseForward(ctx, activation, variant),
      createDenseForward(ctx, 'linear', variant),
      createDropout(ctx),
      createSoftmaxXent(ctx, true),
      createSoftmaxXent(ctx, false),
      createDenseBackwardWeights(ctx, variant),
      createDenseBackwardInput(ctx, activation, layout.dropout, variant),
      createOptimizer(ctx),
    ]);
    const forwardKernel = (l: number) => (l === L - 1 ? outputForward : hiddenForward);
    const dense = (l: number) => ({ T, B, I: widths[l]!, O: widths[l + 1]!, P, wBase: layout.wBase[l]!, bBase: layout.bBase[l]! });
    const layerInput = (l: number) => (l === 0 ? this.buffer('x0') : this.buffer(layout.dropout ? `drop-${l - 1}` : `act-${l - 1}`));

    // One training step, in order: gather, forward (+ dropout), loss, backward, update.
    const data = init.data;
    this.step.push(
      gather.bind(owner, { data: data.x, labels: data.y, order: this.buffer('order'), x: this.buffer('x0'), y: this.buffer('y0'), stepGroup }, { T, B, F: widths[0]!, R: layout.stepsPerEpoch * B }),
    );
    for (let l = 0; l < L; l++) {
      this.step.push(forwardKernel(l).bind(owner, { x: layerInput(l), params: this.buffer('weights'), y: this.buffer(`act-${l}`) }, dense(l)));
      if (layout.dropout && l < L - 1) {
        this.step.push(dropout.bind(owner, { y: this.buffer(`act-${l}`), out: this.buffer(`drop-${l}`), trials, stepGroup }, { T, B, W: widths[l + 1]!, layer: l }));
      }
    }
    this.step.push(
      xentTrain.bind(
        owner,
        {
          logits: this.buffer(`act-${L - 1}`),
          labels: this.buffer('y0'),
          dlogits: this.buffer(`dz-${L - 1}`),
          metrics: this.buffer('metrics'),
          history: this.buffer('history'),
          status: this.buffer('status'),
          stepGroup,
        },
        { T, B, C: widths[L]! },
      ),
    );
    for (let l = L - 1; l >= 0; l--) {
      this.step.push(backwardWeights.bind(owner, { x: layerInput(l), dz: this.buffer(`dz-${l}`), grads: this.buffer('grads') }, dense(l)));
      if (l > 0) {
        this.step.push(
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
    this.step.push(
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

    // Evaluation: every trial reads the same rows straight from the data set (trial stride 0).
    const { split } = data.source;
    const F = widths[0]!;
    const starts: Record<EvalSplit, [number, number]> = {
      validation: [split.train, split.validation],
      test: [split.train + split.validation, split.test],
    };
    for (const [name, [start, rows]] of Object.entries(starts) as [EvalSplit, [number, number]][]) {
      const chunks: EvalChunk[] = [];
      for (let first = 0; first < rows; first += init.evalBatch) {
        const r = Math.min(init.evalBatch, rows - first);
        const forwards: BoundKernel[] = [];
        for (let l = 0; l < L; l++) {
          const x = l === 0 ? data.x : this.buffer(`eval-${l - 1}`);
          const xBase = l === 0 ? (start + first) * F : 0;
          forwards.push(forwardKernel(l).bind(owner, { x, params: this.buffer('weights'), y: this.buffer(`eval-${l}`) }, { ...dense(l), B: r, xBase, xTrial: l === 0 ? 0 : r * widths[l]! }));
        }
        const xent = xentEval.bind(
          owner,
          {
            logits: this.buffer(`eval-${L - 1}`),
            labels: data.y,
            dlogits: this.buffer(`dz-${L - 1}`),
            metrics: this.buffer('metrics'),
            history: this.buffer('history'),
            status: this.buffer('status'),
            stepGroup,
          },
          { T, B: r, C: widths[L]!, labelBase: start + first, labelTrial: 0, metricsBase: T * METRIC_FLOATS },
        );
        chunks.push({ forwards, xent });
      }
      this.evals.set(name, chunks);
    }
  }

  /** Uploads every trial's row order for `epoch` (ordered with the submits that follow). */
  beginEpoch(epoch: number): void {
    const B = this.init.shape.batchSize;
    const R = this.layout.stepsPerEpoch * B;
    const order = new Uint32Array(this.T * R);
    this.init.trials.forEach((trial, t) => order.set(epochOrder(trial.seed, epoch, this.init.data.source.split.train, B, this.init.shuffle), t * R));
    this.ctx.device.queue.writeBuffer(this.buffer('order'), 0, order);
  }

  /**
   * Writes the step ring for `count` steps starting at `first` (step index within the epoch) and
   * records them into `pass`. Call once per submit: the ring holds one submit's steps.
   */
  encodeTrainSteps(pass: GPUComputePassEncoder, first: number, count: number): void {
    if (count > this.ring.slots) throw new Error(`${this.id}: ${count} steps exceed the ring's ${this.ring.slots} slots`);
    for (let s = 0; s < count; s++) {
      const n = this.stepsDone + s + 1;
      this.ring.set(
        s,
        { step: this.stepsDone + s, batch: first + s, slot: first + s },
        this.init.trials.map((trial) => trialStepOf(trial, n)),
      );
    }
    this.ring.upload(count);
    for (let s = 0; s < count; s++) {
      const offset = this.ring.offset(s);
      for (const bound of this.step) encodeBound(pass, bound, offset);
    }
    this.stepsDone += count;
  }

  /** Clears the training accumulators (loss sum, correct, rows) of the current epoch. */
  clearTrainMetrics(encoder: GPUCommandEncoder): void {
    encoder.clearBuffer(this.buffer('metrics'), 0, this.T * METRIC_FLOATS * 4);
  }

  /** Clears the evaluation accumulators; then `encodeEval` fills them. */
  clearEvalMetrics(encoder: GPUCommandEncoder): void {
    encoder.clearBuffer(this.buffer('metrics'), this.T * METRIC_FLOATS * 4, this.T * METRIC_FLOATS * 4);
  }

  /** Records a forward pass over all of `split` for every trial, accumulating loss and accuracy. */
  encodeEval(pass: GPUComputePassEncoder, split: EvalSplit): void {
    for (const chunk of this.evals.get(split) ?? []) {
      for (const bound of chunk.forwards) encodeBound(pass, bound);
      encodeBound(pass, chunk.xent, 0);
    }
  }

  /** Copies loss history rows [first, first+count) and the status records into `staging` (at 0). */
  copyChunkResults(encoder: GPUCommandEncoder, first: number, count: number, staging: GPUBuffer): void {
    const historyBytes = count * this.T * 4;
    encoder.copyBufferToBuffer(this.buffer('history'), first * this.T * 4, staging, 0, historyBytes);
    encoder.copyBufferToBuffer(this.buffer('status'), 0, staging, historyBytes, this.T * 8);
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

  /** Reads the training (first) or evaluation (second) accumulators of every trial. */
  async readMetrics(which: 'train' | 'eval'): Promise<MetricsRead[]> {
    const floats = await this.ctx.memory.readF32(this.buffer('metrics'), this.T * METRIC_FLOATS, which === 'train' ? 0 : this.T * METRIC_FLOATS);
    return Array.from({ length: this.T }, (_, t) => {
      const [sum, correct, rows] = [floats[t * METRIC_FLOATS]!, floats[t * METRIC_FLOATS + 1]!, floats[t * METRIC_FLOATS + 2]!];
      return { loss: rows > 0 ? sum / rows : NaN, accuracy: rows > 0 ? correct / rows : NaN, rows };
    });
  }

  /** Every trial's parameters, [T][P] in the kernels' layout. */
  async readParams(): Promise<Float32Array> {
    return this.ctx.memory.readF32(this.buffer('weights'), this.T * this.layout.P);
  }

  /** Stops updating trial `t` (early stopping, or finished while others go on). */
  freeze(t: number): void {
    if (this.frozen[t]) return;
    this.frozen[t] = true;
    const view = new DataView(this.trialParams);
    const fieldIndex = TrialParams.fields.findIndex(([name]) => name === 'frozen');
    view.setUint32(t * TrialParams.byteSize + fieldIndex * 4, 1, true);
    this.ctx.device.queue.writeBuffer(this.buffer('trials'), t * TrialParams.byteSize, this.trialParams, t * TrialParams.byteSize, TrialParams.byteSize);
  }

  isFrozen(t: number): boolean {
    return this.frozen[t]!;
  }

  destroy(): void {
    this.ctx.memory.freePrefix(`${this.id}/`);
    this.buffers.clear();
  }
}
