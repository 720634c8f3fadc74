// <ft-trial-table>: every trial of the study, sortable by any column (parameters, state, objectives, and fusetune's accuracy, speed and bytes), drawn a window of rows at a time, one Tab stop.
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { METRIC_DIRECTIONS, METRIC_LABELS, TASK_METRICS, type ObjectiveMetric } from '../model/objectives.ts';
import { rawMetricValue } from '../store/records.ts';
import { formatBytes, formatMetric, formatNumber, formatRate, formatScalar, formatValue } from './format.ts';
import { baseStyles } from './styles.ts';
import { valueOf, type ViewObjective, type ViewTrial } from './viewer/model.ts';

type Cell = string | number | boolean | null | undefined;

interface Column {
  id: string;
  label: string;
  /** The value sorted on; null sorts last in either direction. */
  value: (t: ViewTrial) => Cell;
  show: (t: ViewTrial) => string;
  numeric?: boolean;
  title?: string;
}

function compare(a: Cell, b: Cell): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'en', { numeric: true });
}

const isMissing = (v: Cell) => v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v));

/** NOTE: up to this many rows are all in the page (find-in-page sees them); past it only the rows in view and a margin are. */
export const FULL_ROWS = 400;
/** Rows kept in the page above and below the visible ones. */
const MARGIN_ROWS = 20;

/**
 * The table is one Tab stop: ↑ ↓ Home End PageUp PageDown move between trials, ← → between a row's
 * two buttons (pick it out in the charts; open its page), Enter or Space presses the focused one.
 *
 * @fires trial-select - `detail: { index }`: pick the trial out in the charts, or drop it when picked (toggle).
 * @fires trial-open - `detail: { index }`: show the trial's own page.
 */
@customElement('ft-trial-table')
export class FtTrialTable extends LitElement {
  @property({ attribute: false }) trials: readonly ViewTrial[] = [];
  /** The study's objectives; the first one ranks. */
  @property({ attribute: false }) objectives: readonly ViewObjective[] = [];
  /** Index of the best trial, marked with a star. */
  @property({ attribute: false }) best: number | null = null;
  /** Trials picked out, highlighted. */
  @property({ attribute: false }) selected: ReadonlySet<number> = new Set();
  /** Trials on the Pareto front (several objectives), marked ◆. */
  @property({ attribute: false }) pareto: ReadonlySet<number> = new Set();

  /** The column sorted on; `rank` is the first objective's order (trials without a value last). */
  @state() private sortBy = 'rank';
  @state() private descending = false;
  /** The first row drawn (a window of rows past FULL_ROWS). */
  @state() private first = 0;
  @state() private visibleRows = 14;
  /** The row (in sorted order) and button that hold the table's one Tab stop. */
  @state() private active = 0;
  @state() private activeButton: 'pick' | 'open' = 'pick';
  private rowHeight = 29;
  private sortedMemo: { key: unknown[]; rows: ViewTrial[]; columns: Column[] } | null = null;
  private focusPending = false;

  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      .scroll { max-height: 420px; overflow: auto; contain: content; border: 1px solid var(--ft-line); border-radius: 6px; }
      table { border-collapse: collapse; width: 100%; font-size: 0.85rem; font-variant-numeric: tabular-nums; }
      th { position: sticky; top: 0; background: #f3f6f9; z-index: 1; text-align: left; padding: 0; border-bottom: 1px solid var(--ft-line); white-space: nowrap; }
      th button { all: unset; box-sizing: border-box; display: block; width: 100%; padding: 0.35rem 0.5rem; cursor: pointer; font-weight: 600; }
      th button:focus-visible { outline: 2px solid var(--ft-accent); outline-offset: -2px; }
      th.num button { text-align: right; }
      tbody tr { height: 29px; }
      td { padding: 0 0.5rem; border-bottom: 1px solid #edf0f3; white-space: nowrap; }
      td.num { text-align: right; }
      tr.selected td { background: var(--ft-accent-soft); }
      tr.pareto td:nth-child(2) { box-shadow: inset 3px 0 0 #b8283b; }
      .front { color: #b8283b; }
      tr.best td:first-child { font-weight: 700; }
      .pick { padding: 0.05rem 0.4rem; font-size: 0.8rem; min-width: 2.4rem; }
      .open { padding: 0.05rem 0.35rem; font-size: 0.8rem; }
      .state { display: inline-block; padding: 0 0.4rem; border-radius: 9px; font-size: 0.75rem; background: #eef1f4; }
      .state.done { background: #e1f3e5; color: #1e5f2c; }
      .state.running { background: #e3ecfb; color: #1f4f9a; }
      .state.diverged, .state.failed { background: #fbe5e3; color: #8e1f17; }
      .state.stopped, .state.pruned { background: #fff0d6; color: #6b4100; }
      .reason { color: var(--ft-muted); font-size: 0.75rem; max-width: 16rem; overflow: hidden; text-overflow: ellipsis; display: inline-block; vertical-align: bottom; }
      tr.spacer, tr.spacer td { height: auto; border: none; padding: 0; }
      .count { font-size: 0.8rem; margin: 0.25rem 0 0; }
    `,
  ];

  private columns(): Column[] {
    const params = new Set<string>();
    for (const t of this.trials) for (const name in t.params) params.add(name);
    const objectives = this.objectives;
    const ranks = new Map<number, number>();
    if (objectives.length > 0) {
      const sign = objectives[0]!.direction === 'maximize' ? -1 : 1;
      const scored = this.trials.flatMap((t) => {
        const v = valueOf(t, 0);
        return v === null ? [] : [{ index: t.index, v }];
      });
      scored.sort((a, b) => sign * (a.v - b.v) || a.index - b.index);
      scored.forEach((s, i) => ranks.set(s.index, i + 1));
    }
    const several = objectives.length > 1;
    const runs = this.trials.some((t) => t.run !== undefined);
    const metrics = new Set(objectives.map((o) => o.metric));
    // A regression trial records RMSE, MAE and R² (in the target's units) where a classifier records accuracy.
    const regression = this.trials.some((t) => t.run?.valRmse !== undefined && t.run.valRmse !== null);
    const metricColumn = (metric: ObjectiveMetric): Column[] => {
      const value = (t: ViewTrial) => (t.run ? rawMetricValue(t.run, metric) : null);
      return metrics.has(metric) ? [] : [{ id: metric, label: metric === 'val_accuracy' ? 'val acc' : METRIC_LABELS[metric], value, show: (t) => formatMetric(metric, value(t)), numeric: true }];
    };
    const numeric = (name: string) => this.trials.every((t) => !Object.hasOwn(t.params, name) || typeof t.params[name] === 'number');
    return [
      { id: 'rank', label: 'rank', value: (t) => ranks.get(t.index), show: (t) => String(ranks.get(t.index) ?? '–'), numeric: true, title: objectives[0] ? `order by ${objectives[0].label}` : undefined },
      { id: 'index', label: '#', value: (t) => t.index, show: (t) => String(t.index), numeric: true },
      ...(several
        ? [{ id: 'pareto', label: 'Pareto', value: (t: ViewTrial) => (this.pareto.has(t.index) ? 0 : 1), show: (t: ViewTrial) => (this.pareto.has(t.index) ? '◆' : ''), title: 'on the Pareto front: no other trial is better in every objective' }]
        : []),
      { id: 'state', label: 'state', value: (t) => t.state, show: (t) => t.state },
      ...[...params].map((name) => ({
        id: `param:${name}`,
        label: name,
        value: (t: ViewTrial) => t.params[name] as Cell,
        show: (t: ViewTrial) => (Object.hasOwn(t.params, name) ? formatScalar(t.params[name]) : '–'),
        numeric: numeric(name),
      })),
      ...objectives.map((o, k) => ({ id: `objective:${k}`, label: o.label, value: (t: ViewTrial) => valueOf(t, k), show: (t: ViewTrial) => formatValue(o, valueOf(t, k)), numeric: true })),
      ...(runs
        ? ([
            ...TASK_METRICS[regression ? 'regression' : 'classification'].flatMap(metricColumn),
            { id: 'samplesPerSec', label: 'samples/s', value: (t) => t.run?.samplesPerSec, show: (t) => formatRate(t.run?.samplesPerSec), numeric: true, title: 'samples this trial trained per second in its cohort (batch ÷ step time)' },
            { id: 'stepMs', label: 'step ms', value: (t) => t.run?.stepMs, show: (t) => formatNumber(t.run?.stepMs), numeric: true, title: 'GPU milliseconds per step of the trial’s fused cohort' },
            { id: 'bytes', label: 'bytes', value: (t) => t.run?.bytes?.total, show: (t) => (t.run?.bytes ? formatBytes(t.run.bytes.total) : '–'), numeric: true, title: 'weights + gradients + optimizer state + activations' },
          ] satisfies Column[])
        : []),
    ];
  }

  /** The rows in sorted order, computed again only when the trials, objectives, Pareto set or sort change. */
  private sorted(): { rows: ViewTrial[]; columns: Column[] } {
    const key = [this.trials, this.objectives, this.pareto, this.sortBy, this.descending];
    if (this.sortedMemo && this.sortedMemo.key.every((k, i) => k === key[i])) return this.sortedMemo;
    const columns = this.columns();
    const column = columns.find((c) => c.id === this.sortBy) ?? columns[0]!;
    const sign = this.descending ? -1 : 1;
    // Each value read once (10,000 trials sort in a few milliseconds).
    const keyed = this.trials.map((t) => ({ t, v: column.value(t) }));
    keyed.sort((a, b) => {
      if (isMissing(a.v) || isMissing(b.v)) return isMissing(a.v) === isMissing(b.v) ? a.t.index - b.t.index : isMissing(a.v) ? 1 : -1;
      return sign * compare(a.v, b.v) || a.t.index - b.t.index;
    });
    this.sortedMemo = { key, rows: keyed.map((k) => k.t), columns };
    return this.sortedMemo;
  }

  private sort(id: string): void {
    if (this.sortBy === id) this.descending = !this.descending;
    else {
      this.sortBy = id;
      const k = id.startsWith('objective:') ? Number(id.slice(10)) : -1;
      // Bigger is better for maximized objectives, accuracy and speed: those open largest first.
      this.descending = (Object.hasOwn(METRIC_DIRECTIONS, id) && METRIC_DIRECTIONS[id as ObjectiveMetric] === 'maximize') || id === 'samplesPerSec' || (k >= 0 && this.objectives[k]?.direction === 'maximize');
    }
  }

  protected override willUpdate(changed: PropertyValues): void {
    if (changed.has('trials')) this.active = Math.min(this.active, Math.max(0, this.trials.length - 1));
  }

  override render() {
    const start = performance.now();
    try {
      return this.renderTable();
    } finally {
      performance.measure('render ft-trial-table', { start });
    }
  }

  private renderTable() {
    if (this.trials.length === 0) return html`<p class="muted">No trials${this.objectives.length ? ' to show' : ' yet'}.</p>`;
    const { rows, columns } = this.sorted();
    const windowed = rows.length > FULL_ROWS;
    const first = windowed ? Math.max(0, Math.min(this.first, rows.length - 1)) : 0;
    const last = windowed ? Math.min(rows.length, first + this.visibleRows + 2 * MARGIN_ROWS) : rows.length;
    const ariaSort = (id: string) => (this.sortBy === id ? (this.descending ? 'descending' : 'ascending') : 'none');
    return html`<div class="scroll" @scroll=${windowed ? this.onScroll : nothing}>
        <table data-testid="trial-table" aria-rowcount=${rows.length + 1} data-rows=${rows.length}>
          <caption class="vh">Trials, sorted by ${columns.find((c) => c.id === this.sortBy)?.label ?? this.sortBy}. One Tab stop: arrow keys move between trials.</caption>
          <thead>
            <tr aria-rowindex="1">
              ${columns.map(
                (c) => html`<th scope="col" class=${c.numeric ? 'num' : ''} aria-sort=${ariaSort(c.id)} title=${c.title ?? nothing}>
                  <button type="button" @click=${() => this.sort(c.id)}>${c.label}${this.sortBy === c.id ? (this.descending ? ' ▼' : ' ▲') : ''}</button>
                </th>`,
              )}
              <th scope="col"><span class="vh">trial page</span></th>
            </tr>
          </thead>
          <tbody @keydown=${this.onKey}>
            ${first > 0 ? html`<tr class="spacer" aria-hidden="true"><td colspan=${columns.length + 1} style="height:${first * this.rowHeight}px"></td></tr>` : nothing}
            ${rows.slice(first, last).map((t, i) => this.renderRow(t, columns, first + i))}
            ${last < rows.length ? html`<tr class="spacer" aria-hidden="true"><td colspan=${columns.length + 1} style="height:${(rows.length - last) * this.rowHeight}px"></td></tr>` : nothing}
          </tbody>
        </table>
      </div>
      ${windowed ? html`<p class="count muted">${rows.length.toLocaleString('en-US')} trials; the table draws the rows in view.</p>` : nothing}`;
  }

  private renderRow(t: ViewTrial, columns: Column[], position: number) {
    const selected = this.selected.has(t.index);
    const front = this.pareto.has(t.index);
    const active = position === Math.min(this.active, this.trials.length - 1);
    const tab = (button: 'pick' | 'open') => (active && this.activeButton === button ? 0 : -1);
    return html`<tr class="${selected ? 'selected' : ''} ${this.best === t.index ? 'best' : ''} ${front ? 'pareto' : ''}" data-state=${t.state} data-trial=${t.index} data-position=${position} aria-rowindex=${position + 2}>
      ${columns.map((c) => {
        if (c.id === 'index') {
          return html`<td class="num"><button class="pick small" type="button" data-button="pick" tabindex=${tab('pick')} aria-pressed=${selected}
            aria-label="Trial ${t.index}${this.best === t.index ? ' (best)' : ''}: show in the charts"
            @focus=${() => this.focusAt(position, 'pick')}
            @click=${() => this.dispatchEvent(new CustomEvent('trial-select', { detail: { index: t.index }, bubbles: true, composed: true }))}>${this.best === t.index ? '★ ' : ''}${t.index}</button></td>`;
        }
        if (c.id === 'pareto') return html`<td class="front">${c.show(t)}</td>`;
        if (c.id === 'state') {
          return html`<td><span class="state ${t.state}">${t.state}</span>${t.reason && t.state !== 'done' ? html` <span class="reason" title=${t.reason}>${t.reason}</span>` : nothing}</td>`;
        }
        return html`<td class=${c.numeric ? 'num' : ''}>${c.show(t)}</td>`;
      })}
      <td><button class="open small" type="button" data-button="open" tabindex=${tab('open')} aria-label="Open trial ${t.index}’s page"
        @focus=${() => this.focusAt(position, 'open')}
        @click=${() => this.dispatchEvent(new CustomEvent('trial-open', { detail: { index: t.index }, bubbles: true, composed: true }))}>details</button></td>
    </tr>`;
  }

  private focusAt(position: number, button: 'pick' | 'open'): void {
    if (this.active !== position) this.active = position;
    if (this.activeButton !== button) this.activeButton = button;
  }

  private readonly onScroll = (event: Event) => {
    const scroller = event.currentTarget as HTMLElement;
    const header = scroller.querySelector('thead')?.getBoundingClientRect().height ?? 0;
    this.visibleRows = Math.ceil((scroller.clientHeight - header) / this.rowHeight) + 1;
    const first = Math.max(0, Math.floor(scroller.scrollTop / this.rowHeight) - MARGIN_ROWS);
    // Redrawn only when the window moves by a few rows.
    if (Math.abs(first - this.first) >= MARGIN_ROWS / 2 || first === 0) this.first = first;
  };

  private onKey(event: KeyboardEvent): void {
    const count = this.trials.length;
    const page = Math.max(1, this.visibleRows - 2);
    let next = this.active;
    let button = this.activeButton;
    switch (event.key) {
      case 'ArrowDown':
        next++;
        break;
      case 'ArrowUp':
        next--;
        break;
      case 'PageDown':
        next += page;
        break;
      case 'PageUp':
        next -= page;
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = count - 1;
        break;
      case 'ArrowRight':
        button = 'open';
        break;
      case 'ArrowLeft':
        button = 'pick';
        break;
      default:
        return;
    }
    event.preventDefault();
    this.active = Math.max(0, Math.min(count - 1, next));
    this.activeButton = button;
    this.focusPending = true;
    this.reveal(this.active);
  }

  /** Scrolls a row into view (drawing it first when the table draws a window of rows). */
  private reveal(position: number): void {
    const scroller = this.renderRoot.querySelector<HTMLElement>('.scroll');
    if (!scroller) return;
    if (this.trials.length > FULL_ROWS && (position < this.first || position >= this.first + this.visibleRows + 2 * MARGIN_ROWS)) {
      this.first = Math.max(0, position - MARGIN_ROWS);
    }
    void this.updateComplete.then(() => {
      const row = this.renderRoot.querySelector<HTMLElement>(`tr[data-position="${position}"]`);
      const header = scroller.querySelector('thead')?.getBoundingClientRect().height ?? 0;
      if (row) {
        const top = row.offsetTop - header;
        if (top < scroller.scrollTop) scroller.scrollTop = top;
        else if (row.offsetTop + row.offsetHeight > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = row.offsetTop + row.offsetHeight - scroller.clientHeight;
      }
    });
  }

  protected override updated(): void {
    const row = this.renderRoot.querySelector<HTMLElement>('tbody tr[data-position]');
    if (row && row.offsetHeight > 0) this.rowHeight = row.offsetHeight;
    if (this.focusPending) {
      const button = this.renderRoot.querySelector<HTMLElement>(`tr[data-position="${this.active}"] button[data-button="${this.activeButton}"]`);
      if (button) {
        this.focusPending = false;
        button.focus({ preventScroll: true });
      }
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-trial-table': FtTrialTable;
  }
}
