// The seeded 2-D sets: reproducible, balanced, split 70/15/15, each with the geometry that defines it.
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/data/errors.ts';
import { dataSpecSchema, SYNTHETIC_KINDS, type SyntheticKind } from '../../src/data/spec.ts';
import { syntheticDataset, type SyntheticSpec } from '../../src/data/synthetic.ts';

function spec(kind: SyntheticKind, extra: Partial<SyntheticSpec> = {}): SyntheticSpec {
  return dataSpecSchema.parse({ kind, ...extra }) as SyntheticSpec;
}

function classCounts(y: Uint32Array, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const label of y) counts[label]++;
  return counts;
}

describe.each(SYNTHETIC_KINDS)('%s', (kind) => {
  const classes = kind === 'gaussians' ? 4 : 2;
  const base = spec(kind, { n: 1000, noise: 0.1, seed: 7, ...(kind === 'gaussians' ? { classes } : {}) });

  it('is the same for the same seed and differs for another seed', () => {
    const a = syntheticDataset(base);
    const b = syntheticDataset(base);
    expect(a.x).toEqual(b.x);
    expect(a.y).toEqual(b.y);
    const other = syntheticDataset({ ...base, seed: 8 });
    expect(other.x).not.toEqual(a.x);
  });

  it('has 2 features in about [-1, 1], balanced classes and a 70 / 15 / 15 split', () => {
    const data = syntheticDataset(base);
    expect(data.name).toBe(kind);
    expect(data.features).toBe(2);
    expect(data.classes).toBe(classes);
    expect(data.x.length).toBe(2000);
    expect(data.split).toEqual({ train: 700, validation: 150, test: 150 });
    expect(data.description).toContain('700 train / 150 val / 150 test');
    for (const v of data.x) expect(Math.abs(v)).toBeLessThan(1.5);
    const expected = 1000 / classes;
    for (const count of classCounts(data.y, classes)) expect(Math.abs(count - expected)).toBeLessThanOrEqual(1);
    // Shuffled before the split: the training rows alone are balanced within 10%.
    for (const count of classCounts(data.y.subarray(0, 700), classes)) {
      expect(Math.abs(count - 700 / classes) / (700 / classes)).toBeLessThan(0.1);
    }
  });

  it('noise is the standard deviation added to each coordinate', () => {
    const clean = syntheticDataset({ ...base, noise: 0 });
    const noisy = syntheticDataset({ ...base, noise: 0.05 });
    // The random draws do not depend on noise, so the same seed gives the same clean points and order.
    let sumSq = 0;
    for (let i = 0; i < clean.x.length; i++) sumSq += (noisy.x[i] - clean.x[i]) ** 2;
    expect(Math.sqrt(sumSq / clean.x.length)).toBeCloseTo(0.05, 2);
    expect(noisy.y).toEqual(clean.y);
  });
});

describe('synthetic geometry (noise 0)', () => {
  const rows = (kind: SyntheticKind, extra: Partial<SyntheticSpec> = {}) => {
    const data = syntheticDataset(spec(kind, { n: 600, noise: 0, seed: 3, ...extra }));
    return Array.from(data.y, (label, i) => ({ label, x: data.x[2 * i], y: data.x[2 * i + 1] }));
  };

  it('circles: class 0 inside radius 0.5, class 1 in the ring 0.7..1', () => {
    for (const p of rows('circles')) {
      const r = Math.hypot(p.x, p.y);
      if (p.label === 0) expect(r).toBeLessThanOrEqual(0.5 + 1e-6);
      else expect(r >= 0.7 - 1e-6 && r <= 1 + 1e-6).toBe(true);
    }
  });

  it('xor: class 0 where x·y > 0, class 1 where x·y < 0', () => {
    for (const p of rows('xor')) expect(p.label === 0 ? p.x * p.y > 0 : p.x * p.y < 0).toBe(true);
  });

  it('spirals: two arms of radius up to 1, mirrored through the origin', () => {
    const points = rows('spirals');
    for (const p of points) expect(Math.hypot(p.x, p.y)).toBeLessThan(1);
    // Arm 1 is arm 0 turned by 180°: for every class-0 point, (-x, -y) is a class-1 point.
    const arm1 = new Set(points.filter((p) => p.label === 1).map((p) => `${p.x.toFixed(4)},${p.y.toFixed(4)}`));
    const mirrored = points.filter((p) => p.label === 0 && arm1.has(`${(-p.x).toFixed(4)},${(-p.y).toFixed(4)}`));
    expect(mirrored.length).toBe(300);
  });

  it('gaussians: each class clusters around its own centre on a circle', () => {
    const points = rows('gaussians', { classes: 5 });
    for (let c = 0; c < 5; c++) {
      const mine = points.filter((p) => p.label === c);
      const cx = mine.reduce((s, p) => s + p.x, 0) / mine.length;
      const cy = mine.reduce((s, p) => s + p.y, 0) / mine.length;
      expect(Math.hypot(cx, cy)).toBeCloseTo(0.6, 1);
      const angle = Math.PI / 4 + (2 * Math.PI * c) / 5;
      expect(Math.hypot(cx - 0.6 * Math.cos(angle), cy - 0.6 * Math.sin(angle))).toBeLessThan(0.05);
    }
  });

  it('odd row counts still split and balance', () => {
    const data = syntheticDataset(spec('gaussians', { n: 31, classes: 3 }));
    expect(data.split).toEqual({ train: 21, validation: 5, test: 5 });
    expect(classCounts(data.y, 3)).toEqual([11, 10, 10]);
  });

  it('refuses classes other than 2 for the two-class sets, naming the field', () => {
    expect(() => syntheticDataset(spec('spirals', { classes: 3 }))).toThrow(DataError);
    expect(() => syntheticDataset(spec('spirals', { classes: 3 }))).toThrow(/spirals: classes: spirals has 2 classes, got 3/);
  });
});
