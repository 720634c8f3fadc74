// The Hardware lab's figures (Observable Plot): speed curve with its knee, bytes by batch, fused scaling, kernels, the peer.
import * as Plot from '@observablehq/plot';
import type { BytesRow, MatmulBar, PeerBar, RangePoint, ScalingRow, SpeedMemoryPoint } from '../bench/series.ts';
import { BYTE_COMPONENTS } from '../bench/series.ts';

const HEIGHT = 260;
const ACCENT = '#1f5fbf';
const KNEE = '#c2410c';

/** Whiskers from min to max behind a median line: the spread of the repetitions. */
function whiskers(points: readonly RangePoint[], options: Plot.RuleXOptions = {}) {
  return Plot.ruleX(points, { x: 'x', y1: 'min', y2: 'max', stroke: '#8a94a0', strokeWidth: 1.5, ...options });
}

const log2 = { type: 'log' as const, base: 2, tickFormat: 'd' };

/** Speed against memory for one network: a point per batch size (labelled), joined in batch order, the knee marked. */
export function speedMemoryPlot(points: readonly SpeedMemoryPoint[], knee: number | null, width: number): Element | string {
  if (points.length === 0) return 'Run or load the batch suite to see samples/s against device memory.';
  const kneePoint = points.find((p) => p.batch === knee);
  return Plot.plot({
    width,
    height: HEIGHT + 20,
    marginLeft: 56,
    marginRight: 52,
    ariaLabel: 'Training samples per second against device memory, batch size along the path',
    x: { type: 'log', label: 'MiB on the device (one trial)', grid: true, tickFormat: '~g' },
    y: { type: 'log', label: 'training samples/s', grid: true, tickFormat: '~s' },
    marks: [
      Plot.ruleX(points, { x: 'x', y1: 'min', y2: 'max', stroke: '#8a94a0', strokeWidth: 1.5 }),
      Plot.line(points, { x: 'x', y: 'y', stroke: ACCENT, strokeWidth: 2, marker: 'dot' }),
      // Labels to the right of their points: small batches hold almost the same memory, so labels above would pile up.
      Plot.text(points, { x: 'x', y: 'y', text: (p: SpeedMemoryPoint) => `B=${p.batch}`, dx: 7, dy: 5, textAnchor: 'start', fontSize: 10, fill: '#39424d' }),
      ...(kneePoint
        ? [
            Plot.dot([kneePoint], { x: 'x', y: 'y', r: 7, stroke: KNEE, strokeWidth: 2 }),
            Plot.text([kneePoint], { x: 'x', y: 'y', text: () => `knee: batch ${knee}`, dy: 18, fill: KNEE, fontWeight: 600 }),
          ]
        : []),
      Plot.tip(points, Plot.pointer({ x: 'x', y: 'y', title: (p: SpeedMemoryPoint) => `batch ${p.batch}\n${p.x.toPrecision(3)} MiB\n${Math.round(p.y)} samples/s (${Math.round(p.min)}–${Math.round(p.max)})` })),
    ],
  });
}

export function bytesPlot(rows: readonly BytesRow[], xLabel: string, width: number): Element | string {
  if (rows.length === 0) return 'Bytes by component appear with the batch and fused suites.';
  return Plot.plot({
    width,
    height: HEIGHT,
    marginLeft: 56,
    color: { legend: true, domain: [...BYTE_COMPONENTS], scheme: 'tableau10' },
    x: { label: xLabel, type: 'band' },
    y: { label: 'MiB on the device', grid: true },
    marks: [
      Plot.barY(rows, { x: 'x', y: 'mib', fill: 'component', order: [...BYTE_COMPONENTS] }),
      Plot.tip(rows, Plot.pointer(Plot.stackY({ x: 'x', y: 'mib', fill: 'component', title: (r: BytesRow) => `${r.component}: ${r.mib.toFixed(2)} MiB` }))),
    ],
  });
}

export function scalingPlot(rows: readonly ScalingRow[], width: number): Element | string {
  if (rows.length === 0) return 'Run or load the fused suite to see how T trials share each dispatch.';
  return Plot.plot({
    width,
    height: HEIGHT,
    marginLeft: 56,
    color: { legend: true, domain: ['aggregate', 'per trial'], range: [ACCENT, '#8a94a0'] },
    x: { ...log2, label: 'trials fused (T)', grid: true },
    y: { type: 'log', label: 'training samples/s', grid: true, tickFormat: '~s' },
    marks: [
      whiskers(rows, { stroke: 'series', strokeOpacity: 0.6 }),
      Plot.line(rows, { x: 'x', y: 'y', stroke: 'series', strokeWidth: 2 }),
      Plot.dot(rows, { x: 'x', y: 'y', fill: 'series', r: 3 }),
      Plot.tip(rows, Plot.pointer({ x: 'x', y: 'y', title: (r: ScalingRow) => `T = ${r.x}, ${r.series}\n${Math.round(r.y)} samples/s` })),
    ],
  });
}

export function speedupPlot(points: readonly RangePoint[], width: number): Element | string {
  if (points.length === 0) return '';
  const ideal = points.map((p) => ({ x: p.x, y: p.x }));
  return Plot.plot({
    width,
    height: HEIGHT,
    marginLeft: 56,
    x: { ...log2, label: 'trials fused (T)', grid: true },
    y: { type: 'log', label: 'speed-up over one after another', grid: true },
    marks: [
      Plot.line(ideal, { x: 'x', y: 'y', stroke: '#b8c0ca', strokeDasharray: '4,3' }),
      Plot.text(ideal.slice(-1), { x: 'x', y: 'y', text: () => 'ideal (T×)', dx: -6, dy: -8, textAnchor: 'end', fill: '#8a94a0' }),
      Plot.ruleY([1], { stroke: '#8a94a0' }),
      whiskers(points),
      Plot.line(points, { x: 'x', y: 'y', stroke: ACCENT, strokeWidth: 2 }),
      Plot.dot(points, { x: 'x', y: 'y', fill: ACCENT, r: 3 }),
      Plot.text(points, { x: 'x', y: 'y', text: (p: RangePoint) => `${p.y.toFixed(1)}×`, dy: -10, fill: ACCENT }),
    ],
  });
}

export function matmulPlot(bars: readonly MatmulBar[], width: number): Element | string {
  if (bars.length === 0) return 'Run or load the matmul suite to compare the variants.';
  const variants = [...new Set(bars.map((b) => b.variant))];
  return Plot.plot({
    width,
    height: HEIGHT + 40,
    marginLeft: 56,
    marginBottom: 48,
    color: { legend: true, domain: variants, scheme: 'tableau10' },
    fx: { label: null, domain: [...new Set(bars.map((b) => b.workload))], tickRotate: 0 },
    x: { axis: null, domain: variants },
    y: { label: 'GFLOP/s', grid: true, tickFormat: '~s' },
    marks: [
      Plot.barY(bars, { fx: 'workload', x: 'variant', y: 'gflops', fill: 'variant' }),
      Plot.ruleX(bars, { fx: 'workload', x: 'variant', y1: 'min', y2: 'max', stroke: '#39424d' }),
      Plot.tip(bars, Plot.pointer({ fx: 'workload', x: 'variant', y: 'gflops', title: (b: MatmulBar) => `${b.variant}, ${b.workload}\n${b.gflops.toPrecision(3)} GFLOP/s` })),
    ],
  });
}

export function peerPlot(bars: readonly PeerBar[], width: number): Element | string {
  if (bars.length === 0) return 'The TF.js comparison comes from `fusetune bench peer`: load its results file.';
  const labels = bars.filter((b) => b.library === 'fusetune' && b.speedup !== null);
  // A log scale: on a GPU the two libraries differ by orders of magnitude, and bars would hide TF.js.
  return Plot.plot({
    width,
    height: HEIGHT,
    marginLeft: 56,
    marginTop: 44,
    color: { legend: true, domain: ['fusetune', 'TF.js'], range: [ACCENT, '#e69138'] },
    fx: { label: 'trials (T): fused in fusetune, one after another in TF.js' },
    x: { axis: null, domain: ['fusetune', 'TF.js'], inset: 16 },
    y: { type: 'log', label: 'aggregate samples/s', grid: true, tickFormat: '~s' },
    marks: [
      Plot.ruleX(bars, { fx: 'T', x: 'library', y1: 'min', y2: 'max', stroke: 'library', strokeWidth: 2, strokeOpacity: 0.5 }),
      Plot.dot(bars, { fx: 'T', x: 'library', y: 'samplesPerSec', fill: 'library', r: 6 }),
      Plot.text(bars, { fx: 'T', x: 'library', y: 'samplesPerSec', text: (b: PeerBar) => Math.round(b.samplesPerSec).toLocaleString('en-US'), dx: 10, textAnchor: 'start' }),
      Plot.text(labels, { fx: 'T', frameAnchor: 'top', text: (b: PeerBar) => `fusetune ÷ TF.js: ${b.speedup!.toFixed(1)}×`, dy: -30, fontWeight: 600 }),
    ],
  });
}

export function copyPlot(points: readonly RangePoint[], width: number): Element | string {
  if (points.length === 0) return 'Run or load the copy suite to see the bandwidth ceiling.';
  return Plot.plot({
    width,
    height: HEIGHT - 40,
    marginLeft: 56,
    x: { ...log2, label: 'buffer MiB' },
    y: { label: 'copy GB/s (read + write)', grid: true, zero: true },
    marks: [whiskers(points), Plot.line(points, { x: 'x', y: 'y', stroke: ACCENT }), Plot.dot(points, { x: 'x', y: 'y', fill: ACCENT })],
  });
}
