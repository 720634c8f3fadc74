// <ft-results>: the study on show, live or opened from a file: summary, exports, the trial table and the analysis views over the same trials.
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { isFinished } from '../model/states.ts';
import { objectivesOf } from '../search/specs.ts';
import type { Objective } from '../model/objectives.ts';
import { metricValue, type TrialRecord } from '../store/records.ts';
import { bestTrial, objectiveLabel, paretoTrials, variedParams } from './analysis/study-params.ts';
import type { StudyView } from './analysis/study-view.ts';
import { parallelCoordinates, type ParallelData } from './chart-data.ts';
import { sessionContext, type Session } from './context.ts';
import { formatDuration, formatMetric, formatPercent } from './format.ts';
import './ft-best-chart.ts';
import './ft-curves-chart.ts';
import './ft-heatmap-chart.ts';
import './ft-importance-chart.ts';
import './ft-intermediate-chart.ts';
import './ft-parallel-chart.ts';
import type { Brushes } from './ft-parallel-chart.ts';
import './ft-pareto-chart.ts';
import './ft-slice-chart.ts';
import './ft-trial-table.ts';
import { baseStyles } from './styles.ts';

/** NOTE: while a study trains, each chart redraws at most this often (the table and run bar keep the live pace). */
const LIVE_REDRAW_MS = 1000;

/** What the views of finished results draw from, kept while the study's outcomes, picks and brushes stay the same. */
interface OutcomeViews {
  key: readonly unknown[];
  objectives: Objective[];
  data: ParallelData;
  /** The views of finished trials: the same object until outcomes change, so those charts do not redraw for a running trial's curve or a new trial. */
  view: StudyView;
}

/**
 * @fires export-request - `detail: { kind: 'csv' | 'json' | 'weights' | 'journal' }`, bubbles and crosses shadow roots: download the study's results.
 * @fires results-file - `detail: { name, text }`, bubbles and crosses shadow roots: a results file (study.json) to show read-only.
 * @fires journal-file - `detail: { name, text }`, bubbles and crosses shadow roots: an Optuna journal to show read-only.
 * @fires journal-study - `detail: { studyId }`, bubbles and crosses shadow roots: show this study of the journal opened last.
 */
@customElement('ft-results')
export class FtResults extends LitElement {
  @consume({ context: sessionContext, subscribe: true })
  @state()
  private session?: Session;

  /** Why the last export (or opening a file) failed, shown beside the buttons. */
  @property() exportError = '';

  /** Trials picked out in every view. */
  @state() private selected: ReadonlySet<number> = new Set();
  /** Ranges brushed on the parallel coordinates: they filter the table and the other views. */
  @state() private brushes: Brushes = new Map();
  private shownId: string | null = null;
  private memo: OutcomeViews | null = null;

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
      .file-button { position: relative; }
      .file-button input { position: absolute; inset: 0; opacity: 0; cursor: pointer; }
      .file-button:focus-within { outline: 2px solid var(--ft-accent); outline-offset: 2px; border-radius: 5px; }
      .charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 0.75rem; margin-top: 0.75rem; }
      .wide { grid-column: 1 / -1; }
      /* NOTE: charts off screen are not laid out or painted (a 150-trial study has thousands of SVG nodes); each keeps its last size as a placeholder. */
      .charts > .panel { contain: content; content-visibility: auto; contain-intrinsic-size: auto 360px; }
      .hint { font-size: 0.8rem; margin: 0.3rem 0 0; display: flex; gap: 0.75rem; align-items: center; flex-wrap: wrap; }
      .filters { background: var(--ft-accent-soft); border-radius: 5px; padding: 0.2rem 0.5rem; }
      .readonly { font-size: 0.8rem; background: #fff6e0; border: 1px solid #e8cf8f; border-radius: 5px; padding: 0.2rem 0.5rem; }
      .error { white-space: pre-line; }
      .journal { display: flex; flex-wrap: wrap; gap: 0.4rem; align-items: center; font-size: 0.85rem; margin: 0 0 0.75rem; }
      .journal button[aria-pressed='true'] { background: var(--ft-accent-soft); border-color: var(--ft-accent); }
      .notes { font-size: 0.8rem; margin: 0 0 0.75rem; padding-left: 1.2rem; }
    `,
  ];

  protected override willUpdate(): void {
    const id = this.session?.saved?.id ?? null;
    if (this.shownId !== id) {
      // Another study: picks and brushes referred to the old one's trials.
      this.shownId = id;
      this.selected = new Set();
      this.brushes = new Map();
    }
  }

  override render() {
    const session = this.session;
    const saved = session?.saved;
    const open = html`<span class="file-button"><button type="button" tabindex="-1">Open results file…</button>
        <input type="file" accept=".json,application/json" aria-label="Open results file" @change=${(e: Event) => this.openFile(e, 'results-file')} /></span>
      <span class="file-button" title="a journal.log written by fusetune run or by Optuna (JournalFileStorage)"><button type="button" tabindex="-1">Open Optuna journal…</button>
        <input type="file" aria-label="Open Optuna journal" @change=${(e: Event) => this.openFile(e, 'journal-file')} /></span>`;
    if (!session || !saved) {
      return html`<div class="panel">
        <p class="muted" data-testid="no-results">No results yet: edit a study on the Study tab and press Run, or open a results file (study.json from <code>fusetune run</code>) or an Optuna journal (journal.log from <code>fusetune run</code> or Optuna).</p>
        ${this.renderJournal()} ${open} ${this.exportError ? html`<p class="error" role="alert">${this.exportError}</p>` : nothing}
      </div>`;
    }
    const all = session.trials;
    const record = saved.record;
    const study = record?.study ?? saved.study;
    const live = session.status !== 'idle';
    const { objectives, data, view: outcomeView } = this.outcomeViews(session, all, live);
    const objective = objectives[0]!;
    // The table and the views of training trials (curves, reports, throughput) keep the live pace.
    const trials = this.filter(all, data);
    const view: StudyView = { ...outcomeView, trials, all };
    const best = record ? bestTrial({ trials: all, study }) : null;
    const bestRecord = best === null ? null : all.find((t) => t.index === best);
    const finished = all.filter((t) => isFinished(t.state)).length;
    const redraw = live ? LIVE_REDRAW_MS : 0;
    const panel = (content: unknown, wide = false) => html`<div class="panel ${wide ? 'wide' : ''}">${content}</div>`;
    return html`
      <div class="head">
        <dl class="facts" data-testid="results-summary">
          <div><dt>Study</dt><dd>${saved.name}</dd></div>
          <div><dt>Status</dt><dd data-testid="study-status">${live ? session.status : saved.status}</dd></div>
          ${record ? html`<div><dt>Data</dt><dd>${record.dataset.description}</dd></div>` : nothing}
          <div><dt>Finished</dt><dd data-testid="trials-finished">${finished} / ${all.length}</dd></div>
          ${bestRecord
            ? html`<div data-testid="best-trial"><dt>Best</dt><dd>trial ${bestRecord.index}: ${objective.metric === 'val_accuracy' ? html`${formatPercent(bestRecord.valAccuracy)} val${bestRecord.test ? `, ${formatPercent(bestRecord.test.accuracy)} test` : ''}` : `${formatMetric(objective.metric, metricValue(bestRecord, objective.metric))}`}</dd></div>`
            : nothing}
          ${objectives.length > 1 ? html`<div><dt>Pareto front</dt><dd data-testid="pareto-count">${view.pareto.size} trials (${objectives.map(objectiveLabel).join(' × ')})</dd></div>` : nothing}
          ${record?.wallMs !== undefined && !live ? html`<div><dt>Wall time</dt><dd>${formatDuration(record.wallMs)}</dd></div>` : nothing}
          ${record?.occupancy && record.occupancy.dispatched > 0 && !live
            ? html`<div title="busy trial-steps over dispatched ones: how full the fused dispatches were"><dt>Occupancy</dt><dd>${formatPercent(record.occupancy.busy / record.occupancy.dispatched)}</dd></div>`
            : nothing}
          ${saved.reason && saved.status !== 'done' ? html`<div><dt>Note</dt><dd>${saved.reason}</dd></div>` : nothing}
        </dl>
        <div class="exports" role="group" aria-label="Downloads">
          ${session.readOnly ? html`<span class="readonly" data-testid="read-only">Read-only: opened from a file</span>` : nothing}
          ${open}
          <button type="button" ?disabled=${!record} @click=${() => this.requestExport('csv')}>Trials CSV</button>
          <button type="button" ?disabled=${!record} @click=${() => this.requestExport('json')}>Results JSON</button>
          <button type="button" ?disabled=${!record} title="the study in Optuna's journal format: optuna.load_study reads it (JournalFileStorage)" @click=${() => this.requestExport('journal')}>Optuna journal (.log)</button>
          <button type="button" ?disabled=${!session.bestWeights} title=${session.bestWeights ? 'the best trial’s weights in torch.nn.Linear layout' : 'available once a run ends with a finished trial'}
            @click=${() => this.requestExport('weights')}>Best weights (.safetensors)</button>
        </div>
      </div>
      ${this.renderJournal()}
      ${session.notes.length > 0 ? html`<ul class="notes muted" data-testid="study-notes">${session.notes.map((note) => html`<li>${note}</li>`)}</ul>` : nothing}
      ${this.exportError ? html`<p class="error" role="alert">${this.exportError}</p>` : nothing}
      <div @trial-select=${this.onSelect} @brush-change=${this.onBrush}>
        <ft-trial-table .trials=${trials} .objectives=${objectives} .best=${best} .selected=${this.selected} .pareto=${view.pareto}></ft-trial-table>
        <p class="hint muted">
          <span>Sort by any column; press a trial’s number (or its line or dot in a chart) to pick it out everywhere.</span>
          ${this.brushes.size > 0
            ? html`<span class="filters" data-testid="filter-note">Showing ${trials.length} of ${all.length} trials, filtered on ${[...this.brushes.keys()].join(', ')}
                <button class="small" type="button" @click=${() => (this.brushes = new Map())}>Clear filters</button></span>`
            : html`<span>Drag along an axis of the parallel coordinates to filter.</span>`}
          ${this.selected.size > 0 ? html`<button class="small" type="button" @click=${() => (this.selected = new Set())}>Clear ${this.selected.size} picked</button>` : nothing}
        </p>
        <div class="charts">
          ${panel(html`<ft-parallel-chart data-testid="parallel-chart" heading="Parameters and objectives (drag along an axis to filter)" .view=${outcomeView} .data=${data} .brushes=${this.brushes} .redrawMs=${redraw}></ft-parallel-chart>`, true)}
          ${panel(html`<ft-best-chart data-testid="best-chart" heading="Best ${objectiveLabel(objective)} so far" .trials=${outcomeView.trials} .objective=${objective} .pareto=${view.pareto} .selected=${this.selected} .redrawMs=${redraw}></ft-best-chart>`)}
          ${panel(html`<ft-importance-chart data-testid="importance-chart" heading="Hyperparameter importance (fANOVA)" .view=${outcomeView} .redrawMs=${redraw}></ft-importance-chart>`)}
          ${panel(html`<ft-curves-chart data-testid="loss-chart" heading="Batch loss per trial" .view=${view} .redrawMs=${redraw}></ft-curves-chart>`, true)}
          ${panel(html`<ft-intermediate-chart data-testid="intermediate-chart" heading="Intermediate values, where pruned trials stopped (✕), PBT exploits (↕)" .view=${view} .redrawMs=${redraw}></ft-intermediate-chart>`)}
          ${panel(html`<ft-pareto-chart data-testid="pareto-chart" heading=${objectives.length > 1 ? `Pareto front: ${objectives.map(objectiveLabel).join(' against ')}` : 'Accuracy against speed, Pareto front in red'} .view=${outcomeView} .redrawMs=${redraw}></ft-pareto-chart>`)}
          ${panel(html`<ft-slice-chart data-testid="slice-chart" heading="${objectiveLabel(objective)} against each parameter" .view=${outcomeView} .redrawMs=${redraw}></ft-slice-chart>`, true)}
          ${panel(html`<ft-heatmap-chart data-testid="objective-heatmap" heading="${objectiveLabel(objective)} over two parameters (mean per cell)" metric="objective" .view=${outcomeView} .redrawMs=${redraw}></ft-heatmap-chart>`)}
          ${panel(html`<ft-heatmap-chart data-testid="throughput-heatmap" heading="Throughput: batch size × width" metric="throughput" .view=${view} .redrawMs=${redraw}></ft-heatmap-chart>`)}
        </div>
      </div>
    `;
  }

  /**
   * Objectives, varied parameters, parallel coordinates and the view of finished results, computed
   * again only when the session's outcomes (a trial finished; another study), the picks or the
   * brushes change: new trials and a running trial's curve leave them as they are.
   */
  private outcomeViews(session: Session, all: readonly TrialRecord[], live: boolean): OutcomeViews {
    const key = [session.outcomeRevision, session.saved?.id, live, this.selected, this.brushes];
    if (this.memo && this.memo.key.every((k, i) => k === key[i])) return this.memo;
    const record = session.saved?.record;
    const study = record?.study ?? session.saved!.study;
    const objectives = objectivesOf(study.objective);
    const params = variedParams(all, study.space);
    const data = parallelCoordinates(all, params, objectives);
    const view: StudyView = {
      trials: this.filter(all, data),
      all,
      objectives,
      params,
      pareto: paretoTrials(all, objectives, live ? undefined : record?.paretoFront),
      selected: this.selected,
      trainRows: record?.dataset.split.train ?? 1,
      reportUnit: record?.reportUnit ?? 'epoch',
      live,
    };
    this.memo = { key, objectives, data, view };
    return this.memo;
  }

  /** The studies of the journal opened last, to pick one, when it holds several. */
  private renderJournal() {
    const journal = this.session?.journal;
    if (!journal || journal.studies.length < 2) return nothing;
    return html`<div class="journal" role="group" aria-label="Studies in ${journal.fileName}" data-testid="journal-studies">
      <span>${journal.fileName} holds ${journal.studies.length} studies${journal.shown === null ? ': pick one' : ''}</span>
      ${journal.studies.map(
        (s) => html`<button type="button" class="small" aria-pressed=${journal.shown === s.studyId} data-study=${s.name}
          @click=${() => this.dispatchEvent(new CustomEvent('journal-study', { detail: { studyId: s.studyId }, bubbles: true, composed: true }))}>
          ${s.name} <span class="muted">(${s.trials} trial${s.trials === 1 ? '' : 's'}, ${s.directions.join(' / ')}${s.fusetune ? ', fusetune' : ''})</span></button>`,
      )}
    </div>`;
  }

  /** The trials inside every brushed range (a trial lacking a brushed axis is outside). */
  private filter(trials: readonly TrialRecord[], data: ParallelData): readonly TrialRecord[] {
    if (this.brushes.size === 0) return trials;
    return trials.filter((t) => {
      const positions = data.positions.get(t.index);
      if (!positions) return false;
      for (const [axis, [lo, hi]] of this.brushes) {
        const p = positions.get(axis);
        if (p === undefined || p < lo - 1e-9 || p > hi + 1e-9) return false;
      }
      return true;
    });
  }

  private onSelect(event: CustomEvent<{ index: number | null }>): void {
    event.stopPropagation();
    const { index } = event.detail;
    if (index === null) {
      this.selected = new Set();
      return;
    }
    const next = new Set(this.selected);
    if (next.has(index)) next.delete(index);
    else next.add(index);
    this.selected = next;
  }

  private onBrush(event: CustomEvent<{ axis: string; range: [number, number] | null }>): void {
    event.stopPropagation();
    const next = new Map(this.brushes);
    if (event.detail.range) next.set(event.detail.axis, event.detail.range);
    else next.delete(event.detail.axis);
    this.brushes = next;
  }

  private async openFile(event: Event, type: 'results-file' | 'journal-file'): Promise<void> {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    this.dispatchEvent(new CustomEvent(type, { detail: { name: file.name, text: await file.text() }, bubbles: true, composed: true }));
  }

  private requestExport(kind: 'csv' | 'json' | 'weights' | 'journal'): void {
    this.dispatchEvent(new CustomEvent('export-request', { detail: { kind }, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-results': FtResults;
  }
}
