// <ft-best-chart>: the best objective value so far against trial number or samples trained, for one study or several overlaid.
import * as Plot from '@observablehq/plot';
import { html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Objective } from '../model/objectives.ts';
import type { TrialRecord } from '../store/records.ts';
import { bestSoFar, type BestPoint } from './analysis/best-so-far.ts';
import { objectiveLabel } from './analysis/study-params.ts';
import { formatMetric, SI_TICKS } from './format.ts';
import { PlotElement } from './plot-element.ts';

export interface BestSeries {
  /** The study's name, in the legend when there are several. */
  name: string;
  trials: readonly TrialRecord[];
  objective: Objective;
}

/**
 * @fires trial-select - `detail: { index }`: a trial's dot was clicked (one study only).
 */
@customElement('ft-best-chart')
export class FtBestChart extends PlotElement {
  /** One study's trials (with `objective`), or use `series` for several. */
  @property({ attribute: false }) trials: readonly TrialRecord[] = [];
  @property({ attribute: false }) objective: Objective = { metric: 'val_accuracy', direction: 'maximize' };
  /** Several studies overlaid (compare); when set, `trials` is ignored. */
  @property({ attribute: false }) series: readonly BestSeries[] | null = null;
  /** Trials on the Pareto front (drawn red) and picked out (ringed). */
  @property({ attribute: false }) pareto: ReadonlySet<number> = new Set();
  @property({ attribute: false }) selected: ReadonlySet<number> = new Set();
  /** A sparkline: the best line alone, no axes (the run bar). */
  @property({ type: Boolean }) compact = false;

  @state() private by: 'trial' | 'samples' = 'trial';

  protected override controls() {
    if (this.compact) return '';
    return html`<label class="muted" style="font-size:0.8rem">x axis
      <select aria-label="Best so far against" @change=${(e: Event) => (this.by = (e.target as HTMLSelectElement).value as 'trial' | 'samples')}>
        <option value="trial" ?selected=${this.by === 'trial'}>trial number</option>
        <option value="samples" ?selected=${this.by === 'samples'}>samples trained</option>
      </select></label>`;
  }

  protected plot(width: number): Element | string {
    const series = this.series ?? [{ name: '', trials: this.trials, objective: this.objective }];
    const by = this.compact ? 'trial' : this.by;
    const rows = series.flatMap((s) => bestSoFar(s.trials, s.objective, by).map((p): BestPoint & { study: string } => ({ ...p, study: s.name })));
    if (rows.length === 0) return this.compact ? '' : 'The best value so far appears as trials finish.';
    const objective = series[0]!.objective;
    const format = (v: number) => formatMetric(objective.metric, v);
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
    const figure = Plot.plot({
      width,
      height: 240,
      marginLeft: 52,
      x: { label: by === 'trial' ? 'trial number' : 'samples trained (all trials)', grid: true, tickFormat: by === 'samples' ? SI_TICKS : undefined },
      y: { label: `${objectiveLabel(objective)} (best so far)`, grid: true, tickFormat: objective.metric === 'val_accuracy' ? '.0%' : SI_TICKS },
      color: several ? { legend: true, domain: series.map((s) => s.name), scheme: 'tableau10' } : undefined,
      marks: [
        several
          ? Plot.dot(rows, { x: 'x', y: 'value', fill: 'study', r: 2, fillOpacity: 0.35 })
          : Plot.dot(rows, { x: 'x', y: 'value', r: 3, fill: (p) => (this.pareto.has(p.trial) ? '#d1495b' : '#8795a8'), fillOpacity: 0.7 }),
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
            title: (p) => `${several ? `${p.study}\n` : ''}trial ${p.trial}: ${format(p.value)}\nbest so far ${format(p.best)}${by === 'samples' ? `\nafter ${formatMetric('samples_per_sec', p.x)} samples` : ''}`,
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
