// The hyperparameter names a study may use, the values each accepts, and the built-in defaults.
import { isOptimizerSetting, OPTIMIZER_SETTINGS, reads } from '../model/optimizers.ts';
import { ACTIVATIONS, OPTIMIZERS, TRIAL_DEFAULTS, type OptimizerKind } from '../model/trial-config.ts';
import { describeValue } from './errors.ts';
import { isNormal, type Distribution, type Scalar } from './space.ts';

/** Hidden layers a trial may have; `units_1` … `units_8` name their widths. */
export const MAX_LAYERS = 8;

/**
 * NOTE: every integer hyperparameter has an upper bound, checked when the study is read: a width or
 * batch past this makes buffers no device holds (1e308 units asked for Infinity bytes), and more
 * epochs than this make a trial that never ends.
 */
export const MAX_WIDTH = 65_536;
export const MAX_EPOCHS = 100_000;

type ValueRule =
  | { kind: 'number'; integer?: boolean; min?: number; minOpen?: boolean; max?: number; maxOpen?: boolean }
  | { kind: 'boolean' }
  | { kind: 'choice'; what: string; choices: readonly string[] };

const positiveInt = (max: number): ValueRule => ({ kind: 'number', integer: true, min: 1, max });
const nonNegative: ValueRule = { kind: 'number', min: 0 };
const unitInterval: ValueRule = { kind: 'number', min: 0, max: 1, maxOpen: true };

const RULES: Record<string, ValueRule> = {
  lr: { kind: 'number', min: 0, minOpen: true },
  batch_size: positiveInt(MAX_WIDTH),
  layers: { kind: 'number', integer: true, min: 0, max: MAX_LAYERS },
  units: positiveInt(MAX_WIDTH),
  ...Object.fromEntries(Array.from({ length: MAX_LAYERS }, (_, i) => [`units_${i + 1}`, positiveInt(MAX_WIDTH)])),
  activation: { kind: 'choice', what: 'activation', choices: ACTIVATIONS },
  optimizer: { kind: 'choice', what: 'optimizer', choices: OPTIMIZERS },
  momentum: nonNegative,
  nesterov: { kind: 'boolean' },
  dampening: { kind: 'number', min: 0, max: 1 },
  beta1: unitInterval,
  beta2: unitInterval,
  eps: { kind: 'number', min: 0, minOpen: true },
  alpha: nonNegative,
  weight_decay: nonNegative,
  l1: nonNegative,
  l2: nonNegative,
  dropout: unitInterval,
  epochs: positiveInt(MAX_EPOCHS),
};

export const HYPERPARAMETER_NAMES: readonly string[] = Object.keys(RULES);

export function isHyperparameter(name: string): boolean {
  return Object.hasOwn(RULES, name);
}

export function unknownNameMessage(name: string): string {
  return `unknown hyperparameter "${name}"; known: ${HYPERPARAMETER_NAMES.join(', ')}`;
}

/** Why `value` is not a valid `name`, or null when it is. The name must be known. */
export function valueProblem(name: string, value: Scalar): string | null {
  const rule = RULES[name];
  const got = ` (got ${describeValue(value)})`;
  switch (rule.kind) {
    case 'boolean':
      return typeof value === 'boolean' ? null : `must be true or false${got}`;
    case 'choice':
      return typeof value === 'string' && rule.choices.includes(value)
        ? null
        : `unknown ${rule.what} ${describeValue(value)}; valid: ${rule.choices.join(', ')}`;
    case 'number': {
      if (typeof value !== 'number') return `must be a number${got}`;
      if (!Number.isFinite(value)) return `must be a finite number${got}`;
      if (rule.integer && !Number.isInteger(value)) return `must be an integer${got}`;
      if (rule.min !== undefined && (rule.minOpen ? value <= rule.min : value < rule.min)) return `must be ${rule.minOpen ? '>' : '≥'} ${rule.min}${got}`;
      if (rule.max !== undefined && (rule.maxOpen ? value >= rule.max : value > rule.max)) return `must be ${rule.maxOpen ? '<' : '≤'} ${rule.max}${got}`;
      return null;
    }
  }
}

export interface DistributionProblem {
  /** Relative to the distribution, e.g. `['choices', 1]`; [] for the distribution as a whole. */
  path: (string | number)[];
  message: string;
}

/**
 * Whether every value `d` can produce is a valid `name`. The rules are intervals, so a range's
 * ends decide; a normal draw is unbounded, so a bounded rule needs its clip bounds set.
 */
export function distributionProblems(name: string, d: Distribution): DistributionProblem[] {
  const rule = RULES[name];
  const problems: DistributionProblem[] = [];
  const check = (path: (string | number)[], value: Scalar) => {
    const problem = valueProblem(name, value);
    if (problem) problems.push({ path, message: problem });
  };
  if (d.type === 'fixed') check(['value'], d.value);
  else if (d.type === 'categorical') d.choices.forEach((choice, i) => check(['choices', i], choice));
  else if (rule.kind !== 'number') {
    problems.push({ path: ['type'], message: `${name} takes ${rule.kind === 'boolean' ? 'true or false' : `one of ${rule.choices.join(', ')}`}: use a categorical or fixed distribution` });
  } else if (rule.integer && d.type === 'float') {
    problems.push({ path: ['type'], message: `${name} takes integers: use an int, categorical or fixed distribution` });
  } else if (isNormal(d)) {
    if (rule.min !== undefined && d.low === undefined) problems.push({ path: ['low'], message: `must be set: a normal draw is unbounded and ${name} must be ${rule.minOpen ? '>' : '≥'} ${rule.min}` });
    if (rule.max !== undefined && d.high === undefined) problems.push({ path: ['high'], message: `must be set: a normal draw is unbounded and ${name} must be ${rule.maxOpen ? '<' : '≤'} ${rule.max}` });
    if (d.low !== undefined) check(['low'], d.low);
    if (d.high !== undefined) check(['high'], d.high);
  } else {
    check(['low'], d.low);
    check(['high'], d.high);
  }
  return problems;
}

/** Why optimizer setting `name` would be ignored by every one of `optimizers`, or null (also for names that are no setting). */
export function unusedSettingProblem(name: string, optimizers: readonly Scalar[]): string | null {
  if (!isOptimizerSetting(name) || optimizers.some((o) => reads(o as OptimizerKind, name))) return null;
  const users = OPTIMIZER_SETTINGS[name].readBy;
  const which = optimizers.length === 1 ? `optimizer ${optimizers[0]} ignores` : `optimizers ${optimizers.join(', ')} ignore`;
  return `${which} ${name} (read by ${users.join(', ')}): remove it or choose such an optimizer`;
}

/**
 * Settings a study's trials would never read: `momentum` with only adam, `weight_decay` without
 * adamw. The optimizers are the space's choices (plus the default where a condition may leave it
 * out), else `defaults.optimizer`, else the built-in one; a sampled setting beside a sampled
 * optimizer that may read it stays legal.
 */
export function unusedSettingIssues(space: [string, Distribution][], defaults: [string, Scalar][]): { path: (string | number)[]; message: string }[] {
  const d = space.find(([name]) => name === 'optimizer')?.[1];
  const fallback = defaults.find(([name]) => name === 'optimizer')?.[1] ?? TRIAL_DEFAULTS.optimizer;
  const drawn = d?.type === 'categorical' ? d.choices : d?.type === 'fixed' ? [d.value] : [];
  const optimizers = [...new Set([...drawn, ...(d === undefined || d.when !== undefined ? [fallback] : [])])];
  // An optimizer that is itself invalid is reported on its own; judge settings only against valid ones.
  if (optimizers.length === 0 || !optimizers.every((o) => typeof o === 'string' && (OPTIMIZERS as readonly string[]).includes(o))) return [];
  const issues: { path: (string | number)[]; message: string }[] = [];
  for (const [source, names] of [['space', space.map(([name]) => name)], ['defaults', defaults.map(([name]) => name)]] as const) {
    for (const name of names) {
      const problem = unusedSettingProblem(name, optimizers);
      if (problem) issues.push({ path: [source, name], message: problem });
    }
  }
  return issues;
}

/** NOTE: JSON.parse keeps a "__proto__" key as an own key, but zod's records drop it without a word. */
export function reservedKeyIssues(json: unknown): { path: string; message: string }[] {
  if (typeof json !== 'object' || json === null) return [];
  const issues: { path: string; message: string }[] = [];
  for (const section of ['space', 'defaults'] as const) {
    const value = (json as Record<string, unknown>)[section];
    if (typeof value === 'object' && value !== null && Object.hasOwn(value, '__proto__')) {
      issues.push({ path: `${section}.__proto__`, message: unknownNameMessage('__proto__') });
    }
  }
  return issues;
}
