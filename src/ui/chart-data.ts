// What the trade-off and parallel-coordinates charts draw, computed from trial records.
import { METRIC_LABELS, type Objective } from '../model/objectives.ts';
import type { TrialRecord } from '../store/records.ts';
import { objectiveValue } from '../store/records.ts';
import { formatNumber, formatPercent, formatScalar } from './format.ts';

export interface TradeoffPoint {
  trial: number;
  samplesPerSec: number;
  accuracy: number;
  pareto: boolean;
}

/**
 * Finished trials as (samples/s, validation accuracy), each marked when no other trial is at least
 * as fast and as accurate and better in one: the front the user chooses along.
 */
export function tradeoffPoints(trials: readonly TrialRecord[]): TradeoffPoint[] {
  const points = trials
    .filter((t) => t.state === 'done' && t.samplesPerSec !== null && t.valAccuracy !== null && Number.isFinite(t.valAccuracy))
    .map((t) => ({ trial: t.index, samplesPerSec: t.samplesPerSec!, accuracy: t.valAccuracy!, pareto: false }));
  const bySpeed = [...points].sort((a, b) => b.samplesPerSec - a.samplesPerSec || b.accuracy - a.accuracy);
  let best = -Infinity;
  for (const p of bySpeed) {
    if (p.accuracy > best) {
      p.pareto = true;
      best = p.accuracy;
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

export interface ParallelData {
  axes: string[];
  rows: ParallelRow[];
  ticks: ParallelTick[];
  /** Each trial's position on each axis it has. */
  positions: Map<number, Map<string, number>>;
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

function axisOf(values: unknown[], options: { log: boolean; categorical: boolean; format: (x: number) => string }): { position: (v: unknown) => number; ticks: { position: number; label: string }[] } {
  const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (!options.categorical && numbers.length > 0 && numbers.length === values.length) {
    const min = Math.min(...numbers);
    const max = Math.max(...numbers);
    const log = options.log && min > 0;
    const f = log ? Math.log10 : (x: number) => x;
    const span = f(max) - f(min);
    const position = (v: unknown) => (span === 0 ? 0.5 : (f(v as number) - f(min)) / span);
    if (span === 0) return { position, ticks: [{ position: 0.5, label: options.format(min) }] };
    // The ends are labelled too, unless a round tick sits almost on them.
    const distinct = [...new Set(numbers)].sort((p, q) => p - q);
    if (distinct.length <= MAX_VALUE_TICKS) return { position, ticks: distinct.map((v) => ({ position: position(v), label: options.format(v) })) };
    const inner = (log ? logTicks(min, max) : niceTicks(min, max)).map((v) => ({ position: position(v), label: options.format(v) }));
    const ends = [min, max].map((v) => ({ position: position(v), label: options.format(v) })).filter((e) => inner.every((t) => Math.abs(t.position - e.position) > 0.08));
    return { position, ticks: [...inner, ...ends].sort((a, b) => a.position - b.position) };
  }
  const categories = [...new Set(values.map((v) => formatScalar(v)))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const position = (v: unknown) => (categories.length === 1 ? 0.5 : categories.indexOf(formatScalar(v)) / (categories.length - 1));
  return { position, ticks: categories.map((label, i) => ({ position: categories.length === 1 ? 0.5 : i / (categories.length - 1), label })) };
}

/**
 * One polyline per scored trial across the parameters that vary and then each objective; a
 * parameter a trial lacks (inactive under its condition) leaves a gap. Log parameters get log axes.
 */
export function parallelCoordinates(trials: readonly TrialRecord[], params: readonly { name: string; log: boolean; kind: 'numeric' | 'categorical' }[], objectives: readonly Objective[]): ParallelData {
  const scored = trials.flatMap((t) => {
    const values = objectives.map((o) => objectiveValue(t, o));
    return values.every((v) => v !== null) ? [{ trial: t, values: values as number[] }] : [];
  });
  const objectiveAxes = objectives.map((o) => METRIC_LABELS[o.metric]);
  const axes = [...params.map((p) => p.name), ...objectiveAxes];
  const ticks: ParallelTick[] = [];
  const valueOf = (s: (typeof scored)[number], axis: string): unknown => {
    const k = objectiveAxes.indexOf(axis);
    return k >= 0 ? s.values[k] : s.trial.params[axis];
  };
  const has = (s: (typeof scored)[number], axis: string) => objectiveAxes.includes(axis) || Object.hasOwn(s.trial.params, axis);
  const scales = new Map(
    axes.map((axis) => {
      const k = objectiveAxes.indexOf(axis);
      const metric = k >= 0 ? objectives[k]!.metric : null;
      const format = metric === 'val_accuracy' ? formatPercent : (x: number) => formatNumber(x, 3);
      const param = params.find((p) => p.name === axis);
      const scale = axisOf(scored.filter((s) => has(s, axis)).map((s) => valueOf(s, axis)), { log: param?.log ?? false, categorical: param?.kind === 'categorical', format });
      ticks.push(...scale.ticks.map((t) => ({ axis, ...t })));
      return [axis, scale] as const;
    }),
  );
  const rows: ParallelRow[] = [];
  const positions = new Map<number, Map<string, number>>();
  for (const s of scored) {
    const own = new Map<string, number>();
    for (const axis of axes) {
      // NaN breaks the line: Plot's line mark draws only defined points.
      const position = has(s, axis) ? scales.get(axis)!.position(valueOf(s, axis)) : NaN;
      if (!Number.isNaN(position)) own.set(axis, position);
      rows.push({ trial: s.trial.index, axis, position, objective: s.values[0]! });
    }
    positions.set(s.trial.index, own);
  }
  return { axes, rows, ticks, positions };
}
