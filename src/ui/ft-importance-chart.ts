// <ft-importance-chart>: which parameters explain the objective (fANOVA over a random forest), as bars, computed in a Web Worker.
import * as Plot from '@observablehq/plot';
import { Task, TaskStatus } from '@lit/task';
import { customElement, property } from 'lit/decorators.js';
import { objectiveValue } from '../store/records.ts';
import { importanceInWorker } from './analysis/importance-client.ts';
import type { ImportanceInput } from './analysis/importance.ts';
import { objectiveLabel } from './analysis/study-params.ts';
import type { StudyView } from './analysis/study-view.ts';
import { PlotElement } from './plot-element.ts';

/** NOTE: fewer finished trials than this say more about noise than about the parameters. */
const MIN_TRIALS = 8;

@customElement('ft-importance-chart')
export class FtImportanceChart extends PlotElement {
  /** The study as the views see it. */
  @property({ attribute: false }) view: StudyView | null = null;

  private readonly importance = new Task(this, {
    task: async ([key], { signal }) => {
      const input = this.input();
      if (!key || !input) return null;
      return importanceInWorker(input, signal);
    },
    // Recomputed only when the set of scored trials changes, not on every live snapshot.
    args: () => [this.key()] as const,
    onComplete: () => this.redraw(),
    onError: () => this.redraw(),
  });

  private input(): ImportanceInput | null {
    const view = this.view;
    if (!view) return null;
    const objective = view.objectives[0]!;
    const rows = view.trials.flatMap((t) => {
      const y = objectiveValue(t, objective);
      return y === null ? [] : [{ x: view.params.map((p) => t.params[p.name]), y }];
    });
    return rows.length >= MIN_TRIALS && view.params.length > 0 ? { params: view.params.map((p) => ({ ...p })), rows } : null;
  }

  private key(): string {
    const view = this.view;
    if (!view) return '';
    const objective = view.objectives[0]!;
    return view.trials
      .filter((t) => objectiveValue(t, objective) !== null)
      .map((t) => t.index)
      .join(',');
  }

  protected plot(width: number): Element | string {
    const view = this.view;
    if (!view) return '';
    if (view.params.length === 0) return 'No parameter varies, so there is nothing to rank.';
    const objective = view.objectives[0]!;
    const scored = view.trials.filter((t) => objectiveValue(t, objective) !== null).length;
    if (scored < MIN_TRIALS) return `Importance needs ${MIN_TRIALS} finished trials (${scored} so far).`;
    if (this.importance.status === TaskStatus.COMPLETE && this.importance.value) {
      const result = this.importance.value;
      const explained = result.reduce((s, r) => s + r.share, 0);
      const figure = Plot.plot({
        width,
        height: 40 + 24 * result.length,
        marginLeft: 96,
        marginRight: 48,
        x: { label: `importance for ${objectiveLabel(objective)}`, domain: [0, 1], tickFormat: '.0%', grid: true },
        y: { label: null, domain: result.map((r) => r.name) },
        marks: [
          Plot.barX(result, { x: 'importance', y: 'name', fill: '#1f5fbf', title: (r) => `${r.name}: ${(r.importance * 100).toFixed(1)}% (alone explains ${(r.share * 100).toFixed(1)}% ± ${(r.std * 100).toFixed(1)}% of the variance)` }),
          Plot.text(result, { x: 'importance', y: 'name', text: (r) => `${(r.importance * 100).toFixed(0)}%`, dx: 4, textAnchor: 'start', fontSize: 10 }),
        ],
      });
      const note = document.createElement('p');
      note.className = 'muted';
      note.style.cssText = 'font-size:0.75rem;margin:0.2rem 0 0';
      note.textContent = `fANOVA over a 32-tree random forest of ${scored} trials; each parameter alone explains the share shown of what the main effects explain (${(explained * 100).toFixed(0)}% of the variance; the rest is interactions).`;
      const wrap = document.createElement('div');
      wrap.append(figure, note);
      return wrap;
    }
    if (this.importance.status === TaskStatus.ERROR) return `Importance could not be computed: ${String(this.importance.error)}`;
    return 'Computing importance…';
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-importance-chart': FtImportanceChart;
  }
}
