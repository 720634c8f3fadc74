// <ft-pareto-chart>: the trade-off of two objectives, the Pareto front joined and red: the study's own objectives, or accuracy against speed.
import * as Plot from '@observablehq/plot';
import { customElement, property } from 'lit/decorators.js';
import type { Objective } from '../model/objectives.ts';
import { objectiveValues } from '../store/records.ts';
import { objectiveLabel } from './analysis/study-params.ts';
import type { StudyView } from './analysis/study-view.ts';
import { tradeoffPoints } from './chart-data.ts';
import { formatMetric, SI_TICKS } from './format.ts';
import { PlotElement } from './plot-element.ts';

interface Point {
  trial: number;
  x: number;
  y: number;
  pareto: boolean;
}

const tickFormat = (o: Objective) => (o.metric === 'val_accuracy' ? '.0%' : SI_TICKS);

/**
 * @fires trial-select - `detail: { index }`: a trial's dot was clicked.
 */
@customElement('ft-pareto-chart')
export class FtParetoChart extends PlotElement {
  @property({ attribute: false }) view: StudyView | null = null;

  protected plot(width: number): Element | string {
    const view = this.view;
    if (!view) return '';
    const [yObjective, xObjective] = view.objectives.length > 1 ? [view.objectives[0]!, view.objectives[1]!] : [{ metric: 'val_accuracy', direction: 'maximize' } as const, { metric: 'samples_per_sec', direction: 'maximize' } as const];
    const points: Point[] =
      view.objectives.length > 1
        ? view.trials.flatMap((t) => {
            const v = objectiveValues(t, view.objectives);
            return v ? [{ trial: t.index, x: v[1]!, y: v[0]!, pareto: view.pareto.has(t.index) }] : [];
          })
        : tradeoffPoints(view.trials).map((p) => ({ trial: p.trial, x: p.samplesPerSec, y: p.accuracy, pareto: p.pareto }));
    if (points.length === 0) return 'The trade-off appears as trials finish.';
    const front = points.filter((p) => p.pareto).sort((a, b) => a.x - b.x);
    const xLabel = view.objectives.length > 1 ? objectiveLabel(xObjective) : 'samples/s per trial (in its cohort)';
    const figure = Plot.plot({
      width,
      height: 260,
      marginLeft: 52,
      x: { label: `${xLabel} ${xObjective.direction === 'maximize' ? '→' : '←'} better`, grid: true, tickFormat: tickFormat(xObjective) },
      y: { label: `${objectiveLabel(yObjective)}`, grid: true, tickFormat: tickFormat(yObjective) },
      color: { domain: ['Pareto front', 'dominated'], range: ['#d1495b', '#8795a8'], legend: true },
      marks: [
        Plot.line(front, { x: 'x', y: 'y', stroke: '#d1495b', strokeWidth: 1.5, curve: xObjective.direction === yObjective.direction ? 'step-before' : 'step-after' }),
        Plot.dot(
          points.filter((p) => view.selected.has(p.trial)),
          { x: 'x', y: 'y', r: 9, stroke: 'black', strokeWidth: 1.5 },
        ),
        Plot.dot(points, { x: 'x', y: 'y', fill: (p: Point) => (p.pareto ? 'Pareto front' : 'dominated'), r: 4.5, stroke: 'white' }),
        Plot.tip(points, Plot.pointer({ x: 'x', y: 'y', title: (p: Point) => `trial ${p.trial}${p.pareto ? ' (Pareto front)' : ''}\n${formatMetric(yObjective.metric, p.y)}\n${formatMetric(xObjective.metric, p.x)} ${xObjective.metric === 'samples_per_sec' ? 'samples/s' : ''}` })),
      ],
    });
    figure.addEventListener('click', () => {
      const hit = (figure as unknown as { value?: Point }).value;
      if (hit) this.dispatchEvent(new CustomEvent('trial-select', { detail: { index: hit.trial }, bubbles: true, composed: true }));
    });
    return figure;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-pareto-chart': FtParetoChart;
  }
}
