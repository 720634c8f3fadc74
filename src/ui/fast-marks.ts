// Render transforms for Observable Plot that draw many dots or lines as a few SVG paths (one per colour), so 10,000 trials draw in one short task.
import type * as Plot from '@observablehq/plot';

const SVG = 'http://www.w3.org/2000/svg';

type Values = Record<string, ArrayLike<unknown> | undefined>;
type RenderTransform = NonNullable<Plot.MarkOptions['render']>;

/** NOTE: each group carries `data-count` (dots or lines drawn), which tests and readers of the SVG use instead of counting elements. */
function group(kind: string, count: number): SVGGElement {
  const g = document.createElementNS(SVG, 'g');
  g.setAttribute('aria-label', kind);
  g.setAttribute('data-count', String(count));
  return g;
}

function path(d: string, attrs: Record<string, string | number>): SVGPathElement {
  const p = document.createElementNS(SVG, 'path');
  p.setAttribute('d', d);
  for (const [k, v] of Object.entries(attrs)) p.setAttribute(k, String(v));
  return p;
}

const colorOf = (values: Values, channel: 'fill' | 'stroke', i: number, fallback: string) => {
  const c = values[channel];
  return c ? String(c[i]) : fallback;
};

/**
 * Dots as zero-length round-capped strokes, one path per colour: a dot mark's `render` option.
 * `radius` and `fill` (the constant colour when the mark has no fill channel) as the mark would.
 */
export function dotsAsPaths(options: { radius: number; fill?: string; opacity?: number; stroke?: string }): RenderTransform {
  return (index, _scales, values) => {
    const v = values as unknown as Values;
    const x = v.x as ArrayLike<number> | undefined;
    const y = v.y as ArrayLike<number> | undefined;
    const parts = new Map<string, string[]>();
    let count = 0;
    for (const i of index as Iterable<number>) {
      const px = x ? x[i]! : 0;
      const py = y ? y[i]! : 0;
      if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
      const color = colorOf(v, 'fill', i, options.fill ?? 'currentColor');
      let list = parts.get(color);
      if (!list) parts.set(color, (list = []));
      list.push(`M${px.toFixed(1)},${py.toFixed(1)}h0`);
      count++;
    }
    const g = group('dot', count);
    for (const [color, segments] of parts) {
      if (options.stroke) g.append(path(segments.join(''), { stroke: options.stroke, 'stroke-width': options.radius * 2 + 2, 'stroke-linecap': 'round', fill: 'none' }));
      g.append(path(segments.join(''), { stroke: color, 'stroke-width': options.radius * 2, 'stroke-linecap': 'round', 'stroke-opacity': options.opacity ?? 1, fill: 'none', 'data-fill': color }));
    }
    return g;
  };
}

/**
 * Lines (a line mark with `z`) as one path per stroke colour: a line mark's `render` option. A
 * point whose x or y is not finite breaks its line, as Plot's own line mark does.
 */
export function linesAsPaths(options: { width: number; opacity?: number; stroke?: string }): RenderTransform {
  return (index, _scales, values) => {
    const v = values as unknown as Values;
    const x = v.x as ArrayLike<number>;
    const y = v.y as ArrayLike<number>;
    const z = v.z;
    const parts = new Map<string, string[]>();
    const series = new Set<unknown>();
    let previous: unknown = Symbol('none');
    let open = false;
    for (const i of index as Iterable<number>) {
      const key = z ? z[i] : 0;
      const color = colorOf(v, 'stroke', i, options.stroke ?? 'currentColor');
      if (key !== previous) {
        open = false;
        previous = key;
      }
      const px = x[i]!;
      const py = y[i]!;
      if (!Number.isFinite(px) || !Number.isFinite(py)) {
        open = false;
        continue;
      }
      series.add(key);
      let list = parts.get(color);
      if (!list) parts.set(color, (list = []));
      list.push(`${open ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`);
      open = true;
    }
    const g = group('line', series.size);
    for (const [color, segments] of parts) {
      g.append(path(segments.join(''), { stroke: color, 'stroke-width': options.width, 'stroke-opacity': options.opacity ?? 1, fill: 'none', 'stroke-linejoin': 'round', 'data-stroke': color }));
    }
    return g;
  };
}

/** Polylines in one stroke: each series a flat list x0, y0, x1, y1… in data units (NaN breaks it). */
export interface LineLayer {
  stroke: string;
  width: number;
  opacity?: number;
  series: readonly (readonly unknown[])[];
}

/**
 * A mark that draws layers of polylines straight from the data through the plot's scales, one path
 * per layer, without Plot's channels (which cost seconds over 80,000 points). The plot's domains
 * come from its other marks or its options. Each layer is a group whose `data-count` is the number
 * of series it drew.
 */
export function lineLayers(layers: readonly LineLayer[], cap: 'butt' | 'square' = 'butt'): Plot.RenderFunction {
  return (_index, scales) => {
    const x = scales.x as ((v: unknown) => number) | undefined;
    const y = scales.y as ((v: unknown) => number) | undefined;
    const g = document.createElementNS(SVG, 'g');
    if (!x || !y) return g;
    for (const layer of layers) {
      const layerGroup = group('line', layer.series.length);
      g.append(layerGroup);
      const parts: string[] = [];
      for (const series of layer.series) {
        let open = false;
        for (let i = 0; i + 1 < series.length; i += 2) {
          const px = x(series[i]);
          const py = y(series[i + 1]);
          if (!Number.isFinite(px) || !Number.isFinite(py)) {
            open = false;
            continue;
          }
          // Tenths of a pixel, rounded by arithmetic (toFixed is several times slower over 80,000 points).
          parts.push(`${open ? 'L' : 'M'}${Math.round(px * 10) / 10},${Math.round(py * 10) / 10}`);
          open = true;
        }
      }
      layerGroup.append(path(parts.join(''), { stroke: layer.stroke, 'stroke-width': layer.width, 'stroke-opacity': layer.opacity ?? 1, fill: 'none', 'stroke-linejoin': 'round', 'stroke-linecap': cap, 'data-stroke': layer.stroke }));
    }
    return g;
  };
}
