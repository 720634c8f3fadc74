// The TensorFlow Playground's 2-D sets (spirals, circles, XOR, Gaussian clusters), generated from a seed.
import { deriveSeed, Rng } from '../util/random.ts';
import type { Dataset } from './dataset.ts';
import { DataError } from './errors.ts';
import type { DataSpec, SyntheticKind } from './spec.ts';

export type SyntheticSpec = Extract<DataSpec, { kind: SyntheticKind }>;

/** Fractions of the shuffled rows held out for validation and for test; the rest trains. */
export const SYNTHETIC_VALIDATION_FRACTION = 0.15;
export const SYNTHETIC_TEST_FRACTION = 0.15;

/** Standard deviation of each Gaussian cluster before `noise` is added, so noise 0 is not one point per class. */
const CLUSTER_SPREAD = 0.1;
/** Radius of the circle the Gaussian cluster centres sit on. */
const CLUSTER_RADIUS = 0.6;
/** XOR points keep this far from the axes (the Playground's 0.3 of its ±5 range). */
const XOR_PADDING = 0.06;

/**
 * A clean point of `kind` for class `label`; `i`/`m` is its place among the class's m points
 * (the spiral walks along it, the others sample at random). Coordinates lie in [-1, 1].
 */
function cleanPoint(kind: SyntheticKind, label: number, classes: number, i: number, m: number, rng: Rng): [number, number] {
  switch (kind) {
    case 'spirals': {
      // Two arms 180° apart, 1.75 turns from the centre outwards (the Playground's spiral).
      const r = i / m;
      const t = 1.75 * 2 * Math.PI * r + label * Math.PI;
      return [r * Math.sin(t), r * Math.cos(t)];
    }
    case 'circles': {
      // Class 0 inside radius 0.5, class 1 in the ring 0.7..1, with a gap between them.
      const r = label === 0 ? rng.uniform(0, 0.5) : rng.uniform(0.7, 1);
      const angle = rng.uniform(0, 2 * Math.PI);
      return [r * Math.sin(angle), r * Math.cos(angle)];
    }
    case 'xor': {
      // Class 0 in the quadrants where x·y > 0, class 1 where x·y < 0.
      const sx = rng.next() < 0.5 ? -1 : 1;
      const sy = label === 0 ? sx : -sx;
      return [sx * rng.uniform(XOR_PADDING, 1), sy * rng.uniform(XOR_PADDING, 1)];
    }
    case 'gaussians': {
      // Centres evenly on a circle, starting at 45° so two classes sit on the diagonal as in the Playground.
      const angle = Math.PI / 4 + (2 * Math.PI * label) / classes;
      return [
        CLUSTER_RADIUS * Math.cos(angle) + CLUSTER_SPREAD * rng.normal(),
        CLUSTER_RADIUS * Math.sin(angle) + CLUSTER_SPREAD * rng.normal(),
      ];
    }
  }
}

/**
 * `spec.n` rows of 2 features, classes as equal as n allows (row i of the generation order has
 * class i mod C), each coordinate plus N(0, noise²) after its label is fixed, so noise blurs the
 * boundary. Rows are shuffled, then split 70% train / 15% validation / 15% test.
 */
export function syntheticDataset(spec: SyntheticSpec): Dataset {
  if (spec.kind !== 'gaussians' && spec.classes !== undefined && spec.classes !== 2) {
    throw new DataError(spec.kind, `classes: ${spec.kind} has 2 classes, got ${spec.classes} (only gaussians takes 2..10)`);
  }
  const classes = spec.kind === 'gaussians' ? (spec.classes ?? 2) : 2;
  const n = spec.n;
  const rng = new Rng(deriveSeed(spec.seed, 'synthetic', spec.kind));
  const points = new Float32Array(2 * n);
  const labels = new Uint32Array(n);
  for (let row = 0; row < n; row++) {
    const label = row % classes;
    const m = Math.floor((n - 1 - label) / classes) + 1;
    const [px, py] = cleanPoint(spec.kind, label, classes, Math.floor(row / classes), m, rng);
    points[2 * row] = px + spec.noise * rng.normal();
    points[2 * row + 1] = py + spec.noise * rng.normal();
    labels[row] = label;
  }
  const order = rng.shuffle(Uint32Array.from({ length: n }, (_, i) => i));
  const x = new Float32Array(2 * n);
  const y = new Uint32Array(n);
  order.forEach((source, row) => {
    x[2 * row] = points[2 * source];
    x[2 * row + 1] = points[2 * source + 1];
    y[row] = labels[source];
  });
  const validation = Math.round(n * SYNTHETIC_VALIDATION_FRACTION);
  const test = Math.round(n * SYNTHETIC_TEST_FRACTION);
  const train = n - validation - test;
  const classNote = spec.kind === 'gaussians' ? `${classes} classes, ` : '';
  return {
    name: spec.kind,
    task: 'classification',
    description: `${spec.kind} (synthetic, ${classNote}seed ${spec.seed}, noise ${spec.noise}): ${train} train / ${validation} val / ${test} test`,
    features: 2,
    classes,
    x,
    y,
    split: { train, validation, test },
    featureNames: ['x1', 'x2'],
  };
}
