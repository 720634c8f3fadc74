// <ft-timeline-chart>: when each trial ran, a bar from its start to its end coloured by state (Optuna's plot_timeline); trials still running reach to now.
import * as Plot from '@observablehq/plot';
import { customElement, property } from 'lit/decorators.js';
import type { TrialState } from '../model/states.ts';
import type { StudyView } from './analysis/study-view.ts';
import { lineLayers } from './fast-marks.ts';
import { formatDuration } from './format.ts';
import { PlotElement } from './plot-element.ts';

const STATE_COLORS: Readonly<Record<TrialState, string>> = { done: '#1f5fbf', pruned: '#e08a2e', diverged: '#8e1f17', failed: '#c0392b', stopped: '#9a7b4f', running: '#59a14f', pending: '#aab4c0' };

interface Bar {
  trial: number;
  state: TrialState;
  start: Date;
  end: Date;
}

/** Trials with a start time, from start to end (or `now` for those still running). */
export function timelineBars(trials: StudyView['trials'], now: number): Bar[] {
  return trials.flatMap((t) => {
    if (!t.startedAt) return [];
    const start = Date.parse(t.startedAt);
    const end = t.finishedAt ? Date.parse(t.finishedAt) : t.state === 'running' ? now : start;
    return Number.isFinite(start) && Number.isFinite(end) ? [{ trial: t.index, state: t.state, start: new Date(start), end: new Date(Math.max(start, end)) }] : [];
  });
}

/**
 * @fires trial-select - `detail: { index }`: a trial's bar was clicked.
 */
@customElement('ft-timeline-chart')
export class FtTimelineChart extends PlotElement {
  @property({ attribute: false }) view: StudyView | null = null;

  protected override describe(): string {
    const bars = timelineBars(this.view?.trials ?? [], Date.now());
    if (bars.length === 0) return '';
    const first = Math.min(...bars.map((b) => b.start.getTime()));
    const last = Math.max(...bars.map((b) => b.end.getTime()));
    return `${bars.length} trials ran over ${formatDuration(last - first)}.`;
  }

  protected plot(width: number): Element | string {
    const view = this.view;
    if (!view) return '';
    const bars = timelineBars(view.trials, Date.now());
    if (bars.length === 0) return 'The timeline appears as trials start (a journal without start times has none).';
    const states = (Object.keys(STATE_COLORS) as TrialState[]).filter((s) => bars.some((b) => b.state === s));
    // Each bar is a two-point line (start, end) as thick as a row, one path per state, so 10,000 trials draw as a few paths.
    const height = Math.min(420, Math.max(160, 40 + bars.length * 4));
    const thickness = Math.max(1, Math.min(8, (height - 60) / Math.max(1, bars.length)));
    const layers = states.map((state) => ({ stroke: STATE_COLORS[state], width: thickness, series: bars.filter((b) => b.state === state).map((b) => [b.start, b.trial, b.end, b.trial]) }));
    let first = Infinity;
    let last = -Infinity;
    let top = 0;
    for (const b of bars) {
      first = Math.min(first, b.start.getTime());
      last = Math.max(last, b.end.getTime());
      top = Math.max(top, b.trial);
    }
    const figure = Plot.plot({
      width,
      height,
      marginLeft: 52,
      x: { type: 'time', label: 'time', grid: true, domain: [new Date(first), new Date(Math.max(last, first + 1000))] },
      y: { label: 'trial number', grid: true, reverse: true, domain: [0, Math.max(1, top)] },
      color: { domain: states, range: states.map((s) => STATE_COLORS[s]), legend: true },
      marks: [
        // Square caps: a trial that took no time still shows, as a square.
        lineLayers(layers, 'square'),
        Plot.tip(bars, Plot.pointer({ x: 'start', y: 'trial', title: (b: Bar) => `trial ${b.trial} (${b.state})\n${b.start.toISOString().replace('T', ' ').slice(0, 19)} UTC, ${formatDuration(b.end.getTime() - b.start.getTime())}` })),
      ],
    });
    figure.addEventListener('click', () => {
      const hit = (figure as unknown as { value?: Bar }).value;
      if (hit) this.dispatchEvent(new CustomEvent('trial-select', { detail: { index: hit.trial }, bubbles: true, composed: true }));
    });
    return figure;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-timeline-chart': FtTimelineChart;
  }
}
