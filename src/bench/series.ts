// Benchmark records reshaped into the flat rows the Hardware lab plots (pure, one row per mark).
import { adapterLabel, centralValue, isSummary, type BenchRecord, type BenchValue } from './record.ts';

/** Which run a record belongs to in the lab: the adapter and the runtime (a run's suites share both). */
export function runLabel(r: BenchRecord): string {
  return `${adapterLabel(r.adapter)} · ${r.adapter.runtime}`;
}

/** The distinct runs in `records`, in order of first appearance. */
export function runLabels(records: readonly BenchRecord[]): string[] {
  return [...new Set(records.map(runLabel))];
}

export interface RangePoint {
  x: number;
  y: number;
  min: number;
  max: number;
}

function range(x: number, value: BenchValue | undefined): RangePoint | null {
  if (isSummary(value)) return { x, y: value.median, min: value.min, max: value.max };
  const y = centralValue(value);
  return y === null ? null : { x, y, min: y, max: y };
}

function present<T>(items: (T | null)[]): T[] {
  return items.filter((item): item is T => item !== null);
}

/** Samples/s against batch size (T=1), and the knee if the run found one. */
export function speedCurve(records: readonly BenchRecord[]): { points: RangePoint[]; knee: number | null } {
  const steps = records.filter((r) => r.suite === 'batch' && r.kernel === 'train-step');
  const knee = records.find((r) => r.suite === 'batch' && r.kernel === 'knee');
  return {
    points: present(steps.map((r) => range(Number(r.shape.batch), r.values.samplesPerSec))),
    knee: knee ? centralValue(knee.values.kneeBatch) : null,
  };
}

/** The memory components the lab stacks (the same names as the engine's MemoryCategory). */
export const BYTE_COMPONENTS = ['weights', 'gradients', 'optimizer', 'activations', 'batching', 'control'] as const;

export interface BytesRow {
  /** Batch size or trial count. */
  x: number;
  component: (typeof BYTE_COMPONENTS)[number];
  mib: number;
}

/**
 * The fused scaling records the lab plots: those at batch 64 when the run has them (a full run also
 * scales at 32, 128 and 256), else all.
 */
export function fusedSteps(records: readonly BenchRecord[]): BenchRecord[] {
  const fused = records.filter((r) => r.suite === 'fused' && r.kernel === 'train-step');
  const at64 = fused.filter((r) => Number(r.shape.batch) === 64);
  return at64.length > 0 ? at64 : fused;
}

/** Device bytes by component for each measurement of `suite` (batch: x = batch size; fused: x = T). */
export function bytesRows(records: readonly BenchRecord[], suite: 'batch' | 'fused'): BytesRow[] {
  const steps = suite === 'fused' ? fusedSteps(records) : records.filter((r) => r.suite === 'batch' && r.kernel === 'train-step');
  return steps
    .filter((r) => r.bytes)
    .flatMap((r) => BYTE_COMPONENTS.map((component) => ({ x: suite === 'batch' ? Number(r.shape.batch) : r.T, component, mib: (r.bytes![component] ?? 0) / 2 ** 20 })));
}

export interface ScalingRow extends RangePoint {
  series: 'aggregate' | 'per trial';
}

/** Aggregate and per-trial samples/s against T, and the speed-up over one after another. */
export function fusedScaling(records: readonly BenchRecord[]): { rates: ScalingRow[]; speedup: RangePoint[] } {
  const fused = fusedSteps(records);
  const rates = fused.flatMap((r) =>
    present([range(r.T, r.values.samplesPerSec), range(r.T, r.values.perTrialSamplesPerSec)]).map((p, i): ScalingRow => ({ ...p, series: i === 0 ? 'aggregate' : 'per trial' })),
  );
  return { rates, speedup: present(fused.map((r) => range(r.T, r.values.speedup))) };
}

export interface MatmulBar {
  workload: string;
  variant: string;
  gflops: number;
  min: number;
  max: number;
}

export function matmulBars(records: readonly BenchRecord[]): MatmulBar[] {
  return present(
    records
      .filter((r) => r.suite === 'matmul')
      .map((r) => {
        const p = range(0, r.values.gflops);
        return p ? { workload: r.workload, variant: String(r.shape.variant), gflops: p.y, min: p.min, max: p.max } : null;
      }),
  );
}

export interface PeerBar {
  T: number;
  library: 'fusetune' | 'TF.js';
  samplesPerSec: number;
  min: number;
  max: number;
  /** fusetune ÷ TF.js at this T (on both bars, for the label). */
  speedup: number | null;
}

export function peerBars(records: readonly BenchRecord[]): PeerBar[] {
  const peer = records.filter((r) => r.suite === 'peer');
  return present(
    peer
      .filter((r) => r.kernel === 'fusetune-train-step' || r.kernel === 'tfjs-train-step')
      .map((r) => {
        const p = range(r.T, r.values.samplesPerSec);
        const ratio = peer.find((x) => x.kernel === 'speedup-vs-tfjs' && x.T === r.T);
        return p
          ? { T: r.T, library: r.kernel === 'tfjs-train-step' ? 'TF.js' : 'fusetune', samplesPerSec: p.y, min: p.min, max: p.max, speedup: ratio ? centralValue(ratio.values.speedup) : null }
          : null;
      }),
  );
}

export function copyPoints(records: readonly BenchRecord[]): RangePoint[] {
  return present(records.filter((r) => r.suite === 'copy').map((r) => range(Number(r.shape.bytes) / 2 ** 20, r.values.gbPerSec)));
}

export interface SpeedMemoryPoint extends RangePoint {
  /** Batch size: the point's place along the path. */
  batch: number;
}

/**
 * The batch-size sweep (T = 1) as one trade-off: samples/s (y, with the repetitions' range) against
 * the MiB a trial of that batch holds on the device (x), in batch order; and the network it trained.
 */
export function speedMemory(records: readonly BenchRecord[]): { points: SpeedMemoryPoint[]; network: string } {
  const steps = records.filter((r) => r.suite === 'batch' && r.kernel === 'train-step' && r.bytes?.total !== undefined);
  const points = present(steps.map((r) => {
    const p = range(r.bytes!.total! / 2 ** 20, r.values.samplesPerSec);
    return p ? { ...p, batch: Number(r.shape.batch) } : null;
  })).sort((a, b) => a.batch - b.batch);
  const network = steps[0]?.workload.replace(/, batch \d+$/, '') ?? '';
  return { points, network };
}

/** NOTE: repetitions spread wider than this (max − min over the median) say the machine was busy while it measured. */
export const NOISY_SPREAD = 0.25;

/**
 * How far to trust a run's timings: the widest spread of any repeated measurement ((max − min) /
 * median, with where it was), and the trial counts at which fusing measured slower than one trial
 * after another (a speed-up below 1, which fusing cannot cause on an idle device).
 */
export function noiseOf(records: readonly BenchRecord[]): { spread: number; where: string; slowerFused: number[] } {
  let spread = 0;
  let where = '';
  for (const r of records) {
    if (r.kernel !== 'train-step') continue;
    const v = r.values.stepMs;
    if (!isSummary(v) || v.median <= 0 || (v.n ?? 2) < 2) continue;
    const s = (v.max - v.min) / v.median;
    if (s > spread) {
      spread = s;
      where = r.workload;
    }
  }
  const slowerFused = fusedSteps(records).filter((r) => r.T > 1 && (centralValue(r.values.speedup) ?? 1) < 1).map((r) => r.T);
  return { spread, where, slowerFused };
}
