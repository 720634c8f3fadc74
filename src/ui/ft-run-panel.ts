// <ft-run-panel>: run, pause, stop and resume the study, with a progress bar, throughput, the time left and the best value so far.
import { FINISHED_STATES } from '../model/states.ts';
import { bestSoFar, type BestPoint } from './analysis/best-so-far.ts';
import type { ViewObjective, ViewTrial } from './viewer/model.ts';
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { sessionContext, type Session } from './context.ts';
import { formatBytes, formatDuration, formatPercent, formatRate, formatValue } from './format.ts';
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
  /** The draft grid's combinations, when its sampler is a grid (more than draftTrials when budget.trials caps it). */
  @property({ attribute: false }) gridSize: number | null = null;
  /** The button last pressed: when it turns disabled (Run while running, Pause when it ends), focus moves on instead of falling to the page. */
  private pressed: RunAction | null = null;
  /** Bytes the page's GPU work holds now. */
  @property({ type: Number }) bytesHeld = 0;
  private bestMemo: { key: unknown[]; objective: ViewObjective | null; trials: readonly ViewTrial[]; best: BestPoint[] } | null = null;

  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      .bar { display: grid; grid-template-columns: auto minmax(0, 1fr); gap: 0.4rem 1rem; align-items: center; }
      .buttons { display: flex; gap: 0.4rem; }
      .status { font-size: 0.85rem; min-width: 0; }
      /* NOTE: notes wrap rather than being cut off (a paused study's note is long at 1280 px). */
      .status p { margin: 0; overflow-wrap: anywhere; }
      progress { width: 100%; height: 0.6rem; grid-column: 1 / -1; accent-color: var(--ft-accent); }
      .blocker { color: var(--ft-error); }
      .best { display: flex; align-items: center; gap: 0.5rem; font-size: 0.85rem; }
      .best ft-best-chart { width: 180px; }
      [role='alert'] { grid-column: 1 / -1; margin: 0; color: var(--ft-error); font-size: 0.85rem; white-space: pre-wrap; }
    `,
  ];

  override render() {
    const s = this.session;
    const status = s?.status ?? 'idle';
    const busy = status !== 'idle';
    const canRun = !busy && this.blocker === '' && (s?.loaded ?? false);
    const trials = s?.view?.trials ?? [];
    const finished = trials.filter((t) => FINISHED_STATES.has(t.state)).length;
    const p = s?.progress ?? null;
    const { objective, trials: outcomes, best } = this.best(s);
    const top = objective ? best.at(-1) : undefined;
    return html`<div class="bar" data-testid="run-panel">
      <div class="buttons">
        <button class="primary" data-action="start" type="button" ?disabled=${!canRun} aria-describedby="run-note" @click=${() => this.act('start')}>Run</button>
        <button type="button" data-action="pause" ?disabled=${status !== 'running' && status !== 'loading'} @click=${() => this.act('pause')}>Pause</button>
        <button type="button" data-action="stop" ?disabled=${status !== 'running' && status !== 'loading'} @click=${() => this.act('stop')}>Stop</button>
        ${s?.resumable ? html`<button type="button" data-action="resume" @click=${() => this.act('resume')}>Resume</button>` : nothing}
      </div>
      <div class="status">
        <p class="vh" role="status" data-testid="run-announce">${this.announcement(status)}</p>
        <p id="run-note" class=${this.blocker && !busy ? 'blocker' : ''} data-testid="run-note">${this.note(status, busy && p ? p.trialsDone : finished, busy && p ? p.trialsTotal : trials.length)}</p>
        ${busy && p
          ? html`<p class="muted" data-testid="run-stats">
              ${formatRate(p.samplesPerSec)} samples/s · ${formatDuration(p.elapsedMs)} elapsed · ${p.etaMs === null ? 'timing…' : `about ${formatDuration(p.etaMs)} left`} · GPU holds ${formatBytes(this.bytesHeld)} · dispatches ${formatPercent(p.occupancy)} full
            </p>`
          : nothing}
      </div>
      ${top
        ? html`<div class="best" data-testid="run-best">
            <span>Best ${objective!.label} so far: <strong>${formatValue(objective!, top.best)}</strong> (trial ${[...best].reverse().find((b) => b.improved)!.trial})</span>
            <ft-best-chart compact .trials=${outcomes} .objectives=${[objective]} heading="" aria-hidden="true"></ft-best-chart>
          </div>`
        : nothing}
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

  /** The best so far, computed again only when the session's outcomes change (a running trial's curve leaves it as it is). */
  private best(s: Session | undefined): { objective: ViewObjective | null; trials: readonly ViewTrial[]; best: BestPoint[] } {
    const key = [s?.outcomeRevision, s?.view?.id];
    if (this.bestMemo && this.bestMemo.key.every((k, i) => k === key[i])) return this.bestMemo;
    const objective = s?.view?.objectives[0] ?? null;
    const trials = s?.view?.trials ?? [];
    this.bestMemo = { key, objective, trials, best: objective ? bestSoFar(trials, objective, 'trial') : [] };
    return this.bestMemo;
  }

  /**
   * What the status region says: only a change of state (preparing, training, pausing, stopped…),
   * never the statistics that change several times a second, so a screen reader is not flooded.
   */
  private announcement(status: Session['status']): string {
    const name = this.session?.saved?.name ?? this.draftName;
    switch (status) {
      case 'loading':
        return `Preparing ${name}.`;
      case 'running':
        return `Training ${name}.`;
      case 'pausing':
        return 'Pausing.';
      case 'stopping':
        return 'Stopping.';
      default: {
        const saved = this.session?.saved;
        return saved?.record && !this.session?.readOnly ? `${saved.name}: ${saved.status}.` : '';
      }
    }
  }

  private note(status: Session['status'], finished: number, total: number): string {
    const name = this.session?.saved?.name ?? this.draftName;
    switch (status) {
      case 'loading':
        return `Preparing ${name}: loading data and the GPU…`;
      case 'running':
        return total === 0 ? `Training ${name}: asking for the first trials…` : `Training ${name}: ${finished} of ${total} trials finished.`;
      case 'pausing':
        return 'Pausing after the current chunk of steps…';
      case 'stopping':
        return 'Stopping after the current chunk of steps…';
      default: {
        if (this.blocker) return this.blocker;
        const saved = this.session?.saved;
        const ready = `Ready to run ${this.draftName || 'the study'} (${this.trialsNote()}).`;
        if (!saved || !saved.record) return ready;
        const resume = this.session?.resumable ? ' Resume continues it; finished trials are kept.' : '';
        return `${saved.name}: ${saved.status}, ${finished} of ${total} trials finished.${resume} ${ready}`;
      }
    }
  }

  private trialsNote(): string {
    const n = this.draftTrials;
    if (n === null) return '? trials';
    if (!Number.isFinite(n)) return 'trials until its sample or time budget is spent';
    const grid = this.gridSize !== null && this.gridSize > n ? ` of the grid’s ${this.gridSize}` : '';
    return `${n}${grid} trial${n === 1 && !grid ? '' : 's'}`;
  }

  /** Moves keyboard focus to an action's button (when a question about it is answered). */
  focusAction(action: RunAction): void {
    this.renderRoot.querySelector<HTMLButtonElement>(`button[data-action="${action}"]`)?.focus();
  }

  private act(action: RunAction): void {
    this.pressed = action;
    this.dispatchEvent(new CustomEvent('run-action', { detail: { action } }));
  }

  protected override updated(): void {
    // NOTE: a pressed button that turns disabled drops keyboard focus to the page: hand it to the action that makes sense next.
    if (this.pressed === null) return;
    const pressed = this.renderRoot.querySelector<HTMLButtonElement>(`button[data-action="${this.pressed}"]`);
    if (pressed && !pressed.disabled) return;
    // Only when focus was left on the button (or fell to the page), never taken from elsewhere.
    const lost = document.activeElement === null || document.activeElement === document.body || (pressed !== null && this.shadowRoot?.activeElement === pressed);
    if (!lost) {
      this.pressed = null;
      return;
    }
    const next = ['pause', 'resume', 'start'].map((a) => this.renderRoot.querySelector<HTMLButtonElement>(`button[data-action="${a}"]`)).find((b) => b && !b.disabled);
    if (next) {
      next.focus();
      this.pressed = next.dataset.action as RunAction;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-run-panel': FtRunPanel;
  }
}
