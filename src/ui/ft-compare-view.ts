// <ft-compare-view>: two or more saved studies (or opened results files) side by side: a summary, best so far overlaid and their Pareto fronts.
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { METRIC_DIRECTIONS, type Objective } from '../model/objectives.ts';
import { isFinished } from '../model/states.ts';
import { objectivesOf } from '../search/specs.ts';
import type { SavedStudy } from '../store/browser-store.ts';
import { metricValue, objectiveValues } from '../store/records.ts';
import { bestTrial, objectiveLabel, paretoTrials } from './analysis/study-params.ts';
import { tradeoffPoints } from './chart-data.ts';
import { sessionContext, type Session } from './context.ts';
import { formatDuration, formatMetric } from './format.ts';
import './ft-best-chart.ts';
import type { BestSeries } from './ft-best-chart.ts';
import './ft-fronts-chart.ts';
import type { FrontSeries } from './ft-fronts-chart.ts';
import { baseStyles } from './styles.ts';

const objective = (metric: Objective['metric']): Objective => ({ metric, direction: METRIC_DIRECTIONS[metric] });

/**
 * @fires compare-select - `detail: { ids }`: the studies picked to compare (saved ids and `file:` ids); the host answers by setting `studies`.
 */
@customElement('ft-compare-view')
export class FtCompareView extends LitElement {
  @consume({ context: sessionContext, subscribe: true })
  @state()
  private session?: Session;

  /** The picked studies, whole (records included), in the order picked. */
  @property({ attribute: false }) studies: readonly SavedStudy[] = [];

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
    const shown = this.studies.filter((x) => this.picked.includes(x.id) && x.record);
    return html`<div class="panel">
      <h2>Compare studies</h2>
      ${choices.length < 2
        ? html`<p class="muted">Comparing needs two studies: run or open more (saved studies, or results files opened on the Results tab).</p>`
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

  private renderComparison(studies: SavedStudy[]) {
    const objectives = studies.map((x) => objectivesOf(x.record!.study.objective));
    // Best so far needs one metric for all: the first objective when they share it, else validation accuracy.
    const first = objectives.every((o) => o[0]!.metric === objectives[0]![0]!.metric) ? objectives[0]![0]! : objective('val_accuracy');
    const best: BestSeries[] = studies.map((x) => ({ name: x.name, trials: x.record!.trials, objective: first }));
    // Fronts: the studies' own two objectives when they all have the same two, else accuracy against samples/s.
    const pair = objectives.every((o) => o.length > 1 && o[0]!.metric === objectives[0]![0]!.metric && o[1]!.metric === objectives[0]![1]!.metric) ? [objectives[0]![0]!, objectives[0]![1]!] : null;
    const fronts: FrontSeries[] = studies.map((x, i) => {
      const trials = x.record!.trials;
      if (pair) {
        const front = paretoTrials(trials, objectives[i]!, x.record!.paretoFront);
        return { name: x.name, points: trials.flatMap((t) => { const v = objectiveValues(t, pair); return v ? [{ trial: t.index, x: v[1]!, y: v[0]!, pareto: front.has(t.index) }] : []; }) };
      }
      return { name: x.name, points: tradeoffPoints(trials).map((p) => ({ trial: p.trial, x: p.samplesPerSec, y: p.accuracy, pareto: p.pareto })) };
    });
    return html`<table data-testid="compare-table">
        <thead><tr><th>Study</th><th>Data</th><th>Sampler</th><th class="num">Finished</th><th class="num">Best ${objectiveLabel(first)}</th><th class="num">Pareto front</th><th class="num">Wall time</th></tr></thead>
        <tbody>
          ${studies.map((x, i) => {
            const record = x.record!;
            const b = bestTrial(record);
            const value = b === null ? null : metricValue(record.trials.find((t) => t.index === b)!, first.metric);
            const sampler = (record.study.sampler as { type?: string } | undefined)?.type ?? 'random';
            return html`<tr>
              <td>${x.name}</td><td>${record.dataset.description}</td><td>${sampler}</td>
              <td class="num">${record.trials.filter((t) => isFinished(t.state)).length} / ${record.trials.length}</td>
              <td class="num">${formatMetric(first.metric, value)}${b === null ? '' : ` (trial ${b})`}</td>
              <td class="num">${objectives[i]!.length > 1 ? paretoTrials(record.trials, objectives[i]!, record.paretoFront).size : '–'}</td>
              <td class="num">${formatDuration(record.wallMs)}</td>
            </tr>`;
          })}
        </tbody>
      </table>
      <div class="charts">
        <div class="panel"><ft-best-chart data-testid="compare-best" heading="Best ${objectiveLabel(first)} so far" .series=${best} .objective=${first}></ft-best-chart></div>
        <div class="panel"><ft-fronts-chart data-testid="compare-fronts" heading="Pareto fronts" .series=${fronts} .x=${pair ? pair[1] : objective('samples_per_sec')} .y=${pair ? pair[0] : objective('val_accuracy')}
          xLabel=${pair ? '' : 'samples/s per trial (in its cohort)'}></ft-fronts-chart></div>
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
