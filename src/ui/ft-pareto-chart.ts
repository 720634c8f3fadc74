// <ft-pareto-chart>: the trade-off of two objectives, the Pareto front joined and red, drawn over the dominated trials: the study's own objectives, or (one objective, fusetune's trials) it against speed.
import * as Plot from '@observablehq/plot';
import { html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { StudyView } from './analysis/study-view.ts';
import { SPEED, tradeoffPoints } from './chart-data.ts';
import { dotsAsPaths } from './fast-marks.ts';
import { betterLabel, formatValue, objectiveTicks } from './format.ts';
import { PARETO_COLOR, PlotElement } from './plot-element.ts';
import { paretoIndices, valueOf, type ViewObjective } from './viewer/model.ts';

interface Point {
  trial: number;
  x: number;
  y: number;
  pareto: boolean;
}

/**
 * @fires trial-select - `detail: { index }`: a trial's dot was clicked.
 */
@customElement('ft-pareto-chart')
export class FtParetoChart extends PlotElement {
  @property({ attribute: false }) view: StudyView | null = null;
  /** The objectives on the y and x axes (with more than two). */
  @state() private yk = 0;
  @state() private xk = 1;

  protected override controls() {
    const objectives = this.view?.objectives ?? [];
    if (objectives.length < 3) return nothing;
    const select = (label: string, value: number, set: (k: number) => void) =>
      html`<label class="muted">${label}
        <select aria-label="Pareto ${label}" @change=${(e: Event) => set(Number((e.target as HTMLSelectElement).value))}>
          ${objectives.map((o, k) => html`<option value=${k} ?selected=${k === value}>${o.label}</option>`)}
        </select></label>`;
    return html`<div style="display:flex;gap:0.8rem;font-size:0.8rem">${select('y', this.yk, (k) => (this.yk = k))}${select('x', this.xk, (k) => (this.xk = k))}</div>`;
  }

  /** The points and axes: two objectives (the front on the whole study's objectives when it has two, else on the pair drawn), or the one objective against samples/s. */
  private points(view: StudyView): { points: Point[]; x: ViewObjective; y: ViewObjective; xLabel: string } {
    const objectives = view.objectives;
    if (objectives.length > 1) {
      const yk = Math.min(this.yk, objectives.length - 1);
      const xk = this.xk === yk || this.xk >= objectives.length ? (yk === 0 ? 1 : 0) : this.xk;
      const pair = [objectives[yk]!, objectives[xk]!];
      // With two objectives the front is the study's; with more, the front of the two drawn (what the eye can check).
      const front = objectives.length === 2 ? view.pareto : paretoIndices(view.trials.map((t) => ({ ...t, values: t.values ? [t.values[yk]!, t.values[xk]!] : null })), pair);
      const points = view.trials.flatMap((t) => {
        const y = valueOf(t, yk);
        const x = valueOf(t, xk);
        return x === null || y === null ? [] : [{ trial: t.index, x, y, pareto: front.has(t.index) }];
      });
      return { points, y: pair[0]!, x: pair[1]!, xLabel: pair[1]!.label };
    }
    const points = tradeoffPoints(view.trials, objectives[0]!).map((p) => ({ trial: p.trial, x: p.samplesPerSec, y: p.value, pareto: p.pareto }));
    return { points, y: objectives[0]!, x: SPEED, xLabel: 'samples/s per trial (in its cohort)' };
  }

  protected override describe(): string {
    const view = this.view;
    if (!view) return '';
    const { points, x, y } = this.points(view);
    const front = points.filter((p) => p.pareto).length;
    return points.length ? `${points.length} trials; ${front} on the Pareto front of ${y.label} and ${x.label}.` : '';
  }

  protected plot(width: number): Element | string {
    const view = this.view;
    if (!view) return '';
    const { points, x: xObjective, y: yObjective, xLabel } = this.points(view);
    if (points.length === 0) return 'The trade-off appears as trials finish.';
    const front = points.filter((p) => p.pareto).sort((a, b) => a.x - b.x);
    const figure = Plot.plot({
      width,
      height: 260,
      marginLeft: 52,
      x: { label: betterLabel(xLabel, xObjective, 'x'), grid: true, tickFormat: objectiveTicks(xObjective) },
      y: { label: betterLabel(yObjective.label, yObjective, 'y'), grid: true, tickFormat: objectiveTicks(yObjective) },
      color: { domain: ['Pareto front', 'dominated'], range: [PARETO_COLOR, '#8795a8'], legend: true },
      marks: [
        Plot.line(front, { x: 'x', y: 'y', stroke: PARETO_COLOR, strokeWidth: 1.5, curve: xObjective.direction === yObjective.direction ? 'step-before' : 'step-after' }),
        Plot.dot(
          points.filter((p) => view.selected.has(p.trial)),
          { x: 'x', y: 'y', r: 9, stroke: 'black', strokeWidth: 1.5 },
        ),
        // The dominated trials first, then the front over them: no front point hides under a dominated one.
        Plot.dot(
          points.filter((p) => !p.pareto),
          { x: 'x', y: 'y', render: dotsAsPaths({ radius: 4.5, fill: '#8795a8', stroke: 'white' }) },
        ),
        Plot.dot(front, { x: 'x', y: 'y', render: dotsAsPaths({ radius: 4.5, fill: PARETO_COLOR, stroke: 'white' }) }),
        Plot.tip(points, Plot.pointer({ x: 'x', y: 'y', title: (p: Point) => `trial ${p.trial}${p.pareto ? ' (Pareto front)' : ''}\n${yObjective.label} ${formatValue(yObjective, p.y)}\n${xObjective.label} ${formatValue(xObjective, p.x)}` })),
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
