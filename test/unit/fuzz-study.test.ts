// Fuzz: generated malformed study files are either refused with a StudyError naming each field, or accepted and usable (trials proposed, configs finite).
import { describe, expect, it } from 'vitest';
import { StudyError } from '../../src/search/errors.ts';
import { createSampler } from '../../src/search/sampler-factory.ts';
import type { PastTrial } from '../../src/search/samplers.ts';
import { MAX_TRIALS } from '../../src/search/specs.ts';
import { toTrialConfig } from '../../src/search/to-trial-config.ts';
import { checkStudyAgainstData, parseStudyText, trialCount, type Study } from '../../src/search/study.ts';
import type { TrialConfig } from '../../src/model/trial-config.ts';
import { clone, describeTally, Fuzz, FUZZ_SEED, fuzzCount, newTally, setAt, type Json } from '../helpers/fuzz.ts';

const SPACE: Json = {
  lr: { type: 'float', low: 0.001, high: 0.1, log: true },
  batch_size: { type: 'categorical', choices: [16, 32] },
  layers: { type: 'int', low: 1, high: 2 },
  units_2: { type: 'int', low: 8, high: 32, step: 8, when: { param: 'layers', op: 'gte', value: 2 } },
  optimizer: { type: 'categorical', choices: ['momentum', 'adam'] },
  momentum: { type: 'float', low: 0.5, high: 0.95, when: { param: 'optimizer', op: 'eq', value: 'momentum' } },
  dropout: { type: 'float', distribution: 'normal', mean: 0.1, std: 0.05, low: 0, high: 0.5 },
};
const GRID_SPACE: Json = {
  lr: { type: 'float', low: 0.001, high: 0.1, log: true, gridCount: 3 },
  units: { type: 'int', low: 8, high: 32, step: 8 },
  activation: { type: 'categorical', choices: ['relu', 'tanh'] },
  l2: { type: 'float', low: 0, high: 0.01, values: [0, 0.001, 0.01] },
};

const SAMPLERS: Json[] = [
  { type: 'random' },
  { type: 'grid' },
  { type: 'grid', shuffle: true },
  { type: 'tpe' },
  { type: 'tpe', startupTrials: 2, candidates: 8, multivariate: true, constantLiar: false },
  { type: 'motpe' },
  { type: 'nsga2', population: 4, crossoverProb: 0.8, swappingProb: 0.4, mutationProb: 0.2 },
  { type: 'pbt', population: 4, interval: 10, quantile: 0.25, perturb: [0.8, 1.25], resample: 0.2, mutable: ['lr'] },
];
const PRUNERS: Json[] = [
  { type: 'none' },
  { type: 'median' },
  { type: 'median', unit: 'step', every: 10, startupTrials: 2, warmup: 1 },
  { type: 'successive-halving', minResource: 1, reductionFactor: 3, minEarlyStoppingRate: 0 },
  { type: 'hyperband', unit: 'epoch', minResource: 1, reductionFactor: 3 },
];
const OBJECTIVES: Json[] = [
  { metric: 'val_accuracy' },
  { metric: 'val_loss', direction: 'minimize' },
  [{ metric: 'val_accuracy' }, { metric: 'samples_per_sec' }],
  [{ metric: 'val_loss' }, { metric: 'step_ms' }, { metric: 'device_bytes' }],
];
const DATA: Json[] = [{ kind: 'mnist', pixels: 196, trainLimit: 500 }, { kind: 'circles', n: 300, noise: 0.1 }, { kind: 'gaussians', classes: 4 }, { kind: 'csv', path: 'x.csv', validation: 0.2 }];

/** A study file that is valid as written, of every sampler, pruner, objective and data kind. */
function baseStudy(f: Fuzz): Json {
  const sampler = clone(f.pick(SAMPLERS));
  const type = (sampler as { type: string }).type;
  const several = (o: Json) => Array.isArray(o);
  const objective = clone(f.pick(OBJECTIVES.filter((o) => (type === 'motpe' || type === 'nsga2' ? several(o) : type === 'tpe' || type === 'pbt' ? !several(o) : true))));
  const study: Record<string, Json> = {
    name: f.pick(['fuzz', 'my study', 'étude']),
    seed: f.int(1000),
    data: clone(f.pick(DATA)),
    space: clone(type === 'grid' ? GRID_SPACE : type === 'pbt' ? { lr: (SPACE as Record<string, Json>).lr! } : SPACE),
    defaults: type === 'pbt' ? { units: 16, batch_size: 16, epochs: 2 } : { epochs: 2 },
    sampler,
    objective,
  };
  if (type !== 'pbt' && !several(objective)) study.pruner = clone(f.pick(PRUNERS));
  if (type !== 'grid' && type !== 'pbt') study.budget = clone(f.pick<Json>([{ trials: 6 }, { samples: 100_000 }, { seconds: 30, trials: 4, maxStepsPerTrial: 50 }]));
  return study;
}

/** One random edit of the kinds a hand-written or generated file gets wrong. */
function mutate(f: Fuzz, study: Record<string, Json>): void {
  if (study.space === null || typeof study.space !== 'object' || Array.isArray(study.space)) study.space = {};
  const space = study.space as Record<string, Json>;
  const paths = f.paths(study);
  const [path] = paths.length > 0 ? f.pick(paths) : [['name']];
  switch (f.chance(0.25) ? 5 : f.int(14)) {
    case 0:
    case 1:
      return setAt(study, path, f.nastyValue());
    case 2:
      return setAt(study, path, undefined);
    case 3: {
      const objects = paths.filter(([, v]) => v !== null && typeof v === 'object' && !Array.isArray(v));
      const [at] = objects.length > 0 ? f.pick(objects) : [[] as (string | number)[]];
      return setAt(study, [...at, f.nastyKey()], f.nastyValue());
    }
    case 4: {
      // A reserved key in a record, written as JSON.parse would leave it (an own key).
      const section = f.pick(['space', 'defaults'] as const);
      if (typeof study[section] !== 'object' || study[section] === null) study[section] = {};
      return setAt(study, [section, f.pick(['__proto__', 'constructor', 'prototype'])], clone(f.pick<Json>([{ type: 'fixed', value: 1 }, 0.1, { polluted: true }])));
    }
    case 5: {
      const name = f.chance(0.5) ? 'lr' : f.pick(Object.keys(space).concat('dropout', 'units'));
      space[name] = clone(f.pick<Json>([
        { type: 'categorical', choices: [] },
        { type: 'categorical', choices: ['adam', 'adam'] },
        { type: 'float', values: [], low: 0, high: 1 },
        { type: 'float', distribution: 'normal', mean: 1e308, std: 1e308, low: 0.001 },
        { type: 'float', distribution: 'normal', mean: 0.01, std: 1e-300, low: 1e-9 },
        { type: 'float', low: -1.7e308, high: 1.7e308 },
        { type: 'float', low: 1e-300, high: 1e300, log: true },
        { type: 'float', low: 0, high: 1, gridCount: 1e9 },
        { type: 'float', low: 0, high: 1, step: 1e-12 },
        { type: 'int', low: 1, high: 9007199254740991 },
        { type: 'int', low: 1, high: 1e6, log: true },
        { type: 'int', low: 5, high: 1 },
        { type: 'fixed', value: 1e308 },
        { type: 'categorical', choices: Array.from({ length: f.pick([10, 5000]) }, (_, i) => i + 1) },
        { type: 'categorical', choices: [0.01, 1e308, 5e-324] },
        { type: 'float', low: 0.001, high: 0.1, values: [0.01, 0.01] },
        { type: 'float', low: 0.001, high: 0.1, gridCount: 3 },
      ]));
      return;
    }
    case 6: {
      // Conditions on unknown, later or own parameters, with odd ops and values.
      const names = Object.keys(space);
      const name = f.pick(names.length > 0 ? names : ['lr']);
      if (typeof space[name] !== 'object' || space[name] === null) return;
      const param = f.pick([...names, 'nope', name, '__proto__']);
      const when: Json = { param, op: f.pick(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'like']), value: clone(f.pick<Json>([2, 'adam', [1, 2], [], null, true])) };
      setAt(space, [name, 'when'], when);
      return;
    }
    case 7: {
      // Budget fields that conflict with each other or with the sampler.
      study.budget = clone(f.pick<Json>([{}, { trials: 1e9 }, { trials: 0 }, { trials: 3, epochs: 2 }, { epochs: 1e6 }, { samples: 1.5 }, { seconds: 0 }, { trials: 2.5 }, { maxStepsPerTrial: -1 }, { trials: 1_000_000 }]));
      return;
    }
    case 8:
      study.sampler = clone(f.pick(SAMPLERS));
      if (f.chance(0.5)) setAt(study, ['sampler', f.pick(['population', 'startupTrials', 'candidates', 'interval', 'quantile', 'resample', 'mutationProb'])], f.nastyValue());
      return;
    case 9:
      study.pruner = clone(f.pick(PRUNERS));
      if (f.chance(0.5)) setAt(study, ['pruner', f.pick(['every', 'minResource', 'reductionFactor', 'warmup', 'unit'])], f.nastyValue());
      return;
    case 10:
      study.objective = clone(f.pick<Json>([...OBJECTIVES, [], [{ metric: 'val_accuracy' }, { metric: 'val_accuracy' }], { metric: 'samples_per_sec' }, { metric: 'val_accuracy', direction: 'minimize' }, Array.from({ length: 5 }, () => ({ metric: 'val_loss' }))]));
      return;
    case 11:
      study.defaults = clone(f.pick<Json>([
        { momentum: 0.9 },
        { optimizer: 'adam', weight_decay: 0.1 },
        { optimizer: 'sgd', beta1: 0.5 },
        { nesterov: true, optimizer: 'momentum' },
        { layers: 9 },
        { lr: 1e308 },
        { epochs: 2, batch_size: 0 },
        { units_1: 0, layers: 1 },
      ]));
      return;
    case 12:
      study.name = f.pick<Json>(['../../x', 'a/b', '\u001b[31mred', 'x'.repeat(101), '', '..', 'ok name', 'C:\\temp']);
      return;
    default:
      study.data = clone(f.pick<Json>([{ kind: 'mnist', pixels: 100 }, { kind: 'spirals', n: 1e9 }, { kind: 'gaussians', classes: 11 }, { kind: 'csv', path: '' }, { kind: 'xor', noise: -1 }, { kind: 'mnist', trainLimit: 0 }, { kind: 'parquet' }]));
  }
}

/** The study file's text; sometimes with a number replaced by a token JSON or zod must refuse. */
function text(f: Fuzz, study: Json): string {
  let json = JSON.stringify(study);
  if (f.chance(0.08)) {
    const token = f.pick(['1e999', '-1e999', 'NaN', '0x10', '-0', '1e-400', '9007199254740993', 'Infinity', '01']);
    json = json.replace(/(?<=[:,[])-?\d+(\.\d+)?(e[+-]?\d+)?/, token);
  }
  if (f.chance(0.02)) json = f.pick([json.slice(0, f.int(json.length)), `[${json}]`, '"study"', 'null', '', `{"space": ${'['.repeat(50_000)}${']'.repeat(50_000)}}`, `\ufeff${json}`]);
  return json;
}

function finiteConfig(config: TrialConfig): boolean {
  const numbers = [...config.hidden, config.batchSize, config.epochs, config.l1, config.l2, config.dropout, config.seed, ...Object.values(config.optimizer).filter((v) => typeof v === 'number')];
  return numbers.every(Number.isFinite) && config.hidden.every((w) => Number.isInteger(w) && w >= 1) && config.optimizer.lr > 0 && config.batchSize >= 1;
}

/** Names the file set in space or defaults that the parsed study lost (zod's records drop "__proto__" without a word). */
function droppedNames(input: string, study: Study): string[] {
  const json = JSON.parse(input.replace(/^\uFEFF/, '')) as { space?: object; defaults?: object };
  return (['space', 'defaults'] as const).flatMap((section) => Object.keys(json[section] ?? {}).filter((name) => !Object.hasOwn(study[section], name)).map((name) => `${section}.${name}`));
}

/** Proposes the first trials as the study runner would (with the history so far, each told back as complete). */
function proposeSome(study: Study): void {
  const sampler = createSampler(study);
  const total = trialCount(study, sampler);
  if (total !== Infinity && total > MAX_TRIALS) throw new Error(`accepted with ${total} trials, past MAX_TRIALS`);
  const n = Math.min(4, total);
  const defaults = study.budget.epochs === undefined ? study.defaults : { ...study.defaults, epochs: study.budget.epochs };
  const history: PastTrial[] = [];
  for (let i = 0; i < n; i++) {
    const params = sampler.sample(i, history);
    const config = toTrialConfig(params, { seed: i, defaults });
    if (!finiteConfig(config)) throw new Error(`trial ${i}: config not usable: ${JSON.stringify(config)}`);
    history.push({ number: i, params, state: 'complete', values: study.objective.map(() => (i % 3) / 10), intermediate: [] });
  }
  checkStudyAgainstData(study, 1000);
}

describe('study file fuzz', () => {
  it('refuses every malformed study with a named StudyError, and every accepted one proposes usable trials', () => {
    const count = fuzzCount(2400);
    const tally = newTally();
    for (let c = 0; c < count; c++) {
      const f = new Fuzz(FUZZ_SEED * 7919 + c);
      const study = baseStudy(f) as Record<string, Json>;
      const edits = f.chance(0.1) ? 0 : 1 + f.int(3);
      for (let e = 0; e < edits; e++) mutate(f, study);
      const input = text(f, study);
      tally.tried++;
      let parsed: Study;
      try {
        parsed = parseStudyText(input);
      } catch (error) {
        if (!(error instanceof StudyError) || error.issues.length === 0 || error.issues.some((issue) => issue.path === '')) {
          tally.crashes.push(`case ${c}: ${error instanceof Error ? `${error.name}: ${error.message.slice(0, 300)}` : String(error)}`);
        } else if (error.issues.every((issue) => issue.path === '(root)')) tally.refusedWhole++;
        else tally.refusedNamed++;
        continue;
      }
      try {
        const dropped = droppedNames(input, parsed);
        if (dropped.length > 0) throw new Error(`accepted, but dropped ${dropped.join(', ')}`);
        proposeSome(parsed);
        tally.accepted++;
      } catch (error) {
        // The data check may refuse a batch size that exceeds the training rows: that is a named refusal too.
        if (error instanceof StudyError && error.message.startsWith('study does not fit its data')) tally.refusedNamed++;
        else tally.crashes.push(`case ${c} (accepted): ${error instanceof Error ? `${error.name}: ${error.message.slice(0, 300)}` : String(error)}\n${input.slice(0, 600)}`);
      }
    }
    console.log(describeTally('study', tally, FUZZ_SEED));
    expect(tally.crashes.slice(0, 5)).toEqual([]);
    expect(tally.tried).toBe(count);
    // The generator must reach both sides, or it tests nothing.
    expect(tally.accepted).toBeGreaterThan(count / 20);
    expect(tally.refusedNamed).toBeGreaterThan(count / 2);
  });
});
