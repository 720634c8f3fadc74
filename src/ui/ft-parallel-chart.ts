// <ft-parallel-chart>: parallel coordinates of every scored trial (parameters, then objectives) with labelled ticks on each axis, and brushes that filter.
import * as Plot from '@observablehq/plot';
import { brushY, type D3BrushEvent } from 'd3-brush';
import { select } from 'd3-selection';
import { customElement, property } from 'lit/decorators.js';
import type { Filters } from './analysis/filters.ts';
import type { ParallelData } from './chart-data.ts';
import type { StudyView } from './analysis/study-view.ts';
import { lineLayers, type LineLayer } from './fast-marks.ts';
import { objectiveTicks } from './format.ts';
import { PARETO_COLOR, PlotElement } from './plot-element.ts';

interface PlotScale {
  apply(value: unknown): number;
  invert?(value: number): number;
}
type PlotFigure = Element & { scale(name: 'x' | 'y'): PlotScale | undefined };

/**
 * @fires brush-change - `detail: { axis, filter }`: the user brushed a range on `axis` (the filter it stands for: a range of numbers, or the categories inside it), or cleared it (null).
 */
@customElement('ft-parallel-chart')
export class FtParallelChart extends PlotElement {
  @property({ attribute: false }) view: StudyView | null = null;
  /** The lines and ticks (computed once by the results view, which also filters by them). */
  @property({ attribute: false }) data: ParallelData | null = null;
  /** Filters in force: those on this chart's axes are drawn as brushes, kept across redraws. */
  @property({ attribute: false }) filters: Filters = new Map();

  protected override describe(): string {
    const data = this.data;
    const view = this.view;
    if (!data || !view) return '';
    return `${view.trials.length} of ${view.all.length} trials drawn across ${data.axes.length} axes: ${data.axes.join(', ')}. The filters above the table do what brushing does.`;
  }

  protected plot(width: number): Element | string {
    const view = this.view;
    const data = this.data;
    if (!view || !data || data.rows.length === 0) return 'Parallel coordinates appear as trials finish.';
    const objective = view.objectives[0]!;
    const inside = new Set(view.trials.map((t) => t.index));
    const filtered = view.trials.length < view.all.length;
    const picked = view.selected;
    // Each trial's line as one series, and its colour: the first objective's, in 9 steps, so the lines draw as a few paths.
    let low = Infinity;
    let high = -Infinity;
    for (const r of data.rows) {
      if (r.objective < low) low = r.objective;
      if (r.objective > high) high = r.objective;
    }
    const colorOptions = { type: 'quantize' as const, n: 9, scheme: 'viridis' as const, domain: [low, high === low ? low + 1 : high], reverse: objective.direction === 'minimize', label: objective.label, tickFormat: objectiveTicks(objective) };
    const color = Plot.scale({ color: colorOptions });
    // Layers from back to front: trials filtered out (grey), the rest by colour, picked ones, the Pareto front (red) on top.
    const layers = new Map<string, LineLayer>();
    const layer = (key: string, make: () => LineLayer) => {
      let found = layers.get(key);
      if (!found) layers.set(key, (found = make()));
      return found.series as unknown[][];
    };
    for (let i = 0; i < data.rows.length; ) {
      const trial = data.rows[i]!.trial;
      const series: unknown[] = [];
      const objectiveValue = data.rows[i]!.objective;
      for (; i < data.rows.length && data.rows[i]!.trial === trial; i++) series.push(data.rows[i]!.axis, data.rows[i]!.position);
      const stroke = String(color.apply(objectiveValue));
      if (filtered && !inside.has(trial)) layer('0 out', () => ({ stroke: '#d5dce4', width: 1, opacity: 0.5, series: [] })).push(series);
      else if (view.pareto.has(trial)) layer(`3 front ${picked.has(trial)}`, () => ({ stroke: PARETO_COLOR, width: picked.has(trial) ? 3.5 : 2.2, opacity: 0.95, series: [] })).push(series);
      else if (picked.has(trial)) layer(`2 ${stroke}`, () => ({ stroke, width: 3, series: [] })).push(series);
      else layer(`1 ${stroke}`, () => ({ stroke, width: 1.2, opacity: picked.size > 0 ? 0.25 : 0.6, series: [] })).push(series);
    }
    const ordered = [...layers].sort((p, q) => (p[0] < q[0] ? -1 : 1)).map(([, l]) => l);
    return Plot.plot({
      width,
      height: 320,
      marginLeft: 44,
      marginRight: 44,
      marginTop: 30,
      marginBottom: 16,
      x: { type: 'point', domain: data.axes, label: null, axis: 'top', tickSize: 0 },
      y: { domain: [0, 1], axis: null },
      color: { ...colorOptions, legend: true },
      marks: [
        Plot.ruleX(data.axes, { stroke: '#aab4c0' }),
        // Two invisible dots give the colour scale (and its legend) the objective's range.
        Plot.dot([low, high], { x: () => data.axes[0], y: () => 0, fill: (v: number) => v, r: 0 }),
        lineLayers(ordered),
        Plot.dot(data.ticks, { x: 'axis', y: 'position', r: 2, fill: '#5b6673' }),
        Plot.text(data.ticks, { x: 'axis', y: 'position', text: 'label', dx: -7, textAnchor: 'end', fontSize: 10, fill: 'currentColor', stroke: 'white', strokeWidth: 3, paintOrder: 'stroke' }),
      ],
    });
  }

  protected override drawn(figure: Element): void {
    const data = this.data;
    if (!data) return;
    const svgs = figure.tagName.toLowerCase() === 'svg' ? [figure] : [...figure.querySelectorAll(':scope > svg')];
    const svg = svgs.at(-1) as SVGSVGElement | undefined;
    const plot = figure as PlotFigure;
    const x = plot.scale?.('x');
    const y = plot.scale?.('y');
    if (!svg || !x || !y) return;
    const top = y.apply(1);
    const bottom = y.apply(0);
    const toPosition = (py: number) => (bottom - py) / (bottom - top);
    for (const axis of data.axes) {
      const cx = x.apply(axis);
      const brush = brushY<unknown>()
        .extent([
          [cx - 11, top - 4],
          [cx + 11, bottom + 4],
        ])
        .on('end', (event: D3BrushEvent<unknown>) => {
          // Moves made by this code (restoring a brush after a redraw) have no source event.
          if (!event.sourceEvent) return;
          const selection = event.selection as [number, number] | null;
          const filter = selection ? data.scales.get(axis)!.filterOf(Math.max(0, toPosition(selection[1])), Math.min(1, toPosition(selection[0]))) : null;
          this.dispatchEvent(new CustomEvent('brush-change', { detail: { axis, filter }, bubbles: true, composed: true }));
        });
      const group = select(svg).append('g').attr('class', 'brush').attr('data-axis', axis).attr('aria-hidden', 'true').call(brush);
      const filter = this.filters.get(axis);
      const kept = filter ? data.scales.get(axis)?.rangeOf(filter) : null;
      if (kept) group.call(brush.move, [top + (1 - kept[1]) * (bottom - top), top + (1 - kept[0]) * (bottom - top)]);
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-parallel-chart': FtParallelChart;
  }
}
