// <ft-heatmap-chart>: the objective's mean over any two parameters, binned (log bins for log parameters); or throughput over batch size × width.
import * as Plot from '@observablehq/plot';
import { html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { binnedCells, binValues } from './analysis/binning.ts';
import type { StudyView } from './analysis/study-view.ts';
import { formatRate, formatValue, objectiveTicks, SI_TICKS } from './format.ts';
import { PARETO_COLOR, PlotElement } from './plot-element.ts';
import { valueOf, type ViewTrial } from './viewer/model.ts';

/** The width that drives a trial's speed: its first hidden layer (0 for a linear model). */
const widthOf = (t: ViewTrial) => t.run?.config.hidden[0] ?? null;
const batchOf = (t: ViewTrial) => t.run?.config.batchSize ?? null;

/** A trial's throughput: its shape's when measured alone (a Pareto study), else what it trained at in its cohort. */
const throughputOf = (t: ViewTrial) => t.run?.cost?.samplesPerSec ?? t.run?.samplesPerSec ?? null;

@customElement('ft-heatmap-chart')
export class FtHeatmapChart extends PlotElement {
  @property({ attribute: false }) view: StudyView | null = null;
  /** `objective`: its mean over two parameters the user picks; `throughput`: samples/s over batch size × width. */
  @property() metric: 'objective' | 'throughput' = 'objective';

  @state() private xParam = '';
  @state() private yParam = '';

  /** The two parameters drawn: the picked ones, else the learning rate and batch size when they vary, else the first two. */
  private axes(): [string, string] | null {
    const names = this.view?.params.map((p) => p.name) ?? [];
    if (names.length < 2) return null;
    const preferred = ['lr', 'batch_size'].filter((n) => names.includes(n));
    const fallback = [...preferred, ...names.filter((n) => !preferred.includes(n))];
    const x = names.includes(this.xParam) ? this.xParam : fallback[0]!;
    const y = names.includes(this.yParam) && this.yParam !== x ? this.yParam : fallback.find((n) => n !== x)!;
    return [x, y];
  }

  protected override controls() {
    if (this.metric !== 'objective') return '';
    const axes = this.axes();
    if (!axes) return '';
    const names = this.view!.params.map((p) => p.name);
    const select = (label: string, value: string, set: (v: string) => void) =>
      html`<label class="muted" style="font-size:0.8rem">${label}
        <select aria-label="Heatmap ${label}" @change=${(e: Event) => set((e.target as HTMLSelectElement).value)}>
          ${names.map((n) => html`<option ?selected=${n === value}>${n}</option>`)}
        </select></label> `;
    return html`<div>${select('x', axes[0], (v) => (this.xParam = v))}${select('y', axes[1], (v) => (this.yParam = v))}</div>`;
  }

  protected plot(width: number): Element | string {
    const view = this.view;
    if (!view) return '';
    return this.metric === 'throughput' ? this.throughput(view, width) : this.objective(view, width);
  }

  private objective(view: StudyView, width: number): Element | string {
    const axes = this.axes();
    if (!axes) return 'A heatmap needs two parameters that vary.';
    const objective = view.objectives[0]!;
    const [px, py] = axes.map((name) => view.params.find((p) => p.name === name)!);
    const binningOf = (p: typeof px) => binValues(view.all.map((t) => t.params[p!.name]), { log: p!.log });
    const bx = binningOf(px);
    const by = binningOf(py);
    const cells = binnedCells(view.trials, { binning: bx, of: (t) => t.params[px!.name] }, { binning: by, of: (t) => t.params[py!.name] }, (t) => valueOf(t, 0), (t) => t.index);
    if (cells.length === 0) return 'Cells appear as trials finish.';
    const format = (v: number) => formatValue(objective, v);
    return this.draw2d(width, cells, bx.labels, by.labels, `${px!.name}${bx.kind === 'log' ? ' (log bins)' : ''}`, `${py!.name}${by.kind === 'log' ? ' (log bins)' : ''}`, objective.label, format, objectiveTicks(objective), objective.direction === 'minimize', view);
  }

  private throughput(view: StudyView, width: number): Element | string {
    const bx = binValues(view.all.map(batchOf));
    const by = binValues(view.all.map(widthOf));
    const cells = binnedCells(view.trials, { binning: bx, of: batchOf }, { binning: by, of: widthOf }, throughputOf, (t) => t.index);
    if (cells.length === 0) return 'Throughput per cell appears as trials train.';
    return this.draw2d(width, cells, bx.labels, by.labels, 'batch size', 'width (first hidden layer)', 'samples/s', formatRate, SI_TICKS, false, view, 'blues');
  }

  private draw2d(
    width: number,
    cells: ReturnType<typeof binnedCells>,
    xs: string[],
    ys: string[],
    xLabel: string,
    yLabel: string,
    valueLabel: string,
    format: (v: number) => string,
    tickFormat: string,
    reverse: boolean,
    view: StudyView,
    scheme: 'viridis' | 'blues' = 'viridis',
  ): Element {
    const front = (c: (typeof cells)[number]) => c.trials.some((t) => view.pareto.has(t));
    const picked = (c: (typeof cells)[number]) => c.trials.some((t) => view.selected.has(t));
    return Plot.plot({
      width,
      height: Math.max(160, 70 + 30 * ys.length),
      marginLeft: 72,
      marginBottom: xs.some((c) => c.length > 6) ? 72 : 40,
      x: { label: xLabel, domain: xs, tickRotate: xs.some((c) => c.length > 6) ? -30 : 0 },
      y: { label: yLabel, domain: ys },
      color: { type: 'linear', scheme, reverse, legend: true, label: valueLabel, tickFormat },
      marks: [
        Plot.cell(cells, { x: 'x', y: 'y', fill: 'value', inset: 1, title: (c) => `${xLabel} ${c.x}, ${yLabel} ${c.y}: ${format(c.value)} (mean of ${c.trials.length} trial${c.trials.length === 1 ? '' : 's'})` }),
        Plot.cell(cells.filter(front), { x: 'x', y: 'y', stroke: PARETO_COLOR, strokeWidth: 2, inset: 1.5 }),
        Plot.cell(cells.filter(picked), { x: 'x', y: 'y', stroke: 'black', strokeWidth: 2, inset: 3 }),
        Plot.text(cells, { x: 'x', y: 'y', text: (c) => format(c.value), fill: 'black', stroke: 'white', strokeWidth: 3, paintOrder: 'stroke', fontSize: 10 }),
      ],
    });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-heatmap-chart': FtHeatmapChart;
  }
}
