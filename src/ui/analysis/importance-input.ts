// What importance is computed from: a study's finished trials with a value of one objective, each parameter's value and the distribution it was sampled from.
import type { Scalar } from '../../search/space.ts';
import type { OptunaDistribution } from '../../store/optuna-journal.ts';
import { valueOf, type ParamInfo, type ViewObjective, type ViewTrial } from '../viewer/model.ts';
import type { ImportanceInput, ParamDomain } from './importance.ts';

/** NOTE: a trial of fusetune's own study has no per-trial distribution; its parameters' regime is the study's space. */
const SPACE = 'space';

function domainOf(d: OptunaDistribution): ParamDomain {
  if (d.name === 'CategoricalDistribution') return { kind: 'categorical', choices: d.choices };
  return { kind: d.name === 'IntDistribution' ? 'int' : 'float', low: d.low, high: d.high, log: d.log, step: d.step };
}

function domainOfSpec(p: ParamInfo, values: readonly Scalar[]): ParamDomain {
  if (p.kind === 'categorical') {
    const choices = p.choices ?? [...new Set(values.map((v) => JSON.stringify(v)))].sort().map((v) => JSON.parse(v) as Scalar);
    return { kind: 'categorical', choices };
  }
  return { kind: p.int ? 'int' : 'float', log: p.log, step: p.step ?? (p.int ? 1 : null), ...(p.low !== undefined && p.high !== undefined ? { low: p.low, high: p.high } : {}) };
}

/**
 * The finished trials with a finite value of objective k, as importance reads them: for each
 * parameter its value and its regime (the distribution the trial sampled it from, as JSON; the
 * study's space for fusetune's own trials; none where the trial lacks it).
 */
export function importanceInput(trials: readonly ViewTrial[], params: readonly ParamInfo[], objectives: readonly ViewObjective[], k: number): ImportanceInput {
  const scored = trials.filter((t) => valueOf(t, k) !== null);
  const inputParams = params.map((p) => {
    const domains: Record<string, ParamDomain> = {};
    for (const t of scored) {
      const d = t.distributions[p.name];
      if (d) domains[JSON.stringify(d)] ??= domainOf(d);
    }
    const fromSpace = scored.filter((t) => !t.distributions[p.name] && Object.hasOwn(t.params, p.name)).map((t) => t.params[p.name]!);
    if (fromSpace.length > 0) {
      const domain = domainOfSpec(p, fromSpace);
      // Bounds the space does not state (a normal distribution) are the values' own.
      if (domain.kind !== 'categorical' && domain.low === undefined) Object.assign(domain, { low: Math.min(...(fromSpace as number[])), high: Math.max(...(fromSpace as number[])) });
      domains[SPACE] = domain;
    }
    return { name: p.name, domains };
  });
  const rows = scored.map((t) => ({
    x: params.map((p) => (Object.hasOwn(t.params, p.name) ? t.params[p.name] : undefined)),
    regime: params.map((p) => (!Object.hasOwn(t.params, p.name) ? undefined : t.distributions[p.name] ? JSON.stringify(t.distributions[p.name]) : SPACE)),
    y: valueOf(t, k)!,
  }));
  return { params: inputParams, rows, direction: objectives[k]!.direction };
}
