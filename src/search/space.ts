// Search-space distributions as JSON value objects (after Optuna's distributions), their grids and their conditions.
import { z } from 'zod';

export const scalarSchema = z.union([z.string(), z.number(), z.boolean(), z.null()], {
  error: 'must be a JSON scalar (string, number, boolean or null)',
});
/** A parameter value: what a categorical choice, a fixed value or a sample may be. */
export type Scalar = z.output<typeof scalarSchema>;
/** One trial's sampled parameters by name; an inactive conditional parameter is absent. */
export type Params = Record<string, Scalar>;

/** NOTE: beyond this many points per parameter the grid sampler refuses a default (every-value) grid. */
export const MAX_PARAM_GRID = 1000;

export const CONDITION_OPS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in'] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];
const ORDER_OPS: readonly ConditionOp[] = ['gt', 'gte', 'lt', 'lte'];

export const conditionSchema = z
  .object({
    /** A parameter declared earlier in the space. */
    param: z.string().min(1),
    op: z.enum(CONDITION_OPS),
    /** A scalar, or for `in` a non-empty array of scalars. */
    value: z.union([scalarSchema, z.array(scalarSchema).min(1)]),
  })
  .strict()
  .superRefine((condition, ctx) => {
    const isArray = Array.isArray(condition.value);
    if (condition.op === 'in' && !isArray) ctx.addIssue({ code: 'custom', path: ['value'], message: 'op "in" needs an array of values' });
    if (condition.op !== 'in' && isArray) ctx.addIssue({ code: 'custom', path: ['value'], message: `op "${condition.op}" needs a single value (use op "in" for a list)` });
    if (ORDER_OPS.includes(condition.op) && typeof condition.value !== 'number') {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `op "${condition.op}" needs a number value` });
    }
  });
export type Condition = z.output<typeof conditionSchema>;

type Ctx = z.core.$RefinementCtx;

function checkBounds(d: { low?: number | undefined; high?: number | undefined }, ctx: Ctx): boolean {
  if (d.low !== undefined && d.high !== undefined && d.low > d.high) {
    ctx.addIssue({ code: 'custom', path: [], message: `low (${d.low}) must be ≤ high (${d.high})` });
    return false;
  }
  // A uniform draw is low + u·(high − low): the width must be a finite number too.
  if (d.low !== undefined && d.high !== undefined && !Number.isFinite(d.high - d.low)) {
    ctx.addIssue({ code: 'custom', path: [], message: `high − low (${d.high} − ${d.low}) overflows: give a narrower range` });
    return false;
  }
  return true;
}

function checkLog(d: { low: number; log: boolean; step?: number | undefined }, ctx: Ctx): void {
  if (!d.log) return;
  if (d.low <= 0) ctx.addIssue({ code: 'custom', path: ['low'], message: `log range needs low > 0 (got ${d.low})` });
  if (d.step !== undefined) ctx.addIssue({ code: 'custom', path: ['step'], message: 'step cannot be combined with log' });
}

/** Explicit grid points: inside the bounds, on the step lattice, each once. */
function checkValues(
  d: { values?: number[] | undefined; low?: number | undefined; high?: number | undefined; step?: number | undefined },
  ctx: Ctx,
): void {
  const low = d.low ?? -Infinity;
  const high = d.high ?? Infinity;
  const seen = new Set<number>();
  d.values?.forEach((value, i) => {
    const path = ['values', i];
    if (value < low || value > high) {
      ctx.addIssue({ code: 'custom', path, message: `${value} lies outside [low, high] = [${d.low ?? '-∞'}, ${d.high ?? '∞'}]` });
    } else if (d.step !== undefined && !onStep(value, low, d.step)) {
      ctx.addIssue({ code: 'custom', path, message: `${value} is not low + k·step (low ${low}, step ${d.step})` });
    }
    if (seen.has(value)) ctx.addIssue({ code: 'custom', path, message: `${value} appears more than once` });
    seen.add(value);
  });
}

export const floatSchema = z
  .object({
    type: z.literal('float'),
    distribution: z.literal('uniform').optional(),
    low: z.number(),
    high: z.number(),
    /** Sample uniformly in log space; needs low > 0. */
    log: z.boolean().default(false),
    /** Quantize to low + k·step (k ≥ 0, value ≤ high). */
    step: z.number().positive().optional(),
    /** Explicit grid points for the grid sampler. */
    values: z.array(z.number()).min(1).optional(),
    /** n evenly spaced grid points from low to high (log-spaced when log). */
    gridCount: z.number().int().min(2).max(MAX_PARAM_GRID).optional(),
    when: conditionSchema.optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (!checkBounds(d, ctx)) return;
    checkLog(d, ctx);
    if (d.values !== undefined && d.gridCount !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['gridCount'], message: 'give either values or gridCount, not both' });
    }
    if (d.gridCount !== undefined && d.step !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['gridCount'], message: 'gridCount cannot be combined with step (the steps are the grid)' });
    }
    if (d.gridCount !== undefined && d.low === d.high) {
      ctx.addIssue({ code: 'custom', path: ['gridCount'], message: `gridCount needs low < high (both are ${d.low})` });
    }
    checkValues(d, ctx);
  });
export type FloatDistribution = z.output<typeof floatSchema>;

export const normalSchema = z
  .object({
    type: z.literal('float'),
    distribution: z.literal('normal'),
    mean: z.number(),
    std: z.number().positive(),
    /** Draws below low are clipped to low. */
    low: z.number().optional(),
    /** Draws above high are clipped to high. */
    high: z.number().optional(),
    values: z.array(z.number()).min(1).optional(),
    when: conditionSchema.optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    // Draws lie within mean ± 8.6·std (Box–Muller from 53-bit uniforms); beyond a double they would be ±Infinity.
    if (!Number.isFinite(Math.abs(d.mean) + 9 * d.std)) {
      ctx.addIssue({ code: 'custom', path: ['std'], message: `mean ± 9·std overflows (mean ${d.mean}, std ${d.std}): draws would be infinite` });
    }
    if (checkBounds(d, ctx)) checkValues(d, ctx);
  });
export type NormalDistribution = z.output<typeof normalSchema>;

export const intSchema = z
  .object({
    type: z.literal('int'),
    /** Inclusive. */
    low: z.number().int(),
    /** Inclusive (reached when high − low is a multiple of step). */
    high: z.number().int(),
    log: z.boolean().default(false),
    step: z.number().int().positive().optional(),
    values: z.array(z.number().int()).min(1).optional(),
    when: conditionSchema.optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (!checkBounds(d, ctx)) return;
    checkLog(d, ctx);
    checkValues(d, ctx);
  });
export type IntDistribution = z.output<typeof intSchema>;

export const categoricalSchema = z
  .object({
    type: z.literal('categorical'),
    choices: z.array(scalarSchema),
    when: conditionSchema.optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.choices.length === 0) ctx.addIssue({ code: 'custom', path: ['choices'], message: 'needs at least one choice' });
    const seen = new Set<Scalar>();
    d.choices.forEach((choice, i) => {
      if (seen.has(choice)) ctx.addIssue({ code: 'custom', path: ['choices', i], message: `${JSON.stringify(choice)} appears more than once` });
      seen.add(choice);
    });
  });
export type CategoricalDistribution = z.output<typeof categoricalSchema>;

export const fixedSchema = z
  .object({
    type: z.literal('fixed'),
    value: scalarSchema,
    when: conditionSchema.optional(),
  })
  .strict();
export type FixedDistribution = z.output<typeof fixedSchema>;

export const distributionSchema = z.discriminatedUnion('type', [
  z.discriminatedUnion('distribution', [floatSchema, normalSchema]),
  intSchema,
  categoricalSchema,
  fixedSchema,
]);
export type Distribution = z.output<typeof distributionSchema>;
export type DistributionInput = z.input<typeof distributionSchema>;

/**
 * Parameters by name. NOTE: declaration order matters: a condition refers only to an earlier
 * parameter (which rules out cycles), and the grid sampler varies the first parameter slowest.
 */
export const spaceSchema = z.record(z.string().min(1), distributionSchema).superRefine((space, ctx) => {
  const names = Object.keys(space);
  const order = new Map(names.map((name, index) => [name, index]));
  names.forEach((name, index) => {
    const when = space[name].when;
    if (!when) return;
    const path = [name, 'when', 'param'];
    const parentIndex = order.get(when.param) ?? -1;
    if (parentIndex < 0) {
      ctx.addIssue({ code: 'custom', path, message: `unknown condition param "${when.param}" (the space declares ${names.length > 12 ? `${names.slice(0, 12).join(', ')}, …` : names.join(', ')})` });
    } else if (parentIndex === index) {
      ctx.addIssue({ code: 'custom', path, message: 'a parameter cannot be conditional on itself' });
    } else if (parentIndex > index) {
      ctx.addIssue({ code: 'custom', path, message: `condition param "${when.param}" is declared after "${name}": declare it first` });
    }
  });
});
export type Space = z.output<typeof spaceSchema>;
export type SpaceInput = z.input<typeof spaceSchema>;

export function isNormal(d: Distribution): d is NormalDistribution {
  return d.type === 'float' && d.distribution === 'normal';
}

/**
 * Whether a condition holds for the parameters drawn so far. A parameter that is absent (itself
 * inactive) satisfies no condition, so a chain of conditions switches off together.
 */
export function conditionHolds(condition: Condition, params: Params): boolean {
  if (!Object.hasOwn(params, condition.param)) return false;
  const actual = params[condition.param];
  const expected = condition.value;
  switch (condition.op) {
    case 'eq':
      return actual === expected;
    case 'ne':
      return actual !== expected;
    case 'in':
      return Array.isArray(expected) && expected.includes(actual);
    default: {
      if (typeof actual !== 'number' || typeof expected !== 'number') return false;
      if (condition.op === 'gt') return actual > expected;
      if (condition.op === 'gte') return actual >= expected;
      if (condition.op === 'lt') return actual < expected;
      return actual <= expected;
    }
  }
}

export function isActive(d: Distribution, params: Params): boolean {
  return d.when === undefined || conditionHolds(d.when, params);
}

/** Digits after the decimal point of a number as written (1e-7 → 7, 0.25 → 2). */
function decimalPlaces(x: number): number {
  const [mantissa, exponent] = String(x).split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent ?? 0));
}

/** Number of lattice points low + k·step in [low, high]; the tolerance absorbs 0.3 / 0.1 = 2.9999…. */
export function stepCount(low: number, high: number, step: number): number {
  return Math.floor((high - low) / step + 1e-9) + 1;
}

/** low + k·step without float noise (0.1 + 2·0.1 is 0.3, not 0.30000000000000004). */
export function stepValue(low: number, step: number, k: number): number {
  const digits = Math.min(15, Math.max(decimalPlaces(low), decimalPlaces(step)));
  return Number((low + k * step).toFixed(digits));
}

function onStep(value: number, low: number, step: number): boolean {
  const k = (value - low) / step;
  return Math.abs(k - Math.round(k)) < 1e-9 * Math.max(1, Math.abs(k));
}

/** n points from low to high inclusive, evenly spaced (in log space when log), ends exact. */
function spaced(low: number, high: number, n: number, log: boolean): number[] {
  const points: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = i / (n - 1);
    const value = log ? Math.exp(Math.log(low) + t * (Math.log(high) - Math.log(low))) : low + t * (high - low);
    // Twelve significant digits turn 0.010000000000000002 back into the 0.01 a reader expects.
    points.push(i === 0 ? low : i === n - 1 ? high : Number(value.toPrecision(12)));
  }
  return points;
}

export type GridResult = { ok: true; points: Scalar[] } | { ok: false; problem: string };

function lattice(low: number, high: number, step: number): GridResult {
  const count = stepCount(low, high, step);
  if (count > MAX_PARAM_GRID) {
    return { ok: false, problem: `the grid would hold ${count} values (more than ${MAX_PARAM_GRID}): give values` };
  }
  return { ok: true, points: Array.from({ length: count }, (_, k) => stepValue(low, step, k)) };
}

/**
 * The grid sampler's points for one parameter, in order: explicit values as listed; else a float's
 * gridCount points or step lattice; an int's every allowed value; a categorical's choices.
 */
export function gridPoints(d: Distribution): GridResult {
  switch (d.type) {
    case 'fixed':
      return { ok: true, points: [d.value] };
    case 'categorical':
      return { ok: true, points: d.choices };
    case 'int':
      return d.values ? { ok: true, points: d.values } : lattice(d.low, d.high, d.step ?? 1);
    case 'float':
      if (d.values) return { ok: true, points: d.values };
      if (d.distribution === 'normal') return { ok: false, problem: 'the grid sampler needs values for a normal float' };
      if (d.gridCount !== undefined) return { ok: true, points: spaced(d.low, d.high, d.gridCount, d.log) };
      if (d.step !== undefined) return lattice(d.low, d.high, d.step);
      return { ok: false, problem: 'the grid sampler needs values or gridCount for a float' };
  }
}

/** Every parameter's grid points (see gridPoints), and the parameters that have none, with why. */
export function spaceGrids(space: Space): { grids: Map<string, readonly Scalar[]>; problems: [name: string, problem: string][] } {
  const grids = new Map<string, readonly Scalar[]>();
  const problems: [string, string][] = [];
  for (const [name, d] of Object.entries(space)) {
    const grid = gridPoints(d);
    if (grid.ok) grids.set(name, grid.points);
    else problems.push([name, grid.problem]);
  }
  return { grids, problems };
}

/**
 * Every valid combination of grid points, first parameter slowest. An inactive parameter is left
 * out rather than multiplied in, so e.g. `units_2` adds points only where `layers ≥ 2`.
 */
export function* gridCombinations(space: Space, grids: ReadonlyMap<string, readonly Scalar[]>): Generator<Params> {
  const entries = Object.entries(space);
  function* walk(depth: number, params: Params): Generator<Params> {
    if (depth === entries.length) {
      yield { ...params };
      return;
    }
    const [name, d] = entries[depth];
    if (!isActive(d, params)) {
      yield* walk(depth + 1, params);
      return;
    }
    for (const point of grids.get(name) ?? []) {
      params[name] = point;
      yield* walk(depth + 1, params);
    }
    delete params[name];
  }
  yield* walk(0, {});
}
