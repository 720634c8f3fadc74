// <ft-app>: the page shell: run bar, tabs (study, results, saved studies, compare, hardware lab), the edited study and its link; without WebGPU, a viewer of results.
import { ContextProvider } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { gpuContext } from './context.ts';
import { GpuController } from './controllers/gpu-controller.ts';
import { TableCheckController } from './controllers/table-check-controller.ts';
import type { UploadedFile } from '../data/browser.ts';
import { StudyController, type ExportKind } from './controllers/study-controller.ts';
import { downloadBlob } from './download.ts';
import './ft-device-panel.ts';
import './ft-run-panel.ts';
import type { RunAction } from './ft-run-panel.ts';
import './ft-study-editor.ts';
import './ft-study-list.ts';
import type { SavedStudySummary } from '../store/browser-store.ts';
import { checkStudyAgainstData, studyForTask, type Study } from '../search/study.ts';
import { StudyError, type StudyIssue } from '../search/errors.ts';
import type { EncodedSummary } from '../data/describe-table.ts';
import type { ViewStudy } from './viewer/model.ts';
import { checkCsv, checkDraft, draftFromHash, draftToHash, presetDraft, type CsvCheck, type Draft, type DraftCheck } from './study-draft.ts';
import { baseStyles } from './styles.ts';

// The chart views pull in Observable Plot and d3: load them beside the first paint, not before it.
// Their tags upgrade when the modules arrive, keeping whatever properties were set meanwhile.
void import('./ft-results.ts');
void import('./ft-compare-view.ts');
void import('./ft-hardware-lab.ts');

const TABS = [
  { id: 'study', label: 'Study' },
  { id: 'results', label: 'Results' },
  { id: 'saved', label: 'Saved studies' },
  { id: 'compare', label: 'Compare' },
  { id: 'lab', label: 'Hardware lab' },
] as const;
type Tab = (typeof TABS)[number]['id'];

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

@customElement('ft-app')
export class FtApp extends LitElement {
  private readonly gpu = new GpuController(this);
  private readonly study = new StudyController(this, this.gpu);
  /** The uploaded table the draft reads, described as a run would read it. */
  private readonly table = new TableCheckController(this);
  /** Views that run their own GPU work (the hardware lab) share the page's device through this. */
  protected readonly gpuProvider = new ContextProvider(this, { context: gpuContext, initialValue: this.gpu });

  @state() private draft: Draft = {};
  @state() private check: DraftCheck = { study: null, issues: [], trials: null, gridSize: null };
  /** The uploaded CSV the draft reads, as a run would read it. */
  @state() private csv: CsvCheck | null = null;
  /** Why the Study JSON text does not apply, while it does not parse. */
  @state() private jsonError = '';
  /** Studies picked on the Compare tab, as the views see them. */
  @state() private compared: ViewStudy[] = [];
  /** Run was pressed on a study a saved run of the very same study could resume: ask before replacing it. */
  @state() private confirmRun: { study: Study; saved: SavedStudySummary } | null = null;
  @state() private fileError = '';
  @state() private tab: Tab = 'study';
  /** The lab runs benchmarks on the GPU, so it is built only once someone opens it. */
  @state() private labOpened = false;
  /** Data files uploaded in this page (or kept with a saved study), by name: text, or bytes for Arrow and Parquet. */
  @state() private files = new Map<string, UploadedFile>();
  @state() private notice = '';
  @state() private exportError = '';
  private edited = false;
  private dataIssues: { study: Study; encoded: EncodedSummary; issues: StudyIssue[] } | null = null;

  static override styles = [
    baseStyles,
    css`
      :host { display: block; max-width: 1240px; margin: 0 auto; padding: 0.5rem 1.25rem 2rem; }
      header { display: flex; align-items: baseline; gap: 1rem; border-bottom: 1px solid var(--ft-line); margin-bottom: 0.75rem; }
      h1 { font-size: 1.5rem; margin: 0.4rem 0; }
      .tagline { color: var(--ft-muted); flex: 1; }
      .chip { font-size: 0.8rem; color: var(--ft-muted); }
      .chip.software { color: #8a5300; }
      .runbar { position: sticky; top: 0; z-index: 5; margin-bottom: 0.6rem; box-shadow: 0 2px 6px rgba(0, 0, 0, 0.05); }
      [role='tablist'] { display: flex; gap: 0.25rem; border-bottom: 1px solid var(--ft-line); margin-bottom: 0.75rem; }
      [role='tab'] { border: 1px solid transparent; border-bottom: none; border-radius: 6px 6px 0 0; background: none; padding: 0.4rem 0.9rem; margin-bottom: -1px; color: var(--ft-muted); }
      [role='tab'][aria-selected='true'] { background: var(--ft-panel); border-color: var(--ft-line); color: var(--ft-text); font-weight: 600; }
      .study-grid { display: grid; grid-template-columns: minmax(0, 1fr) 330px; gap: 0.75rem; align-items: start; }
      .alert { border: 1px solid var(--ft-error); background: var(--ft-error-soft); padding: 0.75rem 1rem; border-radius: 6px; margin-bottom: 0.75rem; }
      .alert p { margin: 0.3rem 0 0; }
      .notice { font-size: 0.85rem; margin: 0 0 0.5rem; }
      .confirm { border-top: 1px solid var(--ft-line); margin-top: 0.5rem; padding-top: 0.5rem; font-size: 0.9rem; }
      .confirm p { margin: 0 0 0.4rem; }
      .confirm .buttons { display: flex; flex-wrap: wrap; gap: 0.4rem; }
    `,
  ];

  constructor() {
    super();
    const linked = draftFromHash(location.hash);
    const fromLink = linked !== null && 'draft' in linked;
    if (linked && 'error' in linked) this.notice = `${linked.error}; showing the default study instead.`;
    this.setDraft(fromLink ? linked.draft : presetDraft('default'));
    void this.study.ready.then(async () => {
      const saved = this.study.session.saved;
      if (saved) {
        // Without a link, pick up where the last visit left off (unless editing began meanwhile).
        if (!fromLink && !this.edited) this.setDraft(structuredClone(saved.study) as Draft);
        // A study that can resume (paused, cut off by the reload) is where the user was: its results, with Resume.
        if (this.study.session.resumable && this.tab === 'study' && !this.edited) this.show('results');
        await this.addFiles(saved.id);
      }
      // The last upload over a saved study's file of the same name: nothing was uploaded after it.
      const upload = await this.study.lastUpload();
      if (upload.size > 0) this.addUploads(upload);
    });
    void this.followJournal();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHashChange);
  }

  override disconnectedCallback(): void {
    window.removeEventListener('hashchange', this.onHashChange);
    super.disconnectedCallback();
  }

  private tabs() {
    return TABS.filter((t) => t.id !== 'lab' || this.gpu.state.status !== 'unavailable');
  }

  override render() {
    const gpu = this.gpu.state;
    const session = this.study.session;
    const tabs = this.tabs();
    return html`
      ${this.renderHeader()}
      ${gpu.status === 'unavailable'
        ? html`<div class="alert" role="alert" data-testid="no-webgpu">
            <strong>WebGPU is not available.</strong>
            <p>${gpu.message}</p>
            <p>Running studies needs Chrome or Edge 113+ with WebGPU. Here you can still read results: open a results file
              (<code>study.json</code> from <code>fusetune run</code>) or an Optuna journal on the Results tab, and open or compare the studies saved in this browser.</p>
          </div>`
        : nothing}
      ${gpu.status === 'lost'
        ? html`<div class="alert" role="alert" data-testid="device-lost">
            <strong>The GPU device was lost.</strong>
            <p>${gpu.message}</p>
            <p>The run stopped; its finished trials are saved. ${session.resumable ? 'Resume continues the study on a new device.' : 'Run starts again on a new device.'}</p>
          </div>`
        : nothing}
      ${this.notice ? html`<p class="notice muted" role="status">${this.notice}</p>` : nothing}
      <div class="runbar panel">
        <ft-run-panel .blocker=${this.blocker()} .draftName=${String(this.draft.name ?? 'study')} .draftTrials=${this.check.trials} .gridSize=${this.check.gridSize}
          .bytesHeld=${gpu.status === 'ready' ? gpu.bytesHeld : 0} @run-action=${this.onRunAction}></ft-run-panel>
        ${this.renderConfirmRun()}
      </div>
      <nav role="tablist" aria-label="Views" @keydown=${this.onTabKey}>
        ${tabs.map(
          (t) => html`<button role="tab" id="tab-${t.id}" aria-controls="panel-${t.id}" aria-selected=${this.tab === t.id} tabindex=${this.tab === t.id ? 0 : -1}
            @click=${() => this.show(t.id)}>${t.label}${t.id === 'saved' && session.studies.length ? ` (${session.studies.length})` : ''}</button>`,
        )}
      </nav>
      <section role="tabpanel" id="panel-study" aria-labelledby="tab-study" ?hidden=${this.tab !== 'study'}>
        <div class="study-grid">
          <div class="panel">
            <ft-study-editor .draft=${this.draft} .issues=${this.issues()} .trials=${this.check.trials} .gridSize=${this.check.gridSize}
              .files=${[...this.files.keys()]} .csv=${this.csv} .table=${this.table.check}
              @draft-change=${(e: CustomEvent<{ draft: Draft }>) => {
                this.edited = true;
                this.setDraft(e.detail.draft);
              }}
              @json-state=${(e: CustomEvent<{ error: string }>) => (this.jsonError = e.detail.error)}
              @data-file=${(e: CustomEvent<{ name: string; contents: UploadedFile }>) => {
                this.addUploads(new Map([[e.detail.name, e.detail.contents]]));
                void this.study.keepUpload(e.detail.name, e.detail.contents);
              }}></ft-study-editor>
          </div>
          <aside class="panel" aria-label="WebGPU adapter">
            ${gpu.status === 'pending' ? html`<p role="status">Requesting a WebGPU adapter…</p>` : nothing}
            ${gpu.status === 'ready' || gpu.status === 'lost'
              ? html`<ft-device-panel .report=${gpu.report} .bytesHeld=${gpu.status === 'ready' ? gpu.bytesHeld : 0}></ft-device-panel>`
              : nothing}
            ${gpu.status === 'unavailable'
              ? html`<h2>No WebGPU adapter</h2>
                  <p class="muted" data-testid="no-adapter">This browser offers no WebGPU adapter, so there is nothing to report here and no study can run. ${gpu.message}</p>`
              : nothing}
          </aside>
        </div>
      </section>
      <section role="tabpanel" id="panel-results" aria-labelledby="tab-results" ?hidden=${this.tab !== 'results'}>
        <ft-results .exportError=${this.exportError || this.fileError} @export-request=${this.onExport} @results-file=${this.onResultsFile} @journal-file=${this.onJournalFile}
          @journal-study=${(e: CustomEvent<{ studyId: number }>) => this.setFileError(this.study.openJournalStudy(e.detail.studyId))}></ft-results>
      </section>
      <section role="tabpanel" id="panel-saved" aria-labelledby="tab-saved" ?hidden=${this.tab !== 'saved'}>
        <div class="panel">
          <ft-study-list @study-open=${this.onOpen} @study-delete=${(e: CustomEvent<{ id: string }>) => void this.study.remove(e.detail.id)}></ft-study-list>
        </div>
      </section>
      <section role="tabpanel" id="panel-compare" aria-labelledby="tab-compare" ?hidden=${this.tab !== 'compare'}>
        <ft-compare-view .studies=${this.compared} @compare-select=${this.onCompare}></ft-compare-view>
      </section>
      ${gpu.status === 'unavailable'
        ? nothing
        : html`<section role="tabpanel" id="panel-lab" aria-labelledby="tab-lab" ?hidden=${this.tab !== 'lab'}>
            ${this.labOpened ? html`<ft-hardware-lab withStudy .study=${this.check.study} .files=${this.files}></ft-hardware-lab>` : nothing}
          </section>`}
    `;
  }

  private renderHeader() {
    const gpu = this.gpu.state;
    const report = gpu.status === 'ready' || gpu.status === 'lost' ? gpu.report : null;
    return html`<header>
      <h1>fusetune</h1>
      <span class="tagline">fused WebGPU training of many small networks at once</span>
      ${report
        ? html`<span class="chip ${report.isSoftware ? 'software' : ''}">${report.description || [report.vendor, report.architecture].filter(Boolean).join(' ')}${report.isSoftware ? ' (software)' : ''}</span>`
        : nothing}
    </header>`;
  }

  /** Why Run is unavailable, or '' when it can run. */
  private blocker(): string {
    if (this.gpu.state.status === 'unavailable') return 'This browser has no WebGPU, so it cannot run studies; it can show results.';
    if (this.jsonError) return 'The Study JSON text does not parse: fix it (or undo the edit) before running.';
    const table = this.table.check;
    // A table that cannot train is named before the fields it leaves unfillable (its target). The check exists only while the draft reads a table.
    if (table?.summary?.error) return `${table.name} cannot train: ${table.summary.error}`;
    const issues = this.issues().length;
    if (issues > 0) return `Fix ${issues === 1 ? 'the problem' : `${issues} problems`} in the study before running.`;
    if (this.gpu.state.status === 'pending') return 'Waiting for the WebGPU device…';
    const parsed = this.check.study?.data;
    if ((parsed?.kind === 'csv' || parsed?.kind === 'table') && !this.files.has(parsed.path)) return `Upload ${parsed.path} (Study tab, Data) before running.`;
    if (this.csv?.error) return `${this.csv.name} cannot train: ${this.csv.error}`;
    if (parsed?.kind === 'table' && (!table || table.pending)) return `Reading ${parsed.path}…`;
    return '';
  }

  /**
   * The draft's issues and, once its uploaded table is described, those only the data shows (as a
   * run would: an objective of the other task, a batch larger than the training rows).
   */
  private issues(): readonly StudyIssue[] {
    const { study, issues } = this.check;
    const encoded = study?.data.kind === 'table' ? this.table.check?.summary?.encoded : null;
    if (!study || !encoded) return issues;
    if (this.dataIssues?.study === study && this.dataIssues.encoded === encoded) return this.dataIssues.issues;
    let found: StudyIssue[] = [];
    try {
      checkStudyAgainstData(studyForTask(study, encoded.task), encoded.trainRows, { task: encoded.task, ...(encoded.folds ? { folds: encoded.folds } : {}) });
    } catch (error) {
      if (!(error instanceof StudyError)) throw error;
      found = error.issues;
    }
    this.dataIssues = { study, encoded, issues: found };
    return found;
  }

  private setDraft(draft: Draft): void {
    this.draft = draft;
    this.check = checkDraft(draft);
    this.csv = checkCsv(draft.data, this.files);
    this.table.update(draft.data, this.files);
    // replaceState: every edit would otherwise be a history entry for Back to walk through.
    history.replaceState(null, '', `#${draftToHash(draft)}`);
  }

  private readonly onHashChange = () => {
    const linked = draftFromHash(location.hash);
    if (!linked) return;
    if ('draft' in linked) {
      this.notice = 'Loaded the study from the link.';
      this.setDraft(linked.draft);
      this.show('study');
    } else this.notice = linked.error;
  };

  private async addFiles(studyId: string): Promise<void> {
    const files = await this.study.files(studyId);
    if (files.size > 0) this.addUploads(files);
  }

  private addUploads(files: ReadonlyMap<string, UploadedFile>): void {
    this.files = new Map([...this.files, ...files]);
    this.csv = checkCsv(this.draft.data, this.files);
    this.table.update(this.draft.data, this.files);
  }

  private show(tab: Tab): void {
    this.tab = tab;
    if (tab === 'lab') this.labOpened = true;
  }

  private onTabKey(event: KeyboardEvent): void {
    const tabs = this.tabs();
    const i = tabs.findIndex((t) => t.id === this.tab);
    const next = event.key === 'ArrowRight' ? i + 1 : event.key === 'ArrowLeft' ? i - 1 : event.key === 'Home' ? 0 : event.key === 'End' ? tabs.length - 1 : null;
    if (next === null) return;
    event.preventDefault();
    const tab = tabs[(next + tabs.length) % tabs.length]!;
    this.show(tab.id);
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`#tab-${tab.id}`)?.focus());
  }

  /** Asks before Run replaces a saved run of the very same study that could resume with finished trials. */
  private renderConfirmRun() {
    const ask = this.confirmRun;
    if (!ask) return nothing;
    const finished = ask.saved.trialsFinished;
    return html`<div class="confirm" role="alertdialog" aria-labelledby="confirm-run-text" data-testid="confirm-run" @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && this.answerRun('cancel')}>
      <p id="confirm-run-text">A saved run of this very study is <strong>${ask.saved.status}</strong> with ${finished} of ${ask.saved.trialsTotal} trials finished. Run starts it again from the first trial; Resume keeps those ${finished} and trains the rest.</p>
      <div class="buttons">
        <button type="button" class="primary" data-answer="resume" @click=${() => this.answerRun('resume')}>Resume it</button>
        <button type="button" data-answer="keep" @click=${() => this.answerRun('keep')}>Run anew, keep the saved run</button>
        <button type="button" data-answer="replace" @click=${() => this.answerRun('replace')}>Run anew, replace the saved run</button>
        <button type="button" data-answer="cancel" @click=${() => this.answerRun('cancel')}>Cancel</button>
      </div>
    </div>`;
  }

  private async answerRun(answer: 'resume' | 'keep' | 'replace' | 'cancel'): Promise<void> {
    const ask = this.confirmRun;
    this.confirmRun = null;
    if (!ask) return;
    if (answer === 'cancel') {
      await this.updateComplete;
      this.renderRoot.querySelector('ft-run-panel')?.focusAction('start');
      return;
    }
    this.exportError = '';
    this.fileError = '';
    this.show('results');
    if (answer === 'resume') {
      await this.study.open(ask.saved.id);
      await this.study.resume();
    } else await this.study.start(ask.study, this.files, { replace: answer === 'replace' });
  }

  private async onRunAction(event: CustomEvent<{ action: RunAction }>): Promise<void> {
    switch (event.detail.action) {
      case 'start': {
        const study = this.check.study;
        if (!study || this.blocker()) return;
        // NOTE: Run on a paused study would replace its saved run and its finished trials: ask first, and keep it unless told.
        const resumable = (await this.study.identicalSaved(study)).find((s) => StudyController.canResume(s.status) && s.trialsFinished > 0);
        if (resumable) {
          this.confirmRun = { study, saved: resumable };
          await this.updateComplete;
          this.renderRoot.querySelector<HTMLElement>('[data-answer="resume"]')?.focus();
          return;
        }
        this.exportError = '';
        this.fileError = '';
        this.show('results');
        await this.study.start(study, this.files);
        return;
      }
      case 'resume':
        this.show('results');
        await this.study.resume();
        return;
      case 'pause':
        this.study.pause();
        return;
      case 'stop':
        this.study.stop();
    }
  }

  private async onOpen(event: CustomEvent<{ id: string }>): Promise<void> {
    await this.study.open(event.detail.id);
    const saved = this.study.session.saved;
    if (!saved) return;
    this.setDraft(structuredClone(saved.study) as Draft);
    await this.addFiles(saved.id);
    this.show('results');
  }

  private onResultsFile(event: CustomEvent<{ name: string; text: string }>): void {
    const { name, text } = event.detail;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      const journal = /^\s*\{\s*"op_code"/.test(text) ? ' (it looks like an Optuna journal: open it with Open Optuna journal…)' : '';
      this.fileError = `${name} is not JSON: ${message(error)}${journal}`;
      return;
    }
    this.setFileError(this.study.openResults(name, json));
  }

  private async onJournalFile(event: CustomEvent<{ name: string; text: string }>): Promise<void> {
    this.setFileError(await this.study.openJournal(event.detail.name, event.detail.text));
  }

  /**
   * `?journal=<url>` (what `fusetune app` opens): reads the journal text at that address as it
   * arrives, and keeps reading while the response stays open, so a study that workers are still
   * writing shows each record as it is appended.
   */
  private async followJournal(): Promise<void> {
    const url = new URLSearchParams(location.search).get('journal');
    if (!url) return;
    const name = decodeURIComponent(url.split('/').pop() || 'journal.log');
    this.show('results');
    let opened = false;
    try {
      const response = await fetch(url);
      if (!response.ok || !response.body) throw new Error(`${response.status} ${response.statusText}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.setFileError(opened ? this.study.appendJournal(value) : await this.study.openJournal(name, value, true));
        opened = true;
      }
      if (!opened) this.setFileError(await this.study.openJournal(name, '', true));
    } catch (error) {
      this.fileError = opened
        ? `${name} is no longer followed: the connection to ${url} broke (${message(error)}; was fusetune app stopped?); the study shows what was read until then`
        : `cannot read the journal at ${url}: ${message(error)}`;
    }
  }

  private setFileError(error: string | null): void {
    this.fileError = error ?? '';
    this.exportError = '';
  }

  private async onCompare(event: CustomEvent<{ ids: string[] }>): Promise<void> {
    this.compared = await this.study.load(event.detail.ids);
  }

  private async onExport(event: CustomEvent<{ kind: ExportKind }>): Promise<void> {
    try {
      const { fileName, blob } = await this.study.exportFile(event.detail.kind);
      downloadBlob(fileName, blob);
      this.exportError = '';
    } catch (error) {
      this.exportError = message(error);
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-app': FtApp;
  }
}
