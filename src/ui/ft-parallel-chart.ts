// <ft-parallel-chart>: parallel coordinates of each finished trial's sampled parameters, ending at the objective, coloured by it.
import * as Plot from '@observablehq/plot';
import { customElement, property } from 'lit/decorators.js';
import type { Objective } from '../model/objectives.ts';
import type { TrialRecord } from '../store/records.ts';
import { parallelCoordinates } from './chart-data.ts';
import { PlotElement } from './plot-element.ts';

@customElement('ft-parallel-chart')
export class FtParallelChart extends PlotElement {
  /** The trials to draw; those with an objective value appear. */
  @property({ attribute: false }) trials: readonly TrialRecord[] = [];
  @property({ attribute: false }) objective: Objective = { metric: 'val_accuracy', direction: 'maximize' };
  /** A trial to emphasize, or null. */
  @property({ attribute: false }) selected: number | null = null;

  protected plot(width: number): Element | string {
    const { axes, rows, ticks } = parallelCoordinates(this.trials, this.objective);
    if (rows.length === 0) return 'Parallel coordinates appear as trials finish.';
    const accuracy = this.objective.metric === 'val_accuracy';
    return Plot.plot({
      width,
      height: 260,
      marginLeft: 30,
      marginRight: 30,
      marginTop: 28,
      x: { type: 'point', domain: axes, label: null, axis: 'top', tickSize: 0 },
      y: { domain: [0, 1], axis: null },
      color: { type: 'linear', scheme: 'viridis', reverse: !accuracy, legend: true, label: accuracy ? 'val accuracy' : 'val loss', tickFormat: accuracy ? '.0%' : '.3~f' },
      marks: [
        Plot.ruleX(axes, { stroke: '#aab4c0' }),
        Plot.line(rows, {
          x: 'axis',
          y: 'position',
          z: 'trial',
          stroke: 'objective',
          strokeWidth: (r) => (r.trial === this.selected ? 3 : 1.5),
          strokeOpacity: (r) => (this.selected === null || r.trial === this.selected ? 0.85 : 0.25),
        }),
        Plot.text(ticks, { x: 'axis', y: 'position', text: 'label', fontSize: 10, fill: 'currentColor', stroke: 'white', strokeWidth: 3, paintOrder: 'stroke' }),
      ],
    });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-parallel-chart': FtParallelChart;
  }
}
