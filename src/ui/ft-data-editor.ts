// <ft-data-editor>: the study's data set: MNIST at a pixel count, a synthetic set with its size and noise, an uploaded CSV, or an uploaded table with its columns.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { UploadedFile } from '../data/browser.ts';
import { formatOf } from '../data/read-table.ts';
import { SYNTHETIC_KINDS } from '../data/spec.ts';
import type { StudyIssue } from '../search/errors.ts';
import type { TableCheck } from './controllers/table-check-controller.ts';
import './ft-field.ts';
import type { FieldOption } from './ft-field.ts';
import './ft-table-columns.ts';
import { issuesAt, withKey, type CsvCheck } from './study-draft.ts';
import { baseStyles } from './styles.ts';

type Json = Record<string, unknown>;

const KINDS: FieldOption[] = [
  { label: 'MNIST digits', value: 'mnist' },
  ...SYNTHETIC_KINDS.map((kind) => ({ label: `synthetic: ${kind}`, value: kind })),
  { label: 'CSV upload', value: 'csv' },
  { label: 'Table upload (CSV, TSV, JSON, Arrow, Parquet)', value: 'table' },
];
/** The extensions read-table.ts knows. */
const TABLE_ACCEPT = '.csv,.tsv,.tab,.json,.arrow,.feather,.arrows,.ipc,.parquet,.pq';
const PIXELS: FieldOption[] = [
  { label: '784 (28×28)', value: 784 },
  { label: '196 (14×14, 2×2 pooled)', value: 196 },
  { label: '49 (7×7, 4×4 pooled)', value: 49 },
];
const isSynthetic = (kind: unknown) => (SYNTHETIC_KINDS as readonly unknown[]).includes(kind);

/** The spec for another kind, keeping the synthetic settings when moving between synthetic sets. */
export function switchKind(data: Json, kind: string, files: readonly string[]): Json {
  if (kind === 'mnist') return { kind, pixels: 196 };
  if (kind === 'csv') return { kind, path: files[0] ?? '', labelColumn: 'label', validation: 0.2 };
  // No target yet: the columns view lists the file's columns to pick it from.
  if (kind === 'table') return { kind, path: files[0] ?? '' };
  const { n = 1000, noise = 0.1, seed = 1 } = isSynthetic(data.kind) ? data : {};
  return { kind, n, noise, seed, ...(kind === 'gaussians' ? { classes: 3 } : {}) };
}

/**
 * @fires data-change - `detail: { data }`: the new data spec JSON.
 * @fires data-file - `detail: { name, contents }`: a file the user uploaded: text, or bytes for Arrow and Parquet.
 */
@customElement('ft-data-editor')
export class FtDataEditor extends LitElement {
  /** The study's `data` as draft JSON. */
  @property({ attribute: false }) data: Json = {};
  /** Issues under `data`. */
  @property({ attribute: false }) issues: readonly StudyIssue[] = [];
  /** Names of the data files uploaded in this browser. */
  @property({ attribute: false }) files: readonly string[] = [];
  /** The chosen CSV read as a run will read it: a preview, or why it cannot train. */
  @property({ attribute: false }) csv: CsvCheck | null = null;
  /** The chosen table read as a run will read it: its columns, encoded width and split, or its DataError. */
  @property({ attribute: false }) table: TableCheck | null = null;

  @state() private readError = '';

  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      .row { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 0.4rem 0.6rem; align-items: start; }
      .upload { grid-column: span 2; display: flex; flex-direction: column; gap: 0.15rem; }
      .upload label { font-size: 0.8rem; color: var(--ft-muted); }
      .message { color: var(--ft-error); font-size: 0.8rem; margin: 0.3rem 0 0; }
      .preview { grid-column: 1 / -1; font-size: 0.85rem; border-radius: 5px; padding: 0.35rem 0.6rem; margin: 0; }
      .preview.ok { background: #eef7f0; border: 1px solid #b9dcc2; }
      .preview.bad { background: var(--ft-error-soft); border: 1px solid var(--ft-error); color: var(--ft-error); }
    `,
  ];

  override render() {
    const d = this.data;
    const at = (key: string) => issuesAt(this.issues, `data.${key}`);
    const field = (key: string, label: string, kind: 'number' | 'text' | 'checkbox', hint = '') =>
      html`<ft-field label=${label} kind=${kind} hint=${hint} .value=${d[key]} .issues=${at(key)}
        @field-change=${(e: CustomEvent<{ value: unknown }>) => this.set(key, e.detail.value)}></ft-field>`;
    const own = issuesAt(this.issues, 'data', true);
    return html`<div class="row">
        <ft-field label="data set" kind="select" .value=${d.kind} .options=${KINDS} .issues=${at('kind')}
          @field-change=${(e: CustomEvent<{ value: unknown }>) => this.replace(switchKind(d, String(e.detail.value), this.files))}></ft-field>
        ${d.kind === 'mnist'
          ? html`<ft-field label="pixels" kind="select" .value=${d.pixels ?? 784} .options=${PIXELS} .issues=${at('pixels')}
                @field-change=${(e: CustomEvent<{ value: unknown }>) => this.set('pixels', e.detail.value)}></ft-field>
              ${field('trainLimit', 'training rows', 'number', 'optional; 8000 in all')}`
          : nothing}
        ${isSynthetic(d.kind)
          ? html`${field('n', 'rows (n)', 'number')}${field('noise', 'noise', 'number')}
              ${d.kind === 'gaussians' ? field('classes', 'classes', 'number') : nothing}${field('seed', 'data seed', 'number')}`
          : nothing}
        ${d.kind === 'csv' ? this.renderCsv(d, at, field) : nothing}
        ${d.kind === 'table' ? this.renderTable(d, at) : nothing}
      </div>
      ${own.length ? html`<p class="message">${own.map((i) => i.message).join('; ')}</p>` : nothing}`;
  }

  private renderCsv(d: Json, at: (key: string) => StudyIssue[], field: (key: string, label: string, kind: 'number' | 'text' | 'checkbox', hint?: string) => unknown) {
    const path = typeof d.path === 'string' ? d.path : '';
    const missing = path !== '' && !this.files.includes(path);
    const pathIssues = [...at('path'), ...(missing ? [{ path: 'data.path', message: `"${path}" is not uploaded in this browser: upload it` }] : [])];
    return html`<div class="upload">
        <label for="file">CSV file (header row; one label column)</label>
        <input id="file" type="file" accept=".csv,text/csv" @change=${(e: Event) => this.upload(e, false)} />
        ${this.readError ? html`<p class="message">${this.readError}</p>` : nothing}
      </div>
      <ft-field label="file" kind="select" .value=${d.path} .options=${this.files.map((f) => ({ label: f, value: f }))} .issues=${pathIssues}
        @field-change=${(e: CustomEvent<{ value: unknown }>) => this.set('path', e.detail.value)}></ft-field>
      ${field('labelColumn', 'label column', 'text')}
      ${field('validation', 'validation fraction', 'number', 'the last rows, 0 … 0.9')}
      ${field('standardize', 'standardize features', 'checkbox')}
      ${this.renderPreview()}`;
  }

  private renderTable(d: Json, at: (key: string) => StudyIssue[]) {
    const path = typeof d.path === 'string' ? d.path : '';
    const missing = path !== '' && !this.files.includes(path);
    const pathIssues = [...at('path'), ...(missing ? [{ path: 'data.path', message: `"${path}" is not uploaded in this browser: upload it` }] : [])];
    return html`<div class="upload">
        <label for="table-file">Table file: .csv, .tsv, .json (records), .arrow/.feather, .parquet</label>
        <input id="table-file" type="file" accept=${TABLE_ACCEPT} @change=${(e: Event) => this.upload(e, true)} />
        ${this.readError ? html`<p class="message">${this.readError}</p>` : nothing}
      </div>
      <ft-field label="file" kind="select" .value=${d.path} .options=${this.files.map((f) => ({ label: f, value: f }))} .issues=${pathIssues}
        @field-change=${(e: CustomEvent<{ value: unknown }>) => this.set('path', e.detail.value)}></ft-field>
      ${path && !missing
        ? html`<ft-table-columns .data=${d} .check=${this.table} .issues=${this.issues}
            @data-change=${(e: CustomEvent<{ data: Json }>) => this.replace(e.detail.data)}></ft-table-columns>`
        : nothing}`;
  }

  private renderPreview() {
    const csv = this.csv;
    if (!csv) return nothing;
    if (csv.error) return html`<p class="preview bad" role="alert" data-testid="csv-preview"><strong>${csv.name}</strong> cannot train: ${csv.error}</p>`;
    const p = csv.preview!;
    const list = (names: string[]) => (names.length > 6 ? `${names.slice(0, 6).join(', ')}, …` : names.join(', '));
    return html`<p class="preview ok" data-testid="csv-preview"><strong>${csv.name}</strong>: ${p.rows} rows (${p.train} train, ${p.validation} validation),
      ${p.features} feature${p.features === 1 ? '' : 's'}${p.featureNames.length ? ` (${list(p.featureNames)})` : ''},
      ${p.classes} classes${p.classNames ? ` (${list(p.classNames)})` : ''}.</p>`;
  }

  /** A table's Arrow and Parquet files are kept as bytes, anything else as text (a name no reader knows as bytes: describing it names the problem). */
  private async upload(event: Event, table: boolean): Promise<void> {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    try {
      const contents: UploadedFile = table && !isTextFormat(file.name) ? new Uint8Array(await file.arrayBuffer()) : await file.text();
      this.readError = '';
      this.dispatchEvent(new CustomEvent('data-file', { detail: { name: file.name, contents } }));
      // Another table's target and column kinds would not fit this one; its missing tokens may.
      const { target: _target, columns: _columns, ...rest } = this.data;
      this.replace(table && file.name !== this.data.path ? { ...rest, path: file.name } : { ...this.data, path: file.name });
    } catch (error) {
      this.readError = `cannot read ${file.name}: ${error instanceof Error ? error.message : String(error)}`;
    }
    input.value = '';
  }

  private set(key: string, value: unknown): void {
    this.replace(withKey(this.data, key, value));
  }

  private replace(data: Json): void {
    this.dispatchEvent(new CustomEvent('data-change', { detail: { data } }));
  }
}

function isTextFormat(name: string): boolean {
  try {
    const format = formatOf(name);
    return format === 'csv' || format === 'tsv' || format === 'json';
  } catch {
    return false;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-data-editor': FtDataEditor;
  }
}
