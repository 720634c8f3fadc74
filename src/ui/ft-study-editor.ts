// <ft-study-editor>: edits a study (presets, data, search space, defaults, objectives, sampler, pruner, budget, seed) with the study file's own validation.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { StudyIssue } from '../search/errors.ts';
import { TRIAL_DEFAULTS } from '../model/trial-config.ts';
import { HYPERPARAMETER_NAMES } from '../search/hyperparameters.ts';
import { downloadBlob } from './download.ts';
import './ft-data-editor.ts';
import './ft-field.ts';
import './ft-param-editor.ts';
import './ft-policy-editor.ts';
import type { TableCheck } from './controllers/table-check-controller.ts';
import { draftToHash, issuesAt, issuesUnder, newParameter, presetDraft, PRESETS, type CsvCheck, type Draft } from './study-draft.ts';
import { baseStyles } from './styles.ts';

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {});

/** An object with one key renamed in place, so the declaration order (which matters to conditions and grids) stays. */
function renameKey(object: Json, from: string, to: string): Json {
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k === from ? to : k, v]));
}

function moveKey(object: Json, key: string, delta: number): Json {
  const entries = Object.entries(object);
  const i = entries.findIndex(([k]) => k === key);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= entries.length) return object;
  [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  return Object.fromEntries(entries);
}

/**
 * @fires draft-change - `detail: { draft }`: the whole study draft after an edit, import or preset.
 * @fires data-file - `detail: { name, contents }`: a data file the user uploaded (from the data editor).
 * @fires json-state - `detail: { error }`: the Study JSON text stopped parsing (its message) or parses again (''); Run waits for it.
 */
@customElement('ft-study-editor')
export class FtStudyEditor extends LitElement {
  /** The study being edited, as JSON that may be invalid. */
  @property({ attribute: false }) draft: Draft = {};
  /** Every problem parseStudy found in the draft. */
  @property({ attribute: false }) issues: readonly StudyIssue[] = [];
  /** Trials the draft runs, when valid (Infinity when only samples or seconds end it). */
  @property({ attribute: false }) trials: number | null = null;
  /** The grid's combinations, when the sampler is a grid. */
  @property({ attribute: false }) gridSize: number | null = null;
  /** Data files uploaded in this browser. */
  @property({ attribute: false }) files: readonly string[] = [];
  /** The CSV the draft reads, as a run would read it: its preview or its problem. */
  @property({ attribute: false }) csv: CsvCheck | null = null;
  /** The uploaded table the draft reads, as a run would read it: its columns, width and split, or its problem. */
  @property({ attribute: false }) table: TableCheck | null = null;

  /** The preset picked in the menu; '' until one is, when the menu shows the preset the draft equals (or none). */
  @state() private preset = '';
  @state() private notice = '';
  @state() private jsonText: string | null = null;
  @state() private jsonError = '';

  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      .toolbar { display: flex; flex-wrap: wrap; gap: 0.4rem; align-items: end; margin-bottom: 0.6rem; }
      .toolbar label { font-size: 0.8rem; color: var(--ft-muted); display: flex; flex-direction: column; gap: 0.15rem; }
      .file-button { position: relative; }
      .file-button input { position: absolute; inset: 0; opacity: 0; cursor: pointer; }
      .file-button:focus-within { outline: 2px solid var(--ft-accent); outline-offset: 2px; border-radius: 5px; }
      section { margin-bottom: 0.9rem; }
      section > h3 { display: flex; justify-content: space-between; align-items: baseline; margin-top: 0; }
      .grid { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 0.4rem 0.6rem; align-items: start; }
      .span2 { grid-column: span 2; }
      .params { display: flex; flex-direction: column; gap: 0.5rem; }
      .add { display: flex; gap: 0.4rem; align-items: center; margin-top: 0.5rem; }
      .defaults { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr) auto; gap: 0.3rem 0.6rem; align-items: end; }
      .summary { border: 1px solid var(--ft-error); background: var(--ft-error-soft); border-radius: 6px; padding: 0.5rem 0.75rem; margin-bottom: 0.75rem; }
      .summary h3 { margin: 0 0 0.25rem; color: var(--ft-error); }
      .summary ul { margin: 0; padding-left: 1.1rem; font-size: 0.85rem; }
      .summary code { font-size: 0.8rem; }
      .ok { color: var(--ft-ok); font-size: 0.85rem; }
      .notice { font-size: 0.85rem; color: var(--ft-muted); margin: 0 0 0.5rem; }
      textarea { width: 100%; box-sizing: border-box; min-height: 16rem; font-family: ui-monospace, monospace; font-size: 0.8rem; }
      .message { color: var(--ft-error); font-size: 0.8rem; margin: 0.2rem 0 0; }
    `,
  ];

  override render() {
    const d = this.draft;
    const space = asObject(d.space);
    const names = Object.keys(space);
    const defaults = asObject(d.defaults);
    const unusedNames = HYPERPARAMETER_NAMES.filter((n) => !Object.hasOwn(space, n));
    // A default is for what the space does not sample, or samples only under a condition; epochs has its budget field.
    const conditional = (n: string) => asObject(space[n]).when !== undefined;
    const unusedDefaults = HYPERPARAMETER_NAMES.filter((n) => !Object.hasOwn(defaults, n) && (!Object.hasOwn(space, n) || conditional(n)) && n !== 'epochs');
    const matching = PRESETS.find((p) => JSON.stringify(p.study) === JSON.stringify(d))?.id ?? '';
    const preset = this.preset || matching;
    const at = (path: string) => issuesAt(this.issues, path);
    const field = (key: string, label: string, kind: 'text' | 'number', hint = '') =>
      html`<ft-field label=${label} kind=${kind} hint=${hint} .value=${d[key]} .issues=${at(key)}
        @field-change=${(e: CustomEvent<{ value: unknown }>) => this.setKey(d, key, e.detail.value)}></ft-field>`;
    // The file's own problem first: a bad file is why a target or a column cannot be picked.
    const fileProblem = this.csv?.error ? `${this.csv.name}: ${this.csv.error}` : (this.table?.summary?.error ?? '');
    const problems = this.issues.length + (fileProblem ? 1 : 0);
    return html`
      <div class="toolbar">
        <label>Preset
          <select aria-label="Preset" @change=${(e: Event) => (this.preset = (e.target as HTMLSelectElement).value)}>
            <option value="" disabled .selected=${preset === ''}>${matching ? '' : 'Custom study (pick a preset)'}</option>
            ${PRESETS.map((p) => html`<option value=${p.id} .selected=${p.id === preset}>${p.label}${p.id === matching ? ' (loaded)' : ''}</option>`)}
          </select>
        </label>
        <button type="button" ?disabled=${preset === '' || preset === matching} @click=${() => this.loadPreset(preset)}>Load preset</button>
        <span class="file-button"><button type="button" tabindex="-1">Import JSON…</button>
          <input type="file" accept=".json,application/json" aria-label="Import study JSON" @change=${this.importFile} /></span>
        <button type="button" @click=${this.exportFile}>Export JSON</button>
        <button type="button" @click=${this.copyLink}>Copy link</button>
      </div>
      ${this.notice ? html`<p class="notice" role="status">${this.notice}</p>` : nothing}
      ${this.issues.length || fileProblem
        ? html`<div class="summary" data-testid="study-issues" role="region" aria-label="Problems in the study">
            <h3>${fileProblem && !this.issues.length ? 'The data file cannot train' : `${problems === 1 ? '1 problem' : `${problems} problems`} to fix before running`}</h3>
            <ul>${fileProblem ? html`<li><code>data.path</code>: ${fileProblem}</li>` : nothing}${this.issues.map((i) => html`<li><code>${i.path}</code>: ${i.message}</li>`)}</ul>
          </div>`
          : html`<p class="ok" data-testid="study-valid">Valid study: ${this.trialsText()}.</p>`}

      <section aria-labelledby="h-study">
        <h3 id="h-study">Study</h3>
        <div class="grid">
          <div class="span2">${field('name', 'name', 'text')}</div>
          ${field('seed', 'seed', 'number', 'fixes every trial')}
        </div>
      </section>

      <section aria-labelledby="h-data">
        <h3 id="h-data">Data</h3>
        <ft-data-editor .data=${asObject(d.data)} .issues=${issuesUnder(this.issues, 'data')} .files=${this.files} .csv=${this.csv} .table=${this.table}
          @data-change=${(e: CustomEvent<{ data: Json }>) => this.setKey(d, 'data', e.detail.data)}
          @data-file=${(e: CustomEvent<{ name: string; contents: unknown }>) => this.dispatchEvent(new CustomEvent('data-file', { detail: e.detail }))}></ft-data-editor>
      </section>

      <section aria-labelledby="h-space">
        <h3 id="h-space">Search space <span class="muted">${names.length} parameter${names.length === 1 ? '' : 's'}</span></h3>
        <div class="params">
          ${names.map(
            (name, i) => html`<ft-param-editor .name=${name} .distribution=${asObject(space[name])} .issues=${issuesUnder(this.issues, `space.${name}`)}
              .names=${[name, ...unusedNames]} .earlier=${names.slice(0, i)} ?first=${i === 0} ?last=${i === names.length - 1}
              @param-change=${(e: CustomEvent<{ name: string; distribution: Json }>) => this.setKey(d, 'space', { ...space, [e.detail.name]: e.detail.distribution })}
              @param-rename=${(e: CustomEvent<{ from: string; to: string }>) => this.setKey(d, 'space', renameKey(space, e.detail.from, e.detail.to))}
              @param-remove=${(e: CustomEvent<{ name: string }>) => this.setKey(d, 'space', Object.fromEntries(Object.entries(space).filter(([k]) => k !== e.detail.name)))}
              @param-move=${(e: CustomEvent<{ name: string; delta: number }>) => this.setKey(d, 'space', moveKey(space, e.detail.name, e.detail.delta))}
            ></ft-param-editor>`,
          )}
        </div>
        ${issuesAt(this.issues, 'space', true).length ? html`<p class="message">${issuesAt(this.issues, 'space', true).map((i) => i.message).join('; ')}</p>` : nothing}
        <div class="add">
          <select id="add-param" aria-label="Parameter to add">${unusedNames.map((n) => html`<option>${n}</option>`)}</select>
          <button type="button" ?disabled=${unusedNames.length === 0} @click=${() => this.addParam(space)}>Add parameter</button>
        </div>
      </section>

      <section aria-labelledby="h-defaults">
        <h3 id="h-defaults">Defaults <span class="muted">values for what the space does not sample</span></h3>
        <div class="defaults">
          ${Object.entries(defaults).map(
            ([name, value]) => html`
              <ft-field label="default" context=${name} kind="select" .value=${name} .options=${[name, ...unusedDefaults].map((n) => ({ label: n, value: n }))}
                @field-change=${(e: CustomEvent<{ value: unknown }>) => this.setKey(d, 'defaults', renameKey(defaults, name, String(e.detail.value)))}></ft-field>
              <ft-field label="value" context="default ${name}" kind="scalar" .value=${value} .issues=${at(`defaults.${name}`)}
                @field-change=${(e: CustomEvent<{ value: unknown }>) => this.setKey(d, 'defaults', { ...defaults, [name]: e.detail.value })}></ft-field>
              <button class="small" type="button" aria-label="Remove default ${name}"
                @click=${() => this.setKey(d, 'defaults', Object.fromEntries(Object.entries(defaults).filter(([k]) => k !== name)))}>Remove</button>
            `,
          )}
        </div>
        <div class="add">
          <select id="add-default" aria-label="Default to add">${unusedDefaults.map((n) => html`<option>${n}</option>`)}</select>
          <button type="button" ?disabled=${unusedDefaults.length === 0} @click=${() => this.addDefault(defaults)}>Add default</button>
        </div>
      </section>

      <section aria-labelledby="h-policy">
        <h3 id="h-policy">Objectives, sampler, pruner and budget</h3>
        <ft-policy-editor .draft=${d} .issues=${this.issues} .trials=${this.trials} .gridSize=${this.gridSize} .task=${this.task()}
          @policy-change=${(e: CustomEvent<{ key: string; value: unknown }>) => this.setKey(d, e.detail.key, e.detail.value)}></ft-policy-editor>
      </section>

      <details @toggle=${(e: Event) => {
        const open = (e.target as HTMLDetailsElement).open;
        this.jsonText = open ? JSON.stringify(this.draft, null, 2) : null;
        // Closing the box drops text that did not parse; the study is the last one that did.
        if (!open) this.setJsonError('');
      }}>
        <summary>Study JSON</summary>
        <textarea aria-label="Study JSON" spellcheck="false" .value=${this.jsonText ?? JSON.stringify(this.draft, null, 2)}
          @input=${this.editJson}></textarea>
        ${this.jsonError ? html`<p class="message">${this.jsonError}</p>` : nothing}
      </details>
    `;
  }

  override willUpdate(changed: Map<string, unknown>): void {
    // An edit made elsewhere replaces the JSON text unless the text already says the same.
    if (changed.has('draft') && this.jsonText !== null) {
      try {
        if (JSON.stringify(JSON.parse(this.jsonText)) === JSON.stringify(this.draft)) return;
      } catch {
        // Text that does not parse yet is being typed: keep it.
        return;
      }
      this.jsonText = JSON.stringify(this.draft, null, 2);
    }
  }

  private emit(draft: Draft): void {
    this.dispatchEvent(new CustomEvent('draft-change', { detail: { draft } }));
  }

  private setKey(d: Draft, key: string, value: unknown): void {
    const next: Draft = { ...d };
    if (value === undefined) delete next[key];
    else next[key] = value;
    this.emit(next);
  }

  /** The data's task, where known before Run: a table's (as described, else as set), classification for the other kinds; null while a table's is unknown. */
  private task(): 'classification' | 'regression' | null {
    const data = asObject(this.draft.data);
    if (data.kind !== 'table') return 'classification';
    const task = this.table?.summary?.encoded?.task ?? data.task;
    return task === 'classification' || task === 'regression' ? task : null;
  }

  private trialsText(): string {
    const n = this.trials;
    if (n === null) return '? trials';
    if (!Number.isFinite(n)) return 'trials until its sample or time budget is spent';
    const grid = this.gridSize !== null && this.gridSize > n ? ` of the grid’s ${this.gridSize}` : '';
    return `${n}${grid} trial${n === 1 && !grid ? '' : 's'}`;
  }

  /** Adds a parameter to the space; a default for it goes (the space samples it now in every trial), and the notice says so. */
  private addParam(space: Json): void {
    const name = this.renderRoot.querySelector<HTMLSelectElement>('#add-param')?.value;
    if (!name) return;
    const next: Draft = { ...this.draft, space: { ...space, [name]: newParameter(name) } };
    const defaults = asObject(this.draft.defaults);
    if (Object.hasOwn(defaults, name)) {
      const rest = Object.fromEntries(Object.entries(defaults).filter(([k]) => k !== name));
      if (Object.keys(rest).length > 0) next.defaults = rest;
      else delete next.defaults;
      this.notice = `Removed defaults.${name} (${JSON.stringify(defaults[name])}): the space samples ${name} now.`;
    }
    this.emit(next);
  }

  private addDefault(defaults: Json): void {
    const name = this.renderRoot.querySelector<HTMLSelectElement>('#add-default')?.value;
    if (name) this.setKey(this.draft, 'defaults', { ...defaults, [name]: (TRIAL_DEFAULTS as Record<string, string | number>)[name] ?? 0 });
  }

  private loadPreset(id: string): void {
    this.notice = `Loaded the preset "${PRESETS.find((p) => p.id === id)?.label}".`;
    this.preset = '';
    this.emit(presetDraft(id));
    // NOTE: the button turns disabled (the menu now names the loaded preset): hand focus to the menu instead of dropping it to the page.
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLSelectElement>('select[aria-label="Preset"]')?.focus());
  }

  private editJson(event: Event): void {
    this.jsonText = (event.target as HTMLTextAreaElement).value;
    try {
      const json: unknown = JSON.parse(this.jsonText);
      if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('a study is a JSON object');
      this.setJsonError('');
      this.emit(json as Draft);
    } catch (error) {
      this.setJsonError(`not applied: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private setJsonError(message: string): void {
    if (message === this.jsonError) return;
    this.jsonError = message;
    this.dispatchEvent(new CustomEvent('json-state', { detail: { error: message } }));
  }

  private async importFile(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    try {
      const json: unknown = JSON.parse(await file.text());
      if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('a study is a JSON object');
      // A results file (study.json from a run) holds the study under `study`.
      const record = json as Json;
      const study = record.version !== undefined && Array.isArray(record.trials) ? asObject(record.study) : record;
      this.notice = `Imported ${file.name}.`;
      this.emit(study);
    } catch (error) {
      this.notice = `Cannot import ${file.name}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  private exportFile(): void {
    const name = typeof this.draft.name === 'string' && this.draft.name ? this.draft.name : 'study';
    downloadBlob(`${name.replace(/[^\w.-]+/g, '_')}.json`, new Blob([JSON.stringify(this.draft, null, 2) + '\n'], { type: 'application/json' }));
  }

  private async copyLink(): Promise<void> {
    const url = `${location.origin}${location.pathname}#${draftToHash(this.draft)}`;
    try {
      await navigator.clipboard.writeText(url);
      this.notice = 'Copied a link that reproduces this study.';
    } catch {
      this.notice = `Copy this link: ${url}`;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-study-editor': FtStudyEditor;
  }
}
