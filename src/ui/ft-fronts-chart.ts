// <ft-fronts-chart>: the Pareto fronts of several studies overlaid, each study in its colour, its dominated trials faint.
import * as Plot from '@observablehq/plot';
import { customElement, property } from 'lit/decorators.js';
import { SPEED } from './chart-data.ts';
import { betterLabel, formatValue, objectiveTicks } from './format.ts';
import { PlotElement } from './plot-element.ts';
import type { ViewObjective } from './viewer/model.ts';

export interface FrontSeries {
  name: string;
  points: { trial: number; x: number; y: number; pareto: boolean }[];
}

@customElement('ft-fronts-chart')
export class FtFrontsChart extends PlotElement {
  @property({ attribute: false }) series: readonly FrontSeries[] = [];
  /** The objective on each axis (the compared studies': see comparedFronts). */
  @property({ attribute: false }) x: ViewObjective = SPEED;
  @property({ attribute: false }) y: ViewObjective = SPEED;
  /** The x axis's words, when x is not the objective itself (samples/s a trial trained at in its cohort). */
  @property() xLabel = '';

  protected plot(width: number): Element | string {
    const rows = this.series.flatMap((s) => s.points.map((p) => ({ ...p, study: s.name })));
    if (rows.length === 0) return 'No study picked has finished trials.';
    const fronts = this.series.flatMap((s) =>
      s.points
        .filter((p) => p.pareto)
        .sort((a, b) => a.x - b.x)
        .map((p) => ({ ...p, study: s.name })),
    );
    return Plot.plot({
      width,
      height: 280,
      marginLeft: 52,
      x: { label: betterLabel(this.xLabel || this.x.label, this.x, 'x'), grid: true, tickFormat: objectiveTicks(this.x) },
      y: { label: betterLabel(this.y.label, this.y, 'y'), grid: true, tickFormat: objectiveTicks(this.y) },
      color: { legend: true, domain: this.series.map((s) => s.name), scheme: 'tableau10' },
      marks: [
        Plot.dot(rows, { x: 'x', y: 'y', fill: 'study', r: 2, fillOpacity: 0.25 }),
        Plot.line(fronts, { x: 'x', y: 'y', z: 'study', stroke: 'study', strokeWidth: 2, curve: this.x.direction === this.y.direction ? 'step-before' : 'step-after' }),
        Plot.dot(fronts, { x: 'x', y: 'y', fill: 'study', r: 4.5, stroke: 'white' }),
        Plot.tip(rows, Plot.pointer({ x: 'x', y: 'y', title: (p) => `${p.study}, trial ${p.trial}${p.pareto ? ' (front)' : ''}\n${formatValue(this.y, p.y)}\n${formatValue(this.x, p.x)}` })),
      ],
    });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-fronts-chart': FtFrontsChart;
  }
}
