// <ft-field>: one labelled study field (number, list, scalar, select, checkbox) with its validation messages.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { StudyIssue } from '../search/errors.ts';
import { baseStyles } from './styles.ts';

/**
 * How the text is read into JSON. `number`: a number, or the text itself so the schema can say
 * "must be a number"; `numbers`: a comma list of those; `scalar(s)`: JSON scalars (true, 3, null,
 * or a string); `text`: the string. An empty number or scalar field removes the key.
 */
export type FieldKind = 'text' | 'number' | 'numbers' | 'scalar' | 'scalars' | 'select' | 'checkbox';

export interface FieldOption {
  label: string;
  value: unknown;
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

function parseNumber(text: string): number | string {
  const trimmed = text.trim();
  return NUMBER.test(trimmed) ? Number(trimmed) : trimmed;
}

function parseScalar(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  if (trimmed === 'null') return null;
  if (NUMBER.test(trimmed)) return Number(trimmed);
  if (/^".*"$/.test(trimmed)) {
    try {
      return JSON.parse(trimmed) as string;
    } catch {
      return trimmed;
    }
  }
  return trimmed;
}

/** A string that would read back as something else (a number, true) is quoted. */
function scalarText(value: unknown): string {
  if (typeof value === 'string') return parseScalar(value) === value ? value : JSON.stringify(value);
  return value === undefined ? '' : JSON.stringify(value);
}

function listItems(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function parseField(kind: FieldKind, text: string): unknown {
  switch (kind) {
    case 'number':
      return text.trim() === '' ? undefined : parseNumber(text);
    case 'numbers': {
      const items = listItems(text);
      return items.length === 0 ? undefined : items.map(parseNumber);
    }
    case 'scalar':
      return text.trim() === '' ? undefined : parseScalar(text);
    case 'scalars':
      return listItems(text).map(parseScalar);
    default:
      return text;
  }
}

export function formatField(kind: FieldKind, value: unknown): string {
  if (value === undefined) return '';
  if (kind === 'numbers' || kind === 'scalars') return Array.isArray(value) ? value.map(scalarText).join(', ') : scalarText(value);
  if (kind === 'scalar') return scalarText(value);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * @fires field-change - `detail: { value }`: the field's new JSON value; `undefined` removes the key.
 */
@customElement('ft-field')
export class FtField extends LitElement {
  /** The visible label. */
  @property() label = '';
  /** Read before the label by screen readers and tests only, e.g. the parameter's name ("lr low"). */
  @property() context = '';
  @property({ reflect: true }) kind: FieldKind = 'text';
  /** The value in the draft (any JSON, possibly invalid); undefined when the key is absent. */
  @property({ attribute: false }) value: unknown = undefined;
  /** Choices of a select. */
  @property({ attribute: false }) options: FieldOption[] = [];
  /** Problems the schema found here; their messages show under the input. */
  @property({ attribute: false }) issues: readonly StudyIssue[] = [];
  @property() placeholder = '';
  /** A short help line under the input. */
  @property() hint = '';
  @property({ type: Boolean }) disabled = false;
  /** Input mode for the on-screen keyboard; numbers get decimal. */
  @property() inputmode = '';

  /** What the user typed, kept while it still reads as the draft's value ("0.10" stays, not "0.1"). */
  @state() private raw: string | null = null;

  static override styles = [
    baseStyles,
    css`
      :host { display: flex; flex-direction: column; gap: 0.15rem; min-width: 0; }
      label { font-size: 0.8rem; color: var(--ft-muted); }
      :host([kind='checkbox']) .check { display: flex; align-items: center; gap: 0.35rem; min-height: 1.9rem; }
      :host([kind='checkbox']) label { font-size: inherit; color: inherit; }
      input[aria-invalid='true'], select[aria-invalid='true'] { border-color: var(--ft-error); background: var(--ft-error-soft); }
      .message { color: var(--ft-error); font-size: 0.8rem; margin: 0; }
      .hint { color: var(--ft-muted); font-size: 0.75rem; margin: 0; }
    `,
  ];

  override render() {
    const invalid = this.issues.length > 0;
    const label = html`<label for="input"><span class="vh">${this.context} </span>${this.label}</label>`;
    const described = [invalid ? 'message' : '', this.hint ? 'hint' : ''].filter(Boolean).join(' ') || nothing;
    let control;
    if (this.kind === 'checkbox') {
      control = html`<div class="check">
        <input id="input" type="checkbox" .checked=${this.value === true} ?disabled=${this.disabled} aria-invalid=${invalid} aria-describedby=${described}
          @change=${(e: Event) => this.emit((e.target as HTMLInputElement).checked)} />${label}
      </div>`;
    } else if (this.kind === 'select') {
      // NOTE: a value among no options shows as a disabled first option, which shifts the options by one: the change handler subtracts it.
      const index = this.options.findIndex((o) => same(o.value, this.value));
      control = html`${label}<select id="input" ?disabled=${this.disabled} aria-invalid=${invalid} aria-describedby=${described}
          @change=${(e: Event) => this.emit(this.options[(e.target as HTMLSelectElement).selectedIndex - (index < 0 ? 1 : 0)]?.value)}>
          ${index < 0 ? html`<option .selected=${true} disabled value="">${this.value === undefined ? '—' : formatField('scalar', this.value)}</option>` : nothing}
          ${this.options.map((o, i) => html`<option .selected=${i === index}>${o.label}</option>`)}
        </select>`;
    } else {
      const parsed = this.raw === null ? undefined : parseField(this.kind, this.raw);
      const text = this.raw !== null && same(parsed, this.value) ? this.raw : formatField(this.kind, this.value);
      const mode = this.inputmode || (this.kind === 'number' || this.kind === 'numbers' ? 'decimal' : 'text');
      control = html`${label}<input id="input" type="text" .value=${text} placeholder=${this.placeholder} inputmode=${mode} ?disabled=${this.disabled}
          aria-invalid=${invalid} aria-describedby=${described} spellcheck="false" autocomplete="off"
          @input=${(e: Event) => {
            this.raw = (e.target as HTMLInputElement).value;
            this.emit(parseField(this.kind, this.raw));
          }} />`;
    }
    return html`${control}
      ${invalid ? html`<p id="message" class="message">${this.issues.map((i) => i.message).join('; ')}</p>` : nothing}
      ${this.hint ? html`<p id="hint" class="hint">${this.hint}</p>` : nothing}`;
  }

  private emit(value: unknown): void {
    this.dispatchEvent(new CustomEvent('field-change', { detail: { value } }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-field': FtField;
  }
}
