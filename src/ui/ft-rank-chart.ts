// <ft-rank-chart>: every finished trial at its values of two parameters, coloured by its rank on an objective (Optuna's plot_rank), best dark.
import * as Plot from '@observablehq/plot';
import { html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { StudyView } from './analysis/study-view.ts';
import { dotsAsPaths } from './fast-marks.ts';
import { formatScalar, formatValue } from './format.ts';
import { PlotElement } from './plot-element.ts';
import { rankTrials, valueOf, type ParamInfo } from './viewer/model.ts';

interface RankPoint {
  trial: number;
  x: unknown;
  y: unknown;
  /** 0 for the best trial … 1 for the worst. */
  rank: number;
  value: number;
}

/**
 * @fires trial-select - `detail: { index }`: a trial's dot was clicked.
 */
@customElement('ft-rank-chart')
export class FtRankChart extends PlotElement {
  @property({ attribute: false }) view: StudyView | null = null;
  @state() private xParam = '';
  @state() private yParam = '';
  @state() private k = 0;

  private axes(): [ParamInfo, ParamInfo] | null {
    const params = this.view?.params ?? [];
    if (params.length < 2) return null;
    const x = params.find((p) => p.name === this.xParam) ?? params[0]!;
    const y = params.find((p) => p.name === this.yParam && p.name !== x.name) ?? params.find((p) => p !== x)!;
    return [x, y];
  }

  protected override controls() {
    const view = this.view;
    const axes = this.axes();
    if (!view || !axes) return nothing;
    const select = (label: string, value: string, set: (v: string) => void) =>
      html`<label class="muted">${label}
        <select aria-label="Rank ${label}" @change=${(e: Event) => set((e.target as HTMLSelectElement).value)}>
          ${view.params.map((p) => html`<option ?selected=${p.name === value}>${p.name}</option>`)}
        </select></label>`;
    return html`<div style="display:flex;gap:0.8rem;flex-wrap:wrap;font-size:0.8rem">
      ${select('x', axes[0].name, (v) => (this.xParam = v))}${select('y', axes[1].name, (v) => (this.yParam = v))}
      ${view.objectives.length > 1
        ? html`<label class="muted">rank by
            <select aria-label="Rank by" @change=${(e: Event) => (this.k = Number((e.target as HTMLSelectElement).value))}>
              ${view.objectives.map((o, k) => html`<option value=${k} ?selected=${k === this.k}>${o.label}</option>`)}
            </select></label>`
        : nothing}
    </div>`;
  }

  private points(): RankPoint[] {
    const view = this.view;
    const axes = this.axes();
    if (!view || !axes) return [];
    const k = Math.min(this.k, view.objectives.length - 1);
    const ranked = rankTrials(view.trials, view.objectives, k).filter((t) => valueOf(t, k) !== null);
    const last = Math.max(1, ranked.length - 1);
    return ranked.flatMap((t, i) => {
      if (!Object.hasOwn(t.params, axes[0].name) || !Object.hasOwn(t.params, axes[1].name)) return [];
      return [{ trial: t.index, x: t.params[axes[0].name], y: t.params[axes[1].name], rank: i / last, value: valueOf(t, k)! }];
    });
  }

  protected override describe(): string {
    const axes = this.axes();
    const points = this.points();
    if (!axes || points.length === 0) return '';
    const best = points[0]!;
    return `${points.length} finished trials over ${axes[0].name} and ${axes[1].name}; the best, trial ${best.trial}, at ${axes[0].name} ${formatScalar(best.x)}, ${axes[1].name} ${formatScalar(best.y)}.`;
  }

  protected plot(width: number): Element | string {
    const view = this.view;
    if (!view || view.objectives.length === 0) return '';
    const axes = this.axes();
    if (!axes) return 'The rank plot needs two parameters that vary.';
    const points = this.points();
    if (points.length === 0) return 'Ranks appear as trials finish.';
    const objective = view.objectives[Math.min(this.k, view.objectives.length - 1)]!;
    const scale = (p: ParamInfo) =>
      p.kind === 'categorical'
        ? { type: 'point' as const, domain: [...new Set(points.map((q) => formatScalar(p === axes[0] ? q.x : q.y)))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })), padding: 0.5 }
        : { type: p.log ? ('log' as const) : ('linear' as const), grid: true, tickFormat: '~g' };
    const channel = (p: ParamInfo, key: 'x' | 'y') => (p.kind === 'categorical' ? (q: RankPoint) => formatScalar(q[key]) : key);
    // Worst first, so the best trials are drawn on top.
    const ordered = [...points].reverse();
    const figure = Plot.plot({
      width,
      height: 260,
      marginLeft: 56,
      x: { ...scale(axes[0]), label: `${axes[0].name}${axes[0].log ? ' (log)' : ''}` },
      y: { ...scale(axes[1]), label: `${axes[1].name}${axes[1].log ? ' (log)' : ''}` },
      color: { type: 'quantize', n: 8, scheme: 'rdylbu', domain: [0, 1], legend: true, label: `rank on ${objective.label} (0 best)`, tickFormat: '.0%' },
      marks: [
        Plot.dot(ordered, { x: channel(axes[0], 'x'), y: channel(axes[1], 'y'), fill: 'rank', render: dotsAsPaths({ radius: 3.5, opacity: 0.85 }) }),
        Plot.dot(
          ordered.filter((p) => view.selected.has(p.trial)),
          { x: channel(axes[0], 'x'), y: channel(axes[1], 'y'), r: 7, stroke: 'black', strokeWidth: 1.5 },
        ),
        Plot.tip(ordered, Plot.pointer({ x: channel(axes[0], 'x'), y: channel(axes[1], 'y'), title: (p: RankPoint) => `trial ${p.trial}: ${formatValue(objective, p.value)} (rank ${Math.round(p.rank * 100)}%)` })),
      ],
    });
    figure.addEventListener('click', () => {
      const hit = (figure as unknown as { value?: RankPoint }).value;
      if (hit) this.dispatchEvent(new CustomEvent('trial-select', { detail: { index: hit.trial }, bubbles: true, composed: true }));
    });
    return figure;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-rank-chart': FtRankChart;
  }
}
