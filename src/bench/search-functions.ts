// Standard test functions over a mixed search space (log float, int, stepped float, categorical, a conditional parameter) for judging samplers without a GPU.
import type { PastTrial, Sampler } from '../search/samplers.ts';
import { spaceSchema, type Params, type Space } from '../search/space.ts';

/** A function to minimize over a space; `best` is its known minimum (approached, not always reachable on the lattice). */
export interface TestFunction {
  name: string;
  space: Space;
  /** One value per objective, each minimized. */
  evaluate(params: Params): number[];
  best?: number;
}

const num = (params: Params, name: string) => params[name] as number;

/** Branin on [-5, 10] × [0, 15]: x1 from a log float, x2 from an int; the category adds 1 or 3, or a conditional quadratic that is 0 at damping = 0.7. Minimum 0.397887. */
export function branin(x1: number, x2: number): number {
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
}

const HARTMANN_ALPHA = [1.0, 1.2, 3.0, 3.2];
const HARTMANN_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const HARTMANN_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((p) => p * 1e-4));

/** Hartmann-6 on [0, 1]^6; minimum −3.32237 at (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573). */
export function hartmann6(x: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += HARTMANN_A[i][j] * (x[j] - HARTMANN_P[i][j]) ** 2;
    sum += HARTMANN_ALPHA[i] * Math.exp(-inner);
  }
  return -sum;
}

export function rosenbrock(x: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i + 1 < x.length; i++) sum += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
  return sum;
}

export const SINGLE_OBJECTIVE_FUNCTIONS: TestFunction[] = [
  {
    name: 'branin',
    space: spaceSchema.parse({
      lr: { type: 'float', low: 1e-4, high: 1, log: true },
      units: { type: 'int', low: 0, high: 150 },
      kind: { type: 'categorical', choices: ['plain', 'damped', 'shifted'] },
      damping: { type: 'float', low: 0, high: 1, when: { param: 'kind', op: 'eq', value: 'damped' } },
    }),
    evaluate: (p) => {
      const offset = p.kind === 'plain' ? 1 : p.kind === 'shifted' ? 3 : 4 * (num(p, 'damping') - 0.7) ** 2;
      return [branin(-5 + (15 * (Math.log10(num(p, 'lr')) + 4)) / 4, num(p, 'units') / 10) + offset];
    },
    best: 0.397887,
  },
  {
    name: 'hartmann6',
    space: spaceSchema.parse({
      x1: { type: 'float', low: 1e-3, high: 1, log: true },
      x2: { type: 'int', low: 0, high: 20 },
      x3: { type: 'float', low: 0, high: 1, step: 0.05 },
      x4: { type: 'float', low: 0, high: 1 },
      x5: { type: 'float', low: 0, high: 1 },
      mode: { type: 'categorical', choices: ['free', 'pinned', 'shifted'] },
      x6: { type: 'float', low: 0, high: 1, when: { param: 'mode', op: 'eq', value: 'free' } },
    }),
    evaluate: (p) => {
      const x6 = p.mode === 'free' ? num(p, 'x6') : 0.5;
      const x = [(Math.log10(num(p, 'x1')) + 3) / 3, num(p, 'x2') / 20, num(p, 'x3'), num(p, 'x4'), num(p, 'x5'), x6];
      return [hartmann6(x) + (p.mode === 'shifted' ? 0.5 : 0)];
    },
    best: -3.32237,
  },
  {
    name: 'rosenbrock4',
    space: spaceSchema.parse({
      a: { type: 'float', low: -2, high: 2 },
      b: { type: 'float', low: 1e-2, high: 1e2, log: true },
      c: { type: 'int', low: -20, high: 20 },
      d: { type: 'categorical', choices: ['low', 'mid', 'high'] },
      fine: { type: 'float', low: -0.5, high: 0.5, when: { param: 'd', op: 'eq', value: 'high' } },
    }),
    evaluate: (p) => {
      const d = p.d === 'low' ? -1 : p.d === 'mid' ? 0 : 1 + num(p, 'fine');
      return [rosenbrock([num(p, 'a'), Math.log10(num(p, 'b')), num(p, 'c') / 10, d])];
    },
    best: 0,
  },
];

/** ZDT1 (two objectives, both minimized) over the mixed space: f1 = x1; the other variables, all best at 0, set g. Reference point for hypervolume: (1.1, 11). */
export const ZDT1_MIXED: TestFunction = {
  name: 'zdt1',
  space: spaceSchema.parse({
    x1: { type: 'float', low: 0, high: 1 },
    x2: { type: 'float', low: 1e-3, high: 1, log: true },
    x3: { type: 'int', low: 0, high: 10 },
    x4: { type: 'categorical', choices: ['zero', 'half', 'one'] },
    x5: { type: 'float', low: 0, high: 1, when: { param: 'x4', op: 'eq', value: 'zero' } },
  }),
  evaluate: (p) => {
    const x4 = p.x4 === 'zero' ? 0 : p.x4 === 'half' ? 0.5 : 1;
    const x5 = p.x4 === 'zero' ? num(p, 'x5') : 0.5;
    const rest = [(Math.log10(num(p, 'x2')) + 3) / 3, num(p, 'x3') / 10, x4, x5];
    const g = 1 + (9 * rest.reduce((s, x) => s + x, 0)) / rest.length;
    const f1 = num(p, 'x1');
    return [f1, g * (1 - Math.sqrt(f1 / g))];
  },
};
export const ZDT1_REFERENCE = [1.1, 11];

/**
 * Runs a sampler for `trials` trials in batches of `batch` (each batch asked at once, so earlier
 * members are running when later ones are asked, then all told), and returns the finished history.
 */
export function runSampler(sampler: Sampler, fn: TestFunction, trials: number, batch = 1): PastTrial[] {
  const history: PastTrial[] = [];
  for (let start = 0; start < trials; start += batch) {
    const asked: PastTrial[] = [];
    for (let number = start; number < Math.min(trials, start + batch); number++) {
      const trial: PastTrial = { number, params: sampler.sample(number, [...history, ...asked]), state: 'running', values: null, intermediate: [] };
      asked.push(trial);
    }
    for (const trial of asked) history.push({ ...trial, state: 'complete', values: fn.evaluate(trial.params) });
  }
  return history;
}

/** The best (smallest) first objective after each trial. */
export function bestSoFar(history: readonly PastTrial[]): number[] {
  let best = Infinity;
  return history.map((t) => (best = Math.min(best, t.values?.[0] ?? Infinity)));
}
