// <ft-slice-chart>: the objective against each parameter, one small chart per parameter (log axes for log parameters), each drawn in its own turn.
import * as Plot from '@observablehq/plot';
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { StudyView } from './analysis/study-view.ts';
import { dotsAsPaths } from './fast-marks.ts';
import { formatScalar, formatValue, objectiveTicks } from './format.ts';
import { PARETO_COLOR, PlotElement } from './plot-element.ts';
import { baseStyles } from './styles.ts';
import { valueOf, type ParamInfo } from './viewer/model.ts';

/**
 * The grid of slices; each is an `<ft-slice-panel>`, so a study with many parameters never draws
 * them all in one task.
 */
@customElement('ft-slice-chart')
export class FtSliceChart extends LitElement {
  @property() heading = '';
  @property({ attribute: false }) view: StudyView | null = null;
  /** Passed on to each panel (see PlotElement). */
  @property({ type: Number }) redrawMs = 0;

  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      figcaption { font-weight: 600; font-size: 0.9rem; margin-bottom: 0.25rem; }
      figure { margin: 0; }
      .grid { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 4px 12px; }
      .empty { color: var(--ft-muted); font-size: 0.85rem; min-height: 4rem; display: flex; align-items: center; }
    `,
  ];

  override render() {
    const view = this.view;
    const scored = view ? view.objectives.length > 0 && view.trials.some((t) => valueOf(t, 0) !== null) : false;
    return html`<figure aria-label=${this.heading}>
      <figcaption>${this.heading}</figcaption>
      ${!view || !scored
        ? html`<div class="empty">Slices appear as trials finish.</div>`
        : view.params.length === 0
          ? html`<div class="empty">No parameter varies.</div>`
          : html`<div class="grid">${view.params.map((p) => html`<ft-slice-panel .view=${view} .param=${p} .redrawMs=${this.redrawMs}></ft-slice-panel>`)}</div>`}
    </figure>`;
  }
}

/**
 * @fires trial-select - `detail: { index }`: a trial's dot was clicked.
 */
@customElement('ft-slice-panel')
export class FtSlicePanel extends PlotElement {
  @property({ attribute: false }) view: StudyView | null = null;
  @property({ attribute: false }) param: ParamInfo | null = null;

  protected override name(): string {
    return `${this.view?.objectives[0]?.label ?? 'value'} against ${this.param?.name ?? 'a parameter'}`;
  }

  protected override describe(): string {
    const view = this.view;
    const param = this.param;
    if (!view || !param) return '';
    const n = view.trials.filter((t) => valueOf(t, 0) !== null && Object.hasOwn(t.params, param.name)).length;
    return `${n} finished trials at their value of ${param.name}.`;
  }

  protected plot(width: number): Element | string {
    const view = this.view;
    const param = this.param;
    if (!view || !param) return '';
    const objective = view.objectives[0]!;
    const points = view.trials.flatMap((t) => {
      const value = valueOf(t, 0);
      return value === null || !Object.hasOwn(t.params, param.name) ? [] : [{ index: t.index, x: t.params[param.name], value }];
    });
    const categorical = param.kind === 'categorical';
    const distinct = [...new Set(points.map((p) => p.x))];
    const domain = categorical ? [...new Set(points.map((p) => formatScalar(p.x)))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })) : undefined;
    // An integer with a few values (layers 1, 2) is labelled at its values, not at 1.2, 1.4… (a float's few values may lie too close to label each).
    const few = !categorical && distinct.length <= 6 && distinct.every((v) => Number.isInteger(v)) ? (distinct as number[]).sort((a, b) => a - b) : undefined;
    const x = categorical ? (p: (typeof points)[number]) => formatScalar(p.x) : 'x';
    const figure = Plot.plot({
      width,
      height: 170,
      marginLeft: 46,
      marginBottom: 36,
      x: categorical ? { type: 'point', domain, label: param.name, padding: 0.5 } : { type: param.log ? 'log' : 'linear', label: `${param.name}${param.log ? ' (log)' : ''}`, grid: true, ticks: few ?? 4, tickFormat: '~g' },
      y: { label: objective.label, grid: true, ticks: 4, tickFormat: objectiveTicks(objective) },
      marks: [
        Plot.dot(
          points.filter((p) => !view.pareto.has(p.index)),
          { x, y: 'value', render: dotsAsPaths({ radius: 2.5, fill: '#1f5fbf', opacity: 0.55 }) },
        ),
        // The Pareto front over the dominated trials.
        Plot.dot(
          points.filter((p) => view.pareto.has(p.index)),
          { x, y: 'value', render: dotsAsPaths({ radius: 2.5, fill: PARETO_COLOR, opacity: 0.8 }) },
        ),
        Plot.dot(
          points.filter((p) => view.selected.has(p.index)),
          { x, y: 'value', r: 6, stroke: 'black', strokeWidth: 1.5 },
        ),
        Plot.tip(points, Plot.pointer({ x, y: 'value', title: (p) => `trial ${p.index}\n${param.name} ${formatScalar(p.x)}\n${formatValue(objective, p.value)}` })),
      ],
    });
    figure.setAttribute('data-param', param.name);
    figure.addEventListener('click', () => {
      const picked = (figure as unknown as { value?: { index: number } }).value;
      if (picked) this.dispatchEvent(new CustomEvent('trial-select', { detail: { index: picked.index }, bubbles: true, composed: true }));
    });
    return figure;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-slice-chart': FtSliceChart;
    'ft-slice-panel': FtSlicePanel;
  }
}
