// toTrialConfig: hyperparameter names to the engine's TrialConfig, with study and built-in defaults, and named errors.
import { describe, expect, it } from 'vitest';
import { StudyError } from '../../src/search/errors.ts';
import { HYPERPARAMETER_NAMES } from '../../src/search/hyperparameters.ts';
import { toTrialConfig } from '../../src/search/to-trial-config.ts';
import { optimizerConfig } from '../../src/model/trial-config.ts';

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(StudyError);
    return (error as StudyError).issues;
  }
  throw new Error('expected a StudyError');
}

describe('toTrialConfig', () => {
  it('fills everything from the built-in defaults', () => {
    expect(toTrialConfig({}, { seed: 5 })).toEqual({
      hidden: [128],
      activation: 'relu',
      batchSize: 64,
      epochs: 1,
      optimizer: optimizerConfig('adam', 1e-3),
      l1: 0,
      l2: 0,
      dropout: 0,
      seed: 5,
    });
  });

  it('maps every name to its field, params over study defaults', () => {
    const config = toTrialConfig(
      { lr: 0.003, batch_size: 64, activation: 'tanh', dropout: 0.25, l1: 1e-5, l2: 1e-4, epochs: 4, optimizer: 'rmsprop', alpha: 0.9, eps: 1e-6, momentum: 0.5 },
      { seed: 1, defaults: { lr: 0.1, batch_size: 16, units: 48, layers: 2 } },
    );
    expect(config).toEqual({
      hidden: [48, 48],
      activation: 'tanh',
      batchSize: 64,
      epochs: 4,
      optimizer: optimizerConfig('rmsprop', 0.003, { alpha: 0.9, eps: 1e-6, momentum: 0.5 }),
      l1: 1e-5,
      l2: 1e-4,
      dropout: 0.25,
      seed: 1,
    });
  });

  it('units_i overrides units for layer i; layers 0 is softmax regression', () => {
    expect(toTrialConfig({ layers: 3, units: 16, units_2: 8 }, { seed: 0 }).hidden).toEqual([16, 8, 16]);
    expect(toTrialConfig({ layers: 2, units_1: 64, units_2: 32, units_3: 99 }, { seed: 0 }).hidden).toEqual([64, 32]);
    expect(toTrialConfig({ layers: 0, units: 16 }, { seed: 0 }).hidden).toEqual([]);
    expect(toTrialConfig({ layers: 8 }, { seed: 0 }).hidden).toEqual(Array(8).fill(128));
  });

  it('optimizer settings follow optimizerConfig, overridden only where given', () => {
    expect(toTrialConfig({ optimizer: 'momentum' }, { seed: 0 }).optimizer).toMatchObject({ kind: 'momentum', momentum: 0.9, nesterov: false, dampening: 0 });
    expect(toTrialConfig({ optimizer: 'momentum', momentum: 0.95, nesterov: true }, { seed: 0 }).optimizer).toMatchObject({ momentum: 0.95, nesterov: true });
    expect(toTrialConfig({ optimizer: 'sgd', dampening: 0.1 }, { seed: 0 }).optimizer).toMatchObject({ kind: 'sgd', momentum: 0, dampening: 0.1 });
    expect(toTrialConfig({ optimizer: 'adamw', weight_decay: 0.05, beta1: 0.8, beta2: 0.99 }, { seed: 0 }).optimizer).toEqual(
      optimizerConfig('adamw', 1e-3, { weightDecay: 0.05, beta1: 0.8, beta2: 0.99 }),
    );
  });

  it('refuses unknown names, listing the known ones', () => {
    expect(issuesOf(() => toTrialConfig({ learning_rate: 0.1 }, { seed: 0 }))).toEqual([
      { path: 'params.learning_rate', message: `unknown hyperparameter "learning_rate"; known: ${HYPERPARAMETER_NAMES.join(', ')}` },
    ]);
  });

  it('refuses bad values, saying whether params or defaults held them', () => {
    const error = (() => {
      try {
        toTrialConfig({ dropout: 1, optimizer: 'lion', layers: 9 }, { seed: 0, defaults: { batch_size: 12.5, lr: 0, activation: 'gelu' } });
      } catch (e) {
        return e as StudyError;
      }
      throw new Error('expected a StudyError');
    })();
    expect(error.issues).toEqual([
      { path: 'defaults.batch_size', message: 'must be an integer (got 12.5)' },
      { path: 'defaults.lr', message: 'must be > 0 (got 0)' },
      { path: 'defaults.activation', message: 'unknown activation "gelu"; valid: linear, relu, tanh, sigmoid' },
      { path: 'params.dropout', message: 'must be < 1 (got 1)' },
      { path: 'params.optimizer', message: 'unknown optimizer "lion"; valid: sgd, momentum, rmsprop, adam, adamw' },
      { path: 'params.layers', message: 'must be ≤ 8 (got 9)' },
    ]);
    expect(error.message).toMatch(/^invalid trial parameters \(6 problems\):\n {2}defaults\.batch_size: must be an integer \(got 12\.5\)/);
  });

  it('checks l1, l2 and units', () => {
    expect(issuesOf(() => toTrialConfig({ l1: -1, l2: -0.5, units_3: 0 }, { seed: 0 }))).toEqual([
      { path: 'params.l1', message: 'must be ≥ 0 (got -1)' },
      { path: 'params.l2', message: 'must be ≥ 0 (got -0.5)' },
      { path: 'params.units_3', message: 'must be ≥ 1 (got 0)' },
    ]);
  });
});
