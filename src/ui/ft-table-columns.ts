// <ft-table-columns>: an uploaded table's columns (kind, why, missing cells, distinct values) with the target, task and missing tokens, and what a run would train on: encoded width and split, or the file's DataError.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { COLUMN_KINDS, type ColumnKind } from '../data/columns.ts';
import type { ColumnSummary } from '../data/describe-table.ts';
import type { StudyIssue } from '../search/errors.ts';
import type { TableCheck } from './controllers/table-check-controller.ts';
import './ft-field.ts';
import type { FieldOption } from './ft-field.ts';
import { formatRate } from './format.ts';
import { issuesAt, withKey } from './study-draft.ts';
import { baseStyles } from './styles.ts';

type Json = Record<string, unknown>;

const TASKS: FieldOption[] = [
  { label: 'guess from the target', value: undefined },
  { label: 'classification', value: 'classification' },
  { label: 'regression', value: 'regression' },
];

/** Row and cell counts, grouped (12,300). */
const formatCount = (n: number) => formatRate(n);

const asRecord = (value: unknown): Record<string, unknown> => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

/** The comma list a user types as missing tokens: each token trimmed, empty ones dropped (an empty cell is missing already). */
export function parseMissingTokens(text: string): string[] {
  return text
    .split(',')
    .map((token) => token.trim())
    .filter((token) => token !== '');
}

/**
 * @fires data-change - `detail: { data }`: the study's `data` after a change of target, task, missing tokens or a column's kind.
 */
@customElement('ft-table-columns')
export class FtTableColumns extends LitElement {
  /** The study's `data` (kind "table") as draft JSON. */
  @property({ attribute: false }) data: Json = {};
  /** Issues under `data`. */
  @property({ attribute: false }) issues: readonly StudyIssue[] = [];
  /** The uploaded file as a run would read it under `data`; null until it is read. */
  @property({ attribute: false }) check: TableCheck | null = null;

  /** The missing tokens as typed, kept while they read as the draft's list (", ." stays as typed). */
  @state() private missingText: string | null = null;

  static override styles = [
    baseStyles,
    css`
      :host { display: block; grid-column: 1 / -1; }
      .settings { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 0.4rem 0.6rem; align-items: start; }
      .missing { display: flex; flex-direction: column; gap: 0.15rem; }
      .missing label { font-size: 0.8rem; color: var(--ft-muted); }
      .hint { color: var(--ft-muted); font-size: 0.75rem; margin: 0; }
      .summary { font-size: 0.85rem; border-radius: 5px; padding: 0.35rem 0.6rem; margin: 0.5rem 0; background: #eef7f0; border: 1px solid #b9dcc2; }
      .summary.bad { background: var(--ft-error-soft); border-color: var(--ft-error); color: var(--ft-error); }
      .summary.waiting { background: #f6f8fa; border-color: var(--ft-line); }
      .scroll { max-height: 22rem; overflow: auto; border: 1px solid var(--ft-line); border-radius: 5px; }
      table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
      th, td { text-align: left; padding: 0.2rem 0.5rem; border-bottom: 1px solid var(--ft-line); }
      th { position: sticky; top: 0; background: #f6f8fa; font-weight: 600; }
      td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
      tr.target td { background: var(--ft-accent-soft); }
      .why { color: var(--ft-muted); }
      .changed { font-weight: 600; }
    `,
  ];

  override render() {
    const d = this.data;
    const summary = this.check?.summary ?? null;
    const columns = summary?.columns ?? [];
    const target = typeof d.target === 'string' ? d.target : undefined;
    const missing = Array.isArray(d.missing) ? d.missing.filter((t): t is string => typeof t === 'string') : [];
    const missingText = this.missingText !== null && JSON.stringify(parseMissingTokens(this.missingText)) === JSON.stringify(missing) ? this.missingText : missing.join(', ');
    const names = columns.map((c) => ({ label: c.name, value: c.name }));
    return html`<div class="settings">
        <ft-field label="target (what the network predicts)" kind="select" .value=${target} .options=${names} .issues=${issuesAt(this.issues, 'data.target')}
          @field-change=${(e: CustomEvent<{ value: unknown }>) => this.setTarget(String(e.detail.value))}></ft-field>
        <ft-field label="task" kind="select" .value=${d.task} .options=${TASKS} .issues=${issuesAt(this.issues, 'data.task')}
          hint=${summary?.encoded && d.task === undefined ? `guessed: ${summary.encoded.task}` : ''}
          @field-change=${(e: CustomEvent<{ value: unknown }>) => this.set('task', e.detail.value)}></ft-field>
        <div class="missing">
          <label for="missing">missing tokens</label>
          <input id="missing" type="text" spellcheck="false" autocomplete="off" placeholder="e.g. ., ?" .value=${missingText} aria-describedby="missing-hint"
            @input=${(e: Event) => {
              this.missingText = (e.target as HTMLInputElement).value;
              const tokens = parseMissingTokens(this.missingText);
              this.set('missing', tokens.length ? tokens : undefined);
            }} />
          <p id="missing-hint" class="hint">comma-separated, besides empty, NA, NaN, null…</p>
        </div>
      </div>
      ${this.renderSummary()}
      ${columns.length ? this.renderColumns(columns, target) : nothing}`;
  }

  private renderSummary() {
    const check = this.check;
    if (!check) return nothing;
    const summary = check.summary;
    if (!summary) return html`<p class="summary waiting" role="status" data-testid="table-summary">Reading ${check.name}…</p>`;
    if (summary.error) return html`<p class="summary bad" role="alert" data-testid="table-error"><strong>${summary.name}</strong> cannot train: ${summary.error}</p>`;
    const e = summary.encoded;
    const reading = check.pending ? ' (updating…)' : '';
    if (!e) return html`<p class="summary waiting" data-testid="table-summary">${summary.name}: ${formatCount(summary.rows)} rows, ${summary.columns.length} columns. Pick the target.${reading}</p>`;
    const classes = e.classNames ? `, ${e.classNames.length} classes (${e.classNames.slice(0, 6).join(', ')}${e.classNames.length > 6 ? ', …' : ''})` : '';
    return html`<p class="summary" data-testid="table-summary" aria-live="polite">
      <strong>${summary.name}</strong>: ${formatCount(summary.rows)} rows${e.dropped ? `, ${formatCount(e.dropped)} without a target left out` : ''};
      encoded width <strong data-testid="encoded-width">${e.width}</strong> input feature${e.width === 1 ? '' : 's'}; ${e.task}${classes};
      split <span data-testid="split-rows">${formatCount(e.split.train)} train / ${formatCount(e.split.validation)} validation / ${formatCount(e.split.test)} test</span>${e.folds ? `, ${e.folds}-fold cross-validation` : ''}.${reading}</p>`;
  }

  private renderColumns(columns: readonly ColumnSummary[], target: string | undefined) {
    const overrides = asRecord(this.data.columns);
    return html`<div class="scroll" tabindex="0" role="region" aria-label="Columns of the table">
      <table data-testid="table-columns">
        <thead><tr><th scope="col">column</th><th scope="col">kind</th><th scope="col">why guessed so</th><th scope="col" class="num">missing</th><th scope="col" class="num">distinct</th></tr></thead>
        <tbody>
          ${columns.map((c) => {
            const isTarget = c.name === target;
            const set = overrides[c.name] as ColumnKind | undefined;
            return html`<tr class=${isTarget ? 'target' : ''} data-column=${c.name}>
              <th scope="row">${c.name}</th>
              <td>${isTarget
                ? html`<span data-testid="kind">target</span>`
                : html`<select aria-label="kind of ${c.name}" data-testid="kind" class=${set !== undefined && set !== c.guessed ? 'changed' : ''}
                    @change=${(e: Event) => this.setKind(c, (e.target as HTMLSelectElement).value as ColumnKind)}>
                    ${COLUMN_KINDS.map((kind) => html`<option value=${kind} .selected=${kind === c.kind}>${kind}${kind === c.guessed ? ' (guess)' : ''}</option>`)}
                  </select>`}</td>
              <td class="why">${c.reason}</td>
              <td class="num" data-testid="missing">${formatCount(c.missing)}</td>
              <td class="num" data-testid="distinct">${c.distinctCapped ? `> ${formatCount(c.distinct)}` : formatCount(c.distinct)}</td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>`;
  }

  /** A new target leaves `columns`: the target is no feature, and a kind for it would be refused. */
  private setTarget(name: string): void {
    const { [name]: _dropped, ...rest } = asRecord(this.data.columns);
    this.replace({ ...this.data, target: name, columns: rest });
  }

  /** The guess needs no override: choosing it back removes the column from `columns`. */
  private setKind(column: ColumnSummary, kind: ColumnKind): void {
    const { [column.name]: _old, ...rest } = asRecord(this.data.columns);
    this.replace({ ...this.data, columns: kind === column.guessed ? rest : { ...rest, [column.name]: kind } });
  }

  private set(key: string, value: unknown): void {
    this.replace(withKey(this.data, key, value));
  }

  private replace(data: Json): void {
    this.dispatchEvent(new CustomEvent('data-change', { detail: { data } }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-table-columns': FtTableColumns;
  }
}
