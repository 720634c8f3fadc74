// <ft-parallel-chart>: parallel coordinates of every scored trial (parameters, then objectives) with labelled ticks on each axis, and brushes that filter.
import * as Plot from '@observablehq/plot';
import { brushY, type D3BrushEvent } from 'd3-brush';
import { select } from 'd3-selection';
import { customElement, property } from 'lit/decorators.js';
import type { ParallelData } from './chart-data.ts';
import type { StudyView } from './analysis/study-view.ts';
import { SI_TICKS } from './format.ts';
import { PlotElement } from './plot-element.ts';

/** A brushed range on one axis, in axis positions (0 bottom … 1 top). */
export type Brushes = ReadonlyMap<string, readonly [number, number]>;

interface PlotScale {
  apply(value: unknown): number;
  invert?(value: number): number;
}
type PlotFigure = Element & { scale(name: 'x' | 'y'): PlotScale | undefined };

/**
 * @fires brush-change - `detail: { axis, range }`: the user brushed `range` ([low, high] in axis positions) on `axis`, or cleared it (null).
 */
@customElement('ft-parallel-chart')
export class FtParallelChart extends PlotElement {
  @property({ attribute: false }) view: StudyView | null = null;
  /** The lines and ticks (computed once by the results view, which also filters by them). */
  @property({ attribute: false }) data: ParallelData | null = null;
  /** Ranges brushed so far, kept across redraws. */
  @property({ attribute: false }) brushes: Brushes = new Map();

  protected plot(width: number): Element | string {
    const view = this.view;
    const data = this.data;
    if (!view || !data || data.rows.length === 0) return 'Parallel coordinates appear as trials finish.';
    const objective = view.objectives[0]!;
    const accuracy = objective.metric === 'val_accuracy';
    const inside = new Set(view.trials.map((t) => t.index));
    const filtered = this.brushes.size > 0;
    const picked = view.selected;
    return Plot.plot({
      width,
      height: 320,
      marginLeft: 44,
      marginRight: 44,
      marginTop: 30,
      marginBottom: 16,
      x: { type: 'point', domain: data.axes, label: null, axis: 'top', tickSize: 0 },
      y: { domain: [0, 1], axis: null },
      color: { type: 'linear', scheme: 'viridis', reverse: objective.direction === 'minimize', legend: true, label: accuracy ? 'val accuracy' : objective.metric, tickFormat: accuracy ? '.0%' : SI_TICKS },
      marks: [
        Plot.ruleX(data.axes, { stroke: '#aab4c0' }),
        // Three layers, so each has one kind of stroke: trials filtered out (grey), the rest coloured by the objective, the Pareto front (red) on top.
        Plot.line(
          data.rows.filter((r) => filtered && !inside.has(r.trial)),
          { x: 'axis', y: 'position', z: 'trial', stroke: '#d5dce4', strokeWidth: 1, strokeOpacity: 0.5 },
        ),
        Plot.line(
          data.rows.filter((r) => (!filtered || inside.has(r.trial)) && !view.pareto.has(r.trial)),
          {
            x: 'axis',
            y: 'position',
            z: 'trial',
            stroke: 'objective',
            strokeWidth: (r) => (picked.has(r.trial) ? 3 : 1.2),
            strokeOpacity: (r) => (picked.has(r.trial) ? 1 : picked.size > 0 ? 0.25 : 0.6),
          },
        ),
        Plot.line(
          data.rows.filter((r) => (!filtered || inside.has(r.trial)) && view.pareto.has(r.trial)),
          { x: 'axis', y: 'position', z: 'trial', stroke: '#d1495b', strokeWidth: (r) => (picked.has(r.trial) ? 3.5 : 2.2), strokeOpacity: 0.95 },
        ),
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
          const range = selection ? ([Math.max(0, toPosition(selection[1])), Math.min(1, toPosition(selection[0]))] as const) : null;
          this.dispatchEvent(new CustomEvent('brush-change', { detail: { axis, range }, bubbles: true, composed: true }));
        });
      const group = select(svg).append('g').attr('class', 'brush').attr('data-axis', axis).call(brush);
      const kept = this.brushes.get(axis);
      if (kept) group.call(brush.move, [top + (1 - kept[1]) * (bottom - top), top + (1 - kept[0]) * (bottom - top)]);
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-parallel-chart': FtParallelChart;
  }
}
