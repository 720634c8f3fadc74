// <ft-pareto-chart>: validation accuracy against samples/s of every finished trial, the Pareto front joined and ringed.
import * as Plot from '@observablehq/plot';
import { customElement, property } from 'lit/decorators.js';
import type { TrialRecord } from '../store/records.ts';
import { tradeoffPoints } from './chart-data.ts';
import { formatRate } from './format.ts';
import { PlotElement } from './plot-element.ts';

@customElement('ft-pareto-chart')
export class FtParetoChart extends PlotElement {
  /** The trials to draw; finished ones with a throughput appear. */
  @property({ attribute: false }) trials: readonly TrialRecord[] = [];
  /** A trial to emphasize, or null. */
  @property({ attribute: false }) selected: number | null = null;

  protected plot(width: number): Element | string {
    const points = tradeoffPoints(this.trials);
    if (points.length === 0) return 'The trade-off appears as trials finish.';
    const front = points.filter((p) => p.pareto).sort((a, b) => a.samplesPerSec - b.samplesPerSec);
    return Plot.plot({
      width,
      height: 260,
      marginLeft: 48,
      x: { label: 'samples/s per trial', grid: true, tickFormat: '~s' },
      y: { label: 'val accuracy', grid: true, tickFormat: '.0%' },
      color: { domain: ['Pareto front', 'dominated'], range: ['#d1495b', '#8795a8'], legend: true },
      marks: [
        Plot.line(front, { x: 'samplesPerSec', y: 'accuracy', stroke: '#d1495b', strokeWidth: 1.5, curve: 'step-before' }),
        Plot.dot(
          points.filter((p) => p.trial === this.selected),
          { x: 'samplesPerSec', y: 'accuracy', r: 9, stroke: 'black', strokeWidth: 1.5 },
        ),
        Plot.dot(points, {
          x: 'samplesPerSec',
          y: 'accuracy',
          fill: (p) => (p.pareto ? 'Pareto front' : 'dominated'),
          r: 5,
          stroke: 'white',
          channels: { trial: 'trial' },
          tip: { format: { fill: false, x: (x: number) => formatRate(x), y: (y: number) => `${(y * 100).toFixed(1)}%` } },
        }),
      ],
    });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-pareto-chart': FtParetoChart;
  }
}
