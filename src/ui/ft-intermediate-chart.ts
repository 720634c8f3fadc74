// <ft-intermediate-chart>: each trial's intermediate objective values, where pruned trials stopped (✕) and PBT exploits (arrows from the trial copied).
import * as Plot from '@observablehq/plot';
import { customElement, property } from 'lit/decorators.js';
import { stepsPerEpoch } from '../model/steps.ts';
import type { TrialState } from '../model/states.ts';
import type { StudyView } from './analysis/study-view.ts';
import { linesAsPaths } from './fast-marks.ts';
import { formatValue } from './format.ts';
import { PARETO_COLOR, PlotElement } from './plot-element.ts';
import type { ViewTrial } from './viewer/model.ts';

interface Report {
  trial: number;
  step: number;
  value: number;
  state: TrialState;
}

/**
 * @fires trial-select - `detail: { index }`: a trial's line was clicked.
 */
@customElement('ft-intermediate-chart')
export class FtIntermediateChart extends PlotElement {
  @property({ attribute: false }) view: StudyView | null = null;

  protected plot(width: number): Element | string {
    const view = this.view;
    if (!view) return '';
    const objective = view.objectives[0]!;
    const reports: Report[] = view.trials.flatMap((t) => t.intermediate.map((r) => ({ trial: t.index, step: r.step, value: r.value, state: t.state })));
    if (reports.length === 0) return 'Intermediate values appear as trials report them (each epoch, or each report of a pruner).';
    const stops = view.trials.filter((t) => (t.state === 'pruned' || t.state === 'diverged') && t.intermediate.length > 0).map((t) => ({ ...t.intermediate.at(-1)!, trial: t.index, state: t.state, reason: t.reason ?? t.state }));
    // An exploit (fusetune's PBT) happens at an optimizer step; put it on the report axis and join the value copied from to the value after.
    const at = (t: ViewTrial, step: number) => (view.reportUnit === 'epoch' && t.run ? step / Math.max(1, stepsPerEpoch(view.trainRows, t.run.config.batchSize)) : step);
    const valueNear = (t: ViewTrial, x: number) => (t.intermediate.find((r) => r.step >= x) ?? t.intermediate.at(-1))?.value;
    const byIndex = new Map(view.all.map((t) => [t.index, t]));
    const exploits = view.trials.flatMap((t) =>
      (t.run?.exploits ?? []).flatMap((e) => {
        const source = byIndex.get(e.from);
        const x = at(t, e.step);
        const y1 = source ? valueNear(source, x) : undefined;
        const y2 = valueNear(t, x);
        return y1 === undefined || y2 === undefined ? [] : [{ trial: t.index, from: e.from, x, y1, y2 }];
      }),
    );
    const picked = (trial: number) => view.selected.has(trial);
    const anyPicked = view.selected.size > 0;
    // While a study trains, trials still training are told apart from those that finished.
    const running = view.live && reports.some((r) => r.state === 'running');
    const stroke = (r: Report) => (view.pareto.has(r.trial) ? PARETO_COLOR : r.state === 'pruned' ? '#e08a2e' : r.state === 'diverged' ? '#8e1f17' : running && r.state === 'running' ? '#8fb3e8' : '#1f5fbf');
    const format = (v: number) => formatValue(objective, v);
    const figure = Plot.plot({
      width,
      height: 260,
      marginLeft: 52,
      x: { label: view.reportUnit === 'epoch' ? 'epoch' : 'step', grid: true },
      y: { label: `${objective.label} (intermediate)`, grid: true, tickFormat: objective.metric === 'val_accuracy' ? '.0%' : '~g' },
      color: running
        ? { domain: ['done', 'training', 'pruned', 'diverged', 'exploit'], range: ['#1f5fbf', '#8fb3e8', '#e08a2e', '#8e1f17', '#6a3d9a'], legend: true }
        : { domain: ['done', 'pruned', 'diverged', 'exploit'], range: ['#1f5fbf', '#e08a2e', '#8e1f17', '#6a3d9a'], legend: true },
      marks: [
        Plot.line(
          reports.filter((r) => !picked(r.trial)),
          { x: 'step', y: 'value', z: 'trial', stroke, render: linesAsPaths({ width: 1, opacity: anyPicked ? 0.12 : 0.3 }) },
        ),
        Plot.line(
          reports.filter((r) => picked(r.trial)),
          { x: 'step', y: 'value', z: 'trial', stroke, render: linesAsPaths({ width: 2.6 }) },
        ),
        Plot.dot(stops, { x: 'step', y: 'value', symbol: 'times', r: 4, stroke: (s) => (s.state === 'pruned' ? '#e08a2e' : '#8e1f17'), strokeWidth: 1.5, title: (s) => `trial ${s.trial} ${s.state}: ${s.reason}` }),
        Plot.arrow(exploits, { x1: 'x', y1: 'y1', x2: 'x', y2: 'y2', stroke: '#6a3d9a', strokeDasharray: '3,2', strokeWidth: 1.2, headLength: 6, title: (e) => `trial ${e.trial} copied trial ${e.from}` }),
        Plot.tip(reports, Plot.pointer({ x: 'step', y: 'value', title: (r: Report) => `trial ${r.trial} (${r.state})\n${view.reportUnit} ${r.step}: ${format(r.value)}` })),
      ],
    });
    figure.addEventListener('click', () => {
      const hit = (figure as unknown as { value?: Report }).value;
      if (hit) this.dispatchEvent(new CustomEvent('trial-select', { detail: { index: hit.trial }, bubbles: true, composed: true }));
    });
    return figure;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-intermediate-chart': FtIntermediateChart;
  }
}
