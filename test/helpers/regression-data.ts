// A regression table built by hand for the engine's tests, with optional cross-validation folds.
import type { Dataset } from '../../src/data/dataset.ts';
import { Rng } from '../../src/util/random.ts';

const F = 4;

/** F = 4 features; y = a nonlinear function of x + noise in "own units" (mean 20, spread about 6), standardized on the training rows; k folds at random. */
export function regressionDataset(seed: number, split = { train: 53, validation: 17, test: 11 }, k?: number): Dataset {
  const rng = new Rng(seed);
  const n = split.train + split.validation + split.test;
  const x = rng.floats(n * F);
  const raw = Array.from({ length: n }, (_, i) => 20 + 4 * x[i * F]! - 3 * x[i * F + 1]! * x[i * F + 2]! + 2 * Math.sin(3 * x[i * F + 3]!) + 0.3 * rng.uniform(-1, 1));
  const train = raw.slice(0, split.train);
  const mean = train.reduce((a, b) => a + b, 0) / train.length;
  const std = Math.sqrt(train.reduce((a, b) => a + (b - mean) ** 2, 0) / train.length);
  const target = Float32Array.from(raw, (v) => (v - mean) / std);
  const folds = k ? { k, ofRow: Uint8Array.from({ length: split.train }, () => rng.int(k)) } : undefined;
  return {
    name: 'regression-test',
    description: 'hand-built regression table',
    features: F,
    task: 'regression',
    classes: 1,
    x,
    y: new Uint32Array(n),
    target,
    targetScale: { mean, std, name: 'y' },
    ...(folds ? { folds } : {}),
    split,
  };
}
