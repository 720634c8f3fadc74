// <ft-slice-chart>: the objective against each parameter, one small chart per parameter (log axes for log parameters).
import * as Plot from '@observablehq/plot';
import { customElement, property } from 'lit/decorators.js';
import { objectiveValue } from '../store/records.ts';
import { objectiveLabel } from './analysis/study-params.ts';
import type { StudyView } from './analysis/study-view.ts';
import { formatMetric, formatScalar } from './format.ts';
import { PlotElement } from './plot-element.ts';

/**
 * @fires trial-select - `detail: { index }`: a trial's dot was clicked.
 */
@customElement('ft-slice-chart')
export class FtSliceChart extends PlotElement {
  @property({ attribute: false }) view: StudyView | null = null;

  protected plot(width: number): Element | string {
    const view = this.view;
    if (!view) return '';
    const objective = view.objectives[0]!;
    const scored = view.trials.flatMap((t) => {
      const value = objectiveValue(t, objective);
      return value === null ? [] : [{ trial: t, value }];
    });
    if (scored.length === 0) return 'Slices appear as trials finish.';
    if (view.params.length === 0) return 'No parameter varies.';
    const columns = width >= 900 ? 3 : 2;
    const cell = Math.floor((width - (columns - 1) * 12) / columns);
    const grid = document.createElement('div');
    grid.style.cssText = `display:grid;grid-template-columns:repeat(${columns}, ${cell}px);gap:4px 12px`;
    for (const param of view.params) {
      const points = scored.filter((s) => Object.hasOwn(s.trial.params, param.name)).map((s) => ({ index: s.trial.index, x: s.trial.params[param.name], value: s.value, trial: s.trial }));
      const categorical = param.kind === 'categorical';
      const distinct = [...new Set(points.map((p) => p.x))];
      const domain = categorical ? [...new Set(points.map((p) => formatScalar(p.x)))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })) : undefined;
      // An integer with a few values (layers 1, 2) is labelled at its values, not at 1.2, 1.4…
      const few = !categorical && distinct.length <= 6 ? (distinct as number[]).sort((a, b) => a - b) : undefined;
      const fill = (p: { index: number }) => (view.pareto.has(p.index) ? '#d1495b' : '#1f5fbf');
      const figure = Plot.plot({
        width: cell,
        height: 170,
        marginLeft: 46,
        marginBottom: 36,
        x: categorical ? { type: 'point', domain, label: param.name, padding: 0.5 } : { type: param.log ? 'log' : 'linear', label: `${param.name}${param.log ? ' (log)' : ''}`, grid: true, ticks: few ?? 4, tickFormat: '~g' },
        y: { label: objectiveLabel(objective), grid: true, ticks: 4, tickFormat: objective.metric === 'val_accuracy' ? '.0%' : '~s' },
        marks: [
          Plot.dot(points, {
            x: categorical ? (p) => formatScalar(p.x) : 'x',
            y: 'value',
            r: 2.5,
            fill,
            fillOpacity: 0.55,
          }),
          Plot.dot(
            points.filter((p) => view.selected.has(p.index)),
            { x: categorical ? (p) => formatScalar(p.x) : 'x', y: 'value', r: 6, stroke: 'black', strokeWidth: 1.5 },
          ),
          Plot.tip(points, Plot.pointer({ x: categorical ? (p) => formatScalar(p.x) : 'x', y: 'value', title: (p) => `trial ${p.index}\n${param.name} ${formatScalar(p.x)}\n${formatMetric(objective.metric, p.value)}` })),
        ],
      });
      figure.setAttribute('data-param', param.name);
      figure.addEventListener('click', () => {
        const picked = (figure as unknown as { value?: { index: number } }).value;
        if (picked) this.dispatchEvent(new CustomEvent('trial-select', { detail: { index: picked.index }, bubbles: true, composed: true }));
      });
      grid.append(figure);
    }
    return grid;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-slice-chart': FtSliceChart;
  }
}
