// Sampler conformance (after optuna/testing/pytest_samplers.py): every sampler over a space of every kind, plus each one's own contract.
import { describe, expect, it } from 'vitest';
import { StudyError } from '../../src/search/errors.ts';
import { createSampler } from '../../src/search/sampler-factory.ts';
import { Nsga2Sampler } from '../../src/search/nsga2.ts';
import { GridSampler, RandomSampler, type PastTrial, type Sampler } from '../../src/search/samplers.ts';
import { proposeTrial } from '../../src/search/to-trial-config.ts';
import { spaceSchema, type Params, type Scalar, type Space } from '../../src/search/space.ts';
import { TpeSampler } from '../../src/search/tpe.ts';
import { parseStudy } from '../../src/search/study.ts';
import { deriveSeed } from '../../src/util/random.ts';

/** Every kind of distribution, each with a finite grid so that every sampler can run it. */
const SPACE: Space = spaceSchema.parse({
  uniform: { type: 'float', low: -2, high: 3, gridCount: 2 },
  logUniform: { type: 'float', low: 1e-4, high: 1, log: true, gridCount: 3 },
  stepped: { type: 'float', low: 0.1, high: 0.55, step: 0.2 },
  normal: { type: 'float', distribution: 'normal', mean: 0, std: 1, low: -1, high: 1.5, values: [-1, 1.5] },
  int: { type: 'int', low: -1, high: 1 },
  intStep: { type: 'int', low: 2, high: 10, step: 3 },
  intLog: { type: 'int', low: 1, high: 64, log: true, values: [1, 64] },
  layers: { type: 'int', low: 0, high: 3 },
  choice: { type: 'categorical', choices: ['a', 7, true, null] },
  fixed: { type: 'fixed', value: 'x' },
  width2: { type: 'int', low: 1, high: 2, when: { param: 'layers', op: 'gte', value: 2 } },
  width3: { type: 'categorical', choices: [10, 20], when: { param: 'width2', op: 'eq', value: 2 } },
  onlyA: { type: 'fixed', value: 1, when: { param: 'choice', op: 'in', value: ['a', true] } },
});

/** Which conditional parameters should be present, written out by hand rather than through the code under test. */
function expectedActive(params: Params): Set<string> {
  const active = new Set(['uniform', 'logUniform', 'stepped', 'normal', 'int', 'intStep', 'intLog', 'layers', 'choice', 'fixed']);
  if ((params.layers as number) >= 2) active.add('width2');
  // A chained condition: width3 follows width2 only while width2 itself is active.
  if (active.has('width2') && params.width2 === 2) active.add('width3');
  if (params.choice === 'a' || params.choice === true) active.add('onlyA');
  return active;
}

const isLattice = (value: number, low: number, step: number) => Math.abs((value - low) / step - Math.round((value - low) / step)) < 1e-9;

/** Whether `value` is one `name` may take in SPACE: bounds, integrality, step lattice, membership. */
function inDomain(name: string, value: Scalar): boolean {
  const d = SPACE[name];
  switch (d.type) {
    case 'fixed':
      return value === d.value;
    case 'categorical':
      return d.choices.includes(value);
    case 'int':
      return Number.isInteger(value) && (value as number) >= d.low && (value as number) <= d.high && isLattice(value as number, d.low, d.step ?? 1);
    case 'float': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return false;
      const low = d.low ?? -Infinity;
      const high = d.high ?? Infinity;
      if (value < low || value > high) return false;
      if (d.distribution !== 'normal' && d.log && value <= 0) return false;
      return d.distribution === 'normal' || d.step === undefined || isLattice(value, d.low, d.step);
    }
  }
}

interface SamplerCase {
  name: string;
  make(space: Space, seed: number): Sampler;
  /** How many samples the suite draws. */
  draws(sampler: Sampler): number;
  /** Samplers that learn are run as a study with this many objectives; the others are asked without a history. */
  objectives?: number;
}

const BATCH = 4;

/** A value in [0, 1) that depends only on the parameters: an objective with no structure, so a sampler that learns still roams the space. */
const noise = (params: Params, objective: number) => deriveSeed(objective, JSON.stringify(params)) / 2 ** 32;

/**
 * Runs a sampler as a study would: asks of BATCH trials at once (earlier members running), then
 * tells them; every ninth trial fails and every seventh is pruned after two reports. Returns each
 * trial's parameters and the history it was asked with.
 */
function runStudy(sampler: Sampler, draws: number, objectives: number): { samples: Params[]; histories: PastTrial[][] } {
  const samples: Params[] = [];
  const histories: PastTrial[][] = [];
  const told: PastTrial[] = [];
  for (let start = 0; start < draws; start += BATCH) {
    const asked: PastTrial[] = [];
    for (let number = start; number < Math.min(draws, start + BATCH); number++) {
      const history = [...told, ...asked];
      const params = sampler.sample(number, history);
      samples.push(params);
      histories.push(history);
      asked.push({ number, params, state: 'running', values: null, intermediate: [] });
    }
    for (const trial of asked) {
      const values = Array.from({ length: objectives }, (_, j) => noise(trial.params, j));
      if (trial.number % 9 === 4) told.push({ ...trial, state: 'failed' });
      else if (trial.number % 7 === 3) told.push({ ...trial, state: 'pruned', intermediate: [[0, values[0] + 1], [1, values[0]]] });
      else told.push({ ...trial, state: 'complete', values, intermediate: [[0, values[0]]] });
    }
  }
  return { samples, histories };
}

const SAMPLERS: SamplerCase[] = [
  { name: 'random', make: (space, seed) => new RandomSampler(space, seed), draws: () => 2000 },
  { name: 'grid', make: (space) => new GridSampler(space), draws: (sampler) => sampler.size ?? 0 },
  { name: 'tpe', make: (space, seed) => new TpeSampler(space, seed, ['maximize']), draws: () => 300, objectives: 1 },
  { name: 'tpe (multivariate)', make: (space, seed) => new TpeSampler(space, seed, ['minimize'], { multivariate: true }), draws: () => 300, objectives: 1 },
  { name: 'tpe (no constant liar)', make: (space, seed) => new TpeSampler(space, seed, ['minimize'], { constantLiar: false }), draws: () => 300, objectives: 1 },
  { name: 'motpe', make: (space, seed) => new TpeSampler(space, seed, ['minimize', 'maximize']), draws: () => 300, objectives: 2 },
  { name: 'nsga2', make: (space, seed) => new Nsga2Sampler(space, seed, ['minimize', 'maximize'], { population: 40 }), draws: () => 300, objectives: 2 },
  { name: 'nsga2 (sbx)', make: (space, seed) => new Nsga2Sampler(space, seed, ['minimize'], { population: 40, crossover: 'sbx' }), draws: () => 300, objectives: 1 },
];

describe.each(SAMPLERS)('$name sampler conformance', ({ make, draws, objectives }) => {
  const sampler = make(SPACE, 11);
  const { samples, histories } = objectives
    ? runStudy(sampler, draws(sampler), objectives)
    : { samples: Array.from({ length: draws(sampler) }, (_, i) => sampler.sample(i)), histories: Array.from({ length: draws(sampler) }, (): PastTrial[] => []) };

  it('draws something', () => {
    expect(samples.length).toBeGreaterThan(100);
  });

  it('honours conditions: active parameters present, inactive ones absent', () => {
    for (const params of samples) expect(new Set(Object.keys(params))).toEqual(expectedActive(params));
  });

  it('keeps every value in its domain: bounds, integers, step, log, membership', () => {
    for (const params of samples) {
      for (const [name, value] of Object.entries(params)) if (!inDomain(name, value)) throw new Error(`${name} = ${value} is outside its domain`);
    }
  });

  it('reaches every categorical choice and both ends of a small int range', () => {
    expect(new Set(samples.map((p) => p.choice))).toEqual(new Set(['a', 7, true, null]));
    expect(new Set(samples.map((p) => p.int))).toEqual(new Set([-1, 0, 1]));
    expect(new Set(samples.map((p) => p.intStep))).toEqual(new Set([2, 5, 8]));
    expect(new Set(samples.filter((p) => 'width3' in p).map((p) => p.width3))).toEqual(new Set([10, 20]));
  });

  it('same seed and history, same sequence, whatever the order of draws', () => {
    const again = make(SPACE, 11);
    const indices = [...samples.keys()].reverse();
    for (const i of indices) expect(again.sample(i, histories[i])).toEqual(samples[i]);
  });

  it('a batch asked at once holds distinct trials', () => {
    for (let start = 0; start < samples.length; start += BATCH) {
      const batch = samples.slice(start, start + BATCH).map((params) => JSON.stringify(params));
      expect(new Set(batch).size).toBe(batch.length);
    }
  });

  it('returns a fresh object each time', () => {
    const last = samples.length - 1;
    const first = sampler.sample(last, histories[last]);
    first.uniform = 'changed';
    expect(sampler.sample(last, histories[last])).toEqual(samples[last]);
  });

  it('refuses an index that is not a natural number', () => {
    expect(() => sampler.sample(-1)).toThrow(RangeError);
    expect(() => sampler.sample(1.5)).toThrow(RangeError);
  });
});

describe('random sampler', () => {
  const N = 4000;
  const draw = (space: Space, seed: number, n = N) => Array.from({ length: n }, (_, i) => new RandomSampler(space, seed).sample(i));
  const samples = draw(SPACE, 3);
  const fraction = (pred: (p: Params) => boolean) => samples.filter(pred).length / samples.length;

  it('different seeds give different sequences', () => {
    expect(draw(SPACE, 4, 20)).not.toEqual(draw(SPACE, 3, 20));
  });

  it('trial i depends only on (seed, i): adding a parameter leaves the others alone', () => {
    const wider = spaceSchema.parse({ ...studyLikeSpaceInput(), extra: { type: 'float', low: 0, high: 1 } });
    const narrower = spaceSchema.parse(studyLikeSpaceInput());
    for (let i = 0; i < 50; i++) {
      const { extra, ...rest } = new RandomSampler(wider, 9).sample(i);
      expect(typeof extra).toBe('number');
      expect(rest).toEqual(new RandomSampler(narrower, 9).sample(i));
    }
  });

  it('is uniform on a linear range', () => {
    const mean = samples.reduce((s, p) => s + (p.uniform as number), 0) / N;
    expect(mean).toBeCloseTo(0.5, 1);
    expect(fraction((p) => (p.uniform as number) < -1)).toBeCloseTo(0.2, 1);
  });

  it('is uniform in log space on a log range', () => {
    // 1e-2 is the log-space midpoint of [1e-4, 1]; a linear draw would fall below it 1% of the time.
    expect(Math.abs(fraction((p) => (p.logUniform as number) < 1e-2) - 0.5)).toBeLessThan(0.04);
    // Rounding a log-uniform draw over [0.5, 64.5]: P(≤ 8) = ln(8.5 / 0.5) / ln(64.5 / 0.5) ≈ 0.583.
    expect(Math.abs(fraction((p) => (p.intLog as number) <= 8) - 0.583)).toBeLessThan(0.04);
    expect(new Set(samples.map((p) => p.intLog)).has(1)).toBe(true);
  });

  it('takes every step of a stepped float, with clean decimals', () => {
    expect(new Set(samples.map((p) => p.stepped))).toEqual(new Set([0.1, 0.3, 0.5]));
  });

  it('draws a normal and clips it to [low, high]', () => {
    // Standard normal: P(z < -1) ≈ 0.159, P(z > 1.5) ≈ 0.067; those mass points sit on the bounds.
    expect(Math.abs(fraction((p) => p.normal === -1) - 0.159)).toBeLessThan(0.03);
    expect(Math.abs(fraction((p) => p.normal === 1.5) - 0.067)).toBeLessThan(0.02);
    const inside = samples.map((p) => p.normal as number).filter((v) => v > -1 && v < 1.5);
    // Mean of N(0, 1) truncated to (-1, 1.5): (φ(-1) − φ(1.5)) / (Φ(1.5) − Φ(-1)) ≈ 0.145.
    expect(Math.abs(inside.reduce((s, v) => s + v, 0) / inside.length - 0.145)).toBeLessThan(0.03);
  });

  it('spreads categorical draws evenly', () => {
    for (const choice of ['a', 7, true, null]) expect(Math.abs(fraction((p) => p.choice === choice) - 0.25)).toBeLessThan(0.03);
  });

  it('activates conditional parameters at their conditions’ rates', () => {
    expect(Math.abs(fraction((p) => 'width2' in p) - 0.5)).toBeLessThan(0.04);
    expect(Math.abs(fraction((p) => 'width3' in p) - 0.25)).toBeLessThan(0.04);
  });
});

function studyLikeSpaceInput() {
  return {
    lr: { type: 'float', low: 1e-3, high: 1e-1, log: true },
    layers: { type: 'int', low: 1, high: 3 },
    units_2: { type: 'int', low: 8, high: 64, step: 8, when: { param: 'layers', op: 'gte', value: 2 } },
    optimizer: { type: 'categorical', choices: ['sgd', 'adam'] },
  } as const;
}

describe('grid sampler', () => {
  /** The full cartesian product of every grid, then inactive parameters dropped and duplicates merged: a slow, independent oracle. */
  function bruteForceGrid(grids: [string, Scalar[]][]): Set<string> {
    let combos: Params[] = [{}];
    for (const [name, points] of grids) combos = combos.flatMap((c) => points.map((point) => ({ ...c, [name]: point })));
    const out = new Set<string>();
    for (const combo of combos) {
      const active = expectedActive(combo);
      out.add(JSON.stringify(Object.fromEntries(grids.filter(([name]) => active.has(name)).map(([name]) => [name, combo[name]]))));
    }
    return out;
  }

  it('covers the whole product of valid combinations exactly once', () => {
    const sampler = new GridSampler(SPACE);
    const seen = Array.from({ length: sampler.size }, (_, i) => JSON.stringify(sampler.sample(i)));
    const expected = bruteForceGrid([
      ['uniform', [-2, 3]],
      ['logUniform', [1e-4, 1e-2, 1]],
      ['stepped', [0.1, 0.3, 0.5]],
      ['normal', [-1, 1.5]],
      ['int', [-1, 0, 1]],
      ['intStep', [2, 5, 8]],
      ['intLog', [1, 64]],
      ['layers', [0, 1, 2, 3]],
      ['choice', ['a', 7, true, null]],
      ['fixed', ['x']],
      ['width2', [1, 2]],
      ['width3', [10, 20]],
      ['onlyA', [1]],
    ]);
    // 648 unconditional combinations × (2 + 2·3 layer/width branches) × (2 + 2 choice branches).
    expect(sampler.size).toBe(648 * 8 * 4);
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(expected);
  });

  it('varies the first parameter slowest, each in its listed order', () => {
    const sampler = new GridSampler(
      spaceSchema.parse({
        a: { type: 'categorical', choices: ['x', 'y'] },
        b: { type: 'int', low: 1, high: 2 },
        c: { type: 'fixed', value: 0 },
        d: { type: 'float', low: 0, high: 1, values: [0.5, 0.25], when: { param: 'b', op: 'eq', value: 2 } },
      }),
    );
    expect(sampler.size).toBe(6);
    expect(Array.from({ length: 6 }, (_, i) => sampler.sample(i))).toEqual([
      { a: 'x', b: 1, c: 0 },
      { a: 'x', b: 2, c: 0, d: 0.5 },
      { a: 'x', b: 2, c: 0, d: 0.25 },
      { a: 'y', b: 1, c: 0 },
      { a: 'y', b: 2, c: 0, d: 0.5 },
      { a: 'y', b: 2, c: 0, d: 0.25 },
    ]);
  });

  it('refuses an index past the grid', () => {
    const sampler = new GridSampler(spaceSchema.parse({ a: { type: 'int', low: 1, high: 3 } }));
    expect(sampler.size).toBe(3);
    expect(() => sampler.sample(3)).toThrow("grid index 3 is past the grid's 3 combinations");
  });

  it('an empty space is one empty combination', () => {
    const sampler = new GridSampler({});
    expect(sampler.size).toBe(1);
    expect(sampler.sample(0)).toEqual({});
  });

  it('refuses a space without a finite grid, naming the parameter', () => {
    let error: unknown;
    try {
      new GridSampler(spaceSchema.parse({ a: { type: 'int', low: 1, high: 3 }, lr: { type: 'float', low: 0.1, high: 1 } }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StudyError);
    expect((error as StudyError).issues).toEqual([{ path: 'space.lr', message: 'the grid sampler needs values or gridCount for a float' }]);
  });
});

describe('createSampler and proposeTrial', () => {
  it('picks the sampler named by the study', () => {
    const random = parseStudy({ data: { kind: 'xor' }, space: studyLikeSpaceInput(), budget: { trials: 3 } });
    expect(createSampler(random)).toBeInstanceOf(RandomSampler);
    const grid = parseStudy({ data: { kind: 'xor' }, space: { units: { type: 'int', low: 1, high: 4 } }, sampler: { type: 'grid' } });
    expect(createSampler(grid)).toBeInstanceOf(GridSampler);
  });

  it('a random study reproduces from its seed alone and differs with another', () => {
    const study = (seed: number) => parseStudy({ seed, data: { kind: 'xor' }, space: studyLikeSpaceInput(), budget: { trials: 8 } });
    const trials = (seed: number) => Array.from({ length: 8 }, (_, i) => proposeTrial(study(seed), createSampler(study(seed)), i));
    expect(trials(5)).toEqual(trials(5));
    expect(trials(5).map((t) => t.params)).not.toEqual(trials(6).map((t) => t.params));
  });

  it('gives trial i the seed deriveSeed(study.seed, "trial", i) and the study defaults', () => {
    const study = parseStudy({ seed: 42, data: { kind: 'xor' }, space: studyLikeSpaceInput(), defaults: { units: 12, epochs: 3 }, budget: { trials: 8 } });
    const sampler = createSampler(study);
    for (let i = 0; i < 8; i++) {
      const trial = proposeTrial(study, sampler, i);
      expect(trial.index).toBe(i);
      expect(trial.config.seed).toBe(deriveSeed(42, 'trial', i));
      expect(trial.config.epochs).toBe(3);
      expect(trial.config.hidden.length).toBe(trial.params.layers);
      expect(trial.config.hidden[0]).toBe(12);
      if ((trial.params.layers as number) >= 2) expect(trial.config.hidden[1]).toBe(trial.params.units_2);
      expect(trial.config.optimizer.lr).toBe(trial.params.lr);
    }
    expect(new Set(Array.from({ length: 8 }, (_, i) => proposeTrial(study, sampler, i).config.seed)).size).toBe(8);
  });
});
