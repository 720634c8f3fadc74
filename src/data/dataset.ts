// The in-memory data set every loader produces and the engine uploads once per study.
import type { Preprocess } from './transform.ts';

/** Row counts of the three splits, stored in this order in `x` and `y`. */
export interface SplitCounts {
  train: number;
  validation: number;
  test: number;
}

/** What the network learns: a class per row (softmax cross-entropy) or a number per row (squared error). */
export type Task = 'classification' | 'regression';

/** Cross-validation over the training rows: fold f validates on the rows whose fold is f and trains on the rest. */
export interface Folds {
  k: number;
  /** [split.train] fold id (0..k-1) of each training row. */
  ofRow: Uint8Array;
}

export interface Dataset {
  /** Short id: `mnist`, `spirals`, `circles`, `xor`, `gaussians`, `csv:<file name>`, `table:<file name>`. */
  name: string;
  /** One line for reports: source, sizes, preprocessing. */
  description: string;
  /** Features per row (F). */
  features: number;
  task: Task;
  /** Classification: the number of classes (C), labels 0..C-1. Regression: 1 (the network's one output). */
  classes: number;
  /** [N][F] row-major float32, rows ordered train, then validation, then test. */
  x: Float32Array;
  /** [N] class index per row, same order as `x` (regression: all 0). */
  y: Uint32Array;
  /** Regression: [N] the target standardized with the training rows' mean and population std (what the loss sees). */
  target?: Float32Array;
  /** Regression: the target's own units are `standardized · std + mean`; `name` is the target column. */
  targetScale?: { mean: number; std: number; name: string };
  /** Cross-validation folds over the training rows, when the study asks for them. */
  folds?: Folds;
  split: SplitCounts;
  /** Optional names for the classes (e.g. CSV string labels), index = label. */
  classNames?: string[];
  /** Optional names for the features (e.g. CSV header). */
  featureNames?: string[];
  /** Tables: the transform fitted on the training rows, saved with the results as preprocess.json. */
  preprocess?: Preprocess;
  /** Tables: each row's 0-based row in the file (train, validation, test order) and the file's row count, so tools can pick a split's rows again. */
  rows?: { ids: Uint32Array; fileRows: number };
}

export function rowCount(split: SplitCounts): number {
  return split.train + split.validation + split.test;
}
