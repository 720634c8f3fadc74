// <ft-trial-filters>: filters on the trials as a form (a range per number, values per categorical or state): the table's filters, and the keyboard's way to brush the parallel coordinates.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { STATE_AXIS, axisValue, describeFilter, objectiveAxes, type Filter, type Filters } from './analysis/filters.ts';
import { formatNumber, formatScalar } from './format.ts';
import { baseStyles } from './styles.ts';
import type { ParamInfo, ViewObjective, ViewTrial } from './viewer/model.ts';

interface Axis {
  name: string;
  numeric: boolean;
}

/**
 * @fires filter-change - `detail: { axis, filter }`: filter the trials on `axis` (a parameter's name, an objective's label, or `state`), or stop (filter null); bubbles.
 * @fires filters-clear - every filter goes; bubbles.
 */
@customElement('ft-trial-filters')
export class FtTrialFilters extends LitElement {
  @property({ attribute: false }) trials: readonly ViewTrial[] = [];
  @property({ attribute: false }) params: readonly ParamInfo[] = [];
  @property({ attribute: false }) objectives: readonly ViewObjective[] = [];
  @property({ attribute: false }) filters: Filters = new Map();
  /** How many trials pass every filter. */
  @property({ type: Number }) shown = 0;

  @state() private axis = STATE_AXIS;

  static override styles = [
    baseStyles,
    css`
      :host { display: block; font-size: 0.85rem; }
      form { display: flex; flex-wrap: wrap; gap: 0.35rem 0.6rem; align-items: center; }
      fieldset { border: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 0.2rem 0.7rem; align-items: center; }
      input[type='number'] { width: 7.5rem; }
      .chips { display: flex; flex-wrap: wrap; gap: 0.3rem; align-items: center; margin-top: 0.35rem; }
      .chip { background: var(--ft-accent-soft); border-radius: 5px; padding: 0.1rem 0.2rem 0.1rem 0.5rem; display: inline-flex; gap: 0.3rem; align-items: center; }
    `,
  ];

  private axes(): Axis[] {
    const objectives = objectiveAxes(this.params, this.objectives);
    return [{ name: STATE_AXIS, numeric: false }, ...this.params.map((p) => ({ name: p.name, numeric: p.kind === 'numeric' })), ...objectives.map((name) => ({ name, numeric: true }))];
  }

  override render() {
    const axes = this.axes();
    const axis = axes.find((a) => a.name === this.axis) ?? axes[0]!;
    const current = this.filters.get(axis.name);
    const values = axis.numeric ? [] : [...new Set(this.trials.map((t) => axisValue(t, axis.name, this.objectives)).filter((v) => v !== undefined && v !== null).map(formatScalar))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    let low = Infinity;
    let high = -Infinity;
    if (axis.numeric) {
      for (const t of this.trials) {
        const v = axisValue(t, axis.name, this.objectives);
        if (typeof v === 'number' && Number.isFinite(v)) {
          low = Math.min(low, v);
          high = Math.max(high, v);
        }
      }
    }
    const range = current?.kind === 'range' ? current : null;
    const picked = current?.kind === 'values' ? current.values : values;
    return html`<form aria-label="Filter the trials" @submit=${(e: Event) => this.apply(e, axis)}>
        <label>Filter on
          <select name="axis" aria-label="Filter on" @change=${(e: Event) => (this.axis = (e.target as HTMLSelectElement).value)}>
            ${axes.map((a) => html`<option value=${a.name} ?selected=${a.name === axis.name}>${a.name}</option>`)}
          </select></label>
        ${axis.numeric
          ? html`<label>from <input type="number" name="low" step="any" aria-label="${axis.name} from" .value=${range ? String(range.low) : ''} placeholder=${Number.isFinite(low) ? formatNumber(low) : ''} /></label>
              <label>to <input type="number" name="high" step="any" aria-label="${axis.name} to" .value=${range ? String(range.high) : ''} placeholder=${Number.isFinite(high) ? formatNumber(high) : ''} /></label>`
          : html`<fieldset><legend class="vh">${axis.name} values to keep</legend>
              ${values.map((v) => html`<label><input type="checkbox" name="value" value=${v} .checked=${picked.includes(v)} /> ${v}</label>`)}</fieldset>`}
        <button type="submit" class="small">Apply</button>
        ${current ? html`<button type="button" class="small" @click=${() => this.change(axis.name, null)}>Remove this filter</button>` : nothing}
      </form>
      ${this.filters.size > 0
        ? html`<div class="chips" data-testid="filter-note" role="group" aria-label="Filters in force">
            <span>Showing ${this.shown.toLocaleString('en-US')} of ${this.trials.length.toLocaleString('en-US')} trials, filtered on</span>
            ${[...this.filters].map(
              ([name, filter]) => html`<span class="chip">${describeFilter(name, filter, (x) => formatNumber(x))}
                <button type="button" class="small" aria-label="Remove the filter on ${name}" @click=${() => this.change(name, null)}>✕</button></span>`,
            )}
            <button type="button" class="small" @click=${() => this.dispatchEvent(new CustomEvent('filters-clear', { bubbles: true, composed: true }))}>Clear filters</button>
          </div>`
        : nothing}`;
  }

  private apply(event: Event, axis: Axis): void {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    let filter: Filter | null;
    if (axis.numeric) {
      const read = (key: string) => {
        const text = String(form.get(key) ?? '').trim();
        return text === '' ? null : Number(text);
      };
      const low = read('low') ?? -Infinity;
      const high = read('high') ?? Infinity;
      filter = low === -Infinity && high === Infinity ? null : { kind: 'range', low: Math.min(low, high), high: Math.max(low, high) };
    } else {
      filter = { kind: 'values', values: form.getAll('value').map(String) };
    }
    this.change(axis.name, filter);
  }

  private change(axis: string, filter: Filter | null): void {
    this.dispatchEvent(new CustomEvent('filter-change', { detail: { axis, filter }, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-trial-filters': FtTrialFilters;
  }
}
