// <ft-app>: the page shell: run bar, tabs (study, results, saved studies, hardware lab), the edited study and its link, or a clear page without WebGPU.
import { ContextProvider } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { gpuContext } from './context.ts';
import { GpuController } from './controllers/gpu-controller.ts';
import { StudyController, type ExportKind } from './controllers/study-controller.ts';
import { downloadBlob } from './download.ts';
import './ft-device-panel.ts';
import './ft-run-panel.ts';
import type { RunAction } from './ft-run-panel.ts';
import './ft-study-editor.ts';
import './ft-study-list.ts';
import { checkDraft, draftFromHash, draftToHash, presetDraft, type Draft, type DraftCheck } from './study-draft.ts';
import { baseStyles } from './styles.ts';

// The chart views pull in Observable Plot and d3: load them beside the first paint, not before it.
// Their tags upgrade when the modules arrive, keeping whatever properties were set meanwhile.
void import('./ft-results.ts');
void import('./ft-hardware-lab.ts');

const TABS = [
  { id: 'study', label: 'Study' },
  { id: 'results', label: 'Results' },
  { id: 'saved', label: 'Saved studies' },
  { id: 'lab', label: 'Hardware lab' },
] as const;
type Tab = (typeof TABS)[number]['id'];

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

@customElement('ft-app')
export class FtApp extends LitElement {
  private readonly gpu = new GpuController(this);
  private readonly study = new StudyController(this, this.gpu);
  /** Views that run their own GPU work (the hardware lab) share the page's device through this. */
  protected readonly gpuProvider = new ContextProvider(this, { context: gpuContext, initialValue: this.gpu });

  @state() private draft: Draft = {};
  @state() private check: DraftCheck = { study: null, issues: [], trials: null };
  @state() private tab: Tab = 'study';
  /** The lab runs benchmarks on the GPU, so it is built only once someone opens it. */
  @state() private labOpened = false;
  /** CSV files uploaded in this page, by name. */
  @state() private files = new Map<string, string>();
  @state() private notice = '';
  @state() private exportError = '';
  private edited = false;

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
      if (!saved) return;
      // Without a link, pick up where the last visit left off (unless editing began meanwhile).
      if (!fromLink && !this.edited) this.setDraft(structuredClone(saved.study) as Draft);
      await this.addFiles(saved.id);
    });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHashChange);
  }

  override disconnectedCallback(): void {
    window.removeEventListener('hashchange', this.onHashChange);
    super.disconnectedCallback();
  }

  override render() {
    const gpu = this.gpu.state;
    if (gpu.status === 'unavailable') {
      return html`${this.renderHeader()}
        <main><div class="alert" role="alert" data-testid="no-webgpu"><strong>WebGPU is not available.</strong><p>${gpu.message}</p></div></main>`;
    }
    const session = this.study.session;
    return html`
      ${this.renderHeader()}
      ${gpu.status === 'lost'
        ? html`<div class="alert" role="alert" data-testid="device-lost">
            <strong>The GPU device was lost.</strong>
            <p>${gpu.message}</p>
            <p>The run stopped; its finished trials are saved. ${session.resumable ? 'Resume continues the study on a new device.' : 'Run starts again on a new device.'}</p>
          </div>`
        : nothing}
      ${this.notice ? html`<p class="notice muted" role="status">${this.notice}</p>` : nothing}
      <div class="runbar panel">
        <ft-run-panel .blocker=${this.blocker()} .draftName=${String(this.draft.name ?? 'study')} .draftTrials=${this.check.trials}
          .bytesHeld=${gpu.status === 'ready' ? gpu.bytesHeld : 0} @run-action=${this.onRunAction}></ft-run-panel>
      </div>
      <nav role="tablist" aria-label="Views" @keydown=${this.onTabKey}>
        ${TABS.map(
          (t) => html`<button role="tab" id="tab-${t.id}" aria-controls="panel-${t.id}" aria-selected=${this.tab === t.id} tabindex=${this.tab === t.id ? 0 : -1}
            @click=${() => this.show(t.id)}>${t.label}${t.id === 'saved' && session.studies.length ? ` (${session.studies.length})` : ''}</button>`,
        )}
      </nav>
      <section role="tabpanel" id="panel-study" aria-labelledby="tab-study" ?hidden=${this.tab !== 'study'}>
        <div class="study-grid">
          <div class="panel">
            <ft-study-editor .draft=${this.draft} .issues=${this.check.issues} .trials=${this.check.trials} .files=${[...this.files.keys()]}
              @draft-change=${(e: CustomEvent<{ draft: Draft }>) => {
                this.edited = true;
                this.setDraft(e.detail.draft);
              }}
              @data-file=${(e: CustomEvent<{ name: string; text: string }>) => (this.files = new Map([...this.files, [e.detail.name, e.detail.text]]))}></ft-study-editor>
          </div>
          <aside class="panel">
            ${gpu.status === 'pending' ? html`<p role="status">Requesting a WebGPU adapter…</p>` : nothing}
            ${gpu.status === 'ready' || gpu.status === 'lost'
              ? html`<ft-device-panel .report=${gpu.report} .bytesHeld=${gpu.status === 'ready' ? gpu.bytesHeld : 0}></ft-device-panel>`
              : nothing}
          </aside>
        </div>
      </section>
      <section role="tabpanel" id="panel-results" aria-labelledby="tab-results" ?hidden=${this.tab !== 'results'}>
        <ft-results .exportError=${this.exportError} @export-request=${this.onExport}></ft-results>
      </section>
      <section role="tabpanel" id="panel-saved" aria-labelledby="tab-saved" ?hidden=${this.tab !== 'saved'}>
        <div class="panel">
          <ft-study-list @study-open=${this.onOpen} @study-delete=${(e: CustomEvent<{ id: string }>) => void this.study.remove(e.detail.id)}></ft-study-list>
        </div>
      </section>
      <section role="tabpanel" id="panel-lab" aria-labelledby="tab-lab" ?hidden=${this.tab !== 'lab'}>
        ${this.labOpened ? html`<ft-hardware-lab></ft-hardware-lab>` : nothing}
      </section>
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
    const issues = this.check.issues.length;
    if (issues > 0) return `Fix ${issues === 1 ? 'the problem' : `${issues} problems`} in the study before running.`;
    if (this.gpu.state.status === 'pending') return 'Waiting for the WebGPU device…';
    const data = this.check.study?.data;
    if (data?.kind === 'csv' && !this.files.has(data.path)) return `Upload ${data.path} (Study tab, Data) before running.`;
    return '';
  }

  private setDraft(draft: Draft): void {
    this.draft = draft;
    this.check = checkDraft(draft);
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
    if (files.size > 0) this.files = new Map([...this.files, ...files]);
  }

  private show(tab: Tab): void {
    this.tab = tab;
    if (tab === 'lab') this.labOpened = true;
  }

  private onTabKey(event: KeyboardEvent): void {
    const i = TABS.findIndex((t) => t.id === this.tab);
    const next = event.key === 'ArrowRight' ? i + 1 : event.key === 'ArrowLeft' ? i - 1 : event.key === 'Home' ? 0 : event.key === 'End' ? TABS.length - 1 : null;
    if (next === null) return;
    event.preventDefault();
    const tab = TABS[(next + TABS.length) % TABS.length]!;
    this.show(tab.id);
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`#tab-${tab.id}`)?.focus());
  }

  private async onRunAction(event: CustomEvent<{ action: RunAction }>): Promise<void> {
    switch (event.detail.action) {
      case 'start':
        if (!this.check.study) return;
        this.exportError = '';
        this.show('results');
        await this.study.start(this.check.study, this.files);
        return;
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
