// <ft-trial-table>: every trial of the study, sortable by any column: parameters, state, objectives, accuracy, loss, speed and bytes; Pareto trials marked.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { METRIC_LABELS, type Objective } from '../model/objectives.ts';
import { metricValue, objectiveValue, rankTrials, type TrialRecord } from '../store/records.ts';
import { formatBytes, formatMetric, formatNumber, formatPercent, formatRate, formatScalar } from './format.ts';
import { baseStyles } from './styles.ts';

type Cell = string | number | boolean | null | undefined;

interface Column {
  id: string;
  label: string;
  /** The value sorted on; null sorts last in either direction. */
  value: (t: TrialRecord) => Cell;
  show: (t: TrialRecord) => string;
  numeric?: boolean;
  title?: string;
}

function compare(a: Cell, b: Cell): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b), 'en', { numeric: true });
}

const isMissing = (v: Cell) => v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v));

/**
 * @fires trial-select - `detail: { index }`: pick the trial out in the charts, or drop it when picked (toggle).
 */
@customElement('ft-trial-table')
export class FtTrialTable extends LitElement {
  @property({ attribute: false }) trials: readonly TrialRecord[] = [];
  /** The study's objectives; the first one ranks. */
  @property({ attribute: false }) objectives: readonly Objective[] = [{ metric: 'val_accuracy', direction: 'maximize' }];
  /** Index of the best trial, marked with a star. */
  @property({ attribute: false }) best: number | null = null;
  /** Trials picked out, highlighted. */
  @property({ attribute: false }) selected: ReadonlySet<number> = new Set();
  /** Trials on the Pareto front (several objectives), marked ◆. */
  @property({ attribute: false }) pareto: ReadonlySet<number> = new Set();

  /** The column sorted on; `rank` is the objective's order (trials without a value last). */
  @state() private sortBy = 'rank';
  @state() private descending = false;

  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      .scroll { max-height: 340px; overflow: auto; contain: content; border: 1px solid var(--ft-line); border-radius: 6px; }
      table { border-collapse: collapse; width: 100%; font-size: 0.85rem; font-variant-numeric: tabular-nums; }
      th { position: sticky; top: 0; background: #f3f6f9; z-index: 1; text-align: left; padding: 0; border-bottom: 1px solid var(--ft-line); white-space: nowrap; }
      th button { all: unset; box-sizing: border-box; display: block; width: 100%; padding: 0.35rem 0.5rem; cursor: pointer; font-weight: 600; }
      th button:focus-visible { outline: 2px solid var(--ft-accent); outline-offset: -2px; }
      th.num button { text-align: right; }
      td { padding: 0.25rem 0.5rem; border-bottom: 1px solid #edf0f3; white-space: nowrap; }
      td.num { text-align: right; }
      tr.selected td { background: var(--ft-accent-soft); }
      tr.pareto td:nth-child(2) { box-shadow: inset 3px 0 0 #d1495b; }
      .front { color: #d1495b; }
      tr.best td:first-child { font-weight: 700; }
      .pick { padding: 0.05rem 0.4rem; font-size: 0.8rem; min-width: 2.4rem; }
      .state { display: inline-block; padding: 0 0.4rem; border-radius: 9px; font-size: 0.75rem; background: #eef1f4; }
      .state.done { background: #e1f3e5; color: #1e5f2c; }
      .state.running { background: #e3ecfb; color: #1f4f9a; }
      .state.diverged, .state.failed { background: #fbe5e3; color: #8e1f17; }
      .state.stopped, .state.pruned { background: #fff0d6; color: #7a4a00; }
      .reason { color: var(--ft-muted); font-size: 0.75rem; max-width: 16rem; overflow: hidden; text-overflow: ellipsis; display: inline-block; vertical-align: bottom; }
    `,
  ];

  private columns(): Column[] {
    const params = [...new Set(this.trials.flatMap((t) => Object.keys(t.params)))];
    const objective = this.objectives[0]!;
    const ranked = rankTrials(this.trials, objective).filter((t) => objectiveValue(t, objective) !== null);
    const ranks = new Map(ranked.map((t, i) => [t.index, i + 1]));
    const several = this.objectives.length > 1;
    // Objectives beyond accuracy and loss (which have their own columns) get one each.
    const extra = this.objectives.filter((o) => o.metric !== 'val_accuracy' && o.metric !== 'val_loss');
    return [
      { id: 'rank', label: 'rank', value: (t) => ranks.get(t.index), show: (t) => String(ranks.get(t.index) ?? '–'), numeric: true, title: `order by ${METRIC_LABELS[objective.metric]}` },
      { id: 'index', label: '#', value: (t) => t.index, show: (t) => String(t.index), numeric: true },
      ...(several
        ? [{ id: 'pareto', label: 'Pareto', value: (t: TrialRecord) => (this.pareto.has(t.index) ? 0 : 1), show: (t: TrialRecord) => (this.pareto.has(t.index) ? '◆' : ''), title: 'on the Pareto front: no other trial is better in every objective' }]
        : []),
      { id: 'state', label: 'state', value: (t) => t.state, show: (t) => t.state },
      ...params.map((name) => ({
        id: `param:${name}`,
        label: name,
        value: (t: TrialRecord) => t.params[name] as Cell,
        show: (t: TrialRecord) => (Object.hasOwn(t.params, name) ? formatScalar(t.params[name]) : '–'),
        numeric: this.trials.every((t) => !Object.hasOwn(t.params, name) || typeof t.params[name] === 'number'),
      })),
      { id: 'valAccuracy', label: 'val acc', value: (t) => t.valAccuracy, show: (t) => formatPercent(t.valAccuracy), numeric: true },
      { id: 'valLoss', label: 'val loss', value: (t) => t.valLoss, show: (t) => formatNumber(t.valLoss), numeric: true },
      ...extra.map((o) => ({ id: `objective:${o.metric}`, label: METRIC_LABELS[o.metric], value: (t: TrialRecord) => metricValue(t, o.metric), show: (t: TrialRecord) => formatMetric(o.metric, metricValue(t, o.metric)), numeric: true })),
      { id: 'samplesPerSec', label: 'samples/s', value: (t) => t.samplesPerSec, show: (t) => formatRate(t.samplesPerSec), numeric: true, title: 'samples this trial trained per second (batch ÷ step time)' },
      { id: 'stepMs', label: 'step ms', value: (t) => t.stepMs, show: (t) => formatNumber(t.stepMs), numeric: true, title: 'GPU milliseconds per step of the trial’s fused cohort' },
      { id: 'bytes', label: 'bytes', value: (t) => t.bytes?.total, show: (t) => (t.bytes ? formatBytes(t.bytes.total) : '–'), numeric: true, title: 'weights + gradients + optimizer state + activations' },
    ];
  }

  private sorted(columns: Column[]): TrialRecord[] {
    const column = columns.find((c) => c.id === this.sortBy) ?? columns[0]!;
    const sign = this.descending ? -1 : 1;
    return [...this.trials].sort((a, b) => {
      const va = column.value(a);
      const vb = column.value(b);
      if (isMissing(va) || isMissing(vb)) return isMissing(va) === isMissing(vb) ? a.index - b.index : isMissing(va) ? 1 : -1;
      return sign * compare(va, vb) || a.index - b.index;
    });
  }

  private sort(id: string): void {
    if (this.sortBy === id) this.descending = !this.descending;
    else {
      this.sortBy = id;
      // Bigger is better for accuracy and speed, so those open largest first.
      this.descending = id === 'valAccuracy' || id === 'samplesPerSec';
    }
  }

  override render() {
    if (this.trials.length === 0) return html`<p class="muted">No trials yet.</p>`;
    const columns = this.columns();
    const ariaSort = (id: string) => (this.sortBy === id ? (this.descending ? 'descending' : 'ascending') : 'none');
    return html`<div class="scroll">
      <table data-testid="trial-table">
        <caption class="vh">Trials, sorted by ${columns.find((c) => c.id === this.sortBy)?.label ?? this.sortBy}</caption>
        <thead>
          <tr>
            ${columns.map(
              (c) => html`<th scope="col" class=${c.numeric ? 'num' : ''} aria-sort=${ariaSort(c.id)} title=${c.title ?? nothing}>
                <button type="button" @click=${() => this.sort(c.id)}>${c.label}${this.sortBy === c.id ? (this.descending ? ' ▼' : ' ▲') : ''}</button>
              </th>`,
            )}
          </tr>
        </thead>
        <tbody>
          ${this.sorted(columns).map((t) => this.renderRow(t, columns))}
        </tbody>
      </table>
    </div>`;
  }

  private renderRow(t: TrialRecord, columns: Column[]) {
    const selected = this.selected.has(t.index);
    const front = this.pareto.has(t.index);
    return html`<tr class="${selected ? 'selected' : ''} ${this.best === t.index ? 'best' : ''} ${front ? 'pareto' : ''}" data-state=${t.state} data-trial=${t.index}>
      ${columns.map((c) => {
        if (c.id === 'index') {
          return html`<td class="num"><button class="pick small" type="button" aria-pressed=${selected}
            aria-label="Trial ${t.index}${this.best === t.index ? ' (best)' : ''}: show in the charts"
            @click=${() => this.dispatchEvent(new CustomEvent('trial-select', { detail: { index: t.index }, bubbles: true, composed: true }))}>${this.best === t.index ? '★ ' : ''}${t.index}</button></td>`;
        }
        if (c.id === 'pareto') return html`<td class="front">${c.show(t)}</td>`;
        if (c.id === 'state') {
          return html`<td><span class="state ${t.state}">${t.state}</span>${t.reason && t.state !== 'done' ? html` <span class="reason" title=${t.reason}>${t.reason}</span>` : nothing}</td>`;
        }
        return html`<td class=${c.numeric ? 'num' : ''}>${c.show(t)}</td>`;
      })}
    </tr>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-trial-table': FtTrialTable;
  }
}
