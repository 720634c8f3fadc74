// Distribution schemas and conditions: each bad space names the field and the problem; grids and conditions behave as documented.
import { describe, expect, it } from 'vitest';
import { StudyError } from '../../src/search/errors.ts';
import { conditionHolds, distributionSchema, gridPoints, spaceSchema, type DistributionInput, type GridResult } from '../../src/search/space.ts';
import { parseStudy } from '../../src/search/study.ts';

/** The issues parseStudy reports for a random-search study over `space`. */
function spaceIssues(space: Record<string, unknown>): { path: string; message: string }[] {
  try {
    parseStudy({ data: { kind: 'mnist' }, space, budget: { trials: 1 } });
  } catch (error) {
    expect(error).toBeInstanceOf(StudyError);
    const studyError = error as StudyError;
    // Every issue also appears in the message, as `path: message`.
    for (const issue of studyError.issues) expect(studyError.message).toContain(`${issue.path}: ${issue.message}`);
    return studyError.issues;
  }
  throw new Error('expected a StudyError');
}

function expectIssue(space: Record<string, unknown>, path: string, message: string): void {
  expect(spaceIssues(space)).toContainEqual({ path, message });
}

describe('distribution validation', () => {
  it('low above high', () => {
    expectIssue({ lr: { type: 'float', low: 1, high: 0.1 } }, 'space.lr', 'low (1) must be ≤ high (0.1)');
    expectIssue({ units: { type: 'int', low: 64, high: 8 } }, 'space.units', 'low (64) must be ≤ high (8)');
    expectIssue({ lr: { type: 'float', distribution: 'normal', mean: 0.01, std: 0.01, low: 0.1, high: 0.01 } }, 'space.lr', 'low (0.1) must be ≤ high (0.01)');
  });

  it('low > high is the only complaint about that range', () => {
    expect(spaceIssues({ lr: { type: 'float', low: 1, high: 0.1, log: true } })).toEqual([{ path: 'space.lr', message: 'low (1) must be ≤ high (0.1)' }]);
  });

  it('a log range that reaches zero or below', () => {
    expectIssue({ l2: { type: 'float', low: 0, high: 1e-3, log: true } }, 'space.l2.low', 'log range needs low > 0 (got 0)');
    expectIssue({ layers: { type: 'int', low: 0, high: 4, log: true } }, 'space.layers.low', 'log range needs low > 0 (got 0)');
  });

  it('an empty or repetitive categorical', () => {
    expectIssue({ optimizer: { type: 'categorical', choices: [] } }, 'space.optimizer.choices', 'needs at least one choice');
    expectIssue({ optimizer: { type: 'categorical', choices: ['adam', 'sgd', 'adam'] } }, 'space.optimizer.choices[2]', '"adam" appears more than once');
  });

  it('a step that is not positive, or combined with log', () => {
    expectIssue({ dropout: { type: 'float', low: 0, high: 0.5, step: 0 } }, 'space.dropout.step', 'must be > 0 (got 0)');
    expectIssue({ units: { type: 'int', low: 8, high: 64, step: -8 } }, 'space.units.step', 'must be > 0 (got -8)');
    expectIssue({ lr: { type: 'float', low: 0.001, high: 0.1, log: true, step: 0.001 } }, 'space.lr.step', 'step cannot be combined with log');
  });

  it('int bounds and steps that are not integers', () => {
    expectIssue({ units: { type: 'int', low: 1.5, high: 8 } }, 'space.units.low', 'must be an integer (got 1.5)');
    expectIssue({ units: { type: 'int', low: 1, high: 8, step: 0.5 } }, 'space.units.step', 'must be an integer (got 0.5)');
  });

  it('grid values outside the bounds, off the step lattice, or repeated', () => {
    expectIssue({ lr: { type: 'float', low: 0.001, high: 0.1, values: [0.01, 0.5] } }, 'space.lr.values[1]', '0.5 lies outside [low, high] = [0.001, 0.1]');
    expectIssue({ units: { type: 'int', low: 8, high: 64, values: [4, 8] } }, 'space.units.values[0]', '4 lies outside [low, high] = [8, 64]');
    expectIssue({ units: { type: 'int', low: 8, high: 64, step: 8, values: [8, 12] } }, 'space.units.values[1]', '12 is not low + k·step (low 8, step 8)');
    expectIssue({ units: { type: 'int', low: 8, high: 64, values: [8, 16, 8] } }, 'space.units.values[2]', '8 appears more than once');
    expectIssue({ lr: { type: 'float', distribution: 'normal', mean: 0.01, std: 0.01, low: 0.001, values: [0.0001] } }, 'space.lr.values[0]', '0.0001 lies outside [low, high] = [0.001, ∞]');
  });

  it('gridCount conflicts', () => {
    expectIssue({ lr: { type: 'float', low: 0.001, high: 0.1, values: [0.01], gridCount: 3 } }, 'space.lr.gridCount', 'give either values or gridCount, not both');
    expectIssue({ dropout: { type: 'float', low: 0, high: 0.5, step: 0.1, gridCount: 3 } }, 'space.dropout.gridCount', 'gridCount cannot be combined with step (the steps are the grid)');
    expectIssue({ dropout: { type: 'float', low: 0.2, high: 0.2, gridCount: 3 } }, 'space.dropout.gridCount', 'gridCount needs low < high (both are 0.2)');
    expectIssue({ dropout: { type: 'float', low: 0, high: 0.5, gridCount: 1 } }, 'space.dropout.gridCount', 'must be ≥ 2 (got 1)');
  });

  it('a normal with a standard deviation that is not positive', () => {
    expectIssue({ lr: { type: 'float', distribution: 'normal', mean: 0.01, std: 0, low: 0.001 } }, 'space.lr.std', 'must be > 0 (got 0)');
  });

  it('unknown types, distributions and fields, and missing fields', () => {
    expectIssue({ lr: { type: 'floaty', low: 0.1, high: 1 } }, 'space.lr.type', 'must be one of float, int, categorical, fixed (got "floaty")');
    expectIssue({ lr: { type: 'float', distribution: 'cauchy', low: 0.1, high: 1 } }, 'space.lr.distribution', 'must be one of uniform, normal (got "cauchy")');
    expectIssue({ lr: { type: 'float', lo: 0.1, high: 1 } }, 'space.lr', 'unknown field "lo"');
    expectIssue({ lr: { type: 'float', lo: 0.1, high: 1 } }, 'space.lr.low', 'is required');
    expectIssue({ lr: { type: 'float', low: '0.1', high: 1 } }, 'space.lr.low', 'must be a number (got "0.1")');
    expectIssue({ lr: 0.1 }, 'space.lr', 'must be an object (got 0.1)');
  });
});

describe('conditions', () => {
  const layers = { type: 'int', low: 1, high: 3 };

  it('refer to a declared parameter', () => {
    expectIssue({ layers, units_2: { type: 'int', low: 1, high: 8, when: { param: 'depth', op: 'gte', value: 2 } } }, 'space.units_2.when.param', 'unknown condition param "depth" (the space declares layers, units_2)');
  });

  it('refer only to an earlier parameter, never to themselves', () => {
    expectIssue({ units_2: { type: 'int', low: 1, high: 8, when: { param: 'layers', op: 'gte', value: 2 } }, layers }, 'space.units_2.when.param', 'condition param "layers" is declared after "units_2": declare it first');
    expectIssue({ units_2: { type: 'int', low: 1, high: 8, when: { param: 'units_2', op: 'gte', value: 2 } } }, 'space.units_2.when.param', 'a parameter cannot be conditional on itself');
  });

  it('match their value to their op', () => {
    expectIssue({ layers, units_2: { type: 'int', low: 1, high: 8, when: { param: 'layers', op: 'in', value: 2 } } }, 'space.units_2.when.value', 'op "in" needs an array of values');
    expectIssue({ layers, units_2: { type: 'int', low: 1, high: 8, when: { param: 'layers', op: 'eq', value: [2, 3] } } }, 'space.units_2.when.value', 'op "eq" needs a single value (use op "in" for a list)');
    expectIssue({ layers, units_2: { type: 'int', low: 1, high: 8, when: { param: 'layers', op: 'gt', value: 'two' } } }, 'space.units_2.when.value', 'op "gt" needs a number value');
    expectIssue({ layers, units_2: { type: 'int', low: 1, high: 8, when: { param: 'layers', op: 'like', value: 2 } } }, 'space.units_2.when.op', 'must be one of eq, ne, gt, gte, lt, lte, in (got "like")');
  });

  it('hold by op, and never for an absent parameter', () => {
    const at = (op: string, value: unknown, params: Record<string, string | number | boolean | null>) =>
      conditionHolds({ param: 'p', op: op as 'eq', value: value as number }, params);
    expect([at('eq', 2, { p: 2 }), at('eq', 2, { p: 3 }), at('ne', 2, { p: 3 }), at('ne', 2, { p: 2 })]).toEqual([true, false, true, false]);
    expect([at('gt', 2, { p: 3 }), at('gt', 2, { p: 2 }), at('gte', 2, { p: 2 }), at('gte', 2, { p: 1 })]).toEqual([true, false, true, false]);
    expect([at('lt', 2, { p: 1 }), at('lt', 2, { p: 2 }), at('lte', 2, { p: 2 }), at('lte', 2, { p: 3 })]).toEqual([true, false, true, false]);
    expect([at('in', ['a', 1], { p: 1 }), at('in', ['a', 1], { p: 'b' })]).toEqual([true, false]);
    expect(at('gt', 2, { p: 'many' })).toBe(false);
    // An inactive parent switches its children off, whatever the op.
    expect([at('ne', 2, {}), at('eq', null, {})]).toEqual([false, false]);
  });
});

describe('grid points', () => {
  const grid = (d: DistributionInput): GridResult => gridPoints(distributionSchema.parse(d));

  it('explicit values win, in their listed order', () => {
    expect(grid({ type: 'float', low: 0, high: 1, values: [0.5, 0.1] })).toEqual({ ok: true, points: [0.5, 0.1] });
    expect(grid({ type: 'int', low: 1, high: 100, values: [64, 8] })).toEqual({ ok: true, points: [64, 8] });
    expect(grid({ type: 'float', distribution: 'normal', mean: 0, std: 1, values: [-1, 1] })).toEqual({ ok: true, points: [-1, 1] });
  });

  it('gridCount spaces points evenly, in log space when log', () => {
    expect(grid({ type: 'float', low: 0, high: 0.3, gridCount: 4 })).toEqual({ ok: true, points: [0, 0.1, 0.2, 0.3] });
    expect(grid({ type: 'float', low: 1e-4, high: 1, log: true, gridCount: 5 })).toEqual({ ok: true, points: [1e-4, 1e-3, 1e-2, 1e-1, 1] });
  });

  it('an int or a stepped float defaults to every allowed value', () => {
    expect(grid({ type: 'int', low: -1, high: 2 })).toEqual({ ok: true, points: [-1, 0, 1, 2] });
    expect(grid({ type: 'int', low: 8, high: 30, step: 8 })).toEqual({ ok: true, points: [8, 16, 24] });
    expect(grid({ type: 'float', low: 0.1, high: 0.5, step: 0.1 })).toEqual({ ok: true, points: [0.1, 0.2, 0.3, 0.4, 0.5] });
    expect(grid({ type: 'int', low: 1, high: 1001 })).toEqual({ ok: false, problem: 'the grid would hold 1001 values (more than 1000): give values' });
  });

  it('categorical and fixed', () => {
    expect(grid({ type: 'categorical', choices: ['a', 1, null] })).toEqual({ ok: true, points: ['a', 1, null] });
    expect(grid({ type: 'fixed', value: false })).toEqual({ ok: true, points: [false] });
  });

  it('a plain float or a normal without values has no grid', () => {
    expect(grid({ type: 'float', low: 0, high: 1 })).toEqual({ ok: false, problem: 'the grid sampler needs values or gridCount for a float' });
    expect(grid({ type: 'float', distribution: 'normal', mean: 0, std: 1 })).toEqual({ ok: false, problem: 'the grid sampler needs values for a normal float' });
  });
});

it('a space keeps its declaration order and fills defaults', () => {
  const space = spaceSchema.parse({ z: { type: 'fixed', value: 1 }, a: { type: 'float', low: 0, high: 1 }, m: { type: 'int', low: 0, high: 1 } });
  expect(Object.keys(space)).toEqual(['z', 'a', 'm']);
  expect(space.a).toEqual({ type: 'float', low: 0, high: 1, log: false });
});
