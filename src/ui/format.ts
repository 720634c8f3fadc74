// Number formatting shared by the app's elements.

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

/** NOTE: one Intl formatter per precision, made once: toLocaleString with options builds a new one per call, which costs seconds over a chart of 10,000 trials' tips. */
const significant = new Map<number, Intl.NumberFormat>();
const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** A short number: three significant digits, exponent form for the very small or large. */
export function formatNumber(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(digits - 1);
  let format = significant.get(digits);
  if (!format) significant.set(digits, (format = new Intl.NumberFormat('en-US', { maximumSignificantDigits: digits })));
  return format.format(Number(value.toPrecision(digits)));
}

export function formatPercent(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : `${(value * 100).toFixed(1)}%`;
}

/** Samples (or anything) per second, grouped: 12,300. */
export function formatRate(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : grouped.format(Math.round(value));
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${String(s % 60).padStart(2, '0')} s` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** A parameter value as a cell shows it. */
export function formatScalar(value: unknown): string {
  if (typeof value === 'number') return formatNumber(value);
  if (value === undefined) return '–';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A metric's value as tables and labels show it: accuracy in percent, rates grouped, the rest short. */
export function formatMetric(metric: string, value: number | null | undefined): string {
  if (metric === 'val_accuracy') return formatPercent(value);
  if (metric === 'samples_per_sec') return formatRate(value);
  if (metric === 'device_bytes') return value === null || value === undefined ? '–' : formatBytes(value);
  return formatNumber(value);
}

/** d3-format specifier for colour legends and axes of large numbers: 3 significant digits with an SI prefix (19.2k, not 19.223108k). */
export const SI_TICKS = '.3~s';

/** An objective's value as tables, tips and labels show it: its fusetune metric's format, else a short number. */
export function formatValue(objective: { metric?: string }, value: number | null | undefined): string {
  return formatMetric(objective.metric ?? '', value);
}

/** d3-format specifier for an objective's axis: percent for accuracy, SI for rates and bytes, plain decimals for fusetune's errors, losses and times (10 and 0.3, not 1e+1 or 300m), else general. */
export const objectiveTicks = (objective: { metric?: string }): string =>
  objective.metric === 'val_accuracy' ? '.0%' : objective.metric === 'samples_per_sec' || objective.metric === 'device_bytes' ? SI_TICKS : objective.metric ? '~r' : '~g';

/** An axis label with the way the objective improves along it: `val RMSE ↓ better`. */
export const betterLabel = (label: string, objective: { direction: 'maximize' | 'minimize' }, axis: 'x' | 'y'): string =>
  `${label} ${objective.direction === 'maximize' ? (axis === 'x' ? '→' : '↑') : axis === 'x' ? '←' : '↓'} better`;

/** What a regression error is measured in: the target's units (RMSE and MAE; R² and the rest have none), as a suffix. */
export const unitsSuffix = (objective: { metric?: string }, target: string | undefined): string => (target && (objective.metric === 'val_rmse' || objective.metric === 'val_mae') ? ` ${target}` : '');
