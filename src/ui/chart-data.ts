// What the trade-off and parallel-coordinates charts draw, computed from trial records.
import { objectiveAxes as axesOfObjectives, type Filter } from './analysis/filters.ts';
import { formatNumber, formatScalar, formatValue } from './format.ts';
import { valueOf, valuesOf, type ParamInfo, type ViewObjective, type ViewTrial } from './viewer/model.ts';

/** The speed axis of a trade-off: samples/s, in a cohort or of the shape alone. */
export const SPEED: ViewObjective = { label: 'samples/s', direction: 'maximize', metric: 'samples_per_sec' };

export interface TradeoffPoint {
  trial: number;
  samplesPerSec: number;
  /** The study's first objective. */
  value: number;
  pareto: boolean;
}

/**
 * Finished fusetune trials as (samples/s, objective k's value), each marked when no other
 * trial is at least as fast and as good and better in one: the front the user chooses along.
 * `speed` says which samples/s: the trial's in its cohort, or its shape's alone.
 */
export function tradeoffPoints(trials: readonly ViewTrial[], objective: ViewObjective, speed: 'cohort' | 'alone' = 'cohort', k = 0): TradeoffPoint[] {
  const points = trials.flatMap((t) => {
    const samplesPerSec = speed === 'alone' ? (t.run?.cost?.samplesPerSec ?? null) : (t.run?.samplesPerSec ?? null);
    const value = valueOf(t, k);
    return samplesPerSec === null || !Number.isFinite(samplesPerSec) || value === null ? [] : [{ trial: t.index, samplesPerSec, value, pareto: false }];
  });
  const sign = objective.direction === 'maximize' ? 1 : -1;
  const bySpeed = [...points].sort((a, b) => b.samplesPerSec - a.samplesPerSec || sign * (b.value - a.value));
  let best = -Infinity;
  for (const p of bySpeed) {
    if (sign * p.value > best) {
      p.pareto = true;
      best = sign * p.value;
    }
  }
  return points;
}

export interface ParallelRow {
  trial: number;
  axis: string;
  /** Where the value sits on its axis, 0 (bottom) … 1 (top); NaN where the trial lacks it (an inactive parameter). */
  position: number;
  /** The first objective's value: the line's colour. */
  objective: number;
}

export interface ParallelTick {
  axis: string;
  position: number;
  label: string;
}

/** One axis's scale: positions 0 (bottom) … 1 (top) to values and back, for brushes. */
export interface AxisScale {
  position: (v: unknown) => number;
  /** The filter a brush over positions [low, high] stands for. */
  filterOf: (low: number, high: number) => Filter;
  /** Where a filter's brush lies, in positions (null when it is not one this axis draws). */
  rangeOf: (filter: Filter) => [number, number] | null;
}

export interface ParallelData {
  axes: string[];
  rows: ParallelRow[];
  ticks: ParallelTick[];
  scales: Map<string, AxisScale>;
}

/** NOTE: about this many labelled ticks per numeric axis (d3's nice steps of 1, 2 or 5 × 10^k). */
const TICKS = 5;

/** Round numbers inside [min, max]: steps of 1, 2 or 5 × 10^k, about `count` of them. */
export function niceTicks(min: number, max: number, count = TICKS): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let k = Math.ceil(min / step); k * step <= max + step * 1e-9; k++) out.push(Number((k * step).toPrecision(12)));
  return out;
}

/** Powers of ten inside [min, max] (with 2× and 5× when fewer than three decades show). */
export function logTicks(min: number, max: number): number[] {
  const decades: number[] = [];
  for (let k = Math.ceil(Math.log10(min) - 1e-9); 10 ** k <= max * (1 + 1e-9); k++) decades.push(10 ** k);
  if (decades.length >= 3) return decades;
  const out: number[] = [];
  for (let k = Math.floor(Math.log10(min)); 10 ** k <= max; k++) for (const m of [1, 2, 5]) if (m * 10 ** k >= min * (1 - 1e-9) && m * 10 ** k <= max * (1 + 1e-9)) out.push(Number((m * 10 ** k).toPrecision(12)));
  return out;
}

/** NOTE: a numeric axis with at most this many distinct values labels each of them (1, 2 layers; not 1.2, 1.4…). */
const MAX_VALUE_TICKS = 6;

function axisOf(values: unknown[], options: { log: boolean; categorical: boolean; format: (x: number) => string }): AxisScale & { ticks: { position: number; label: string }[] } {
  const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (!options.categorical && numbers.length > 0 && numbers.length === values.length) {
    let min = Infinity;
    let max = -Infinity;
    for (const v of numbers) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const log = options.log && min > 0;
    const f = log ? Math.log10 : (x: number) => x;
    const inverse = log ? (p: number) => 10 ** p : (p: number) => p;
    const span = f(max) - f(min);
    const position = (v: unknown) => (span === 0 ? 0.5 : (f(v as number) - f(min)) / span);
    const at = (p: number) => (span === 0 ? min : inverse(f(min) + p * span));
    const numeric = {
      position,
      filterOf: (low: number, high: number): Filter => ({ kind: 'range', low: at(low), high: at(high) }),
      rangeOf: (filter: Filter): [number, number] | null =>
        filter.kind === 'range' ? [Math.max(0, Math.min(1, filter.low <= 0 && log ? 0 : position(filter.low))), Math.max(0, Math.min(1, position(filter.high)))] : null,
    };
    if (span === 0) return { ...numeric, ticks: [{ position: 0.5, label: options.format(min) }] };
    // The ends are labelled too, unless a round tick sits almost on them.
    const distinct = [...new Set(numbers)].sort((p, q) => p - q);
    if (distinct.length <= MAX_VALUE_TICKS) return { ...numeric, ticks: distinct.map((v) => ({ position: position(v), label: options.format(v) })) };
    const inner = (log ? logTicks(min, max) : niceTicks(min, max)).map((v) => ({ position: position(v), label: options.format(v) }));
    const ends = [min, max].map((v) => ({ position: position(v), label: options.format(v) })).filter((e) => inner.every((t) => Math.abs(t.position - e.position) > 0.08));
    return { ...numeric, ticks: [...inner, ...ends].sort((a, b) => a.position - b.position) };
  }
  // Categories are told apart by value and labelled once each (formatting every trial's value is slow at 10,000 trials).
  const byKey = new Map<unknown, string>();
  for (const v of values) if (!byKey.has(v)) byKey.set(v, formatScalar(v));
  const categories = [...new Set(byKey.values())].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const index = new Map(categories.map((c, i) => [c, i]));
  const at = (i: number) => (categories.length === 1 ? 0.5 : i / (categories.length - 1));
  const position = (v: unknown) => at(index.get(byKey.get(v) ?? formatScalar(v)) ?? NaN);
  return {
    position,
    filterOf: (low, high) => ({ kind: 'values', values: categories.filter((_, i) => at(i) >= low - 1e-9 && at(i) <= high + 1e-9) }),
    rangeOf: (filter) => {
      if (filter.kind !== 'values') return null;
      const inside = filter.values.map((v) => index.get(v)).filter((i): i is number => i !== undefined).map(at);
      // A brush covers a run of categories: a set that is not one draws as the run from its first to its last.
      return inside.length === 0 ? null : [Math.max(0, Math.min(...inside) - 0.02), Math.min(1, Math.max(...inside) + 0.02)];
    },
    ticks: categories.map((label, i) => ({ position: at(i), label })),
  };
}

/**
 * One polyline per scored trial across the parameters that vary and then each objective; a
 * parameter a trial lacks (inactive under its condition) leaves a gap. Log parameters get log axes.
 */
export function parallelCoordinates(trials: readonly ViewTrial[], params: readonly ParamInfo[], objectives: readonly ViewObjective[]): ParallelData {
  const scored = trials.flatMap((t) => {
    const values = valuesOf(t, objectives.length);
    return values ? [{ trial: t, values }] : [];
  });
  const objectiveAxes = axesOfObjectives(params, objectives);
  const axes = [...params.map((p) => p.name), ...objectiveAxes];
  const ticks: ParallelTick[] = [];
  const axisValue = (s: (typeof scored)[number], axis: string): unknown => {
    const k = objectiveAxes.indexOf(axis);
    return k >= 0 ? s.values[k] : s.trial.params[axis];
  };
  const objectiveSet = new Set(objectiveAxes);
  const has = (s: (typeof scored)[number], axis: string) => objectiveSet.has(axis) || Object.hasOwn(s.trial.params, axis);
  const scales = new Map(
    axes.map((axis) => {
      const k = objectiveAxes.indexOf(axis);
      const format = k >= 0 ? (x: number) => formatValue(objectives[k]!, x) : (x: number) => formatNumber(x, 3);
      const param = params.find((p) => p.name === axis);
      const scale = axisOf(scored.filter((s) => has(s, axis)).map((s) => axisValue(s, axis)), { log: param?.log ?? false, categorical: param?.kind === 'categorical', format });
      for (const t of scale.ticks) ticks.push({ axis, ...t });
      return [axis, scale as AxisScale] as const;
    }),
  );
  const rows: ParallelRow[] = [];
  for (const s of scored) {
    for (const axis of axes) {
      // NaN breaks the line, as Plot's line mark draws only defined points.
      const position = has(s, axis) ? scales.get(axis)!.position(axisValue(s, axis)) : NaN;
      rows.push({ trial: s.trial.index, axis, position, objective: s.values[0]! });
    }
  }
  return { axes, rows, ticks, scales };
}
