// The peer: TensorFlow.js (WebGPU backend) training the benchmark MLP, one trial after another.
import type * as TfModule from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset.ts';
import { epochOrder } from '../engine/init.ts';

export type Tf = typeof TfModule;

export interface TfjsRunOptions {
  /** Hidden widths and activation of the MLP (input and output widths come from the data). */
  hidden: readonly number[];
  batchSize: number;
  lr: number;
  trials: number;
  stepsPerTrial: number;
  /** Seed of the first trial; trial t uses seed + t for its batch order. */
  seed: number;
  /** Called after each trial with its index and training milliseconds. */
  onTrial?: (trial: number, ms: number) => void;
}

/**
 * Uploads the training split once (as fusetune does), then trains `trials` fresh models one after
 * another. Each trial's time runs from its first step to the read-back of its last loss: model
 * construction and disposal are left out, as fusetune's cohort construction is.
 *
 * NOTE: the loop is TF.js's fastest we know: optimizer.minimize over a tf.layers model, one batch
 * gather on the GPU per step, no read-back until the trial ends (model.fit reads the loss every batch).
 */
export async function trainTfjsTrials(tf: Tf, dataset: Dataset, options: TfjsRunOptions): Promise<number[]> {
  if (tf.getBackend() !== 'webgpu') throw new Error(`TF.js backend is "${tf.getBackend()}", expected "webgpu"`);
  const { features: F, classes: C } = dataset;
  const rows = dataset.split.train;
  const xTrain = tf.tensor2d(dataset.x.subarray(0, rows * F), [rows, F]);
  const yTrain = tf.tidy(() => tf.oneHot(tf.tensor1d(Int32Array.from(dataset.y.subarray(0, rows)), 'int32'), C).toFloat());
  const times: number[] = [];
  try {
    for (let t = 0; t < options.trials; t++) {
      const model = tf.sequential();
      options.hidden.forEach((units, l) => model.add(tf.layers.dense({ units, activation: 'relu', ...(l === 0 ? { inputShape: [F] } : {}) })));
      model.add(tf.layers.dense({ units: C }));
      const optimizer = tf.train.adam(options.lr);
      const order = Int32Array.from(epochOrder(options.seed + t, 0, rows, options.batchSize, true));
      const stepsPerEpoch = order.length / options.batchSize;
      try {
        const started = performance.now();
        let lastLoss: TfModule.Scalar | null = null;
        for (let s = 0; s < options.stepsPerTrial; s++) {
          const at = (s % stepsPerEpoch) * options.batchSize;
          const last = s === options.stepsPerTrial - 1;
          const cost = tf.tidy((): TfModule.Scalar | undefined => {
            const index = tf.tensor1d(order.subarray(at, at + options.batchSize), 'int32');
            const x = tf.gather(xTrain, index);
            const y = tf.gather(yTrain, index);
            const loss = () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as TfModule.Tensor) as TfModule.Scalar;
            return optimizer.minimize(loss, last) ?? undefined;
          });
          if (cost) lastLoss = cost;
        }
        const loss = (await lastLoss!.data())[0]!;
        const ms = performance.now() - started;
        lastLoss!.dispose();
        if (!Number.isFinite(loss)) throw new Error(`TF.js trial ${t}: loss ${loss} after ${options.stepsPerTrial} steps`);
        times.push(ms);
        options.onTrial?.(t, ms);
      } finally {
        optimizer.dispose();
        model.dispose();
      }
    }
  } finally {
    xTrain.dispose();
    yTrain.dispose();
  }
  return times;
}
