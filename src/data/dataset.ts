// The in-memory data set every loader produces and the engine uploads once per study.

/** Row counts of the three splits, stored in this order in `x` and `y`. */
export interface SplitCounts {
  train: number;
  validation: number;
  test: number;
}

export interface Dataset {
  /** Short id: `mnist`, `spirals`, `circles`, `xor`, `gaussians`, `csv:<file name>`. */
  name: string;
  /** One line for reports: source, sizes, preprocessing. */
  description: string;
  /** Features per row (F). */
  features: number;
  /** Number of classes (C); labels are 0..C-1. */
  classes: number;
  /** [N][F] row-major float32, rows ordered train, then validation, then test. */
  x: Float32Array;
  /** [N] class index per row, same order as `x`. */
  y: Uint32Array;
  split: SplitCounts;
  /** Optional names for the classes (e.g. CSV string labels), index = label. */
  classNames?: string[];
  /** Optional names for the features (e.g. CSV header). */
  featureNames?: string[];
}

export function rowCount(split: SplitCounts): number {
  return split.train + split.validation + split.test;
}
