// <ft-heatmap-chart>: learning rate × batch size, each cell the mean validation accuracy or samples/s of its trials.
import * as Plot from '@observablehq/plot';
import { customElement, property } from 'lit/decorators.js';
import type { TrialRecord } from '../store/records.ts';
import { lrBatchCells } from './chart-data.ts';
import { formatPercent, formatRate } from './format.ts';
import { PlotElement } from './plot-element.ts';

@customElement('ft-heatmap-chart')
export class FtHeatmapChart extends PlotElement {
  /** The trials to draw; each counts once it has the metric. */
  @property({ attribute: false }) trials: readonly TrialRecord[] = [];
  /** `accuracy`: validation accuracy of finished trials; `throughput`: samples/s each trial trained. */
  @property() metric: 'accuracy' | 'throughput' = 'accuracy';

  protected plot(width: number): Element | string {
    const accuracy = this.metric === 'accuracy';
    const { cells, columns } = lrBatchCells(this.trials, (t) => (accuracy ? (t.state === 'done' ? t.valAccuracy : null) : t.samplesPerSec));
    if (cells.length === 0) return accuracy ? 'Accuracy per cell appears as trials finish.' : 'Throughput per cell appears as trials train.';
    const format = accuracy ? formatPercent : formatRate;
    const batches = [...new Set(cells.map((c) => c.batch))].sort((a, b) => a - b);
    return Plot.plot({
      width,
      height: Math.max(140, 60 + 36 * batches.length),
      marginLeft: 56,
      marginBottom: 44,
      x: { label: 'learning rate', domain: columns, tickRotate: columns.some((c) => c.length > 6) ? -20 : 0 },
      y: { label: 'batch size', domain: batches },
      color: { type: 'linear', scheme: accuracy ? 'viridis' : 'blues', legend: true, label: accuracy ? 'val accuracy' : 'samples/s', tickFormat: accuracy ? '.0%' : '~s' },
      marks: [
        Plot.cell(cells, { x: 'lr', y: 'batch', fill: 'value', inset: 1, title: (c) => `lr ${c.lr}, batch ${c.batch}: ${format(c.value)} (${c.trials} trial${c.trials === 1 ? '' : 's'})` }),
        Plot.text(cells, { x: 'lr', y: 'batch', text: (c) => format(c.value), fill: 'black', stroke: 'white', strokeWidth: 3, paintOrder: 'stroke', fontSize: 10 }),
      ],
    });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-heatmap-chart': FtHeatmapChart;
  }
}
