// <ft-compare-view>: two or more studies (saved, or files and journals opened in this page) side by side: a summary, best so far overlaid and their Pareto fronts.
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { isFinished } from '../model/states.ts';
import { tradeoffPoints } from './chart-data.ts';
import { sessionContext, type Session } from './context.ts';
import { formatDuration, formatValue } from './format.ts';
import './ft-best-chart.ts';
import type { BestSeries } from './ft-best-chart.ts';
import './ft-fronts-chart.ts';
import type { FrontSeries } from './ft-fronts-chart.ts';
import { baseStyles } from './styles.ts';
import { bestIndex, paretoIndices, valueOf, type ViewObjective, type ViewStudy, type ViewTrial } from './viewer/model.ts';

const ACCURACY: ViewObjective = { label: 'val accuracy', direction: 'maximize', metric: 'val_accuracy' };
const SPEED: ViewObjective = { label: 'samples/s', direction: 'maximize', metric: 'samples_per_sec' };

const same = (a: ViewObjective, b: ViewObjective) => a.label === b.label && a.direction === b.direction;

/** A fusetune study's trials with validation accuracy as their one value (for studies that share no objective). */
const byAccuracy = (trials: readonly ViewTrial[]): ViewTrial[] => trials.map((t) => ({ ...t, values: t.run?.valAccuracy === null || t.run?.valAccuracy === undefined ? null : [t.run.valAccuracy] }));

/** What the fronts chart overlays: the studies' two shared objectives, else accuracy against samples/s (of the shape alone when every study measured it, else in its cohort). */
export function comparedFronts(studies: readonly ViewStudy[]): { series: FrontSeries[]; x: ViewObjective; y: ViewObjective; xLabel: string } {
  const first = studies[0]!.objectives;
  const pair = first.length > 1 && studies.every((s) => s.objectives.length > 1 && same(s.objectives[0]!, first[0]!) && same(s.objectives[1]!, first[1]!)) ? [first[0]!, first[1]!] : null;
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
  const alone = studies.every((s) => s.trials.some((t) => t.run?.cost));
  const series = studies.map((s) => ({ name: s.name, points: tradeoffPoints(s.trials, alone ? 'alone' : 'cohort').map((p) => ({ trial: p.trial, x: p.samplesPerSec, y: p.accuracy, pareto: p.pareto })) }));
  return { series, x: SPEED, y: ACCURACY, xLabel: alone ? 'samples/s of the shape alone' : 'samples/s per trial (in its cohort)' };
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
    // Best so far needs one objective for all: the first when they share it, else validation accuracy (fusetune's studies).
    const shared = studies.every((x) => x.objectives[0] && same(x.objectives[0], studies[0]!.objectives[0]!));
    const objective = shared ? studies[0]!.objectives[0]! : ACCURACY;
    const best: BestSeries[] = studies.map((x) => ({ name: x.name, trials: shared ? x.trials : byAccuracy(x.trials), objective, k: 0 }));
    const fronts = comparedFronts(studies);
    return html`<table data-testid="compare-table">
        <thead><tr><th>Study</th><th>Data</th><th>Sampler</th><th class="num">Finished</th><th class="num">Best ${objective.label}</th><th class="num" title="the trials on each study's front as the chart below draws it">Pareto front (drawn)</th><th class="num">Wall time</th></tr></thead>
        <tbody>
          ${studies.map((x, i) => {
            const record = x.record;
            const trials = best[i]!.trials;
            const b = bestIndex(trials, [objective]);
            const value = b === null ? null : valueOf(trials.find((t) => t.index === b)!, 0);
            const sampler = record ? ((record.study.sampler as { type?: string } | undefined)?.type ?? 'random') : '–';
            return html`<tr>
              <td>${x.name}</td><td>${record?.dataset.description ?? 'an Optuna journal'}</td><td>${sampler}</td>
              <td class="num">${x.trials.filter((t) => isFinished(t.state)).length} / ${x.trials.length}</td>
              <td class="num">${formatValue(objective, value)}${b === null ? '' : ` (trial ${b})`}</td>
              <td class="num">${fronts.series[i]!.points.filter((p) => p.pareto).length}</td>
              <td class="num">${formatDuration(record?.wallMs)}</td>
            </tr>`;
          })}
        </tbody>
      </table>
      <div class="charts">
        <div class="panel"><ft-best-chart data-testid="compare-best" heading="Best ${objective.label} so far" .series=${best}></ft-best-chart></div>
        <div class="panel"><ft-fronts-chart data-testid="compare-fronts" heading="Pareto fronts" .series=${fronts.series} .x=${fronts.x} .y=${fronts.y} xLabel=${fronts.xLabel}></ft-fronts-chart></div>
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
