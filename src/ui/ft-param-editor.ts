// <ft-param-editor>: one parameter of the search space: its name, type, distribution, grid points and optional condition.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { StudyIssue } from '../search/errors.ts';
import { CONDITION_OPS } from '../search/space.ts';
import './ft-field.ts';
import type { FieldOption } from './ft-field.ts';
import { issuesAt, withKey } from './study-draft.ts';
import { baseStyles } from './styles.ts';

type Json = Record<string, unknown>;
type Shape = 'float' | 'int' | 'categorical' | 'fixed';
type Scale = 'uniform' | 'log' | 'normal';

const TYPE_OPTIONS: FieldOption[] = (['float', 'int', 'categorical', 'fixed'] as const).map((t) => ({ label: t, value: t }));
const OP_LABELS: Record<string, string> = { eq: '=', ne: '≠', gt: '>', gte: '≥', lt: '<', lte: '≤', in: 'in' };
const OP_OPTIONS: FieldOption[] = CONDITION_OPS.map((op) => ({ label: `${OP_LABELS[op]} (${op})`, value: op }));

const num = (d: Json, key: string): number | undefined => (typeof d[key] === 'number' ? (d[key] as number) : undefined);

function scaleOf(d: Json): Scale {
  if (d.distribution === 'normal') return 'normal';
  return d.log === true ? 'log' : 'uniform';
}

/**
 * The distribution reshaped to another type or scale, keeping what carries over (bounds, grid
 * values, the condition) so switching back and forth loses little.
 */
export function reshape(d: Json, type: Shape, scale: Scale): Json {
  const low = num(d, 'low');
  const high = num(d, 'high');
  const values = Array.isArray(d.values) ? d.values : undefined;
  const listed = values ?? (Array.isArray(d.choices) ? d.choices : undefined);
  let out: Json;
  switch (type) {
    case 'float':
      if (scale === 'normal') {
        const mean = num(d, 'mean') ?? (low !== undefined && high !== undefined ? (low + high) / 2 : 0);
        const std = num(d, 'std') ?? (low !== undefined && high !== undefined && high > low ? (high - low) / 4 : 1);
        out = { type: 'float', distribution: 'normal', mean, std, ...(low !== undefined && { low }), ...(high !== undefined && { high }) };
      } else {
        const lo = low ?? (scale === 'log' ? 0.001 : 0);
        out = { type: 'float', low: scale === 'log' && lo <= 0 ? 0.001 : lo, high: high ?? 1 };
        if (scale === 'log') out.log = true;
        else if (d.step !== undefined) out.step = d.step;
        if (d.gridCount !== undefined) out.gridCount = d.gridCount;
      }
      if (values) out.values = values;
      break;
    case 'int': {
      const lo = Math.round(low ?? 1);
      out = { type: 'int', low: scale === 'log' ? Math.max(1, lo) : lo, high: Math.round(high ?? 8) };
      if (scale === 'log') out.log = true;
      else if (typeof d.step === 'number') out.step = Math.max(1, Math.round(d.step));
      if (values) out.values = values;
      break;
    }
    case 'categorical':
      out = { type: 'categorical', choices: listed ?? (d.value !== undefined ? [d.value] : [low ?? 0, high ?? 1]) };
      break;
    case 'fixed':
      out = { type: 'fixed', value: d.value ?? listed?.[0] ?? low ?? 0 };
      break;
  }
  if (d.when !== undefined) out.when = d.when;
  return out;
}

/**
 * @fires param-change - `detail: { name, distribution }`: the parameter's new distribution JSON.
 * @fires param-rename - `detail: { from, to }`.
 * @fires param-remove - `detail: { name }`.
 * @fires param-move - `detail: { name, delta }`: -1 moves it up (declared earlier), +1 down.
 */
@customElement('ft-param-editor')
export class FtParamEditor extends LitElement {
  /** The parameter's name: a hyperparameter such as `lr` or `units_2`. */
  @property() name = '';
  /** Its distribution as draft JSON (possibly invalid). */
  @property({ attribute: false }) distribution: Json = {};
  /** Issues under `space.<name>`. */
  @property({ attribute: false }) issues: readonly StudyIssue[] = [];
  /** Names this one may be renamed to (unused hyperparameters and its own). */
  @property({ attribute: false }) names: readonly string[] = [];
  /** Parameters declared before this one: what a condition may refer to. */
  @property({ attribute: false }) earlier: readonly string[] = [];
  /** Whether it is first or last, to disable moving past the ends. */
  @property({ type: Boolean }) first = false;
  @property({ type: Boolean }) last = false;

  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      fieldset { border: 1px solid var(--ft-line); border-radius: 6px; padding: 0.5rem 0.75rem 0.6rem; margin: 0; }
      fieldset.invalid { border-color: var(--ft-error); }
      legend { font-weight: 600; padding: 0 0.3rem; font-family: ui-monospace, monospace; }
      .row { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 0.4rem 0.6rem; align-items: start; margin-bottom: 0.35rem; }
      .row.head { grid-template-columns: minmax(0, 1.2fr) minmax(0, 1fr) minmax(0, 1fr) auto; }
      .actions { display: flex; gap: 0.25rem; align-self: end; padding-bottom: 0.1rem; }
      .wide { grid-column: span 2; }
      .span3 { grid-column: span 3; }
      .full { grid-column: 1 / -1; }
      .message { color: var(--ft-error); font-size: 0.8rem; margin: 0.2rem 0 0; }
      .condition { background: #f7f9fb; border-radius: 4px; padding: 0.3rem; }
    `,
  ];

  override render() {
    const d = this.distribution;
    const type = (typeof d.type === 'string' ? d.type : 'float') as Shape;
    const scale = scaleOf(d);
    const base = `space.${this.name}`;
    const own = issuesAt(this.issues, base, true);
    const unknownName = own.filter((i) => i.message.startsWith('unknown hyperparameter'));
    const rest = own.filter((i) => !unknownName.includes(i));
    const at = (key: string) => issuesAt(this.issues, `${base}.${key}`);
    const field = (key: string, label: string, kind: 'number' | 'numbers' | 'scalar' | 'scalars', hint = '', cls = '') =>
      html`<ft-field class=${cls} label=${label} context=${this.name} kind=${kind} hint=${hint} .value=${d[key]} .issues=${at(key)}
        @field-change=${(e: CustomEvent<{ value: unknown }>) => this.set(key, e.detail.value)}></ft-field>`;
    const scales: FieldOption[] =
      type === 'float'
        ? [
            { label: 'uniform', value: 'uniform' },
            { label: 'log-uniform', value: 'log' },
            { label: 'normal', value: 'normal' },
          ]
        : [
            { label: 'uniform', value: 'uniform' },
            { label: 'log-uniform', value: 'log' },
          ];
    return html`<fieldset class=${this.issues.length ? 'invalid' : ''} data-param=${this.name}>
      <legend>${this.name}</legend>
      <div class="row head">
        <ft-field label="name" context=${this.name} kind="select" .value=${this.name} .options=${this.names.map((n) => ({ label: n, value: n }))}
          .issues=${unknownName}
          @field-change=${(e: CustomEvent<{ value: unknown }>) => this.fire('param-rename', { from: this.name, to: e.detail.value })}></ft-field>
        <ft-field label="type" context=${this.name} kind="select" .value=${d.type} .options=${TYPE_OPTIONS} .issues=${at('type')}
          @field-change=${(e: CustomEvent<{ value: unknown }>) => this.replace(reshape(d, e.detail.value as Shape, scale === 'normal' && e.detail.value !== 'float' ? 'uniform' : scale))}></ft-field>
        ${type === 'float' || type === 'int'
          ? html`<ft-field label="distribution" context=${this.name} kind="select" .value=${scale} .options=${scales} .issues=${at('distribution')}
              @field-change=${(e: CustomEvent<{ value: unknown }>) => this.replace(reshape(d, type, e.detail.value as Scale))}></ft-field>`
          : html`<span></span>`}
        <div class="actions">
          <button class="small" type="button" ?disabled=${this.first} aria-label="Move ${this.name} up" title="Move up (declare earlier)"
            @click=${() => this.fire('param-move', { name: this.name, delta: -1 })}>↑</button>
          <button class="small" type="button" ?disabled=${this.last} aria-label="Move ${this.name} down" title="Move down"
            @click=${() => this.fire('param-move', { name: this.name, delta: 1 })}>↓</button>
          <button class="small" type="button" aria-label="Remove ${this.name}" @click=${() => this.fire('param-remove', { name: this.name })}>Remove</button>
        </div>
      </div>
      <div class="row">
        ${type === 'float' && scale === 'normal'
          ? html`${field('mean', 'mean', 'number')}${field('std', 'std', 'number')}${field('low', 'clip low', 'number')}${field('high', 'clip high', 'number')}`
          : nothing}
        ${(type === 'float' && scale !== 'normal') || type === 'int'
          ? html`${field('low', 'low', 'number')}${field('high', 'high', 'number')}${scale === 'uniform' ? field('step', 'step', 'number', 'optional') : html`<span></span>`}`
          : nothing}
        ${type === 'float' && scale !== 'normal' ? field('gridCount', 'grid count', 'number', 'grid sampler: n points') : nothing}
        ${type === 'categorical' ? field('choices', 'choices', 'scalars', 'comma-separated: 16, 32 or relu, tanh', 'span3') : nothing}
        ${type === 'int' ? html`<span></span>` : nothing}
        ${type === 'fixed' ? html`${field('value', 'value', 'scalar', '', 'wide')}<span></span>` : nothing}
        ${type === 'float' || type === 'int' ? field('values', 'grid values', 'numbers', 'grid sampler: explicit points, comma-separated', 'span3') : nothing}
        ${this.renderToggle(d)}
      </div>
      ${this.renderCondition(d)}
      ${rest.length ? html`<p class="message" data-testid="param-message">${rest.map((i) => i.message).join('; ')}</p>` : nothing}
    </fieldset>`;
  }

  private when(d: Json): Json | null {
    return d.when !== null && typeof d.when === 'object' ? (d.when as Json) : null;
  }

  private renderToggle(d: Json) {
    const when = this.when(d);
    const none = !when && this.earlier.length === 0;
    return html`<ft-field label="only when…" context=${this.name} kind="checkbox" .value=${when !== null} ?disabled=${none}
      hint=${none ? 'needs a parameter above' : ''}
      @field-change=${(e: CustomEvent<{ value: unknown }>) => this.set('when', e.detail.value ? { param: this.earlier[this.earlier.length - 1], op: 'eq', value: 1 } : undefined)}></ft-field>`;
  }

  private renderCondition(d: Json) {
    const when = this.when(d);
    if (!when) return nothing;
    const base = `space.${this.name}.when`;
    const own = issuesAt(this.issues, base, true);
    const at = (key: string) => issuesAt(this.issues, `${base}.${key}`);
    const change = (key: string) => (e: CustomEvent<{ value: unknown }>) => {
      const next: Json = { ...when, [key]: e.detail.value };
      if (key === 'op' && (e.detail.value === 'in') !== Array.isArray(when.value)) {
        next.value = e.detail.value === 'in' ? [when.value] : Array.isArray(when.value) ? when.value[0] : when.value;
      }
      if (e.detail.value === undefined) delete next[key];
      this.set('when', next);
    };
    return html`<div class="row condition">
      <ft-field label="when parameter" context=${this.name} kind="select" .value=${when.param} .options=${this.earlier.map((n) => ({ label: n, value: n }))}
        .issues=${at('param')} @field-change=${change('param')}></ft-field>
      <ft-field label="is" context="${this.name} condition" kind="select" .value=${when.op} .options=${OP_OPTIONS} .issues=${at('op')} @field-change=${change('op')}></ft-field>
      <ft-field label="value" context="${this.name} condition" kind=${when.op === 'in' ? 'scalars' : 'scalar'} .value=${when.value} .issues=${at('value')}
        @field-change=${change('value')}></ft-field>
      ${own.length ? html`<p class="message full">${own.map((i) => i.message).join('; ')}</p>` : nothing}
    </div>`;
  }

  private set(key: string, value: unknown): void {
    this.replace(withKey(this.distribution, key, value));
  }

  private replace(distribution: Json): void {
    this.fire('param-change', { name: this.name, distribution });
  }

  private fire(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-param-editor': FtParamEditor;
  }
}
