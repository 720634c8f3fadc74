// The loss a cohort trains with, from its task: softmax cross-entropy for classes, squared error
// (or Huber) for a number. The regression target is standardized, so a Huber δ is in standard
// deviations of the target.
export type RegressionLoss = { kind: 'mse' } | { kind: 'huber'; delta: number };
export const REGRESSION_LOSS_KINDS = ['mse', 'huber'] as const;

/** torch.nn.HuberLoss's default δ. */
export const DEFAULT_HUBER_DELTA = 1;

/** The regression loss of one error `e` (standardized units), as the kernel computes it. */
export function regressionLossOf(e: number, loss: RegressionLoss): number {
  if (loss.kind === 'mse') return e * e;
  const a = Math.abs(e);
  return a <= loss.delta ? 0.5 * e * e : loss.delta * (a - 0.5 * loss.delta);
}

/**
 * The loss level of a model that has learned nothing, for the divergence check: ln C for C classes
 * (`regression` null: uniform probabilities); for regression, the loss of an error of one standard
 * deviation (what predicting the training mean costs on average under squared error).
 */
export function chanceLoss(regression: RegressionLoss | null, classes: number): number {
  return regression ? regressionLossOf(1, regression) : Math.log(classes);
}
