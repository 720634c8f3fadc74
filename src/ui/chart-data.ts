// What the charts draw, computed from trial records: thinned curves, lr × batch-size cells, the Pareto front, parallel coordinates.
import type { Objective } from '../model/objectives.ts';
import type { TrialRecord } from '../store/records.ts';
import { objectiveValue } from '../store/records.ts';
import { formatNumber, formatPercent, formatScalar } from './format.ts';

export interface LossPoint {
  trial: number;
  step: number;
  loss: number;
}

/** Each trial's batch-loss curve thinned to at most `maxPoints` means of equal runs of steps, so long studies draw fast. */
export function lossPoints(trials: readonly TrialRecord[], maxPoints = 150): LossPoint[] {
  const points: LossPoint[] = [];
  for (const t of trials) {
    const n = t.curve.length;
    const stride = Math.max(1, Math.ceil(n / maxPoints));
    for (let start = 0; start < n; start += stride) {
      let sum = 0;
      let count = 0;
      for (let s = start; s < Math.min(n, start + stride); s++) {
        const loss = t.curve[s]!;
        if (Number.isFinite(loss)) {
          sum += loss;
          count++;
        }
      }
      if (count > 0) points.push({ trial: t.index, step: Math.min(n, start + stride), loss: sum / count });
    }
  }
  return points;
}

export interface AccuracyPoint {
  trial: number;
  epoch: number;
  accuracy: number;
  split: 'validation' | 'train';
}

export function accuracyPoints(trials: readonly TrialRecord[]): AccuracyPoint[] {
  return trials.flatMap((t) =>
    t.epochs.flatMap((e) => [
      { trial: t.index, epoch: e.epoch + 1, accuracy: e.valAccuracy, split: 'validation' as const },
      { trial: t.index, epoch: e.epoch + 1, accuracy: e.trainAccuracy, split: 'train' as const },
    ]),
  );
}

export interface HeatCell {
  /** The learning-rate bin's label; `lrOrder` sorts the bins. */
  lr: string;
  batch: number;
  value: number;
  trials: number;
}

/** NOTE: up to this many distinct learning rates get a column each (a grid); more are binned in log space. */
const MAX_LR_COLUMNS = 8;
const LR_BINS = 6;

/**
 * Mean of `value` per (learning-rate bin, batch size). The bins come from every trial, finished or
 * not, so the columns stay put while a study runs. Returns the columns in order.
 */
export function lrBatchCells(trials: readonly TrialRecord[], value: (t: TrialRecord) => number | null): { cells: HeatCell[]; columns: string[] } {
  const lrs = [...new Set(trials.map((t) => t.config.optimizer.lr))].sort((a, b) => a - b);
  let binOf: (lr: number) => number;
  let columns: string[];
  if (lrs.length <= MAX_LR_COLUMNS) {
    binOf = (lr) => lrs.indexOf(lr);
    columns = lrs.map((lr) => formatNumber(lr));
  } else {
    const lo = Math.log10(lrs[0]!);
    const width = (Math.log10(lrs[lrs.length - 1]!) - lo) / LR_BINS;
    binOf = (lr) => Math.min(LR_BINS - 1, Math.floor((Math.log10(lr) - lo) / width));
    columns = Array.from({ length: LR_BINS }, (_, i) => `${formatNumber(10 ** (lo + i * width), 2)}–${formatNumber(10 ** (lo + (i + 1) * width), 2)}`);
  }
  const sums = new Map<string, { bin: number; batch: number; sum: number; count: number }>();
  for (const t of trials) {
    const v = value(t);
    if (v === null || !Number.isFinite(v)) continue;
    const bin = binOf(t.config.optimizer.lr);
    const key = `${bin}/${t.config.batchSize}`;
    const entry = sums.get(key) ?? { bin, batch: t.config.batchSize, sum: 0, count: 0 };
    entry.sum += v;
    entry.count++;
    sums.set(key, entry);
  }
  const cells = [...sums.values()].map((e) => ({ lr: columns[e.bin]!, batch: e.batch, value: e.sum / e.count, trials: e.count }));
  return { cells, columns };
}

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
  /** Where the value sits on its axis, 0 (bottom) … 1 (top). */
  position: number;
  objective: number;
}

export interface ParallelTick {
  axis: string;
  position: number;
  label: string;
}

/** Numbers spread over orders of magnitude (lr, l2) read better on a log axis. */
const LOG_SPAN = 20;

function axisOf(values: unknown[], format: (x: number) => string = formatNumber): { position: (v: unknown) => number; ticks: { position: number; label: string }[] } {
  const numbers = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (numbers.length === values.length) {
    const min = Math.min(...numbers);
    const max = Math.max(...numbers);
    const log = min > 0 && max / min >= LOG_SPAN;
    const f = log ? Math.log10 : (x: number) => x;
    const span = f(max) - f(min);
    const position = (v: unknown) => (span === 0 ? 0.5 : (f(v as number) - f(min)) / span);
    const ticks = span === 0 ? [{ position: 0.5, label: format(min) }] : [{ position: 0, label: format(min) }, { position: 1, label: format(max) }];
    return { position, ticks };
  }
  const categories = [...new Set(values.map((v) => formatScalar(v)))].sort();
  const position = (v: unknown) => (categories.length === 1 ? 0.5 : categories.indexOf(formatScalar(v)) / (categories.length - 1));
  return { position, ticks: categories.map((label, i) => ({ position: categories.length === 1 ? 0.5 : i / (categories.length - 1), label })) };
}

/**
 * One polyline per finished trial across its sampled parameters (the ones that vary) and the
 * objective; a parameter a trial lacks (inactive under its condition) leaves a gap.
 */
export function parallelCoordinates(
  trials: readonly TrialRecord[],
  objective: Objective,
): { axes: string[]; rows: ParallelRow[]; ticks: ParallelTick[]; objectiveAxis: string } {
  const scored = trials.flatMap((t) => {
    const value = objectiveValue(t, objective);
    return value === null ? [] : [{ trial: t, value }];
  });
  const names = [...new Set(trials.flatMap((t) => Object.keys(t.params)))].filter((name) => {
    const seen = new Set(scored.filter((s) => Object.hasOwn(s.trial.params, name)).map((s) => JSON.stringify(s.trial.params[name])));
    return seen.size > 1;
  });
  const objectiveAxis = objective.metric === 'val_accuracy' ? 'val accuracy' : 'val loss';
  const axes = [...names, objectiveAxis];
  const rows: ParallelRow[] = [];
  const ticks: ParallelTick[] = [];
  const scales = new Map(
    axes.map((axis) => {
      const values = axis === objectiveAxis ? scored.map((s) => s.value) : scored.filter((s) => Object.hasOwn(s.trial.params, axis)).map((s) => s.trial.params[axis]);
      const scale = axisOf(values, axis === objectiveAxis && objective.metric === 'val_accuracy' ? formatPercent : formatNumber);
      ticks.push(...scale.ticks.map((t) => ({ axis, ...t })));
      return [axis, scale] as const;
    }),
  );
  for (const { trial, value } of scored) {
    for (const axis of axes) {
      const present = axis === objectiveAxis || Object.hasOwn(trial.params, axis);
      // NaN breaks the line: Plot's line mark draws only defined points.
      const position = present ? scales.get(axis)!.position(axis === objectiveAxis ? value : trial.params[axis]) : NaN;
      rows.push({ trial: trial.index, axis, position, objective: value });
    }
  }
  return { axes, rows, ticks, objectiveAxis };
}
