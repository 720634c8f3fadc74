// Study files: every bad field named with its problem, defaults filled, JSON round trip, data checks, example studies.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StudyError, type StudyIssue } from '../../src/search/errors.ts';
import { HYPERPARAMETER_NAMES } from '../../src/search/hyperparameters.ts';
import { createSampler } from '../../src/search/sampler-factory.ts';
import { proposeTrial } from '../../src/search/to-trial-config.ts';
import { checkStudyAgainstData, parseStudy, parseStudyText, studyToJson, trialCount, type Study } from '../../src/search/study.ts';

const base = { data: { kind: 'mnist' }, space: { lr: { type: 'float', low: 0.001, high: 0.1, log: true } }, budget: { trials: 4 } };

function thrown(fn: () => unknown): StudyError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StudyError);
    return error as StudyError;
  }
  throw new Error('expected a StudyError');
}

function issues(json: unknown): StudyIssue[] {
  return thrown(() => parseStudy(json)).issues;
}

describe('study validation', () => {
  it('fills every default', () => {
    const study = parseStudy({ data: { kind: 'mnist' }, space: {}, budget: { trials: 2 } });
    expect(study).toEqual({
      name: 'study',
      seed: 0,
      data: { kind: 'mnist', pixels: 784 },
      space: {},
      defaults: {},
      sampler: { type: 'random' },
      pruner: { type: 'none' },
      budget: { trials: 2 },
      objective: [{ metric: 'val_accuracy', direction: 'maximize' }],
    });
  });

  it('derives the direction from the metric, and refuses a contradiction', () => {
    expect(parseStudy({ ...base, objective: { metric: 'val_loss' } }).objective).toEqual([{ metric: 'val_loss', direction: 'minimize' }]);
    expect(parseStudy({ ...base, objective: { metric: 'val_accuracy', direction: 'maximize' } }).objective[0]!.direction).toBe('maximize');
    expect(issues({ ...base, objective: { metric: 'val_loss', direction: 'maximize' } })).toEqual([
      { path: 'objective.direction', message: 'val_loss is to minimize, so direction must be "minimize" (or left out)' },
    ]);
    expect(issues({ ...base, objective: { metric: 'accuracy' } })).toEqual([{ path: 'objective.metric', message: 'must be one of val_accuracy, val_loss, val_rmse, val_mae, val_r2, samples_per_sec, step_ms, device_bytes (got "accuracy")' }]);
    expect(issues({ ...base, objective: [{ metric: 'val_accuracy' }, { metric: 'speed' }] })).toEqual([
      { path: 'objective[1].metric', message: 'must be one of val_accuracy, val_loss, val_rmse, val_mae, val_r2, samples_per_sec, step_ms, device_bytes (got "speed")' },
    ]);
    expect(issues({ ...base, objective: [{ metric: 'val_accuracy' }, { metric: 'val_accuracy' }] })).toEqual([{ path: 'objective[1].metric', message: 'val_accuracy appears more than once' }]);
    expect(issues({ ...base, objective: [] })).toEqual([{ path: 'objective', message: 'needs at least one objective' }]);
  });

  it('lists every problem as path: message, with no zod internals', () => {
    const error = thrown(() =>
      parseStudy({ seed: -1, space: { lr: { type: 'float', low: 1, high: 0.1 } }, sampler: { type: 'annealing' }, budget: { trials: 0 }, trails: 3 }),
    );
    expect(error.issues).toEqual([
      { path: 'seed', message: 'must be ≥ 0 (got -1)' },
      { path: 'data', message: 'is required' },
      { path: 'space.lr', message: 'low (1) must be ≤ high (0.1)' },
      { path: 'sampler.type', message: 'must be one of random, grid, tpe, motpe, nsga2, pbt (got "annealing")' },
      { path: 'budget.trials', message: 'must be ≥ 1 (got 0)' },
      { path: '(root)', message: 'unknown field "trails"' },
    ]);
    expect(error.message).toBe(
      [
        'invalid study (6 problems):',
        '  seed: must be ≥ 0 (got -1)',
        '  data: is required',
        '  space.lr: low (1) must be ≤ high (0.1)',
        '  sampler.type: must be one of random, grid, tpe, motpe, nsga2, pbt (got "annealing")',
        '  budget.trials: must be ≥ 1 (got 0)',
        '  (root): unknown field "trails"',
      ].join('\n'),
    );
  });

  it('refuses a document that is not an object, or not JSON', () => {
    expect(issues(null)).toEqual([{ path: '(root)', message: 'must be an object (got null)' }]);
    expect(issues([])).toEqual([{ path: '(root)', message: 'must be an object (got an array)' }]);
    const error = thrown(() => parseStudyText('{ "data": '));
    expect(error.issues[0].path).toBe('(root)');
    expect(error.issues[0].message).toMatch(/^not valid JSON: /);
  });

  it('checks the data spec', () => {
    expect(issues({ ...base, data: { kind: 'cifar' } })).toEqual([{ path: 'data.kind', message: 'must be one of mnist, spirals, circles, xor, gaussians, csv, table (got "cifar")' }]);
    expect(issues({ ...base, data: { kind: 'mnist', pixels: 100 } })[0].path).toBe('data.pixels');
  });

  it('checks the seed', () => {
    expect(issues({ ...base, seed: 1.5 })).toEqual([{ path: 'seed', message: 'must be an integer (got 1.5)' }]);
  });

  it('requires a trial budget for random search', () => {
    expect(issues({ data: { kind: 'mnist' }, space: {} })).toEqual([{ path: 'budget.trials', message: 'is required for the random sampler (or set budget.samples or budget.seconds)' }]);
    expect(issues({ ...base, budget: { trials: 4, maxStepsPerTrial: 0 } })).toEqual([{ path: 'budget.maxStepsPerTrial', message: 'must be ≥ 1 (got 0)' }]);
  });
});

describe('hyperparameter names and values', () => {
  const space = (s: Record<string, unknown>) => ({ ...base, space: s });

  it('an unknown name lists the known ones', () => {
    expect(issues(space({ learning_rate: { type: 'fixed', value: 0.1 } }))).toEqual([
      { path: 'space.learning_rate', message: `unknown hyperparameter "learning_rate"; known: ${HYPERPARAMETER_NAMES.join(', ')}` },
    ]);
    expect(HYPERPARAMETER_NAMES).toEqual(expect.arrayContaining(['lr', 'batch_size', 'layers', 'units', 'units_1', 'units_8', 'activation', 'optimizer', 'momentum', 'nesterov', 'dampening', 'beta1', 'beta2', 'eps', 'alpha', 'weight_decay', 'l1', 'l2', 'dropout', 'epochs']));
  });

  it('an unknown optimizer or activation lists the valid ones', () => {
    expect(issues(space({ optimizer: { type: 'categorical', choices: ['adam', 'lion'] } }))).toEqual([
      { path: 'space.optimizer.choices[1]', message: 'unknown optimizer "lion"; valid: sgd, momentum, rmsprop, adam, adamw' },
    ]);
    expect(issues(space({ activation: { type: 'fixed', value: 'gelu' } }))).toEqual([
      { path: 'space.activation.value', message: 'unknown activation "gelu"; valid: linear, relu, tanh, sigmoid' },
    ]);
    expect(issues(space({ activation: { type: 'int', low: 0, high: 3 } }))).toEqual([
      { path: 'space.activation.type', message: 'activation takes one of linear, relu, tanh, sigmoid: use a categorical or fixed distribution' },
    ]);
  });

  it('integer hyperparameters refuse floats and values below their minimum', () => {
    expect(issues(space({ batch_size: { type: 'float', low: 16, high: 64 } }))).toEqual([
      { path: 'space.batch_size.type', message: 'batch_size takes integers: use an int, categorical or fixed distribution' },
    ]);
    expect(issues(space({ batch_size: { type: 'int', low: 0, high: 64 } }))).toEqual([{ path: 'space.batch_size.low', message: 'must be ≥ 1 (got 0)' }]);
    expect(issues(space({ units: { type: 'categorical', choices: [32, 48.5] } }))).toEqual([{ path: 'space.units.choices[1]', message: 'must be an integer (got 48.5)' }]);
    expect(issues(space({ epochs: { type: 'fixed', value: 0 } }))).toEqual([{ path: 'space.epochs.value', message: 'must be ≥ 1 (got 0)' }]);
    expect(issues(space({ layers: { type: 'int', low: 0, high: 9 } }))).toEqual([{ path: 'space.layers.high', message: 'must be ≤ 8 (got 9)' }]);
    expect(parseStudy(space({ layers: { type: 'int', low: 0, high: 8 } })).space.layers).toMatchObject({ low: 0, high: 8 });
  });

  it('lr, dropout, l1, l2 ranges', () => {
    expect(issues(space({ lr: { type: 'float', low: 0, high: 0.1 } }))).toEqual([{ path: 'space.lr.low', message: 'must be > 0 (got 0)' }]);
    expect(issues(space({ dropout: { type: 'float', low: 0, high: 1 } }))).toEqual([{ path: 'space.dropout.high', message: 'must be < 1 (got 1)' }]);
    expect(issues(space({ l1: { type: 'float', low: -1, high: 0 } }))).toEqual([
      { path: 'space.l1.low', message: 'must be ≥ 0 (got -1)' },
    ]);
    expect(issues(space({ l2: { type: 'categorical', choices: [0, '1e-4'] } }))).toEqual([{ path: 'space.l2.choices[1]', message: 'must be a number (got "1e-4")' }]);
  });

  it('a normal distribution must clip where its hyperparameter is bounded', () => {
    expect(issues(space({ lr: { type: 'float', distribution: 'normal', mean: 0.01, std: 0.005 } }))).toEqual([
      { path: 'space.lr.low', message: 'must be set: a normal draw is unbounded and lr must be > 0' },
    ]);
    expect(issues(space({ dropout: { type: 'float', distribution: 'normal', mean: 0.2, std: 0.1, low: 0 } }))).toEqual([
      { path: 'space.dropout.high', message: 'must be set: a normal draw is unbounded and dropout must be < 1' },
    ]);
    expect(parseStudy(space({ dropout: { type: 'float', distribution: 'normal', mean: 0.2, std: 0.1, low: 0, high: 0.5 } })).space.dropout.type).toBe('float');
  });

  it('booleans', () => {
    expect(issues(space({ nesterov: { type: 'categorical', choices: [true, 'yes'] } }))).toEqual([{ path: 'space.nesterov.choices[1]', message: 'must be true or false (got "yes")' }]);
  });

  it('defaults are checked by the same rules', () => {
    expect(issues({ ...base, defaults: { lr: -1, units: 2.5, optimizer: 'lion', nesterov: 1, epoch: 3 } })).toEqual([
      { path: 'defaults.lr', message: 'must be > 0 (got -1)' },
      { path: 'defaults.units', message: 'must be an integer (got 2.5)' },
      { path: 'defaults.optimizer', message: 'unknown optimizer "lion"; valid: sgd, momentum, rmsprop, adam, adamw' },
      { path: 'defaults.nesterov', message: 'must be true or false (got 1)' },
      { path: 'defaults.epoch', message: `unknown hyperparameter "epoch"; known: ${HYPERPARAMETER_NAMES.join(', ')}` },
    ]);
    expect(issues({ ...base, defaults: { units: [32] } })).toEqual([{ path: 'defaults.units', message: 'must be a JSON scalar (string, number, boolean or null)' }]);
  });
});

describe('grid studies', () => {
  const grid = (space: Record<string, unknown>, budget: Record<string, unknown> = {}) => ({ data: { kind: 'mnist' }, space, sampler: { type: 'grid' }, budget });

  it('need a finite grid for every parameter, naming each one that lacks it', () => {
    expect(
      issues(
        grid({
          lr: { type: 'float', low: 0.001, high: 0.1, log: true },
          dropout: { type: 'float', distribution: 'normal', mean: 0.2, std: 0.1, low: 0, high: 0.5 },
          units: { type: 'int', low: 1, high: 4096 },
          batch_size: { type: 'categorical', choices: [32, 64] },
        }),
      ),
    ).toEqual([
      { path: 'space.lr', message: 'the grid sampler needs values or gridCount for a float' },
      { path: 'space.dropout', message: 'the grid sampler needs values for a normal float' },
      { path: 'space.units', message: 'the grid would hold 4096 values (more than 1000): give values' },
    ]);
  });

  it('refuse more combinations than the sampler will hold', () => {
    expect(issues(grid({ units: { type: 'int', low: 1, high: 1000 }, epochs: { type: 'int', low: 1, high: 101 } }))).toEqual([
      { path: 'space', message: 'the grid has more than 100000 combinations: give fewer values' },
    ]);
  });

  it('run every combination unless budget.trials caps them', () => {
    const space = { lr: { type: 'float', low: 0.001, high: 0.1, log: true, gridCount: 3 }, units: { type: 'categorical', choices: [16, 32] } };
    const full = parseStudy(grid(space));
    expect(trialCount(full, createSampler(full))).toBe(6);
    const capped = parseStudy(grid(space, { trials: 4 }));
    expect(trialCount(capped, createSampler(capped))).toBe(4);
    const random = parseStudy({ ...base, budget: { trials: 9 } });
    expect(trialCount(random, createSampler(random))).toBe(9);
  });
});

describe('checkStudyAgainstData', () => {
  const withBatch = (batch: unknown, extra: Record<string, unknown> = {}): Study => parseStudy({ ...base, space: { ...base.space, batch_size: batch }, ...extra });

  it('names a batch size range that exceeds the training rows', () => {
    const error = thrown(() => checkStudyAgainstData(withBatch({ type: 'int', low: 16, high: 512 }), 400));
    expect(error.issues).toEqual([{ path: 'space.batch_size', message: 'high (512) exceeds the 400 training rows' }]);
    expect(error.message).toContain('space.batch_size: high (512) exceeds the 400 training rows');
    // The largest value on the step lattice is what counts: 16 + 3·128 = 400.
    expect(() => checkStudyAgainstData(withBatch({ type: 'int', low: 16, high: 500, step: 128 }), 400)).not.toThrow();
  });

  it('names each choice, fixed value or grid value that does not fit', () => {
    expect(thrown(() => checkStudyAgainstData(withBatch({ type: 'categorical', choices: [32, 512, 1024] }), 400)).issues).toEqual([
      { path: 'space.batch_size.choices[1]', message: '512 exceeds the 400 training rows' },
      { path: 'space.batch_size.choices[2]', message: '1024 exceeds the 400 training rows' },
    ]);
    expect(thrown(() => checkStudyAgainstData(withBatch({ type: 'fixed', value: 401 }), 400)).issues).toEqual([
      { path: 'space.batch_size.value', message: '401 exceeds the 400 training rows' },
    ]);
    const gridStudy = parseStudy({ data: { kind: 'mnist' }, space: { batch_size: { type: 'int', low: 16, high: 4096, values: [16, 500] } }, sampler: { type: 'grid' } });
    expect(thrown(() => checkStudyAgainstData(gridStudy, 400)).issues).toEqual([{ path: 'space.batch_size.values[1]', message: '500 exceeds the 400 training rows' }]);
  });

  it('checks the default where the space may not set batch_size', () => {
    expect(thrown(() => checkStudyAgainstData(parseStudy(base), 20)).issues).toEqual([
      { path: 'defaults.batch_size', message: 'the built-in default (64) exceeds the 20 training rows: set a smaller one' },
    ]);
    const conditional = withBatch({ type: 'categorical', choices: [8, 16], when: { param: 'lr', op: 'gt', value: 0.01 } }, { defaults: { batch_size: 64 } });
    expect(thrown(() => checkStudyAgainstData(conditional, 20)).issues).toEqual([{ path: 'defaults.batch_size', message: '64 exceeds the 20 training rows' }]);
  });

  it('passes a study that fits', () => {
    expect(() => checkStudyAgainstData(withBatch({ type: 'int', low: 16, high: 400 }), 400)).not.toThrow();
  });
});

describe('studyToJson', () => {
  it('round-trips through parseStudy', () => {
    const study = parseStudy({
      name: 'round trip',
      seed: 7,
      data: { kind: 'spirals', n: 300 },
      space: {
        layers: { type: 'int', low: 1, high: 3 },
        units_2: { type: 'int', low: 4, high: 32, step: 4, when: { param: 'layers', op: 'gte', value: 2 } },
        lr: { type: 'float', distribution: 'normal', mean: 0.01, std: 0.003, low: 0.001 },
        optimizer: { type: 'categorical', choices: ['sgd', 'adam'] },
        nesterov: { type: 'fixed', value: false },
      },
      defaults: { epochs: 3 },
      budget: { trials: 5, maxStepsPerTrial: 100 },
      objective: { metric: 'val_loss' },
    });
    const json = studyToJson(study);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(parseStudy(json)).toEqual(study);
  });
});

describe('example studies', () => {
  const dir = new URL('../../studies/', import.meta.url);
  const files = readdirSync(dir).filter((file) => file.endsWith('.json'));

  it('include the three documented ones', () => {
    expect(files).toEqual(expect.arrayContaining(['default.json', 'batch-lr-sweep.json', 'quick-synthetic.json']));
  });

  it.each(files)('%s parses, round-trips and proposes valid trials', (file) => {
    const study = parseStudyText(readFileSync(new URL(file, dir), 'utf8'));
    expect(parseStudy(studyToJson(study))).toEqual(study);
    const sampler = createSampler(study);
    const count = trialCount(study, sampler);
    expect(count).toBeGreaterThan(0);
    for (let i = 0; i < count; i++) expect(() => sampler.sample(i)).not.toThrow();
  });

  it('default.json is a 16-trial random search on 196-pixel MNIST', () => {
    const study = parseStudyText(readFileSync(new URL('default.json', dir), 'utf8'));
    expect(study.data).toMatchObject({ kind: 'mnist', pixels: 196 });
    expect(study.sampler.type).toBe('random');
    expect(study.budget).toMatchObject({ trials: 16, epochs: 2 });
    expect(Object.keys(study.space)).toEqual(expect.arrayContaining(['lr', 'batch_size', 'units', 'dropout', 'l2', 'optimizer']));
  });

  it('batch-lr-sweep.json is a grid over batch size × learning rate', () => {
    const study = parseStudyText(readFileSync(new URL('batch-lr-sweep.json', dir), 'utf8'));
    const sampler = createSampler(study);
    expect(sampler.name).toBe('grid');
    expect(Object.keys(study.space)).toEqual(['batch_size', 'lr']);
    expect(sampler.size).toBe(25);
  });

  it('quick-synthetic.json is an 8-trial random search on circles that fits its data', () => {
    const study = parseStudyText(readFileSync(new URL('quick-synthetic.json', dir), 'utf8'));
    expect(study.data.kind).toBe('circles');
    expect(study.budget.trials).toBe(8);
    expect(() => checkStudyAgainstData(study, 200)).not.toThrow();
  });
});

describe('budget.epochs', () => {
  const base = { data: { kind: 'spirals' }, space: { lr: { type: 'float', low: 0.01, high: 0.1 } }, budget: { trials: 2, epochs: 7 } };
  it('sets every trial’s epochs', () => {
    const study = parseStudy(base);
    expect(proposeTrial(study, createSampler(study), 1).config.epochs).toBe(7);
  });
  it('is refused when epochs is also in defaults or the space', () => {
    expect(() => parseStudy({ ...base, defaults: { epochs: 3 } })).toThrow(/budget\.epochs: epochs is also set in defaults; set it in one place/);
    expect(() => parseStudy({ ...base, space: { ...base.space, epochs: { type: 'int', low: 1, high: 3 } } })).toThrow(/budget\.epochs: epochs is also set in space/);
  });
});

describe('every problem at once', () => {
  it('reports hyperparameter rules even while another part of the file is malformed', () => {
    const bad = {
      data: { kind: 'spirals' },
      space: { optimizer: { type: 'categorical', choices: ['adam', 'lion'] }, lr: { type: 'float', low: 1, high: 0.1 } },
      defaults: { dropout: 1.5 },
      budget: { trails: 3 },
    };
    let error: unknown;
    try {
      parseStudy(bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StudyError);
    const paths = (error as StudyError).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['budget', 'space.lr', 'space.optimizer.choices[1]', 'defaults.dropout']));
    // Each problem once.
    expect(new Set(paths).size).toBe(paths.length);
  });
});
