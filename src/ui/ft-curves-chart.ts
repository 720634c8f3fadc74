// <ft-curves-chart>: every trial's training curve, batch loss by step or accuracy by epoch, with the selected trial drawn on top.
import * as Plot from '@observablehq/plot';
import { customElement, property } from 'lit/decorators.js';
import type { TrialRecord } from '../store/records.ts';
import { accuracyPoints, lossPoints } from './chart-data.ts';
import { PlotElement } from './plot-element.ts';

@customElement('ft-curves-chart')
export class FtCurvesChart extends PlotElement {
  /** The trials to draw. */
  @property({ attribute: false }) trials: readonly TrialRecord[] = [];
  /** `loss`: mean batch loss per step (log scale); `accuracy`: validation (solid) and training (dashed) accuracy per epoch. */
  @property() metric: 'loss' | 'accuracy' = 'loss';
  /** A trial to emphasize, or null. */
  @property({ attribute: false }) selected: number | null = null;

  protected plot(width: number): Element | string {
    const dim = (trial: number) => (this.selected === null || this.selected === trial ? 0.9 : 0.15);
    const color = { type: 'categorical' as const, scheme: 'tableau10' as const, legend: false };
    if (this.metric === 'loss') {
      const points = lossPoints(this.trials);
      if (points.length === 0) return 'Loss curves appear as trials train.';
      return Plot.plot({
        width,
        height: 240,
        marginLeft: 48,
        color,
        x: { label: 'step', grid: true },
        y: { label: 'batch loss', type: 'log', grid: true, tickFormat: '~g' },
        marks: [
          Plot.line(points, { x: 'step', y: 'loss', z: 'trial', stroke: (p) => String(p.trial), strokeOpacity: (p) => dim(p.trial), strokeWidth: 1.4 }),
          Plot.tip(points, Plot.pointer({ x: 'step', y: 'loss', title: (p) => `trial ${p.trial}\nstep ${p.step}\nloss ${p.loss.toPrecision(3)}` })),
        ],
      });
    }
    const points = accuracyPoints(this.trials);
    if (points.length === 0) return 'Accuracy appears after each trial’s first epoch.';
    // Whole epochs only: a linear axis would tick 1.2, 1.4… and round them to repeated labels.
    const lastEpoch = Math.max(2, ...points.map((p) => p.epoch));
    const every = Math.ceil(lastEpoch / 12);
    const epochTicks = Array.from({ length: lastEpoch }, (_, i) => i + 1).filter((e) => (e - 1) % every === 0);
    return Plot.plot({
      width,
      height: 240,
      marginLeft: 48,
      color,
      x: { label: 'epoch', grid: true, domain: [1, lastEpoch], ticks: epochTicks, tickFormat: 'd' },
      y: { label: 'accuracy', domain: [0, 1], grid: true, tickFormat: '.0%' },
      marks: [
        ...(['train', 'validation'] as const).map((split) =>
          Plot.line(
            points.filter((p) => p.split === split),
            {
              x: 'epoch',
              y: 'accuracy',
              z: 'trial',
              stroke: (p) => String(p.trial),
              strokeDasharray: split === 'train' ? '3,3' : undefined,
              strokeOpacity: (p) => dim(p.trial),
              marker: 'dot',
            },
          ),
        ),
        Plot.tip(points, Plot.pointer({ x: 'epoch', y: 'accuracy', title: (p) => `trial ${p.trial}\nepoch ${p.epoch}\n${p.split} ${(p.accuracy * 100).toFixed(1)}%` })),
      ],
    });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-curves-chart': FtCurvesChart;
  }
}
