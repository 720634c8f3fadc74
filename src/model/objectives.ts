// What a study can optimize: each metric with the direction that is better.

export const OBJECTIVE_METRICS = ['val_accuracy', 'val_loss', 'val_rmse', 'val_mae', 'val_r2', 'samples_per_sec', 'step_ms', 'device_bytes'] as const;
export type ObjectiveMetric = (typeof OBJECTIVE_METRICS)[number];
export type Direction = 'maximize' | 'minimize';

export const METRIC_DIRECTIONS: Readonly<Record<ObjectiveMetric, Direction>> = {
  val_accuracy: 'maximize',
  val_loss: 'minimize',
  val_rmse: 'minimize',
  val_mae: 'minimize',
  val_r2: 'maximize',
  samples_per_sec: 'maximize',
  step_ms: 'minimize',
  device_bytes: 'minimize',
};

/** The values each metric can take (bounds inclusive): a value told from outside is checked against them. */
export const METRIC_RANGES: Readonly<Record<ObjectiveMetric, { min: number; max: number }>> = {
  val_accuracy: { min: 0, max: 1 },
  val_loss: { min: 0, max: Infinity },
  val_rmse: { min: 0, max: Infinity },
  val_mae: { min: 0, max: Infinity },
  // R² is 1 at best and unbounded below (a model worse than the mean).
  val_r2: { min: -Infinity, max: 1 },
  samples_per_sec: { min: 0, max: Infinity },
  step_ms: { min: 0, max: Infinity },
  device_bytes: { min: 0, max: Infinity },
};

/** How each metric reads in tables and charts. */
export const METRIC_LABELS: Readonly<Record<ObjectiveMetric, string>> = {
  val_accuracy: 'val accuracy',
  val_loss: 'val loss',
  val_rmse: 'val RMSE',
  val_mae: 'val MAE',
  val_r2: 'val R²',
  samples_per_sec: 'samples/s (shape alone)',
  step_ms: 'step ms (shape alone)',
  device_bytes: 'device bytes (alone)',
};

export interface Objective {
  metric: ObjectiveMetric;
  direction: Direction;
}

/**
 * NOTE: speed and memory objectives belong to a trial's shape, not to the company it kept: a
 * fused trial's step time depends on its cohort. They are measured for the shape trained alone
 * (T = 1): samples_per_sec and step_ms by a short timed run per shape, device_bytes from the
 * layout of a one-trial cohort (see docs/study-format.md).
 */
export const SHAPE_METRICS: ReadonlySet<ObjectiveMetric> = new Set(['samples_per_sec', 'step_ms', 'device_bytes']);

/**
 * The validation metrics each task has (val_loss: both; the shape's speed and memory: any). RMSE and
 * MAE are in the target's own units, R² against the validation rows' own mean.
 */
export const TASK_METRICS: Readonly<Record<'classification' | 'regression', readonly ObjectiveMetric[]>> = {
  classification: ['val_accuracy', 'val_loss'],
  regression: ['val_rmse', 'val_mae', 'val_r2', 'val_loss'],
};

/** What a study optimizes when its file names no objective: the task's first metric. */
export function defaultObjective(task: keyof typeof TASK_METRICS): Objective {
  const metric = TASK_METRICS[task][0]!;
  return { metric, direction: METRIC_DIRECTIONS[metric] };
}

/** Why `metric` cannot score a study of `task`, or null when it can. */
export function metricTaskProblem(metric: ObjectiveMetric, task: keyof typeof TASK_METRICS): string | null {
  if (SHAPE_METRICS.has(metric) || TASK_METRICS[task].includes(metric)) return null;
  return `${metric} scores ${task === 'regression' ? 'classification' : 'regression'}; ${task} data is scored by ${TASK_METRICS[task].join(', ')}`;
}

/** Whether `a` is strictly better than `b` in `direction`. */
export function better(a: number, b: number, direction: Direction): boolean {
  return direction === 'maximize' ? a > b : a < b;
}
