// <ft-study-list>: the studies saved in this browser, to open (results and study) or delete.
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { sessionContext, type Session } from './context.ts';
import { METRIC_LABELS } from '../model/objectives.ts';
import { formatMetric, unitsSuffix } from './format.ts';
import { baseStyles } from './styles.ts';

/**
 * @fires study-open - `detail: { id }`: show this saved study and its results.
 * @fires study-delete - `detail: { id }`: delete it with its weights (after a confirming second press).
 */
@customElement('ft-study-list')
export class FtStudyList extends LitElement {
  @consume({ context: sessionContext, subscribe: true })
  @state()
  private session?: Session;

  /** The study whose Delete was pressed once; the second press deletes. */
  @state() private confirming: string | null = null;

  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
      th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid var(--ft-line); }
      td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
      tr.current td { background: var(--ft-accent-soft); }
      .actions { display: flex; gap: 0.3rem; justify-content: flex-end; }
      button.danger { border-color: var(--ft-error); color: var(--ft-error); }
    `,
  ];

  override render() {
    const s = this.session;
    if (!s?.loaded) return html`<p class="muted">Reading saved studies…</p>`;
    if (s.studies.length === 0) return html`<p class="muted">No saved studies yet. Every study you run is saved here as it runs.</p>`;
    const busy = s.status !== 'idle';
    return html`<table data-testid="study-list">
      <caption class="vh">Saved studies</caption>
      <thead>
        <tr><th scope="col">Study</th><th scope="col">Data</th><th scope="col">Status</th><th scope="col" class="num">Finished</th><th scope="col" class="num">Best (its objective)</th><th scope="col">Updated</th><th scope="col"><span class="vh">Actions</span></th></tr>
      </thead>
      <tbody>
        ${s.studies.map(
          (study) => html`<tr class=${s.saved?.id === study.id ? 'current' : ''}>
            <td>${study.name}</td>
            <td>${study.data}</td>
            <td>${study.status}</td>
            <td class="num">${study.trialsFinished} / ${study.trialsTotal}</td>
            <td class="num">${study.bestValue === null ? '–' : `${METRIC_LABELS[study.objective]} ${formatMetric(study.objective, study.bestValue)}${unitsSuffix({ metric: study.objective }, study.target)}`}</td>
            <td>${new Date(study.updatedAt).toLocaleString()}</td>
            <td><div class="actions">
              <button class="small" type="button" ?disabled=${busy} aria-label="Open ${study.name}" @click=${() => this.fire('study-open', study.id)}>Open</button>
              <button class="small ${this.confirming === study.id ? 'danger' : ''}" type="button" ?disabled=${busy && s.saved?.id === study.id}
                aria-label="${this.confirming === study.id ? 'Confirm deleting' : 'Delete'} ${study.name}"
                @click=${() => this.deleteStudy(study.id)} @blur=${() => (this.confirming = null)}>${this.confirming === study.id ? 'Confirm delete' : 'Delete'}</button>
            </div></td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${busy ? html`<p class="muted">Opening another study waits until the running one ends.</p>` : nothing}`;
  }

  private deleteStudy(id: string): void {
    if (this.confirming !== id) {
      this.confirming = id;
      return;
    }
    this.confirming = null;
    this.fire('study-delete', id);
  }

  private fire(type: string, id: string): void {
    this.dispatchEvent(new CustomEvent(type, { detail: { id } }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-study-list': FtStudyList;
  }
}
