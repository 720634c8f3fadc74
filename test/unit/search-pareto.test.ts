// Non-dominated sorting, crowding distance, the Pareto front and hypervolume, against brute-force definitions and hand values.
import { describe, expect, it } from 'vitest';
import { byCrowding, crowdingDistances, dominates, hypervolume, lossFronts, lossHypervolume, nonDominatedFronts, paretoFront, selectByRankAndCrowding, selectHypervolumeSubset, toLosses } from '../../src/search/pareto.ts';
import type { Direction } from '../../src/search/samplers.ts';
import { Rng } from '../../src/util/random.ts';

/** Fronts straight from the definition: rank r = dominated only by points of ranks < r. */
function bruteForceFronts(losses: number[][]): number[][] {
  const left = new Set(losses.keys());
  const fronts: number[][] = [];
  while (left.size > 0) {
    const front = [...left].filter((i) => ![...left].some((j) => dominates(losses[j], losses[i])));
    front.forEach((i) => left.delete(i));
    fronts.push(front);
  }
  return fronts;
}

const points = (seed: number, n: number, d: number, levels = 0) => {
  const rng = new Rng(seed);
  // With levels, values repeat, so ties and equal vectors occur.
  return Array.from({ length: n }, () => Array.from({ length: d }, () => (levels ? rng.int(levels) : rng.next())));
};

describe('non-dominated sorting', () => {
  it.each([
    [2, 0],
    [3, 0],
    [2, 4],
    [3, 3],
  ])('matches the definition on random points (%i objectives, %i levels)', (d, levels) => {
    for (let seed = 0; seed < 5; seed++) {
      const losses = points(seed, 60, d, levels);
      expect(lossFronts(losses)).toEqual(bruteForceFronts(losses));
    }
  });

  it('stops once `limit` points are ranked', () => {
    const losses = points(1, 80, 2);
    const all = lossFronts(losses);
    const some = lossFronts(losses, 10);
    expect(some).toEqual(all.slice(0, some.length));
    expect(some.flat().length).toBeGreaterThanOrEqual(10);
    expect(some.slice(0, -1).flat().length).toBeLessThan(10);
  });

  it('honours directions, and equal vectors share a front', () => {
    const values = [
      [0.9, 10],
      [0.9, 10],
      [0.8, 5],
      [0.95, 20],
      [0.7, 30],
    ];
    const directions: Direction[] = ['maximize', 'minimize'];
    expect(paretoFront(values, directions)).toEqual([0, 1, 2, 3]);
    expect(nonDominatedFronts(values, directions)).toEqual([[0, 1, 2, 3], [4]]);
    expect(paretoFront(values, ['minimize', 'maximize'])).toEqual([4]);
    expect(paretoFront([], directions)).toEqual([]);
  });

  it('counts NaN as the worst value', () => {
    expect(paretoFront([[NaN, 0], [1, 1]], ['minimize', 'minimize'])).toEqual([0, 1]);
    expect(paretoFront([[NaN, 1], [1, 1]], ['minimize', 'minimize'])).toEqual([1]);
    expect(paretoFront([[NaN], [-5]], ['maximize'])).toEqual([1]);
    expect(toLosses([[NaN, 2]], ['maximize', 'maximize'])).toEqual([[Infinity, -2]]);
    expect(() => toLosses([[1]], ['minimize', 'minimize'])).toThrow(RangeError);
  });
});

describe('crowding distance', () => {
  it('sums the neighbours’ gaps over each objective’s range; the extremes are infinite', () => {
    const losses = [
      [0, 4],
      [1, 2],
      [2, 1],
      [4, 0],
    ];
    // Member 1: (2 − 0)/4 + (4 − 1)/4; member 2: (4 − 1)/4 + (2 − 0)/4.
    expect(crowdingDistances(losses, [0, 1, 2, 3])).toEqual([Infinity, 1.25, 1.25, Infinity]);
    expect(byCrowding(losses, [0, 1, 2, 3])).toEqual([0, 3, 1, 2]);
  });

  it('adds nothing for an objective all members share, and 0 between equal neighbours', () => {
    expect(crowdingDistances([[1, 5], [2, 5], [3, 5]], [0, 1, 2])).toEqual([Infinity, 1, Infinity]);
    expect(crowdingDistances([[1], [1], [1], [2]], [0, 1, 2, 3])).toEqual([Infinity, 0, 1, Infinity]);
  });

  it('selection by rank then crowding keeps whole fronts and cuts the last one at its most crowded', () => {
    const losses = [
      [0, 4],
      [1, 2],
      [1.1, 1.9],
      [4, 0],
      [5, 5],
    ];
    // Front 0 is members 0–3; 1 scores 1.1/4 + 2.1/4 = 0.8 and 2 scores 3/4 + 2/4 = 1.25, so 2 is the less crowded.
    expect(selectByRankAndCrowding(losses, 3)).toEqual([0, 3, 2]);
    expect(selectByRankAndCrowding(losses, 5)).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('hypervolume', () => {
  it('of boxes by hand, in 1, 2 and 3 objectives', () => {
    expect(lossHypervolume([[1], [3]], [4])).toBe(3);
    expect(lossHypervolume([[1, 2], [2, 1]], [3, 3])).toBe(3);
    expect(lossHypervolume([[0, 0, 0]], [1, 2, 3])).toBe(6);
    expect(lossHypervolume([[0, 1, 1], [1, 0, 1], [1, 1, 0]], [2, 2, 2])).toBe(4);
    // Points beyond the reference and dominated points add nothing.
    expect(lossHypervolume([[1, 2], [2, 1], [5, 0], [2, 2]], [3, 3])).toBe(3);
    expect(hypervolume([[0.9, 10]], ['maximize', 'minimize'], [0.5, 20])).toBeCloseTo(4, 12);
  });

  it('agrees with a Monte Carlo estimate in 3 objectives', () => {
    const losses = points(7, 15, 3);
    const reference = [1, 1, 1];
    const rng = new Rng(8);
    let inside = 0;
    const draws = 40000;
    for (let i = 0; i < draws; i++) {
      const u = [rng.next(), rng.next(), rng.next()];
      if (losses.some((p) => p.every((x, k) => x <= u[k]))) inside++;
    }
    expect(Math.abs(lossHypervolume(losses, reference) - inside / draws)).toBeLessThan(0.01);
  });

  it('greedy subset selection in 2 objectives adds the largest exclusive contribution each time', () => {
    // Front (loss): reference becomes 1.1 × the worst = (4.4, 4.4).
    const front = [
      [0, 4],
      [1, 1],
      [4, 0],
      [1.2, 0.9],
    ];
    const members = [0, 1, 2, 3];
    // Alone, [1, 1] spans 3.4 × 3.4 = 11.56, more than any other.
    expect(selectHypervolumeSubset(front, members, 1)).toEqual([1]);
    const two = selectHypervolumeSubset(front, members, 2);
    const volume = (subset: number[]) => lossHypervolume(subset.map((i) => front[i]), [4.4, 4.4]);
    // Greedy's second pick is the best addition to the first.
    for (const other of members.filter((m) => m !== 1)) expect(volume(two)).toBeGreaterThanOrEqual(volume([1, other]));
    expect(selectHypervolumeSubset(front, members, 4).sort()).toEqual(members);
  });
});
