// <ft-trial-page>: one trial whole: its parameters (with their distributions), values, intermediate values, user and system attrs, fusetune's record of it, and notes.
import * as Plot from '@observablehq/plot';
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { METRIC_LABELS, TASK_METRICS } from '../model/objectives.ts';
import { rawMetricValue, testMetricValue } from '../store/records.ts';
import { formatBytes, formatDuration, formatMetric, formatNumber, formatRate, formatScalar, formatValue } from './format.ts';
import { baseStyles } from './styles.ts';
import { optunaStateOf, type ViewStudy, type ViewTrial } from './viewer/model.ts';
import type { OptunaDistribution } from '../store/optuna-journal.ts';
import type { JsonValue } from '../store/python-json.ts';

/** An attr's value as one line: long lists (a loss curve) as their length, the rest as JSON. */
export function attrText(value: JsonValue): string {
  if (Array.isArray(value) && value.length > 12) return `[${value.length} values: ${value.slice(0, 3).map((v) => (typeof v === 'number' ? formatNumber(v) : JSON.stringify(v))).join(', ')}, …]`;
  if (typeof value === 'string') return value;
  const text = JSON.stringify(value);
  return text.length > 240 ? `${text.slice(0, 237)}…` : text;
}

function distributionText(d: OptunaDistribution | undefined): string {
  if (!d) return '';
  if (d.name === 'CategoricalDistribution') return `categorical: ${d.choices.map((c) => formatScalar(c)).join(', ')}`;
  const kind = d.name === 'IntDistribution' ? 'int' : 'float';
  return `${kind} ${formatNumber(d.low)}…${formatNumber(d.high)}${d.log ? ', log' : ''}${d.step !== null && d.step !== 1 ? `, step ${formatNumber(d.step)}` : d.step === 1 && kind === 'float' ? ', step 1' : ''}`;
}

/** A note optuna-dashboard saved for the trial (`save_note`): study system attrs `dashboard:<trial_id>:note_str:<i>`, in order. */
export function dashboardNote(study: Pick<ViewStudy, 'systemAttrs'>, trialId: number | undefined): string {
  if (trialId === undefined) return '';
  const prefix = `dashboard:${trialId}:note_str:`;
  const parts: string[] = [];
  for (let i = 0; typeof study.systemAttrs[`${prefix}${i}`] === 'string'; i++) parts.push(study.systemAttrs[`${prefix}${i}`] as string);
  return parts.join('');
}

const noteKey = (study: string, trial: number) => `fusetune:note:${study}:${trial}`;

/**
 * @fires trial-page-close - the page is closed (Escape, or its Close button); bubbles.
 */
@customElement('ft-trial-page')
export class FtTrialPage extends LitElement {
  @property({ attribute: false }) trial: ViewTrial | null = null;
  @property({ attribute: false }) study: ViewStudy | null = null;
  /** The user's own note on this trial, kept in this browser. */
  @state() private note = '';
  @state() private saved = false;

  static override styles = [
    baseStyles,
    css`
      :host { display: block; margin: 0.75rem 0; }
      section { border: 2px solid var(--ft-accent); }
      header { display: flex; justify-content: space-between; align-items: baseline; gap: 1rem; }
      h2:focus { outline: none; }
      .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 340px), 1fr)); gap: 0.5rem 1.5rem; }
      table { border-collapse: collapse; font-size: 0.85rem; width: 100%; }
      th, td { text-align: left; padding: 0.15rem 0.4rem; border-bottom: 1px solid #edf0f3; vertical-align: top; }
      td { overflow-wrap: anywhere; }
      th { font-weight: 600; white-space: nowrap; }
      textarea { width: 100%; min-height: 4rem; box-sizing: border-box; }
      .dash { white-space: pre-wrap; background: #f6f8fa; border-radius: 5px; padding: 0.4rem; font-size: 0.85rem; }
    `,
  ];

  protected override willUpdate(changed: PropertyValues): void {
    if ((changed.has('trial') || changed.has('study')) && this.trial && this.study) {
      const key = noteKey(this.study.name, this.trial.index);
      const old = changed.get('trial') as ViewTrial | undefined;
      if (!old || old.index !== this.trial.index) {
        this.note = localStorage.getItem(key) ?? '';
        this.saved = false;
      }
    }
  }

  /** Moves focus to the page's heading (when it opens). */
  focusHeading(): void {
    this.renderRoot.querySelector<HTMLElement>('h2')?.focus();
  }

  override render() {
    const t = this.trial;
    const study = this.study;
    if (!t || !study) return nothing;
    const run = t.run;
    const metrics = TASK_METRICS[(run?.valRmse ?? null) !== null ? 'regression' : 'classification'];
    const duration = t.startedAt && t.finishedAt ? Date.parse(t.finishedAt) - Date.parse(t.startedAt) : null;
    const params = Object.entries(t.params);
    const dash = dashboardNote(study, t.trialId);
    const rows = (entries: [string, string][]) =>
      entries.length === 0
        ? html`<p class="muted">none</p>`
        : html`<table>
            ${entries.map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}
          </table>`;
    return html`<section class="panel" data-testid="trial-page" aria-labelledby="trial-heading" @keydown=${(e: KeyboardEvent) => e.key === 'Escape' && this.close()}>
      <header>
        <h2 id="trial-heading" tabindex="-1">Trial ${t.index} <span class="muted">(${t.state}, Optuna ${optunaStateOf(t.state)})</span></h2>
        <button type="button" class="small" @click=${this.close}>Close</button>
      </header>
      ${t.reason ? html`<p>${t.reason}</p>` : nothing}
      <div class="grid">
        <div>
          <h3>Values</h3>
          ${rows(study.objectives.map((o, k) => [`${o.label} (${o.direction})`, formatValue(o, t.values?.[k])]))}
          <h3>Parameters</h3>
          ${params.length === 0
            ? html`<p class="muted">none</p>`
            : html`<table data-testid="trial-params">
                <tr><th scope="col">name</th><th scope="col">value</th><th scope="col">distribution</th></tr>
                ${params.map(([name, value]) => html`<tr><th scope="row">${name}</th><td>${formatScalar(value)}</td><td class="muted">${distributionText(t.distributions[name])}</td></tr>`)}
              </table>`}
          <h3>Time</h3>
          ${rows([
            ['started', t.startedAt ?? '–'],
            ['finished', t.finishedAt ?? '–'],
            ['took', duration === null ? '–' : formatDuration(duration)],
          ])}
        </div>
        <div>
          <h3>Intermediate values <span class="muted">(${t.intermediate.length})</span></h3>
          ${t.intermediate.length > 0 ? this.intermediatePlot(t) : html`<p class="muted">none reported</p>`}
          ${run
            ? html`<h3>fusetune’s record</h3>
                ${rows([
                  // A regression trial records RMSE, MAE and R² where a classifier records accuracy; its test figures are the same metrics on held-out rows.
                  ...metrics.map((m): [string, string] => [METRIC_LABELS[m], formatMetric(m, rawMetricValue(run, m))]),
                  ['train loss', formatNumber(run.trainLoss)],
                  ['steps', formatRate(run.stepsDone)],
                  ['samples/s', formatRate(run.samplesPerSec)],
                  ['bytes', run.bytes ? formatBytes(run.bytes.total) : '–'],
                  ['network', `${run.config.hidden.join('–') || 'linear'}, ${run.config.activation}, batch ${run.config.batchSize}, ${run.config.optimizer}`],
                  ...(run.test ? metrics.map((m): [string, string] => [METRIC_LABELS[m].replace('val', 'test'), formatMetric(m, testMetricValue(run, m))]) : []),
                ])}`
            : nothing}
        </div>
      </div>
      <div class="grid">
        <div>
          <h3>User attrs</h3>
          <div data-testid="trial-user-attrs">${rows(Object.entries(t.userAttrs).map(([k, v]) => [k, attrText(v)]))}</div>
        </div>
        <div>
          <h3>System attrs</h3>
          <div data-testid="trial-system-attrs">${rows(Object.entries(t.systemAttrs).map(([k, v]) => [k, attrText(v)]))}</div>
        </div>
      </div>
      <h3>Notes</h3>
      ${dash ? html`<p class="muted">Saved with optuna-dashboard:</p><div class="dash" data-testid="dashboard-note">${dash}</div>` : nothing}
      <label for="note">Your note on this trial <span class="muted">(kept in this browser only)</span></label>
      <textarea id="note" .value=${this.note} @input=${(e: Event) => this.editNote((e.target as HTMLTextAreaElement).value)}></textarea>
      <p class="muted" role="status" style="font-size:0.8rem;margin:0">${this.saved ? 'Note saved in this browser.' : ''}</p>
    </section>`;
  }

  private intermediatePlot(t: ViewTrial): Element {
    const objective = this.study!.objectives[0];
    const last = t.intermediate.at(-1)!;
    const figure = Plot.plot({
      width: 340,
      height: 160,
      marginLeft: 48,
      ariaLabel: `Intermediate values of trial ${t.index}`,
      x: { label: 'step', grid: true },
      y: { label: objective?.label ?? 'value', grid: true, tickFormat: '~g' },
      marks: [Plot.line(t.intermediate, { x: 'step', y: 'value', stroke: '#1f5fbf' }), Plot.dot(t.intermediate, { x: 'step', y: 'value', r: 2, fill: '#1f5fbf' })],
    });
    // One image for screen readers, named and described; Plot's labelled groups inside are hidden from them.
    figure.setAttribute('aria-hidden', 'true');
    const wrap = document.createElement('div');
    wrap.setAttribute('role', 'img');
    wrap.setAttribute('aria-label', `Intermediate values of trial ${t.index}: ${t.intermediate.length} reports, the last ${formatValue(objective ?? {}, last.value)} at step ${last.step}`);
    wrap.append(figure);
    return wrap;
  }

  private editNote(text: string): void {
    this.note = text;
    const key = noteKey(this.study!.name, this.trial!.index);
    if (text) localStorage.setItem(key, text);
    else localStorage.removeItem(key);
    this.saved = true;
  }

  private close(): void {
    this.dispatchEvent(new CustomEvent('trial-page-close', { bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-trial-page': FtTrialPage;
  }
}
