// Filters on a study's trials: a range of a number (a parameter or an objective) or a set of values (a categorical, the state); the parallel coordinates' brushes are such ranges too.
import { formatScalar } from '../format.ts';
import { valueOf, type ViewObjective, type ViewTrial } from '../viewer/model.ts';

export type Filter = { kind: 'range'; low: number; high: number } | { kind: 'values'; values: readonly string[] };

/** Filters by what they filter on: a parameter's name, an objective's label, or `state`. */
export type Filters = ReadonlyMap<string, Filter>;

export const STATE_AXIS = 'state';

/** NOTE: an objective named like a parameter is filtered (and drawn as an axis) under its name and this suffix. */
export const OBJECTIVE_SUFFIX = ' (objective)';

/** The axes the objectives get beside the parameters. */
export function objectiveAxes(params: readonly { name: string }[], objectives: readonly ViewObjective[]): string[] {
  return objectives.map((o) => (params.some((p) => p.name === o.label) || o.label === STATE_AXIS ? `${o.label}${OBJECTIVE_SUFFIX}` : o.label));
}

/** What a trial holds on an axis: a parameter's value, an objective's value (null when it has none), or its state. */
export function axisValue(trial: ViewTrial, axis: string, objectives: readonly ViewObjective[]): unknown {
  if (axis === STATE_AXIS) return trial.state;
  if (Object.hasOwn(trial.params, axis)) return trial.params[axis];
  const label = axis.endsWith(OBJECTIVE_SUFFIX) ? axis.slice(0, -OBJECTIVE_SUFFIX.length) : axis;
  const k = objectives.findIndex((o) => o.label === label);
  return k >= 0 ? valueOf(trial, k) : undefined;
}

/** Whether a value passes a filter. NOTE: a trial that lacks the value (an inactive parameter, no objective value) is outside every filter on it. */
export function passes(value: unknown, filter: Filter): boolean {
  if (value === undefined || value === null) return false;
  if (filter.kind === 'values') return filter.values.includes(formatScalar(value));
  return typeof value === 'number' && value >= filter.low - 1e-12 * Math.abs(filter.low) && value <= filter.high + 1e-12 * Math.abs(filter.high);
}

/** The trials inside every filter. */
export function applyFilters<T extends ViewTrial>(trials: readonly T[], filters: Filters, objectives: readonly ViewObjective[]): readonly T[] {
  if (filters.size === 0) return trials;
  const list = [...filters];
  return trials.filter((t) => list.every(([axis, filter]) => passes(axisValue(t, axis, objectives), filter)));
}

/** A filter as words: `lr 0.001–0.01`, `optimizer adam or sgd`. */
export function describeFilter(axis: string, filter: Filter, format: (x: number) => string): string {
  return filter.kind === 'range' ? `${axis} ${format(filter.low)}–${format(filter.high)}` : `${axis} ${filter.values.join(' or ')}`;
}
