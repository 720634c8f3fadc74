// <ft-run-panel>: run, pause, stop and resume the study, with a progress bar, throughput and the time left.
import { FINISHED_STATES } from '../model/states.ts';
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { sessionContext, type Session } from './context.ts';
import { formatBytes, formatDuration, formatRate } from './format.ts';
import { baseStyles } from './styles.ts';

export type RunAction = 'start' | 'pause' | 'stop' | 'resume';


/**
 * @fires run-action - `detail: { action: 'start' | 'pause' | 'stop' | 'resume' }`.
 */
@customElement('ft-run-panel')
export class FtRunPanel extends LitElement {
  @consume({ context: sessionContext, subscribe: true })
  @state()
  private session?: Session;

  /** Why Run is unavailable (problems in the study, no device yet); empty when it can run. */
  @property() blocker = '';
  /** The edited study's name and trial count, for the Run button's description. */
  @property() draftName = '';
  @property({ attribute: false }) draftTrials: number | null = null;
  /** Bytes the page's GPU work holds now. */
  @property({ type: Number }) bytesHeld = 0;

  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      .bar { display: grid; grid-template-columns: auto minmax(0, 1fr); gap: 0.4rem 1rem; align-items: center; }
      .buttons { display: flex; gap: 0.4rem; }
      .status { font-size: 0.85rem; min-width: 0; }
      .status p { margin: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
      progress { width: 100%; height: 0.6rem; grid-column: 1 / -1; accent-color: var(--ft-accent); }
      .blocker { color: var(--ft-error); }
      [role='alert'] { grid-column: 1 / -1; margin: 0; color: var(--ft-error); font-size: 0.85rem; white-space: pre-wrap; }
    `,
  ];

  override render() {
    const s = this.session;
    const status = s?.status ?? 'idle';
    const busy = status !== 'idle';
    const canRun = !busy && this.blocker === '' && (s?.loaded ?? false);
    const trials = s?.trials ?? [];
    const finished = trials.filter((t) => FINISHED_STATES.has(t.state)).length;
    const p = s?.progress ?? null;
    return html`<div class="bar" data-testid="run-panel">
      <div class="buttons">
        <button class="primary" type="button" ?disabled=${!canRun} aria-describedby="run-note" @click=${() => this.act('start')}>Run</button>
        <button type="button" ?disabled=${status !== 'running' && status !== 'loading'} @click=${() => this.act('pause')}>Pause</button>
        <button type="button" ?disabled=${status !== 'running' && status !== 'loading'} @click=${() => this.act('stop')}>Stop</button>
        ${s?.resumable ? html`<button type="button" @click=${() => this.act('resume')}>Resume</button>` : nothing}
      </div>
      <div class="status" aria-live="polite">
        <p id="run-note" class=${this.blocker && !busy ? 'blocker' : ''} data-testid="run-note">${this.note(status, finished, trials.length)}</p>
        ${busy && p
          ? html`<p class="muted" data-testid="run-stats">
              ${formatRate(p.samplesPerSec)} samples/s · ${formatDuration(p.elapsedMs)} elapsed · ${p.etaMs === null ? 'timing…' : `about ${formatDuration(p.etaMs)} left`} · GPU holds ${formatBytes(this.bytesHeld)}
            </p>`
          : nothing}
      </div>
      ${status === 'loading'
        ? html`<progress aria-label="Study progress"></progress>`
        : busy && p
          ? html`<progress aria-label="Study progress" max=${Math.max(1, p.stepsTotal)} .value=${p.stepsDone}></progress>`
          : trials.length > 0
            ? html`<progress aria-label="Trials finished" max=${trials.length} .value=${finished}></progress>`
            : nothing}
      ${s?.error ? html`<p role="alert" data-testid="run-error">${s.error}</p>` : nothing}
    </div>`;
  }

  private note(status: Session['status'], finished: number, total: number): string {
    const name = this.session?.saved?.name ?? this.draftName;
    switch (status) {
      case 'loading':
        return `Preparing ${name}: loading data and the GPU…`;
      case 'running':
        return `Training ${name}: ${finished} of ${total} trials finished.`;
      case 'pausing':
        return 'Pausing after the current chunk of steps…';
      case 'stopping':
        return 'Stopping after the current chunk of steps…';
      default: {
        if (this.blocker) return this.blocker;
        const saved = this.session?.saved;
        const ready = `Ready to run ${this.draftName || 'the study'} (${this.draftTrials ?? '?'} trial${this.draftTrials === 1 ? '' : 's'}).`;
        if (!saved || !saved.record) return ready;
        const resume = this.session?.resumable ? ' Resume continues it; finished trials are kept.' : '';
        return `${saved.name}: ${saved.status}, ${finished} of ${total} trials finished.${resume} ${ready}`;
      }
    }
  }

  private act(action: RunAction): void {
    this.dispatchEvent(new CustomEvent('run-action', { detail: { action } }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-run-panel': FtRunPanel;
  }
}
