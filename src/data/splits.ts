// Which rows train, validate and test (seeded, stratified by class), and the cross-validation folds over the training rows.
import { deriveSeed, Rng } from '../util/random.ts';

/** Row indices (into the table) of each split, in the split's order: shuffled, or file / time order when not shuffled. */
export interface SplitRows {
  train: Uint32Array;
  validation: Uint32Array;
  test: Uint32Array;
}

export interface FractionSplit {
  validation: number;
  test: number;
  shuffle: boolean;
  seed: number;
  /** Class of each of `rows` (same order), to keep each class's share in every split. */
  classes?: Uint32Array;
}

/**
 * Splits `count` shares into parts proportional to `weights` that add up to exactly `count`
 * (largest remainder; ties go to the earlier part), so rounding never loses or adds a row.
 */
export function apportion(count: number, weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (total === 0) return weights.map(() => 0);
  const exact = weights.map((w) => (count * w) / total);
  const parts = exact.map(Math.floor);
  let left = count - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, rest: e - Math.floor(e) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const { i } of order) {
    if (left-- <= 0) break;
    parts[i]!++;
  }
  return parts;
}

/**
 * round(N·test) test rows and round(N·validation) validation rows; the rest train. Shuffled (seeded)
 * unless `shuffle` is false, when the last rows of `rows` test and the ones before them validate (file
 * or time order). With `classes`, every class gives each split its share (largest remainder), as
 * scikit-learn's stratified splits do.
 */
export function splitByFraction(rows: Uint32Array, options: FractionSplit): SplitRows {
  const n = rows.length;
  const testCount = Math.round(n * options.test);
  const validationCount = Math.round(n * options.validation);
  if (!options.shuffle) {
    const trainEnd = n - testCount - validationCount;
    return { train: rows.slice(0, trainEnd), validation: rows.slice(trainEnd, trainEnd + validationCount), test: rows.slice(trainEnd + validationCount) };
  }
  const rng = new Rng(deriveSeed(options.seed, 'split'));
  if (!options.classes) {
    const order = rng.shuffle(rows.slice());
    return { test: order.slice(0, testCount), validation: order.slice(testCount, testCount + validationCount), train: order.slice(testCount + validationCount) };
  }
  const groups = groupByClass(rows, options.classes);
  const sizes = groups.map((g) => g.length);
  const testParts = apportion(testCount, sizes);
  const validationParts = apportion(
    validationCount,
    sizes.map((s, c) => s - testParts[c]!),
  );
  const test = new Uint32Array(testCount);
  const validation = new Uint32Array(validationCount);
  const train = new Uint32Array(n - testCount - validationCount);
  let [t, v, r] = [0, 0, 0];
  groups.forEach((group, c) => {
    rng.shuffle(group);
    const tc = testParts[c]!;
    const vc = validationParts[c]!;
    test.set(group.subarray(0, tc), t);
    validation.set(group.subarray(tc, tc + vc), v);
    train.set(group.subarray(tc + vc), r);
    [t, v, r] = [t + tc, v + vc, r + group.length - tc - vc];
  });
  // Classes would otherwise arrive in blocks: mix them, so a split's order says nothing about class.
  return { train: rng.shuffle(train), validation: rng.shuffle(validation), test: rng.shuffle(test) };
}

/** Rows grouped by class, each group in the order of `rows`. */
function groupByClass(rows: Uint32Array, classes: Uint32Array): Uint32Array[] {
  const sizes: number[] = [];
  for (let i = 0; i < rows.length; i++) sizes[classes[i]!] = (sizes[classes[i]!] ?? 0) + 1;
  const groups = Array.from(sizes, (size) => new Uint32Array(size ?? 0));
  const filled = new Uint32Array(groups.length);
  for (let i = 0; i < rows.length; i++) {
    const c = classes[i]!;
    groups[c]![filled[c]!++] = rows[i]!;
  }
  return groups;
}

/**
 * The fold (0..k-1) of each of `count` training rows: shuffled with `seed` and dealt in turn, so fold
 * sizes differ by at most one; with `classes` (one per training row), each class is dealt on from
 * where the previous class stopped, so every fold gets its share of every class (stratified k-fold).
 */
export function assignFolds(count: number, k: number, seed: number, classes?: Uint32Array): Uint8Array {
  const rng = new Rng(deriveSeed(seed, 'folds'));
  const ofRow = new Uint8Array(count);
  const positions = Uint32Array.from({ length: count }, (_, i) => i);
  const groups = classes ? groupByClass(positions, classes) : [positions];
  let next = 0;
  for (const group of groups) {
    rng.shuffle(group);
    for (const position of group) {
      ofRow[position] = next;
      next = (next + 1) % k;
    }
  }
  return ofRow;
}
