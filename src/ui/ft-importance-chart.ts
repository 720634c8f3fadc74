// <ft-importance-chart>: which parameters explain an objective (each objective in turn), by fANOVA or PED-ANOVA as Optuna computes them, as bars, computed in a Web Worker.
import * as Plot from '@observablehq/plot';
import { Task, TaskStatus } from '@lit/task';
import { html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { importanceInWorker } from './analysis/importance-client.ts';
import { importanceInput } from './analysis/importance-input.ts';
import type { ImportanceResult } from './analysis/importance.ts';
import type { StudyView } from './analysis/study-view.ts';
import { PlotElement } from './plot-element.ts';
import { valueOf } from './viewer/model.ts';

/** NOTE: fewer finished trials than this say more about noise than about the parameters. */
const MIN_TRIALS = 8;

const METHODS = { 'ped-anova': 'PED-ANOVA (Optuna’s default)', fanova: 'fANOVA' } as const;
type Method = keyof typeof METHODS;

@customElement('ft-importance-chart')
export class FtImportanceChart extends PlotElement {
  /** The study as the views see it. */
  @property({ attribute: false }) view: StudyView | null = null;
  /** Which objective (with several). */
  @state() private k = 0;
  @state() private method: Method = 'fanova';

  private readonly importance = new Task(this, {
    task: async ([key, method], { signal }) => {
      const view = this.view;
      if (!key || !view) return null;
      const input = importanceInput(view.trials, view.params, view.objectives, this.objective());
      return importanceInWorker(input, method, signal);
    },
    // Recomputed only when the set of scored trials, the objective or the method changes, not on every live snapshot.
    args: () => [this.key(), this.method] as const,
    onComplete: () => this.redraw(),
    onError: () => this.redraw(),
  });

  private objective(): number {
    return Math.min(this.k, Math.max(0, (this.view?.objectives.length ?? 1) - 1));
  }

  private scored(): number {
    const view = this.view;
    const k = this.objective();
    return view ? view.trials.filter((t) => valueOf(t, k) !== null).length : 0;
  }

  private key(): string {
    const view = this.view;
    if (!view || view.params.length === 0 || view.objectives.length === 0 || this.scored() < MIN_TRIALS) return '';
    const k = this.objective();
    let key = `${k}:`;
    for (const t of view.trials) if (valueOf(t, k) !== null) key += `${t.index},`;
    return key;
  }

  protected override controls() {
    const objectives = this.view?.objectives ?? [];
    return html`<div style="display:flex;gap:0.8rem;flex-wrap:wrap;font-size:0.8rem">
      ${objectives.length > 1
        ? html`<label class="muted">objective
            <select aria-label="Importance for" @change=${(e: Event) => (this.k = Number((e.target as HTMLSelectElement).value))}>
              ${objectives.map((o, k) => html`<option value=${k} ?selected=${k === this.k}>${o.label}</option>`)}
            </select></label>`
        : nothing}
      <label class="muted">method
        <select aria-label="Importance method" @change=${(e: Event) => (this.method = (e.target as HTMLSelectElement).value as Method)}>
          ${(Object.keys(METHODS) as Method[]).map((m) => html`<option value=${m} ?selected=${m === this.method}>${METHODS[m]}</option>`)}
        </select></label>
    </div>`;
  }

  /** Picks do not change this chart: a new view with the same trials and objectives is not drawn again. */
  protected override needsRedraw(changed: PropertyValues): boolean {
    if (changed.size !== 1 || !changed.has('view')) return true;
    const old = changed.get('view') as StudyView | null;
    return !old || !this.view || old.trials !== this.view.trials || old.objectives !== this.view.objectives || old.params !== this.view.params;
  }

  protected override describe(): string {
    const result = this.importance.value;
    if (this.importance.status !== TaskStatus.COMPLETE || !result) return '';
    return result.importances.map((r) => `${r.name} ${(r.importance * 100).toFixed(0)}%`).join(', ');
  }

  protected plot(width: number): Element | string {
    const view = this.view;
    if (!view || view.objectives.length === 0) return '';
    if (view.params.length === 0) return 'No parameter varies, so there is nothing to rank.';
    const objective = view.objectives[this.objective()]!;
    const scored = this.scored();
    if (scored < MIN_TRIALS) return `Importance needs ${MIN_TRIALS} finished trials (${scored} so far).`;
    if (this.importance.status === TaskStatus.COMPLETE && this.importance.value) return this.bars(this.importance.value, objective.label, width);
    if (this.importance.status === TaskStatus.ERROR) return `Importance could not be computed: ${String(this.importance.error)}`;
    return 'Computing importance…';
  }

  private bars(result: ImportanceResult, label: string, width: number): Element {
    const rows = result.importances;
    const figure = Plot.plot({
      width,
      height: 40 + 24 * Math.max(1, rows.length),
      marginLeft: 110,
      marginRight: 48,
      x: { label: `importance for ${label}`, domain: [0, 1], tickFormat: '.0%', grid: true },
      y: { label: null, domain: rows.map((r) => r.name) },
      marks: [
        Plot.barX(rows, {
          x: 'importance',
          y: 'name',
          fill: '#1f5fbf',
          title: (r) => (result.method === 'fanova' ? `${r.name}: ${(r.importance * 100).toFixed(1)}% (alone explains ${(r.share * 100).toFixed(1)}% ± ${(r.std * 100).toFixed(1)}% of the variance)` : `${r.name}: ${(r.importance * 100).toFixed(1)}%`),
        }),
        Plot.text(rows, { x: 'importance', y: 'name', text: (r) => `${(r.importance * 100).toFixed(0)}%`, dx: 4, textAnchor: 'start', fontSize: 10 }),
      ],
    });
    const note = document.createElement('p');
    note.className = 'muted';
    note.style.cssText = 'font-size:0.75rem;margin:0.2rem 0 0';
    const explained = rows.reduce((s, r) => s + (Number.isFinite(r.share) ? r.share : 0), 0);
    const left = result.excluded.length ? ` Left out: ${result.excluded.map((e) => `${e.name} (${e.why})`).join('; ')}.` : '';
    note.textContent =
      result.method === 'fanova'
        ? `fANOVA as Optuna computes it (a 64-tree random forest of ${result.trials} trials; categoricals one-hot, numbers on their distribution's own scale); each parameter alone explains the share shown of what the main effects explain (${(explained * 100).toFixed(0)}% of the variance; the rest is interactions).${left}`
        : `PED-ANOVA as Optuna computes it: how differently each parameter is spread among the best 10% of ${result.trials} trials than among all of them (Pearson divergence of Parzen estimators), normalized.${left}`;
    const wrap = document.createElement('div');
    wrap.append(figure, note);
    return wrap;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-importance-chart': FtImportanceChart;
  }
}
