// Base class of the chart elements: draws an Observable Plot figure at the element's width, one chart per task.
import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { property, state } from 'lit/decorators.js';
import { baseStyles } from './styles.ts';

/** The colour of the Pareto front in every chart. */
export const PARETO_COLOR = '#d1495b';

/**
 * NOTE: charts are drawn from a queue, one per task, so a page of ten charts over 150 trials
 * never blocks input for the sum of their drawing times. A chart on a hidden tab has no width
 * and draws nothing until shown.
 */
const queue = new Set<PlotElement>();
let pumping = false;

function pump(): void {
  const next = queue.values().next();
  if (next.done) {
    pumping = false;
    return;
  }
  queue.delete(next.value);
  try {
    next.value.draw();
  } finally {
    setTimeout(pump, 0);
  }
}

function enqueue(element: PlotElement): void {
  queue.add(element);
  if (!pumping) {
    pumping = true;
    setTimeout(pump, 0);
  }
}

export abstract class PlotElement extends LitElement {
  /** The chart's title, shown above it and used as the figure's accessible name. */
  @property() heading = '';
  /** Least milliseconds between two redraws (set while a study runs, so live data redraws calmly); 0 redraws at once. */
  @property({ type: Number }) redrawMs = 0;

  @state() protected width = 0;
  /** The drawn figure, or a sentence saying why there is none yet. */
  @state() private content: Element | string = '';
  /** The figure in words, taken when it was drawn. */
  @state() private summary = '';
  private dirty = false;
  private lastDrawn = -Infinity;
  private timer: ReturnType<typeof setTimeout> | null = null;

  private readonly resize = new ResizeObserver((entries) => {
    const width = Math.floor(entries[0]?.contentRect.width ?? 0);
    // Small jitter from scrollbars appearing would re-render in a loop; ignore it.
    if (Math.abs(width - this.width) > 8) this.width = width;
  });

  static override styles = [
    baseStyles,
    css`
      /* NOTE: a redrawn chart replaces its SVG; containment keeps the page's relayout and repaint to this element. */
      :host { display: block; min-width: 0; contain: content; }
      figure { margin: 0; }
      figcaption { font-weight: 600; font-size: 0.9rem; margin-bottom: 0.25rem; }
      .empty { color: var(--ft-muted); font-size: 0.85rem; min-height: 4rem; display: flex; align-items: center; }
      .plot svg { overflow: visible; }
      .plot:focus-visible { outline: 2px solid var(--ft-accent); outline-offset: 2px; }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    this.resize.observe(this);
  }

  override disconnectedCallback(): void {
    this.resize.disconnect();
    queue.delete(this);
    if (this.timer !== null) clearTimeout(this.timer);
    super.disconnectedCallback();
  }

  /** The Plot figure for this width, or a sentence saying why there is none yet. */
  protected abstract plot(width: number): Element | string;

  /** Called after a new figure is in the DOM (to attach interactions such as brushes). */
  protected drawn(_figure: Element): void {}

  /** The chart's name when it has no heading (a small panel of a grid): what it plots. */
  protected name(): string {
    return 'chart';
  }

  /**
   * What the figure shows, in words (its text alternative): read out with the chart's name when
   * the chart has keyboard focus. Empty: the heading alone.
   */
  protected describe(): string {
    return '';
  }

  /** Controls rendered above the figure (selects, toggles); they render at once, unlike the figure. */
  protected controls(): unknown {
    return nothing;
  }

  /** Asks for a fresh figure, drawn in its turn. */
  protected redraw(): void {
    this.dirty = true;
    enqueue(this);
  }

  protected override willUpdate(changed: PropertyValues): void {
    if ([...changed.keys()].some((key) => key !== 'content' && key !== 'summary') && this.needsRedraw(changed)) this.redraw();
  }

  /** Whether these changes change the figure (a chart that ignores picks says no when only they changed). */
  protected needsRedraw(_changed: PropertyValues): boolean {
    return true;
  }

  /** Draws the figure now (called from the queue). */
  draw(): void {
    if (!this.isConnected || !this.dirty) return;
    const wait = this.lastDrawn + this.redrawMs - performance.now();
    if (wait > 0 && this.content !== '') {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        enqueue(this);
      }, wait);
      return;
    }
    this.dirty = false;
    this.lastDrawn = performance.now();
    const start = performance.now();
    try {
      const content = this.width > 0 ? this.plot(this.width) : '';
      // NOTE: Plot's SVGs carry no name of their own; each gets the chart's, and is hidden from screen readers, which
      // read the figure as one image: its name and what it shows in words (Plot's labelled groups are not ARIA).
      if (typeof content !== 'string') {
        for (const svg of content.tagName.toLowerCase() === 'svg' ? [content] : content.querySelectorAll('svg')) {
          if (!svg.hasAttribute('aria-label')) svg.setAttribute('aria-label', this.heading || this.name());
          svg.setAttribute('aria-hidden', 'true');
        }
      }
      this.content = content;
      this.summary = typeof content === 'string' ? content : this.describe();
      // A User Timing entry per draw: DevTools' performance panel and the responsiveness test read them.
      performance.measure(`draw ${this.localName}`, { start });
    } catch (error) {
      // Shown in place of the chart, and thrown on so that it reaches the console.
      this.content = `This chart failed: ${error instanceof Error ? error.message : String(error)}`;
      throw error;
    }
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('content') && typeof this.content !== 'string') this.drawn(this.content);
  }

  override render() {
    const content = this.content;
    // The figure is one Tab stop with its name and, as its description, what it shows in words; a chart hidden from
    // screen readers (the run bar's sparkline) is no Tab stop.
    const hidden = this.getAttribute('aria-hidden') === 'true';
    const label = this.heading ? nothing : this.name();
    return html`<figure aria-labelledby=${this.heading ? 'caption' : nothing} aria-label=${label} aria-describedby="summary">
      ${this.heading ? html`<figcaption id="caption">${this.heading}</figcaption>` : nothing}
      ${this.controls()}
      ${typeof content === 'string'
        ? html`<div class="empty">${content}</div>`
        : hidden
          ? html`<div class="plot">${content}</div>`
          : html`<div class="plot" tabindex="0" role="img" aria-labelledby=${this.heading ? 'caption' : nothing} aria-label=${label} aria-describedby="summary">${content}</div>`}
      <p id="summary" class="vh">${this.summary}</p>
    </figure>`;
  }
}
