// TPE, MOTPE and NSGA-II beyond the shared conformance suite: Optuna's numbers as the oracle, their splits, batch asks, options and the factory.
import { describe, expect, it } from 'vitest';
import { createLearningSampler, learningSamplerSchema, LEARNING_SAMPLER_SCHEMAS } from '../../src/search/learning-samplers.ts';
import { hypervolume, lossFronts, selectHypervolumeSubset } from '../../src/search/pareto.ts';
import { Nsga2Sampler } from '../../src/search/nsga2.ts';
import { RandomSampler, type Direction, type PastTrial } from '../../src/search/samplers.ts';
import { spaceSchema, type Params, type Space } from '../../src/search/space.ts';
import { ParzenEstimator } from '../../src/search/parzen-estimator.ts';
import { belowCount, observationWeights, splitTrials, TpeSampler } from '../../src/search/tpe.ts';
import { axisOf, internal, type VariableAxis } from '../../src/search/transform.ts';
import { z } from 'zod';
import { Rng } from '../../src/util/random.ts';

const complete = (number: number, value: number | number[], params: Params = {}): PastTrial => ({
  number,
  params,
  state: 'complete',
  values: Array.isArray(value) ? value : [value],
  intermediate: [],
});
const pruned = (number: number, intermediate: [number, number][], params: Params = {}): PastTrial => ({ number, params, state: 'pruned', values: null, intermediate });
const running = (number: number, params: Params = {}): PastTrial => ({ number, params, state: 'running', values: null, intermediate: [] });
const failed = (number: number, params: Params = {}): PastTrial => ({ number, params, state: 'failed', values: null, intermediate: [] });

describe("TPE's Parzen estimator against Optuna 3.6.1", () => {
  // Values from optuna.samplers._tpe.parzen_estimator._ParzenEstimator of Optuna 3.6.1 (prior weight 1, magic clip, no endpoints, default weights).
  const space = spaceSchema.parse({
    x: { type: 'float', low: -5, high: 10 },
    lr: { type: 'float', low: 1e-4, high: 1, log: true },
    n: { type: 'int', low: 1, high: 10 },
    c: { type: 'categorical', choices: ['a', 'b', 'c'] },
    s: { type: 'float', low: 0.1, high: 0.5, step: 0.2 },
  });
  const observed: Record<string, (number | string)[]> = {
    x: [0.5, 2.0, 2.2, 9.0, -3.0, 4.4],
    lr: [1e-3, 0.2, 0.05, 1e-4, 0.9, 0.011],
    n: [3, 7, 7, 10, 1, 4],
    c: ['a', 'c', 'c', 'b', 'a', 'c'],
    s: [0.1, 0.3, 0.5, 0.5, 0.1, 0.3],
  };
  const at: Record<string, (number | string)[]> = {
    x: [0.0, 2.1, -4.9, 9.9, 5.0],
    lr: [1e-3, 0.3, 1e-4, 0.5, 0.02],
    n: [3, 7, 1, 10, 5],
    c: ['a', 'c', 'b', 'a', 'c'],
    s: [0.1, 0.3, 0.5, 0.5, 0.1],
  };
  const optuna: Record<string, number[]> = {
    x: [-2.437840822453306, -2.1750861089737836, -3.3293820480076666, -3.2952184348593128, -2.7160564761824206],
    lr: [-2.4374562991983773, -1.9893862635690045, -2.5016286871722424, -2.021236937499522, -2.155222317663962],
    n: [-2.1388612619961087, -2.252205387296193, -2.4216087759303058, -2.7209248865288207, -2.1781038080349853],
    c: [-1.0986122886681098, -0.8362480242006187, -1.455287232606842, -1.0986122886681098, -0.8362480242006187],
    s: [-1.137531566302078, -1.0250428203307673, -1.1375315663020782, -1.1375315663020782, -1.137531566302078],
    joint: [-6.8132910240634015, -6.844919997778461, -11.617771778754236, -11.574508239041513, -8.681498159614819],
  };
  const names = Object.keys(space);
  const axes = names.map((name) => axisOf(space[name]) as VariableAxis);
  const column = (values: (number | string)[], axis: VariableAxis) => Float64Array.from(values, (v) => internal(axis, v));
  // NOTE: the erfc fit is good to ~1e-7, so densities agree to about that.
  const close = (actual: Float64Array, expected: number[]) => expected.forEach((e, i) => expect(Math.abs(actual[i] - e)).toBeLessThan(1e-6));

  it.each(names)('independent kernel for %s (continuous, log, int, categorical, stepped)', (name) => {
    const axis = axes[names.indexOf(name)];
    const estimator = new ParzenEstimator([axis], [column(observed[name], axis)], observationWeights(6), false);
    close(estimator.logPdf([column(at[name], axis)]), optuna[name]);
  });

  it('joint kernel of multivariate TPE', () => {
    const estimator = new ParzenEstimator(
      axes,
      names.map((name, j) => column(observed[name], axes[j])),
      observationWeights(6),
      true,
    );
    close(
      estimator.logPdf(names.map((name, j) => column(at[name], axes[j]))),
      optuna.joint,
    );
  });

  it('older observations ramp down past 25 (default weights), on a continuum and a lattice', () => {
    expect([...observationWeights(30)].slice(0, 5)).toEqual([1 / 30, 0.275, 0.5166666666666667, 0.7583333333333333, 1].map((w) => expect.closeTo(w, 12)));
    const x = axisOf(spaceSchema.parse({ x: { type: 'float', low: -5, high: 10 } }).x) as VariableAxis;
    const xs = Float64Array.from({ length: 30 }, (_, i) => ((i * 7) % 30) / 2 - 5);
    close(new ParzenEstimator([x], [xs], observationWeights(30), false).logPdf([Float64Array.of(-5, 0.3, 7.77, 10)]), [-3.564374357522111, -2.6269026845108634, -2.626760726835081, -3.632357747828762]);
    const n = axisOf(spaceSchema.parse({ n: { type: 'int', low: 0, high: 100 } }).n) as VariableAxis;
    const ns = Float64Array.from({ length: 30 }, (_, i) => (i * 5) % 101);
    close(new ParzenEstimator([n], [ns], observationWeights(30), false).logPdf([Float64Array.of(0, 37, 100)]), [-5.567949649294768, -4.220161098528068, -4.846038014513073]);
  });

  it('an int with many repeated observations: the mixture a brute-force sum of every kernel gives', () => {
    // The oracle: kernels in (value, index) order with the prior's mean among them, σ by the neighbour rule, each bin's mass by Φ.
    const Phi = (z: number) => 0.5 * (1 + erfOracle(z / Math.SQRT2));
    const rng = new Rng(4);
    for (let run = 0; run < 40; run++) {
      const high = 1 + rng.int(30);
      const n = 1 + rng.int(200);
      const axis = axisOf(spaceSchema.parse({ k: { type: 'int', low: 0, high } }).k) as VariableAxis;
      const values = [...Array.from({ length: n }, () => rng.int(high + 1)), high / 2];
      const byValue = values.map((_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
      const at = (i: number) => (i < 0 ? -0.5 : i > n ? high + 0.5 : values[byValue[i]]);
      const sigma = new Map(byValue.map((k, i) => [k, i === 0 ? at(1) - at(0) : i === n ? at(i) - at(i - 1) : Math.max(at(i) - at(i - 1), at(i + 1) - at(i))]));
      const range = high + 1;
      const weights = [...observationWeights(n), 1];
      const total = weights.reduce((sum, w) => sum + w, 0);
      const estimator = new ParzenEstimator([axis], [Float64Array.from(values.slice(0, n))], observationWeights(n), false);
      const density = estimator.logPdf([Float64Array.from({ length: high + 1 }, (_, x) => x)]);
      for (let x = 0; x <= high; x++) {
        let p = 0;
        values.forEach((mu, k) => {
          const s = k === n ? range : Math.min(range, Math.max(range / Math.min(100, n + 2), sigma.get(k)!));
          p += ((weights[k] / total) * (Phi((x + 0.5 - mu) / s) - Phi((x - 0.5 - mu) / s))) / (Phi((high + 0.5 - mu) / s) - Phi((-0.5 - mu) / s));
        });
        expect(Math.abs(density[x] - Math.log(p))).toBeLessThan(1e-5);
      }
    }
  });

  it("gamma is Optuna's: 10% of finished trials, rounded up, at most 25", () => {
    expect([0, 1, 10, 11, 100, 250, 251, 5000].map(belowCount)).toEqual([0, 1, 1, 2, 10, 25, 25, 25]);
  });
});

describe('the split into good and bad trials', () => {
  it('one objective: the best 10% go below; pruned, running and failed trials never push a complete one out', () => {
    const history = [...Array.from({ length: 20 }, (_, i) => complete(i, (i * 7) % 20)), pruned(20, [[3, -100]]), running(21), failed(22)];
    const split = splitTrials(history, ['minimize'], true);
    expect(split.finished).toBe(21);
    // gamma(21) = 3: values 0, 1 and 2 belong to trials 0, 3 and 6.
    expect(split.below.map((t) => t.number)).toEqual([0, 3, 6]);
    expect(split.above.map((t) => t.number)).toEqual([...Array.from({ length: 20 }, (_, i) => i).filter((i) => ![0, 3, 6].includes(i)), 20, 21]);
    // Maximized, values 19, 18 and 17 belong to trials 17, 14 and 11.
    expect(splitTrials(history, ['maximize'], true).below.map((t) => t.number)).toEqual([11, 14, 17]);
  });

  it('pruned trials fill in below complete ones: later steps first, then the better last intermediate value; none reported ranks last', () => {
    const history = [complete(0, 5), pruned(1, [[0, 9], [2, 4]]), pruned(2, [[0, 1], [2, 3]]), pruned(3, [[5, 50]]), pruned(4, []), pruned(5, [[1, 0]])];
    // Six finished: gamma is 1, the complete trial, however good the pruned ones' values.
    expect(splitTrials(history, ['minimize'], true).below.map((t) => t.number)).toEqual([0]);
    // With 21 finished trials gamma is 3: the complete one, then step 5 (trial 3), then step 2 with value 3 (trial 2).
    const padded = [...history, ...Array.from({ length: 15 }, (_, i) => pruned(10 + i, []))];
    expect(splitTrials(padded, ['minimize'], true).below.map((t) => t.number)).toEqual([0, 2, 3]);
    expect(splitTrials(padded, ['maximize'], true).below.map((t) => t.number)).toEqual([0, 1, 3]);
  });

  it('constant liar puts running trials above; without it they are left out', () => {
    const history = [complete(0, 1), complete(1, 2), running(2)];
    expect(splitTrials(history, ['minimize'], true).above.map((t) => t.number)).toEqual([1, 2]);
    expect(splitTrials(history, ['minimize'], false).above.map((t) => t.number)).toEqual([1]);
  });

  it("several objectives: whole non-domination fronts, the border front cut by hypervolume as Optuna 3.6.1's HSSP", () => {
    // Points near a convex front; the expected picks come from optuna.samplers._tpe.sampler._split_complete_trials_multi_objective.
    const points = [
      [0.5508, 0.2578], [0.2909, 0.6139], [0.8929, 0.5928], [0.1256, 0.6456], [0.0515, 0.9054], [0.0299, 1.1013], [0.6491, 0.1943], [0.6763, 0.3549],
      [0.024, 1.1805], [0.2593, 0.4908], [0.2835, 0.6755], [0.4405, 0.4305], [0.5446, 0.262], [0.3064, 0.5131], [0.388, 0.939], [0.976, 0.0121],
      [0.9028, 0.3035], [0.378, 0.4405], [0.6534, 0.1917], [0.3616, 0.4662], [0.4065, 0.6438], [0.2692, 0.4811], [0.4577, 0.5816], [0.5863, 0.4044],
      [0.278, 0.4728], [0.2054, 0.6072], [0.514, 0.3354], [0.4836, 0.3046], [0.7077, 0.3828], [0.6911, 0.5822], [0.3736, 0.3888], [0.3398, 0.5889],
      [0.3258, 0.6963], [0.0615, 0.7519], [0.9716, 0.0835], [0.6915, 0.5587], [0.7239, 0.1492], [0.5967, 0.2477], [0.0726, 0.85], [0.1519, 0.6103],
    ];
    const expected: Record<number, number[]> = {
      4: [6, 9, 27, 33],
      7: [6, 9, 15, 27, 33, 36, 39],
      12: [0, 3, 4, 5, 6, 9, 15, 27, 30, 33, 36, 39],
    };
    for (const [k, picks] of Object.entries(expected)) {
      const chosen: number[] = [];
      for (const front of lossFronts(points, Number(k))) chosen.push(...(chosen.length + front.length <= Number(k) ? front : selectHypervolumeSubset(points, front, Number(k) - chosen.length)));
      expect(chosen.sort((a, b) => a - b)).toEqual(picks);
    }
    // Through splitTrials, with one objective maximized (negated here).
    const history = points.map((p, i) => complete(i, [p[0], -p[1]]));
    expect(splitTrials(history, ['minimize', 'maximize'], true).below.map((t) => t.number)).toEqual(expected[4]);
  });
});

const SPACE: Space = spaceSchema.parse({
  x: { type: 'float', low: -10, high: 10 },
  lr: { type: 'float', low: 1e-5, high: 1, log: true },
  k: { type: 'int', low: 0, high: 20 },
  kind: { type: 'categorical', choices: ['a', 'b', 'c'] },
  extra: { type: 'float', low: 0, high: 1, when: { param: 'kind', op: 'eq', value: 'b' } },
  bell: { type: 'float', distribution: 'normal', mean: 2, std: 0.5 },
});
const objective = (p: Params) => ((p.x as number) - 3) ** 2 + Math.log10(p.lr as number) ** 2 / 10 + ((p.k as number) - 7) ** 2 / 10 + (p.kind === 'b' ? (p.extra as number) : 1);

function run(sampler: { sample(n: number, h: PastTrial[]): Params }, trials: number): PastTrial[] {
  const history: PastTrial[] = [];
  for (let i = 0; i < trials; i++) {
    const params = sampler.sample(i, history);
    history.push(complete(i, objective(params), params));
  }
  return history;
}

describe('TPE sampler', () => {
  it("draws its startup trials exactly as RandomSampler does for the seed, counting only finished trials", () => {
    const tpe = new TpeSampler(SPACE, 5, ['minimize']);
    const random = new RandomSampler(SPACE, 5);
    const history = run(tpe, 10);
    history.forEach((t) => expect(t.params).toEqual(random.sample(t.number)));
    // Nine finished and any number running: still random.
    const waiting = [...history.slice(0, 9), ...Array.from({ length: 30 }, (_, i) => running(9 + i, random.sample(9 + i)))];
    expect(tpe.sample(39, waiting)).toEqual(random.sample(39));
    expect(new TpeSampler(SPACE, 5, ['minimize'], { startupTrials: 3 }).sample(10, history)).not.toEqual(random.sample(10));
  });

  it('learns: after the startup trials it proposes near the optimum far more often than random search', () => {
    const near = (history: PastTrial[]) => history.slice(20).filter((t) => Math.abs((t.params.x as number) - 3) < 1.5).length;
    const tpe = run(new TpeSampler(SPACE, 1, ['minimize']), 60);
    const random = run(new RandomSampler(SPACE, 1), 60);
    expect(near(tpe)).toBeGreaterThan(3 * Math.max(1, near(random)));
    expect(Math.min(...tpe.map((t) => t.values![0]))).toBeLessThan(Math.min(...random.map((t) => t.values![0])));
  });

  it('maximizes when told to: the same study negated proposes the same trials', () => {
    const history = run(new TpeSampler(SPACE, 3, ['minimize']), 25);
    const negated = history.map((t) => ({ ...t, values: [-t.values![0]] }));
    expect(new TpeSampler(SPACE, 3, ['maximize']).sample(25, negated)).toEqual(new TpeSampler(SPACE, 3, ['minimize']).sample(25, history));
  });

  it('ignores failed trials and the trial being asked', () => {
    const history = run(new TpeSampler(SPACE, 2, ['minimize']), 20);
    const tpe = new TpeSampler(SPACE, 2, ['minimize']);
    const withFailures = [...history, failed(20, { x: 3 }), failed(21, { x: 3 })];
    expect(tpe.sample(22, withFailures)).toEqual(tpe.sample(22, history));
    expect(tpe.sample(19, history)).toEqual(tpe.sample(19, history.slice(0, 19)));
  });

  it('keeps a normal parameter within mean ± 4σ and its clip bounds', () => {
    for (const t of run(new TpeSampler(SPACE, 4, ['minimize'], { startupTrials: 2 }), 40).slice(2)) {
      expect(Math.abs((t.params.bell as number) - 2)).toBeLessThanOrEqual(2);
    }
    const clipped = spaceSchema.parse({ v: { type: 'float', distribution: 'normal', mean: 0, std: 1, low: 5 } });
    const history = [0, 1, 2].map((i) => complete(i, i, { v: 5 }));
    expect(new TpeSampler(clipped, 1, ['minimize'], { startupTrials: 0 }).sample(3, history)).toEqual({ v: 5 });
  });

  it('constant liar spreads a batch asked at once; without it the batch piles onto the same few points', () => {
    const space = spaceSchema.parse({ k: { type: 'int', low: 0, high: 30 } });
    const history = Array.from({ length: 30 }, (_, i) => complete(i, Math.abs(i - 12), { k: i }));
    const batch = (constantLiar: boolean) => {
      const tpe = new TpeSampler(space, 8, ['minimize'], { constantLiar });
      const asked: PastTrial[] = [];
      for (let n = 30; n < 46; n++) asked.push(running(n, tpe.sample(n, [...history, ...asked])));
      return new Set(asked.map((t) => t.params.k)).size;
    };
    expect(batch(true)).toBeGreaterThan(batch(false));
  });

  it('multivariate TPE samples the parameters every finished trial has jointly, and the conditional one on its own', () => {
    const tpe = new TpeSampler(SPACE, 6, ['minimize'], { multivariate: true });
    const history = run(tpe, 40);
    expect(history.some((t) => 'extra' in t.params)).toBe(true);
    expect(history.every((t) => ('extra' in t.params) === (t.params.kind === 'b'))).toBe(true);
    expect(new TpeSampler(SPACE, 6, ['minimize'], { multivariate: true }).sample(40, history)).toEqual(tpe.sample(40, history));
  });

  it('with several directions it is MOTPE', () => {
    const motpe = new TpeSampler(SPACE, 1, ['minimize', 'maximize']);
    expect(motpe.name).toBe('motpe');
    expect(new TpeSampler(SPACE, 1, ['minimize']).name).toBe('tpe');
    expect(() => new TpeSampler(SPACE, 1, [])).toThrow(RangeError);
  });
});

describe('NSGA-II sampler', () => {
  const directions: Direction[] = ['minimize', 'minimize'];
  const two = (p: Params) => [((p.x as number) + 10) / 20, (1 - Math.sqrt(((p.x as number) + 10) / 20)) * (1 + (p.k as number) / 20)];
  function evolve(sampler: Nsga2Sampler, trials: number): PastTrial[] {
    const history: PastTrial[] = [];
    for (let i = 0; i < trials; i++) {
      const params = sampler.sample(i, history);
      history.push(complete(i, two(params), params));
    }
    return history;
  }

  it('generation 0 is random search; later generations breed from survivors', () => {
    const sampler = new Nsga2Sampler(SPACE, 3, directions, { population: 10, mutationProb: 0, crossoverProb: 1 });
    const history = evolve(sampler, 20);
    const random = new RandomSampler(SPACE, 3);
    history.slice(0, 10).forEach((t) => expect(t.params).toEqual(random.sample(t.number)));
    // Without mutation every value a child has comes from a parent, unless a condition switched a parameter on that neither had.
    for (const child of history.slice(10)) {
      for (const [name, value] of Object.entries(child.params)) {
        const fromParent = history.slice(0, 10).some((parent) => parent.params[name] === value);
        expect(fromParent || name === 'extra').toBe(true);
      }
    }
    expect(sampler.generationOf(19)).toBe(1);
  });

  it('draws at random while the parent generation is still running', () => {
    const sampler = new Nsga2Sampler(SPACE, 3, directions, { population: 10 });
    const random = new RandomSampler(SPACE, 3);
    const asked = Array.from({ length: 10 }, (_, i) => running(i, random.sample(i)));
    expect(sampler.sample(12, asked)).toEqual(random.sample(12));
  });

  it('moves the population toward the front (hypervolume grows over generations)', () => {
    const history = evolve(new Nsga2Sampler(SPACE, 9, directions, { population: 20 }), 200);
    const volume = (from: number, to: number) => hypervolume(history.slice(from, to).map((t) => t.values!), directions, [1.1, 2.2]);
    expect(volume(180, 200)).toBeGreaterThan(volume(0, 20));
  });
});

describe('options schemas and the factory', () => {
  const union = z.discriminatedUnion('type', LEARNING_SAMPLER_SCHEMAS);

  it('fills the documented defaults', () => {
    expect(union.parse({ type: 'tpe' })).toEqual({ type: 'tpe', startupTrials: 10, candidates: 24, multivariate: false, constantLiar: true });
    expect(union.parse({ type: 'motpe' })).toEqual({ type: 'motpe', startupTrials: 10, candidates: 24, multivariate: false, constantLiar: true });
    expect(union.parse({ type: 'nsga2' })).toEqual({ type: 'nsga2', population: 50, crossoverProb: 0.9, swappingProb: 0.5, crossover: 'uniform' });
  });

  it('names the field that is wrong', () => {
    const paths = (spec: unknown) => learningSamplerSchema.safeParse(spec).error?.issues.map((issue) => issue.path.join('.'));
    expect(paths({ type: 'tpe', candidates: 0 })).toEqual(['candidates']);
    expect(paths({ type: 'tpe', startupTrials: 1.5 })).toEqual(['startupTrials']);
    expect(paths({ type: 'nsga2', population: 1, crossoverProb: 2 })).toEqual(['population', 'crossoverProb']);
    expect(paths({ type: 'nsga2', mutationProb: -0.1 })).toEqual(['mutationProb']);
    expect(learningSamplerSchema.safeParse({ type: 'tpe', gamma: 3 }).success).toBe(false);
  });

  it('builds the sampler a spec names, seeded by the spec when it has a seed', () => {
    expect(createLearningSampler({ type: 'tpe' }, SPACE, 1, ['minimize'])).toBeInstanceOf(TpeSampler);
    expect(createLearningSampler({ type: 'motpe' }, SPACE, 1, directionsOf(2)).name).toBe('motpe');
    expect(createLearningSampler({ type: 'nsga2', population: 4 }, SPACE, 1, directionsOf(2))).toBeInstanceOf(Nsga2Sampler);
    const own = createLearningSampler({ type: 'tpe', seed: 77 }, SPACE, 1, ['minimize']);
    expect(own.sample(0)).toEqual(new RandomSampler(SPACE, 77).sample(0));
    expect(createLearningSampler({ type: 'tpe', startupTrials: 0 }, SPACE, 1, ['minimize']).sample(0)).not.toEqual(new RandomSampler(SPACE, 1).sample(0));
  });
});

function directionsOf(n: number): Direction[] {
  return Array.from({ length: n }, () => 'minimize');
}

/** erf by its Maclaurin series and, beyond 3, the continued fraction of erfc: an oracle independent of the sampler's fit. */
function erfOracle(x: number): number {
  const a = Math.abs(x);
  let value: number;
  if (a < 3) {
    let term = a;
    let sum = a;
    for (let k = 1; k < 200 && Math.abs(term) > 1e-17; k++) {
      term *= (-a * a) / k;
      sum += term / (2 * k + 1);
    }
    value = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    let fraction = 0;
    for (let k = 60; k >= 1; k--) fraction = k / 2 / (a + fraction);
    value = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + fraction);
  }
  return x < 0 ? -value : value;
}
