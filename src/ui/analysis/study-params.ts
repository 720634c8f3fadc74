// What the analysis views need to know about a study's parameters and objectives: which vary, which are log, which trials are Pareto-optimal.
import { METRIC_LABELS, type Objective } from '../../model/objectives.ts';
import { objectivesOf } from '../../search/specs.ts';
import { objectiveValue, objectiveValues, rankTrials, type StudyRecord, type TrialRecord } from '../../store/records.ts';
import { nonDominated } from './pareto.ts';

export interface ParamInfo {
  name: string;
  kind: 'numeric' | 'categorical';
  /** Sampled log-uniformly: axes and bins use log10. */
  log: boolean;
}

/**
 * The parameters that take more than one value among `trials`, in the space's declaration order
 * (then any others the trials hold, such as PBT's mutated ones). `space` is the study file's space.
 */
export function variedParams(trials: readonly TrialRecord[], space: unknown): ParamInfo[] {
  const declared = space !== null && typeof space === 'object' ? (space as Record<string, { type?: string; log?: boolean }>) : {};
  const names = [...new Set([...Object.keys(declared), ...trials.flatMap((t) => Object.keys(t.params))])];
  return names.flatMap((name) => {
    const values = trials.filter((t) => Object.hasOwn(t.params, name)).map((t) => t.params[name]);
    if (new Set(values.map((v) => JSON.stringify(v))).size < 2) return [];
    const d = declared[name];
    const numeric = d?.type !== 'categorical' && values.every((v) => typeof v === 'number');
    return [{ name, kind: numeric ? ('numeric' as const) : ('categorical' as const), log: numeric && d?.log === true }];
  });
}

export function objectiveLabel(objective: Objective): string {
  return METRIC_LABELS[objective.metric];
}

/**
 * The trials on the Pareto front: the record's own list when it has one (the runner's), else
 * computed from the finished trials' values. Empty with a single objective.
 */
export function paretoTrials(trials: readonly TrialRecord[], objectives: readonly Objective[], recorded?: readonly number[]): Set<number> {
  if (objectives.length < 2) return new Set();
  if (recorded && recorded.length > 0) return new Set(recorded);
  const points = trials.flatMap((t) => {
    const values = objectiveValues(t, objectives);
    return values ? [{ index: t.index, values }] : [];
  });
  return new Set(nonDominated(points, objectives.map((o) => o.direction)));
}

/**
 * The best trial by the first objective, found from the trials themselves: `record.best` is
 * written when a run ends, so a run cut off by a reload has none though trials finished.
 */
export function bestTrial(record: { trials: readonly TrialRecord[]; study: Pick<StudyRecord['study'], 'objective'> }): number | null {
  const objective = objectivesOf(record.study.objective)[0]!;
  const top = rankTrials(record.trials, objective)[0];
  return top && objectiveValue(top, objective) !== null ? top.index : null;
}
