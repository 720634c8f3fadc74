// <ft-curves-chart>: training curves that scale to many trials: the top k (and picked) trials in colour, smoothing, x in steps, epochs or samples seen.
import * as Plot from '@observablehq/plot';
import { html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { emaSmooth, thin } from './analysis/smoothing.ts';
import { stepToX, topTrials, type StudyView, type XUnit } from './analysis/study-view.ts';
import { linesAsPaths } from './fast-marks.ts';
import { SI_TICKS } from './format.ts';
import { PlotElement } from './plot-element.ts';
import type { ViewTrial } from './viewer/model.ts';

/** NOTE: curves drawn in colour by default; the rest are left out (or grey with "all"), so 150 trials stay readable. */
export const TOP_K = 8;
const COLORS = ['#4e79a7', '#f28e2c', '#e15759', '#76b7b2', '#59a14f', '#edc949', '#af7aa1', '#ff9da7', '#9c755f', '#bab0ab'];
const POINTS_PER_CURVE = 150;

interface CurvePoint {
  trial: number;
  x: number;
  loss: number;
}

/**
 * @fires trial-select - `detail: { index }`: a curve or a legend entry was clicked (toggles the pick).
 */
@customElement('ft-curves-chart')
export class FtCurvesChart extends PlotElement {
  @property({ attribute: false }) view: StudyView | null = null;

  @state() private show: 'top' | 'all' = 'top';
  @state() private smoothing = 0.6;
  @state() private unit: XUnit = 'steps';

  /** The trials in colour, in legend order: the top k by the objective, then picked and running ones. */
  private coloured(view: StudyView): ViewTrial[] {
    const trials = view.trials.filter((t) => t.run !== undefined);
    if (trials.length <= TOP_K) return trials;
    const top = topTrials({ trials, objectives: view.objectives }, TOP_K);
    const extra = trials.filter((t) => !top.includes(t) && (view.selected.has(t.index) || t.state === 'running'));
    return [...top, ...extra];
  }

  protected override controls() {
    const view = this.view;
    if (!view) return nothing;
    const coloured = this.coloured(view);
    return html`<div class="curve-controls" style="display:flex;flex-wrap:wrap;gap:0.3rem 0.9rem;font-size:0.8rem;align-items:center">
        <label class="muted">show
          <select aria-label="Curves shown" @change=${(e: Event) => (this.show = (e.target as HTMLSelectElement).value as 'top' | 'all')}>
            <option value="top" ?selected=${this.show === 'top'}>top ${TOP_K} and picked</option>
            <option value="all" ?selected=${this.show === 'all'}>all ${view.trials.filter((t) => t.run).length} (others grey)</option>
          </select></label>
        <label class="muted">x
          <select aria-label="Curves x axis" @change=${(e: Event) => (this.unit = (e.target as HTMLSelectElement).value as XUnit)}>
            ${(['steps', 'epochs', 'samples'] as const).map((u) => html`<option value=${u} ?selected=${this.unit === u}>${u === 'samples' ? 'samples seen' : u}</option>`)}
          </select></label>
        <label class="muted">smoothing
          <input type="range" aria-label="Curve smoothing" min="0" max="0.95" step="0.05" .value=${String(this.smoothing)}
            @input=${(e: Event) => (this.smoothing = Number((e.target as HTMLInputElement).value))} /> ${this.smoothing.toFixed(2)}</label>
      </div>
      <div class="legend" role="group" aria-label="Curves: press a trial to pick it out" style="display:flex;flex-wrap:wrap;gap:0.25rem;margin:0.3rem 0">
        ${coloured.map(
          (t, i) => html`<button type="button" class="small" aria-pressed=${view.selected.has(t.index)} data-trial=${t.index}
            style="border-color:${COLORS[i % COLORS.length]};${view.selected.has(t.index) ? `background:${COLORS[i % COLORS.length]};color:white` : ''}"
            @click=${() => this.select(t.index)}>● ${t.index}</button>`,
        )}
      </div>`;
  }

  private select(index: number): void {
    this.dispatchEvent(new CustomEvent('trial-select', { detail: { index }, bubbles: true, composed: true }));
  }

  protected plot(width: number): Element | string {
    const view = this.view;
    if (!view) return '';
    const coloured = this.coloured(view);
    const colouredSet = new Set(coloured);
    const grey = this.show === 'all' ? view.trials.filter((t) => t.run !== undefined && !colouredSet.has(t)) : [];
    const curve = (t: ViewTrial): CurvePoint[] => {
      const run = t.run!;
      const smoothed = emaSmooth(run.curve, this.smoothing);
      return thin(smoothed, POINTS_PER_CURVE).map((p) => ({ trial: t.index, x: stepToX(run, p.at, this.unit, view.trainRows), loss: p.value }));
    };
    const front = coloured.flatMap(curve).filter((p) => p.loss > 0);
    const back = grey.flatMap(curve).filter((p) => p.loss > 0);
    if (front.length + back.length === 0) return 'Loss curves appear as trials train.';
    const anyPicked = view.selected.size > 0;
    const color = new Map(coloured.map((t, i) => [t.index, COLORS[i % COLORS.length]!]));
    const figure = Plot.plot({
      width,
      height: 260,
      marginLeft: 48,
      x: { label: this.unit === 'samples' ? 'samples seen' : this.unit, grid: true, tickFormat: this.unit === 'samples' ? SI_TICKS : undefined },
      y: { label: `batch loss${this.smoothing > 0 ? ` (smoothed ${this.smoothing.toFixed(2)})` : ''}`, type: 'log', grid: true, tickFormat: '~g' },
      marks: [
        Plot.line(back, { x: 'x', y: 'loss', z: 'trial', stroke: '#aab4c0', render: linesAsPaths({ width: 1, opacity: 0.35, stroke: '#aab4c0' }) }),
        Plot.line(front, {
          x: 'x',
          y: 'loss',
          z: 'trial',
          stroke: (p: CurvePoint) => color.get(p.trial),
          strokeOpacity: (p: CurvePoint) => (!anyPicked || view.selected.has(p.trial) ? 0.95 : 0.25),
          strokeWidth: (p: CurvePoint) => (view.selected.has(p.trial) ? 2.6 : 1.4),
        }),
        Plot.tip([...front, ...back], Plot.pointer({ x: 'x', y: 'loss', title: (p: CurvePoint) => `trial ${p.trial}\n${this.unit} ${p.x.toPrecision(4)}\nloss ${p.loss.toPrecision(3)}` })),
      ],
    });
    figure.addEventListener('click', () => {
      const picked = (figure as unknown as { value?: CurvePoint }).value;
      if (picked) this.select(picked.trial);
    });
    return figure;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-curves-chart': FtCurvesChart;
  }
}
