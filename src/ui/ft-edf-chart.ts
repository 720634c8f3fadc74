// <ft-edf-chart>: the empirical distribution function of an objective (Optuna's plot_edf): the fraction of finished trials at or below each value.
import * as Plot from '@observablehq/plot';
import { html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { StudyView } from './analysis/study-view.ts';
import { betterLabel, formatValue, objectiveTicks } from './format.ts';
import { PlotElement } from './plot-element.ts';
import { valueOf } from './viewer/model.ts';

/** The sorted values and, for each, the fraction of values at or below it. */
export function edfPoints(values: readonly number[]): { value: number; fraction: number }[] {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const out: { value: number; fraction: number }[] = [];
  for (let i = 0; i < n; i++) if (i === n - 1 || sorted[i + 1] !== sorted[i]) out.push({ value: sorted[i]!, fraction: (i + 1) / n });
  return out;
}

@customElement('ft-edf-chart')
export class FtEdfChart extends PlotElement {
  @property({ attribute: false }) view: StudyView | null = null;
  @state() private k = 0;

  protected override controls() {
    const objectives = this.view?.objectives ?? [];
    if (objectives.length < 2) return nothing;
    return html`<label class="muted" style="font-size:0.8rem">objective
      <select aria-label="EDF of" @change=${(e: Event) => (this.k = Number((e.target as HTMLSelectElement).value))}>
        ${objectives.map((o, k) => html`<option value=${k} ?selected=${k === this.k}>${o.label}</option>`)}
      </select></label>`;
  }

  private values(): number[] {
    const view = this.view;
    if (!view) return [];
    const k = Math.min(this.k, view.objectives.length - 1);
    return view.trials.flatMap((t) => {
      const v = valueOf(t, k);
      return v === null ? [] : [v];
    });
  }

  /** Picks do not change this chart: a new view with the same trials and objectives is not drawn again. */
  protected override needsRedraw(changed: PropertyValues): boolean {
    if (changed.size !== 1 || !changed.has('view')) return true;
    const old = changed.get('view') as StudyView | null;
    return !old || !this.view || old.trials !== this.view.trials || old.objectives !== this.view.objectives || old.params !== this.view.params;
  }

  protected override describe(): string {
    const view = this.view;
    const values = this.values().sort((a, b) => a - b);
    if (!view || values.length === 0) return '';
    const o = view.objectives[Math.min(this.k, view.objectives.length - 1)]!;
    const at = (q: number) => formatValue(o, values[Math.min(values.length - 1, Math.floor(q * values.length))]);
    return `${values.length} finished trials: ${o.label} from ${formatValue(o, values[0])} to ${formatValue(o, values.at(-1))}, median ${at(0.5)}.`;
  }

  protected plot(width: number): Element | string {
    const view = this.view;
    if (!view || view.objectives.length === 0) return '';
    const objective = view.objectives[Math.min(this.k, view.objectives.length - 1)]!;
    const points = edfPoints(this.values());
    if (points.length === 0) return 'The distribution appears as trials finish.';
    return Plot.plot({
      width,
      height: 240,
      marginLeft: 52,
      x: { label: betterLabel(objective.label, objective, 'x'), grid: true, tickFormat: objectiveTicks(objective) },
      y: { label: 'fraction of finished trials at or below', domain: [0, 1], grid: true, tickFormat: '.0%' },
      marks: [
        Plot.line(points, { x: 'value', y: 'fraction', curve: 'step-after', stroke: '#1f5fbf', strokeWidth: 2 }),
        Plot.tip(points, Plot.pointer({ x: 'value', y: 'fraction', title: (p) => `${formatValue(objective, p.value)}: ${(p.fraction * 100).toFixed(1)}% of trials at or below` })),
      ],
    });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-edf-chart': FtEdfChart;
  }
}
