// A trial's full configuration: what the engine trains. Search produces these; the engine consumes them.

export const ACTIVATIONS = ['linear', 'relu', 'tanh', 'sigmoid'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** The optimizers a trial may use; which settings each reads is model/optimizers.ts's table. */
export const OPTIMIZERS = ['sgd', 'momentum', 'rmsprop', 'adam', 'adamw'] as const;
export type OptimizerKind = (typeof OPTIMIZERS)[number];

/** Optimizer settings; names and defaults follow torch.optim (see docs/kernels.md). */
export interface OptimizerConfig {
  kind: OptimizerKind;
  /** Learning rate. */
  lr: number;
  /** SGD momentum (`sgd` default 0, `momentum` default 0.9) or RMSprop momentum (default 0). */
  momentum: number;
  /** SGD dampening (default 0). */
  dampening: number;
  /** Nesterov momentum for SGD (default false). */
  nesterov: boolean;
  /** Adam/AdamW β1 (default 0.9). */
  beta1: number;
  /** Adam/AdamW β2 (default 0.999). */
  beta2: number;
  /** ε: Adam/AdamW default 1e-8, RMSprop default 1e-8. */
  eps: number;
  /** RMSprop smoothing constant α (default 0.99). */
  alpha: number;
  /** AdamW decoupled weight decay (default 0.01); ignored by other kinds (use l2). */
  weightDecay: number;
}

export interface TrialConfig {
  /** Hidden layer widths, input to output; [] is a linear (softmax regression) model. */
  hidden: number[];
  /** Activation of every hidden layer (the output layer is linear, into softmax cross-entropy). */
  activation: Activation;
  batchSize: number;
  epochs: number;
  optimizer: OptimizerConfig;
  /** L1 penalty on weights (not biases): gradient += l1·sign(w). */
  l1: number;
  /** L2 penalty on weights (not biases): gradient += l2·w (torch's weight_decay for SGD/Adam/RMSprop). */
  l2: number;
  /** Inverted dropout rate after every hidden layer, in [0, 1). */
  dropout: number;
  /** Seed for initial weights, batch order and dropout masks. */
  seed: number;
}

export const DEFAULT_OPTIMIZER: Omit<OptimizerConfig, 'kind' | 'lr'> = {
  momentum: 0,
  dampening: 0,
  nesterov: false,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  alpha: 0.99,
  weightDecay: 0.01,
};

/**
 * A complete OptimizerConfig from a kind, a learning rate and overrides, with torch.optim's defaults;
 * `momentum` is SGD with momentum 0.9 unless told otherwise.
 */
export function optimizerConfig(kind: OptimizerKind, lr: number, overrides: Partial<OptimizerConfig> = {}): OptimizerConfig {
  const momentum = kind === 'momentum' ? 0.9 : 0;
  return { ...DEFAULT_OPTIMIZER, momentum, ...overrides, kind, lr };
}

/** The cohort key: trials with equal shapes train fused in the same dispatches. */
export function shapeKey(config: Pick<TrialConfig, 'hidden' | 'activation' | 'batchSize'>): string {
  return `${config.hidden.join('-') || 'linear'}/${config.activation}/b${config.batchSize}`;
}

/**
 * What a trial gets for a hyperparameter that neither the study's space nor its defaults set (and
 * what `fusetune train` uses for a flag left out): Adam at torch's learning rate, one hidden layer
 * of 128 ReLU units, batch 64, one epoch, no regularization.
 */
export const TRIAL_DEFAULTS = {
  lr: 1e-3,
  batch_size: 64,
  layers: 1,
  units: 128,
  activation: 'relu',
  optimizer: 'adam',
  l1: 0,
  l2: 0,
  dropout: 0,
  epochs: 1,
} as const satisfies Readonly<Record<string, string | number>>;
