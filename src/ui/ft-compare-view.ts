// <ft-compare-view>: two or more studies (saved, or files and journals opened in this page) side by side: a summary, best so far overlaid and their Pareto fronts.
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { isFinished } from '../model/states.ts';
import { SPEED, tradeoffPoints } from './chart-data.ts';
import { sessionContext, type Session } from './context.ts';
import { formatDuration, formatValue, unitsSuffix } from './format.ts';
import './ft-best-chart.ts';
import type { BestSeries } from './ft-best-chart.ts';
import './ft-fronts-chart.ts';
import type { FrontSeries } from './ft-fronts-chart.ts';
import { baseStyles } from './styles.ts';
import { bestIndex, paretoIndices, valueOf, type ViewObjective, type ViewStudy } from './viewer/model.ts';

/** One objective of one study, told apart from another study's only by what it measures, which way is better and in what units. */
const keyOf = (study: ViewStudy, o: ViewObjective) => `${o.label}|${o.direction}|${unitsSuffix(o, study.record?.dataset.target)}`;

/** Where each study has the first objective of the first study's that every study has (RMSE in mpg and RMSE in dollars are not one), or null when they share none. */
export function sharedObjective(studies: readonly ViewStudy[]): { objective: ViewObjective; k: number[] } | null {
  for (const o of studies[0]!.objectives) {
    const key = keyOf(studies[0]!, o);
    const k = studies.map((s) => s.objectives.findIndex((x) => keyOf(s, x) === key));
    if (k.every((i) => i >= 0)) return { objective: o, k };
  }
  return null;
}

/** What the fronts chart overlays: the studies' two shared objectives, else their shared objective against samples/s (of the shape alone when every study measured it, else in its cohort); null when they share none. */
export function comparedFronts(studies: readonly ViewStudy[]): { series: FrontSeries[]; x: ViewObjective; y: ViewObjective; xLabel: string } | null {
  const first = studies[0]!.objectives;
  const pair = first.length > 1 && studies.every((s) => s.objectives.length > 1 && keyOf(s, s.objectives[0]!) === keyOf(studies[0]!, first[0]!) && keyOf(s, s.objectives[1]!) === keyOf(studies[0]!, first[1]!)) ? [first[0]!, first[1]!] : null;
  if (pair) {
    const series = studies.map((s) => {
      const front = paretoIndices(s.trials, s.objectives.slice(0, 2));
      return {
        name: s.name,
        points: s.trials.flatMap((t) => {
          const y = valueOf(t, 0);
          const x = valueOf(t, 1);
          return x === null || y === null ? [] : [{ trial: t.index, x, y, pareto: front.has(t.index) }];
        }),
      };
    });
    return { series, x: pair[1]!, y: pair[0]!, xLabel: '' };
  }
  const shared = sharedObjective(studies);
  if (!shared) return null;
  const alone = studies.every((s) => s.trials.some((t) => t.run?.cost));
  const series = studies.map((s, i) => ({ name: s.name, points: tradeoffPoints(s.trials, shared.objective, alone ? 'alone' : 'cohort', shared.k[i]).map((p) => ({ trial: p.trial, x: p.samplesPerSec, y: p.value, pareto: p.pareto })) }));
  return { series, x: SPEED, y: shared.objective, xLabel: alone ? 'samples/s of the shape alone' : 'samples/s per trial (in its cohort)' };
}

/**
 * @fires compare-select - `detail: { ids }`: the studies picked to compare (saved ids and `file:` ids); the host answers by setting `studies`.
 */
@customElement('ft-compare-view')
export class FtCompareView extends LitElement {
  @consume({ context: sessionContext, subscribe: true })
  @state()
  private session?: Session;

  /** The picked studies as the views see them, in the order picked. */
  @property({ attribute: false }) studies: readonly ViewStudy[] = [];

  @state() private picked: string[] = [];

  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      .choices { display: flex; flex-wrap: wrap; gap: 0.3rem 1rem; margin: 0.3rem 0 0.75rem; }
      .choices label { display: flex; gap: 0.3rem; align-items: center; font-size: 0.85rem; }
      table { border-collapse: collapse; width: 100%; font-size: 0.85rem; margin-bottom: 0.75rem; }
      th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid var(--ft-line); }
      td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
      .charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 0.75rem; }
    `,
  ];

  override render() {
    const s = this.session;
    const choices = [...(s?.studies ?? []).map((x) => ({ id: x.id, name: x.name, note: `${x.status}, ${x.trialsFinished}/${x.trialsTotal}` })), ...(s?.files ?? []).map((f) => ({ id: f.id, name: f.name, note: 'file' }))];
    const shown = this.studies.filter((x) => this.picked.includes(x.id));
    return html`<div class="panel">
      <h2>Compare studies</h2>
      ${choices.length < 2
        ? html`<p class="muted">Comparing needs two studies: run or open more (saved studies, or results files and journals opened on the Results tab).</p>`
        : html`<fieldset class="choices" style="border:none;padding:0" data-testid="compare-choices">
            <legend class="muted" style="font-size:0.85rem">Pick two or more</legend>
            ${choices.map(
              (c) => html`<label><input type="checkbox" .checked=${this.picked.includes(c.id)} @change=${(e: Event) => this.toggle(c.id, (e.target as HTMLInputElement).checked)} />
                ${c.name} <span class="muted">(${c.note})</span></label>`,
            )}
          </fieldset>`}
      ${shown.length >= 2 ? this.renderComparison(shown) : choices.length >= 2 ? html`<p class="muted">Pick at least two studies.</p>` : nothing}
    </div>`;
  }

  private renderComparison(studies: ViewStudy[]) {
    // Best so far needs one objective for all; studies that share none are each shown by their own, side by side, never on a made-up common axis.
    const shared = sharedObjective(studies);
    const best: BestSeries[] = studies.map((x, i) => (shared ? { name: x.name, trials: x.trials, objective: shared.objective, k: shared.k[i]! } : { name: x.name, trials: x.trials, objective: x.objectives[0]!, k: 0 }));
    const fronts = comparedFronts(studies);
    const heading = (o: ViewObjective, units: string) => `${o.label}${units ? ` (${units.trim()})` : ''}, ${o.direction === 'maximize' ? 'higher' : 'lower'} is better`;
    return html`${shared
        ? nothing
        : html`<p data-testid="compare-unshared">These studies share no objective (${studies.map((x) => `${x.name}: ${heading(x.objectives[0]!, unitsSuffix(x.objectives[0]!, x.record?.dataset.target))}`).join('; ')}), so they have no common axis: each is shown by its own.</p>`}
      <table data-testid="compare-table">
        <thead><tr><th>Study</th><th>Data</th><th>Sampler</th><th class="num">Finished</th><th class="num">${shared ? `Best ${heading(shared.objective, unitsSuffix(shared.objective, studies[0]!.record?.dataset.target))}` : "Best (each study's own objective)"}</th><th class="num" title="the trials on each study's front as the chart below draws it">Pareto front (drawn)</th><th class="num">Wall time</th></tr></thead>
        <tbody>
          ${studies.map((x, i) => {
            const { record } = x, { objective, k } = best[i]!;
            const b = bestIndex(x.trials, x.objectives, k);
            const value = b === null ? null : valueOf(x.trials.find((t) => t.index === b)!, k);
            const sampler = record ? ((record.study.sampler as { type?: string } | undefined)?.type ?? 'random') : '–';
            return html`<tr>
              <td>${x.name}</td><td>${record?.dataset.description ?? 'an Optuna journal'}</td><td>${sampler}</td>
              <td class="num">${x.trials.filter((t) => isFinished(t.state)).length} / ${x.trials.length}</td>
              <td class="num">${shared ? '' : `${objective.label} `}${formatValue(objective, value)}${shared || value === null ? '' : unitsSuffix(objective, record?.dataset.target)}${b === null ? '' : ` (trial ${b})`}</td>
              <td class="num">${fronts ? fronts.series[i]!.points.filter((p) => p.pareto).length : '–'}</td>
              <td class="num">${formatDuration(record?.wallMs)}</td>
            </tr>`;
          })}
        </tbody>
      </table>
      <div class="charts">
        ${shared
          ? html`<div class="panel"><ft-best-chart data-testid="compare-best" heading="Best ${shared.objective.label} so far" .series=${best}></ft-best-chart></div>`
          : best.map((series) => html`<div class="panel"><ft-best-chart data-testid="compare-best" heading="${series.name}: best ${series.objective.label} so far" .series=${[series]}></ft-best-chart></div>`)}
        ${fronts ? html`<div class="panel"><ft-fronts-chart data-testid="compare-fronts" heading="Pareto fronts" .series=${fronts.series} .x=${fronts.x} .y=${fronts.y} xLabel=${fronts.xLabel}></ft-fronts-chart></div>` : nothing}
      </div>`;
  }

  private toggle(id: string, on: boolean): void {
    this.picked = on ? [...this.picked.filter((p) => p !== id), id] : this.picked.filter((p) => p !== id);
    this.dispatchEvent(new CustomEvent('compare-select', { detail: { ids: this.picked } }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-compare-view': FtCompareView;
  }
}
