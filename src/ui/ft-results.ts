// <ft-results>: the study on show, live: summary, exports, the trial table and the charts of its trade-offs.
import { objectivesOf } from '../search/specs.ts';
import { FINISHED_STATES } from '../model/states.ts';
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Objective } from '../model/objectives.ts';
import { sessionContext, type Session } from './context.ts';
import { formatDuration, formatPercent } from './format.ts';
import './ft-curves-chart.ts';
import './ft-heatmap-chart.ts';
import './ft-parallel-chart.ts';
import './ft-pareto-chart.ts';
import './ft-trial-table.ts';
import { baseStyles } from './styles.ts';


/**
 * @fires export-request - `detail: { kind: 'csv' | 'json' | 'weights' }`, bubbles and crosses shadow roots: download the study's results.
 */
@customElement('ft-results')
export class FtResults extends LitElement {
  @consume({ context: sessionContext, subscribe: true })
  @state()
  private session?: Session;

  /** Why the last export failed, shown beside the buttons. */
  @property() exportError = '';

  @state() private selected: number | null = null;

  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      .head { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 0.5rem 1rem; align-items: start; margin-bottom: 0.75rem; }
      .facts { display: flex; flex-wrap: wrap; gap: 0.25rem 1.25rem; margin: 0; font-size: 0.85rem; }
      .facts div { display: flex; gap: 0.35rem; }
      .facts dt { color: var(--ft-muted); }
      .facts dd { margin: 0; font-weight: 600; }
      .exports { display: flex; gap: 0.4rem; align-items: center; flex-wrap: wrap; }
      .charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 0.75rem; margin-top: 0.75rem; }
      .hint { font-size: 0.8rem; margin: 0.3rem 0 0; }
    `,
  ];

  override render() {
    const session = this.session;
    const saved = session?.saved;
    if (!session || !saved) {
      return html`<div class="panel"><p class="muted" data-testid="no-results">No results yet: edit a study on the Study tab and press Run.</p></div>`;
    }
    const trials = session.trials;
    const record = saved.record;
    const objective: Objective = objectivesOf(record?.study.objective ?? saved.study.objective)[0]!;
    const best = record?.best ?? null;
    const bestTrial = best === null ? null : trials[best];
    const finished = trials.filter((t) => FINISHED_STATES.has(t.state)).length;
    const running = session.status !== 'idle';
    return html`
      <div class="head">
        <dl class="facts" data-testid="results-summary">
          <div><dt>Study</dt><dd>${saved.name}</dd></div>
          <div><dt>Status</dt><dd data-testid="study-status">${running ? session.status : saved.status}</dd></div>
          ${record ? html`<div><dt>Data</dt><dd>${record.dataset.description}</dd></div>` : nothing}
          <div><dt>Finished</dt><dd data-testid="trials-finished">${finished} / ${trials.length}</dd></div>
          ${bestTrial
            ? html`<div><dt>Best</dt><dd>trial ${bestTrial.index}: ${formatPercent(bestTrial.valAccuracy)} val${bestTrial.test ? `, ${formatPercent(bestTrial.test.accuracy)} test` : ''}</dd></div>`
            : nothing}
          ${record?.wallMs !== undefined && !running ? html`<div><dt>Wall time</dt><dd>${formatDuration(record.wallMs)}</dd></div>` : nothing}
          ${saved.reason && saved.status !== 'done' ? html`<div><dt>Note</dt><dd>${saved.reason}</dd></div>` : nothing}
        </dl>
        <div class="exports" role="group" aria-label="Downloads">
          <button type="button" ?disabled=${!record} @click=${() => this.requestExport('csv')}>Trials CSV</button>
          <button type="button" ?disabled=${!record} @click=${() => this.requestExport('json')}>Results JSON</button>
          <button type="button" ?disabled=${!session.bestWeights} title=${session.bestWeights ? 'the best trial’s weights in torch.nn.Linear layout' : 'available once a run ends with a finished trial'}
            @click=${() => this.requestExport('weights')}>Best weights (.safetensors)</button>
        </div>
      </div>
      ${this.exportError ? html`<p class="error" role="alert">${this.exportError}</p>` : nothing}
      <ft-trial-table .trials=${trials} .objective=${objective} .best=${best} .selected=${this.selected}
        @trial-select=${(e: CustomEvent<{ index: number | null }>) => (this.selected = e.detail.index)}></ft-trial-table>
      <p class="hint muted">Sort by any column; press a trial’s number to pick it out in the charts.</p>
      <div class="charts">
        <div class="panel"><ft-curves-chart data-testid="loss-chart" heading="Batch loss per trial" metric="loss" .trials=${trials} .selected=${this.selected}></ft-curves-chart></div>
        <div class="panel"><ft-curves-chart data-testid="accuracy-chart" heading="Accuracy per epoch (validation solid, training dashed)" metric="accuracy" .trials=${trials} .selected=${this.selected}></ft-curves-chart></div>
        <div class="panel"><ft-heatmap-chart data-testid="accuracy-heatmap" heading="Validation accuracy: learning rate × batch size" metric="accuracy" .trials=${trials}></ft-heatmap-chart></div>
        <div class="panel"><ft-heatmap-chart data-testid="throughput-heatmap" heading="Throughput: learning rate × batch size" metric="throughput" .trials=${trials}></ft-heatmap-chart></div>
        <div class="panel"><ft-pareto-chart data-testid="pareto-chart" heading="Accuracy against speed, Pareto front in red" .trials=${trials} .selected=${this.selected}></ft-pareto-chart></div>
        <div class="panel"><ft-parallel-chart data-testid="parallel-chart" heading="Parameters against the objective" .trials=${trials} .objective=${objective} .selected=${this.selected}></ft-parallel-chart></div>
      </div>
    `;
  }

  private requestExport(kind: 'csv' | 'json' | 'weights'): void {
    this.dispatchEvent(new CustomEvent('export-request', { detail: { kind }, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-results': FtResults;
  }
}
