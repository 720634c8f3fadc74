// <ft-best-chart>: the best value of an objective so far against trial number or samples trained, for one study or several overlaid.
import * as Plot from '@observablehq/plot';
import { html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { bestSoFar, type BestPoint } from './analysis/best-so-far.ts';
import { dotsAsPaths } from './fast-marks.ts';
import { betterLabel, formatValue, objectiveTicks, SI_TICKS } from './format.ts';
import { PARETO_COLOR, PlotElement } from './plot-element.ts';
import type { ViewObjective, ViewTrial } from './viewer/model.ts';

export interface BestSeries {
  /** The study's name, in the legend when there are several. */
  name: string;
  trials: readonly ViewTrial[];
  objective: ViewObjective;
  /** Which of the study's objectives it is. */
  k: number;
}

/**
 * @fires trial-select - `detail: { index }`: a trial's dot was clicked (one study only).
 */
@customElement('ft-best-chart')
export class FtBestChart extends PlotElement {
  /** One study's trials (with `objectives`), or use `series` for several. */
  @property({ attribute: false }) trials: readonly ViewTrial[] = [];
  @property({ attribute: false }) objectives: readonly ViewObjective[] = [];
  /** Several studies overlaid (compare); when set, `trials` is ignored. */
  @property({ attribute: false }) series: readonly BestSeries[] | null = null;
  /** Trials on the Pareto front (drawn red) and picked out (ringed). */
  @property({ attribute: false }) pareto: ReadonlySet<number> = new Set();
  @property({ attribute: false }) selected: ReadonlySet<number> = new Set();
  /** A sparkline: the best line alone, no axes (the run bar). */
  @property({ type: Boolean }) compact = false;

  @state() private by: 'trial' | 'samples' = 'trial';
  /** Which objective, with several. */
  @state() private k = 0;

  protected override controls() {
    if (this.compact) return '';
    const runs = (this.series ? this.series.flatMap((s) => s.trials) : this.trials).some((t) => t.run !== undefined);
    return html`<div style="display:flex;gap:0.8rem;flex-wrap:wrap;font-size:0.8rem">
      ${!this.series && this.objectives.length > 1
        ? html`<label class="muted">objective
            <select aria-label="Best so far of" @change=${(e: Event) => (this.k = Number((e.target as HTMLSelectElement).value))}>
              ${this.objectives.map((o, k) => html`<option value=${k} ?selected=${k === this.k}>${o.label}</option>`)}
            </select></label>`
        : nothing}
      ${runs
        ? html`<label class="muted">x axis
            <select aria-label="Best so far against" @change=${(e: Event) => (this.by = (e.target as HTMLSelectElement).value as 'trial' | 'samples')}>
              <option value="trial" ?selected=${this.by === 'trial'}>trial number</option>
              <option value="samples" ?selected=${this.by === 'samples'}>samples trained</option>
            </select></label>`
        : nothing}
    </div>`;
  }

  private seriesShown(): BestSeries[] {
    if (this.series) return [...this.series];
    const k = Math.min(this.k, Math.max(0, this.objectives.length - 1));
    const objective = this.objectives[k];
    return objective ? [{ name: '', trials: this.trials, objective, k }] : [];
  }

  protected override describe(): string {
    return this.seriesShown()
      .map((s) => {
        const points = bestSoFar(s.trials, s.objective, 'trial', s.k);
        const top = points.at(-1);
        return top ? `${s.name ? `${s.name}: ` : ''}best ${s.objective.label} ${formatValue(s.objective, top.best)} after ${points.length} scored trials` : '';
      })
      .filter(Boolean)
      .join('; ');
  }

  protected plot(width: number): Element | string {
    const series = this.seriesShown();
    const runs = series.some((s) => s.trials.some((t) => t.run !== undefined));
    const by = this.compact || !runs ? 'trial' : this.by;
    const rows = series.flatMap((s) => bestSoFar(s.trials, s.objective, by, s.k).map((p): BestPoint & { study: string } => ({ ...p, study: s.name })));
    if (rows.length === 0) return this.compact ? '' : 'The best value so far appears as trials finish.';
    const objective = series[0]!.objective;
    const format = (v: number) => formatValue(objective, v);
    const several = series.length > 1;
    if (this.compact) {
      return Plot.plot({
        width,
        height: 34,
        margin: 2,
        x: { axis: null },
        y: { axis: null, reverse: objective.direction === 'minimize' },
        marks: [Plot.line(rows, { x: 'x', y: 'best', curve: 'step-after', stroke: 'var(--ft-accent, #1f5fbf)', strokeWidth: 1.5 }), Plot.dot(rows.slice(-1), { x: 'x', y: 'best', r: 2.5, fill: '#1f5fbf' })],
      });
    }
    const front = rows.filter((p) => !several && this.pareto.has(p.trial));
    const figure = Plot.plot({
      width,
      height: 240,
      marginLeft: 52,
      x: { label: by === 'trial' ? 'trial number' : 'samples trained (all trials)', grid: true, tickFormat: by === 'samples' ? SI_TICKS : undefined },
      y: { label: betterLabel(`${objective.label} (best so far)`, objective, 'y'), grid: true, tickFormat: objectiveTicks(objective) },
      color: several ? { legend: true, domain: series.map((s) => s.name), scheme: 'tableau10' } : undefined,
      marks: [
        several
          ? Plot.dot(rows, { x: 'x', y: 'value', fill: 'study', render: dotsAsPaths({ radius: 2, opacity: 0.35 }) })
          : Plot.dot(
              rows.filter((p) => !this.pareto.has(p.trial)),
              { x: 'x', y: 'value', render: dotsAsPaths({ radius: 3, fill: '#8795a8', opacity: 0.7 }) },
            ),
        // The Pareto front is drawn over the dominated trials, so none of its points hides under one.
        Plot.dot(front, { x: 'x', y: 'value', render: dotsAsPaths({ radius: 3, fill: PARETO_COLOR, opacity: 0.9 }) }),
        Plot.line(rows, { x: 'x', y: 'best', z: 'study', stroke: several ? 'study' : '#1f5fbf', strokeWidth: 2, curve: 'step-after' }),
        Plot.dot(
          rows.filter((p) => !several && this.selected.has(p.trial)),
          { x: 'x', y: 'value', r: 7, stroke: 'black', strokeWidth: 1.5 },
        ),
        Plot.tip(
          rows,
          Plot.pointer({
            x: 'x',
            y: 'value',
            title: (p) => `${several ? `${p.study}\n` : ''}trial ${p.trial}: ${format(p.value)}\nbest so far ${format(p.best)}${by === 'samples' ? `\nafter ${formatValue({ metric: 'samples_per_sec' }, p.x)} samples` : ''}`,
          }),
        ),
      ],
    });
    if (!several) {
      figure.addEventListener('click', () => {
        const picked = (figure as unknown as { value?: { trial: number } }).value;
        if (picked) this.dispatchEvent(new CustomEvent('trial-select', { detail: { index: picked.trial }, bubbles: true, composed: true }));
      });
    }
    return figure;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-best-chart': FtBestChart;
  }
}
