// <ft-results>: the study on show, live or opened from a file (fusetune's or any Optuna study): summary, exports, filters, the trial table, a trial's page and the analysis views over the same trials.
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { isFinished } from '../model/states.ts';
import { testMetricValue } from '../store/records.ts';
import { applyFilters, type Filter, type Filters } from './analysis/filters.ts';
import type { StudyView } from './analysis/study-view.ts';
import { parallelCoordinates, type ParallelData } from './chart-data.ts';
import { sessionContext, type Session } from './context.ts';
import { formatDuration, formatPercent, formatValue, unitsSuffix } from './format.ts';
import './ft-best-chart.ts';
import './ft-curves-chart.ts';
import './ft-edf-chart.ts';
import './ft-heatmap-chart.ts';
import './ft-importance-chart.ts';
import './ft-intermediate-chart.ts';
import './ft-parallel-chart.ts';
import './ft-pareto-chart.ts';
import './ft-rank-chart.ts';
import './ft-slice-chart.ts';
import './ft-timeline-chart.ts';
import './ft-trial-filters.ts';
import './ft-trial-page.ts';
import './ft-trial-table.ts';
import './ft-use-model.ts';
import { baseStyles } from './styles.ts';
import { bestIndex, paretoIndices, variedParams, type ParamInfo, type ViewStudy, type ViewTrial } from './viewer/model.ts';

/** NOTE: while a study trains, each chart redraws at most this often (the table and run bar keep the live pace). */
const LIVE_REDRAW_MS = 1000;

/** What the views of finished results draw from, kept while the study's outcomes, picks and filters stay the same. */
interface OutcomeViews {
  key: readonly unknown[];
  data: ParallelData;
  /** The views of finished trials: the same object until outcomes change, so those charts do not redraw for a running trial's curve or a new trial. */
  view: StudyView;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

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
  /** Filters on the trials (the table's form and the parallel coordinates' brushes): they filter the table and the other views. */
  @state() private filters: Filters = new Map();
  /** The trial whose page is open. */
  @state() private opened: number | null = null;
  private shownId: string | null = null;
  private memo: OutcomeViews | null = null;
  private shared: { key: readonly unknown[]; params: ParamInfo[]; data: ParallelData; pareto: ReadonlySet<number> } | null = null;
  /** Where focus goes back when the trial page closes. */
  private openedFrom: HTMLElement | null = null;

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
      .readonly { font-size: 0.8rem; background: #fff6e0; border: 1px solid #e8cf8f; border-radius: 5px; padding: 0.2rem 0.5rem; }
      .error { white-space: pre-line; }
      .journal { display: flex; flex-wrap: wrap; gap: 0.4rem; align-items: center; font-size: 0.85rem; margin: 0 0 0.75rem; }
      .journal button[aria-pressed='true'] { background: var(--ft-accent-soft); border-color: var(--ft-accent); }
      .notes { font-size: 0.8rem; margin: 0 0 0.75rem; padding-left: 1.2rem; }
      ft-trial-filters { margin-bottom: 0.5rem; }
      .skip { position: absolute; left: -10000px; }
      .skip:focus { position: static; display: inline-block; margin-bottom: 0.3rem; }
      .after-table { outline: none; }
    `,
  ];

  protected override willUpdate(): void {
    const id = this.session?.view?.id ?? null;
    if (this.shownId !== id) {
      // Another study: picks, filters and the trial page referred to the old one's trials.
      this.shownId = id;
      this.selected = new Set();
      this.filters = new Map();
      this.opened = null;
    }
  }

  override render() {
    const start = performance.now();
    try {
      return this.renderResults();
    } finally {
      // A User Timing entry per render, beside the charts' draws: DevTools and the responsiveness test read them.
      performance.measure('render ft-results', { start });
    }
  }

  private renderResults() {
    const session = this.session;
    const study = session?.view;
    const open = html`<span class="file-button"><button type="button" tabindex="-1">Open results file…</button>
        <input type="file" accept=".json,application/json" aria-label="Open results file" @change=${(e: Event) => this.openFile(e, 'results-file')} /></span>
      <span class="file-button" title="a journal.log written by fusetune run or by Optuna (JournalFileStorage)"><button type="button" tabindex="-1">Open Optuna journal…</button>
        <input type="file" aria-label="Open Optuna journal" @change=${(e: Event) => this.openFile(e, 'journal-file')} /></span>`;
    if (!session || !study) {
      return html`<div class="panel">
        ${session?.reading ? html`<p role="status" data-testid="reading">${session.reading}</p>` : nothing}
        <p class="muted" data-testid="no-results">No results yet: edit a study on the Study tab and press Run, or open a results file (study.json from <code>fusetune run</code>) or an Optuna journal (journal.log from <code>fusetune run</code> or Optuna).</p>
        ${this.renderJournal()} ${open} ${this.exportError ? html`<p class="error" role="alert">${this.exportError}</p>` : nothing}
      </div>`;
    }
    const saved = session.saved;
    const record = study.record;
    const all = study.trials;
    const live = session.status !== 'idle';
    const { data, view: outcomeView } = this.outcomeViews(session, study, live);
    const objectives = study.objectives;
    const objective = objectives[0];
    // The table and the views of training trials (curves, reports, throughput) keep the live pace.
    const trials = outcomeView.all === all ? outcomeView.trials : applyFilters(all, this.filters, objectives);
    // Unchanged trials (a study not training): the same view object, so charts do not redraw for nothing.
    const view: StudyView = outcomeView.all === all ? outcomeView : { ...outcomeView, trials, all };
    const best = objective ? bestIndex(all, objectives) : null;
    const bestTrial = best === null ? null : all.find((t) => t.index === best);
    const finished = all.filter((t) => isFinished(t.state)).length;
    const redraw = live ? LIVE_REDRAW_MS : 0;
    const runs = all.some((t) => t.run !== undefined);
    const panel = (content: unknown, wide = false) => html`<div class="panel ${wide ? 'wide' : ''}">${content}</div>`;
    const pageTrial = this.opened === null ? null : (all.find((t) => t.index === this.opened) ?? null);
    // While a run prepares its first trials, the summary counts what the run bar counts.
    const progress = live ? session.progress : null;
    return html`
      <div class="head">
        <dl class="facts" data-testid="results-summary">
          <div><dt>Study</dt><dd>${study.name}</dd></div>
          <div><dt>Status</dt><dd data-testid="study-status">${live ? session.status : (saved?.status ?? (all.some((t) => t.state === 'running' || t.state === 'pending') ? 'in progress' : 'done'))}</dd></div>
          ${record ? html`<div><dt>Data</dt><dd>${record.dataset.description}</dd></div>` : nothing}
          <div><dt>Finished</dt><dd data-testid="trials-finished">${live && !record ? 'preparing…' : progress ? `${progress.trialsDone} / ${progress.trialsTotal}` : `${finished} / ${all.length}`}</dd></div>
          ${bestTrial && objective ? html`<div data-testid="best-trial"><dt>Best</dt><dd>trial ${bestTrial.index}: ${this.bestText(bestTrial, study)}</dd></div>` : nothing}
          ${objectives.length > 1 ? html`<div><dt>Pareto front</dt><dd data-testid="pareto-count">${plural(view.pareto.size, 'trial')} (${objectives.map((o) => o.label).join(' × ')})</dd></div>` : nothing}
          ${record?.wallMs !== undefined && !live ? html`<div><dt>Wall time</dt><dd>${formatDuration(record.wallMs)}</dd></div>` : nothing}
          ${record?.occupancy && record.occupancy.dispatched > 0 && !live
            ? html`<div title="busy trial-steps over dispatched ones: how full the fused dispatches were"><dt>Occupancy</dt><dd>${formatPercent(record.occupancy.busy / record.occupancy.dispatched)}</dd></div>`
            : nothing}
          ${saved?.reason && saved.status !== 'done' ? html`<div><dt>Note</dt><dd>${saved.reason}</dd></div>` : nothing}
        </dl>
        <div class="exports" role="group" aria-label="Downloads">
          ${session.readOnly ? html`<span class="readonly" data-testid="read-only">Read-only: opened from a file</span>` : nothing}
          ${open}
          <button type="button" ?disabled=${!record} title=${record ? nothing : 'fusetune’s own results only'} @click=${() => this.requestExport('csv')}>Trials CSV</button>
          <button type="button" ?disabled=${!record} title=${record ? nothing : 'fusetune’s own results only'} @click=${() => this.requestExport('json')}>Results JSON</button>
          <button type="button" ?disabled=${!record} title=${record ? 'the study in Optuna’s journal format: optuna.load_study reads it (JournalFileStorage)' : 'this study is already an Optuna journal: the file you opened'} @click=${() => this.requestExport('journal')}>Optuna journal (.log)</button>
          <button type="button" ?disabled=${!session.bestWeights} title=${session.bestWeights ? 'the best trial’s weights in torch.nn.Linear layout' : 'available once a run ends with a finished trial'}
            @click=${() => this.requestExport('weights')}>Best weights (.safetensors)</button>
        </div>
      </div>
      ${session.bestWeights && record?.study.data.kind === 'table' && bestTrial
        ? html`<ft-use-model class="panel" .study=${session.saved?.name ?? ''} .features=${record.dataset.features} .task=${record.dataset.task ?? 'classification'} .trial=${bestTrial.index}></ft-use-model>`
        : nothing}
      ${this.renderJournal()}
      ${session.notes.length > 0 || !runs
        ? html`<ul class="notes muted" data-testid="study-notes">
            ${session.notes.map((note) => html`<li>${note}</li>`)}
            ${runs || all.length === 0 ? nothing : html`<li data-testid="no-fusetune-data">This study has no training curves, throughput or device bytes: those are fusetune’s own records, and ${record ? 'it' : 'its journal'} holds none. The views that need them are left out.</li>`}
          </ul>`
        : nothing}
      ${this.exportError ? html`<p class="error" role="alert">${this.exportError}</p>` : nothing}
      <div @trial-select=${this.onSelect} @brush-change=${this.onBrush} @filter-change=${this.onFilter} @filters-clear=${() => (this.filters = new Map())} @trial-open=${this.onOpen}>
        <ft-trial-filters .trials=${all} .params=${outcomeView.params} .objectives=${objectives} .filters=${this.filters} .shown=${trials.length}></ft-trial-filters>
        <button type="button" class="skip small" @click=${this.skipTable}>Skip past the trials table</button>
        <ft-trial-table .trials=${trials} .objectives=${objectives} .best=${best} .selected=${this.selected} .pareto=${view.pareto}></ft-trial-table>
        <p class="hint muted after-table" tabindex="-1">
          <span>Sort by any column; press a trial’s number (or its line or dot in a chart) to pick it out everywhere, or <em>details</em> for its page. Filter above, or drag along an axis of the parallel coordinates.</span>
          ${this.selected.size > 0 ? html`<button class="small" type="button" @click=${() => (this.selected = new Set())}>Clear ${this.selected.size} picked</button>` : nothing}
        </p>
        ${pageTrial ? html`<ft-trial-page .trial=${pageTrial} .study=${study} @trial-page-close=${this.closePage}></ft-trial-page>` : nothing}
        <div class="charts">
          ${panel(html`<ft-parallel-chart data-testid="parallel-chart" heading="Parameters and objectives (drag along an axis to filter)" .view=${outcomeView} .data=${data} .filters=${this.filters} .redrawMs=${redraw}></ft-parallel-chart>`, true)}
          ${panel(html`<ft-best-chart data-testid="best-chart" heading="Best so far" .trials=${outcomeView.trials} .objectives=${objectives} .pareto=${view.pareto} .selected=${this.selected} .redrawMs=${redraw}></ft-best-chart>`)}
          ${panel(html`<ft-importance-chart data-testid="importance-chart" heading="Hyperparameter importance" .view=${outcomeView} .redrawMs=${redraw}></ft-importance-chart>`)}
          ${panel(html`<ft-edf-chart data-testid="edf-chart" heading="Empirical distribution of the objective (EDF)" .view=${outcomeView} .redrawMs=${redraw}></ft-edf-chart>`)}
          ${panel(html`<ft-rank-chart data-testid="rank-chart" heading="Rank: two parameters, each trial coloured by its rank" .view=${outcomeView} .redrawMs=${redraw}></ft-rank-chart>`)}
          ${panel(html`<ft-timeline-chart data-testid="timeline-chart" heading="Timeline: when each trial ran" .view=${view} .redrawMs=${redraw}></ft-timeline-chart>`, true)}
          ${runs ? panel(html`<ft-curves-chart data-testid="loss-chart" heading="Batch loss per trial" .view=${view} .redrawMs=${redraw}></ft-curves-chart>`, true) : nothing}
          ${panel(html`<ft-intermediate-chart data-testid="intermediate-chart" heading="Intermediate values, where pruned trials stopped (✕)${runs ? ', PBT exploits (↕)' : ''}" .view=${view} .redrawMs=${redraw}></ft-intermediate-chart>`)}
          ${objectives.length > 1 || runs
            ? panel(html`<ft-pareto-chart data-testid="pareto-chart" heading=${objectives.length > 1 ? `Pareto front: ${objectives[0]!.label} against ${objectives[1]!.label}` : `${objectives[0]!.label} against speed, Pareto front in red`} .view=${outcomeView} .redrawMs=${redraw}></ft-pareto-chart>`)
            : nothing}
          ${panel(html`<ft-slice-chart data-testid="slice-chart" heading="${objective?.label ?? 'value'} against each parameter" .view=${outcomeView} .redrawMs=${redraw}></ft-slice-chart>`, true)}
          ${panel(html`<ft-heatmap-chart data-testid="objective-heatmap" heading="${objective?.label ?? 'value'} over two parameters (mean per cell)" metric="objective" .view=${outcomeView} .redrawMs=${redraw}></ft-heatmap-chart>`)}
          ${runs ? panel(html`<ft-heatmap-chart data-testid="throughput-heatmap" heading="Throughput: batch size × width" metric="throughput" .view=${view} .redrawMs=${redraw}></ft-heatmap-chart>`) : nothing}
        </div>
      </div>
    `;
  }

  private bestText(trial: ViewTrial, study: ViewStudy) {
    const objective = study.objectives[0]!;
    // Beside the held-out test figure where there is one; regression errors in the target's units.
    const test = objective.metric && trial.run ? testMetricValue(trial.run, objective.metric) : null;
    const value = `${formatValue(objective, trial.values?.[0])}${unitsSuffix(objective, study.record?.dataset.target)}`;
    return test === null ? value : `${value} val, ${formatValue(objective, test)} test`;
  }

  /**
   * Varied parameters, parallel coordinates and the view of finished results, computed again only
   * when the session's outcomes (a trial finished; another study), the picks or the filters change:
   * new trials and a running trial's curve leave them as they are.
   */
  private outcomeViews(session: Session, study: ViewStudy, live: boolean): OutcomeViews {
    // What depends on outcomes alone (parameters, parallel coordinates, the Pareto front) is kept across picks and filters.
    const base = [session.outcomeRevision, study.id, live];
    let shared = this.shared;
    if (!shared || !shared.key.every((k, i) => k === base[i])) {
      const all = study.trials;
      const params = variedParams(all, study.space);
      const recorded = !live && study.record?.paretoFront && study.record.paretoFront.length > 0 ? new Set(study.record.paretoFront) : null;
      shared = this.shared = { key: base, params, data: parallelCoordinates(all, params, study.objectives), pareto: recorded ?? paretoIndices(all, study.objectives) };
    }
    const key = [...base, this.selected, this.filters];
    if (this.memo && this.memo.key.every((k, i) => k === key[i])) return this.memo;
    const all = study.trials;
    const view: StudyView = {
      trials: applyFilters(all, this.filters, study.objectives),
      all,
      objectives: study.objectives,
      params: shared.params,
      pareto: shared.pareto,
      selected: this.selected,
      trainRows: study.record?.dataset.split.train ?? 1,
      reportUnit: study.reportUnit,
      live,
    };
    this.memo = { key, data: shared.data, view };
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
          ${s.name} <span class="muted">(${plural(s.trials, 'trial')}, ${s.directions.join(' / ')}${s.fusetune ? ', fusetune' : ''})</span></button>`,
      )}
    </div>`;
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

  /** A brush on the parallel coordinates is a filter on that axis. */
  private onBrush(event: CustomEvent<{ axis: string; filter: Filter | null }>): void {
    event.stopPropagation();
    this.setFilter(event.detail.axis, event.detail.filter);
  }

  private onFilter(event: CustomEvent<{ axis: string; filter: Filter | null }>): void {
    event.stopPropagation();
    this.setFilter(event.detail.axis, event.detail.filter);
  }

  private setFilter(axis: string, filter: Filter | null): void {
    const next = new Map(this.filters);
    if (filter) next.set(axis, filter);
    else next.delete(axis);
    this.filters = next;
  }

  private onOpen(event: CustomEvent<{ index: number }>): void {
    event.stopPropagation();
    // Focus goes back where it was (the row's button), found through the shadow roots.
    let active = document.activeElement;
    while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
    this.openedFrom = active instanceof HTMLElement ? active : null;
    this.opened = event.detail.index;
    void this.updateComplete.then(() => this.renderRoot.querySelector('ft-trial-page')?.focusHeading());
  }

  private closePage(): void {
    this.opened = null;
    const back = this.openedFrom;
    this.openedFrom = null;
    void this.updateComplete.then(() => back?.focus());
  }

  private skipTable(): void {
    this.renderRoot.querySelector<HTMLElement>('.after-table')?.focus();
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
