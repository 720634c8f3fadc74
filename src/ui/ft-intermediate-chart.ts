// <ft-intermediate-chart>: each trial's intermediate objective values, where pruned trials stopped (✕) and PBT exploits (arrows from the trial copied).
import * as Plot from '@observablehq/plot';
import { customElement, property } from 'lit/decorators.js';
import { stepsPerEpoch } from '../model/steps.ts';
import type { TrialState } from '../model/states.ts';
import type { StudyView } from './analysis/study-view.ts';
import { lineLayers, type LineLayer } from './fast-marks.ts';
import { formatValue, objectiveTicks } from './format.ts';
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

  protected override describe(): string {
    const view = this.view;
    if (!view) return '';
    const reporting = view.trials.filter((t) => t.intermediate.length > 0).length;
    const stopped = view.trials.filter((t) => (t.state === 'pruned' || t.state === 'diverged') && t.intermediate.length > 0).length;
    return reporting ? `${reporting} trials reported intermediate values; ${stopped} stopped early.` : '';
  }

  protected plot(width: number): Element | string {
    const view = this.view;
    if (!view) return '';
    const objective = view.objectives[0]!;
    const reporting = view.trials.filter((t) => t.intermediate.length > 0);
    if (reporting.length === 0) return 'Intermediate values appear as trials report them (each epoch, or each report of a pruner).';
    // Each trial's last report carries its tip (the lines themselves are drawn without Plot's channels).
    const lasts: Report[] = reporting.map((t) => ({ trial: t.index, step: t.intermediate.at(-1)!.step, value: t.intermediate.at(-1)!.value, state: t.state }));
    const stops = reporting.filter((t) => t.state === 'pruned' || t.state === 'diverged').map((t) => ({ ...t.intermediate.at(-1)!, trial: t.index, state: t.state, reason: t.reason ?? t.state }));
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
    const anyPicked = view.selected.size > 0;
    // While a study trains, trials still training are told apart from those that finished.
    const running = view.live && reporting.some((t) => t.state === 'running');
    const colorOf = (t: ViewTrial) => (view.pareto.has(t.index) ? PARETO_COLOR : t.state === 'pruned' ? '#e08a2e' : t.state === 'diverged' ? '#8e1f17' : running && t.state === 'running' ? '#8fb3e8' : '#1f5fbf');
    // One layer per colour (and the picked trials over the rest), each a single path.
    const layers = new Map<string, LineLayer>();
    let low = Infinity;
    let high = -Infinity;
    let last = 0;
    for (const t of reporting) {
      const picked = view.selected.has(t.index);
      const stroke = colorOf(t);
      const key = `${picked}${stroke}`;
      let layer = layers.get(key);
      if (!layer) layers.set(key, (layer = { stroke, width: picked ? 2.6 : 1, opacity: picked ? 1 : anyPicked ? 0.12 : 0.3, series: [] }));
      const series: number[] = [];
      for (const r of t.intermediate) {
        series.push(r.step, r.value);
        if (Number.isFinite(r.value)) {
          if (r.value < low) low = r.value;
          if (r.value > high) high = r.value;
        }
        if (r.step > last) last = r.step;
      }
      (layer.series as number[][]).push(series);
    }
    const ordered = [...layers.values()].sort((a, b) => Number(a.width > 1) - Number(b.width > 1));
    const format = (v: number) => formatValue(objective, v);
    const figure = Plot.plot({
      width,
      height: 260,
      marginLeft: 52,
      x: { label: view.reportUnit === 'epoch' ? 'epoch' : 'step', grid: true, domain: [Math.min(0, ...lasts.map((r) => r.step)), Math.max(1, last)] },
      y: { label: `${objective.label} (intermediate)`, grid: true, nice: true, domain: Number.isFinite(low) ? [low, high === low ? low + 1 : high] : [0, 1], tickFormat: objectiveTicks(objective) },
      color: running
        ? { domain: ['done', 'training', 'pruned', 'diverged', 'exploit'], range: ['#1f5fbf', '#8fb3e8', '#e08a2e', '#8e1f17', '#6a3d9a'], legend: true }
        : { domain: ['done', 'pruned', 'diverged', 'exploit'], range: ['#1f5fbf', '#e08a2e', '#8e1f17', '#6a3d9a'], legend: true },
      marks: [
        lineLayers(ordered),
        Plot.dot(stops, { x: 'step', y: 'value', symbol: 'times', r: 4, stroke: (s) => (s.state === 'pruned' ? '#e08a2e' : '#8e1f17'), strokeWidth: 1.5, title: (s) => `trial ${s.trial} ${s.state}: ${s.reason}` }),
        Plot.arrow(exploits, { x1: 'x', y1: 'y1', x2: 'x', y2: 'y2', stroke: '#6a3d9a', strokeDasharray: '3,2', strokeWidth: 1.2, headLength: 6, title: (e) => `trial ${e.trial} copied trial ${e.from}` }),
        Plot.tip(lasts, Plot.pointer({ x: 'step', y: 'value', title: (r: Report) => `trial ${r.trial} (${r.state})\nlast ${view.reportUnit} ${r.step}: ${format(r.value)}` })),
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
