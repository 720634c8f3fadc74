// Turns one trial's named hyperparameters (sampled, study defaults, built-in defaults) into the TrialConfig the engine trains.
import { StudyError, type StudyIssue } from './errors.ts';
import { isHyperparameter, unknownNameMessage, valueProblem } from './hyperparameters.ts';
import { deriveSeed } from '../util/random.ts';
import type { Sampler } from './samplers.ts';
import type { Params } from './space.ts';
import type { Study } from './study.ts';
import { OPTIMIZER_SETTINGS } from '../model/optimizers.ts';
import { optimizerConfig, TRIAL_DEFAULTS, type Activation, type OptimizerConfig, type OptimizerKind, type TrialConfig } from '../model/trial-config.ts';

export interface TrialBase {
  /** The trial's seed (weights, batch order, dropout): deriveSeed(study.seed, 'trial', index). */
  seed: number;
  /** The study's `defaults`: fill what `params` does not set, before the built-in defaults. */
  defaults?: Params;
}

/**
 * The TrialConfig for `params` over `base.defaults` over TRIAL_DEFAULTS. Throws a StudyError
 * naming each unknown or invalid value and where it came from (`params.lr`, `defaults.lr`).
 * Hidden widths: `units_i` where set, else `units`, for each of the `layers` layers.
 */
export function toTrialConfig(params: Params, base: TrialBase): TrialConfig {
  const issues: StudyIssue[] = [];
  const merged: Params = { ...TRIAL_DEFAULTS };
  for (const [source, values] of [['defaults', base.defaults ?? {}], ['params', params]] as const) {
    for (const [name, value] of Object.entries(values)) {
      const path = `${source}.${name}`;
      if (!isHyperparameter(name)) {
        issues.push({ path, message: unknownNameMessage(name) });
        continue;
      }
      const problem = valueProblem(name, value);
      if (problem) issues.push({ path, message: problem });
      else merged[name] = value;
    }
  }
  if (issues.length > 0) throw new StudyError(issues, 'invalid trial parameters');

  // NOTE: every value in `merged` passed valueProblem, so these casts only restate its checks.
  const layers = merged.layers as number;
  const units = merged.units as number;
  const hidden = Array.from({ length: layers }, (_, i) => (merged[`units_${i + 1}`] as number | undefined) ?? units);
  const overrides: Partial<OptimizerConfig> = {};
  for (const [name, { field }] of Object.entries(OPTIMIZER_SETTINGS)) {
    if (Object.hasOwn(merged, name)) Object.assign(overrides, { [field]: merged[name] });
  }
  return {
    hidden,
    activation: merged.activation as Activation,
    batchSize: merged.batch_size as number,
    epochs: merged.epochs as number,
    optimizer: optimizerConfig(merged.optimizer as OptimizerKind, merged.lr as number, overrides),
    l1: merged.l1 as number,
    l2: merged.l2 as number,
    dropout: merged.dropout as number,
    seed: base.seed,
  };
}

/** The config trial `number` of `study` trains: its parameters over the study's defaults (budget.epochs included), seeded by the number. */
export function trialConfigOf(study: Pick<Study, 'seed' | 'defaults' | 'budget'>, number: number, params: Params): TrialConfig {
  const defaults = study.budget.epochs === undefined ? study.defaults : { ...study.defaults, epochs: study.budget.epochs };
  return toTrialConfig(params, { seed: deriveSeed(study.seed, 'trial', number), defaults });
}

export interface ProposedTrial {
  index: number;
  params: Params;
  config: TrialConfig;
}

/** Trial `index` of the study: its sampled parameters and the TrialConfig they make with the study's defaults. */
export function proposeTrial(study: Study, sampler: Sampler, index: number): ProposedTrial {
  const params = sampler.sample(index);
  return { index, params, config: trialConfigOf(study, index, params) };
}
