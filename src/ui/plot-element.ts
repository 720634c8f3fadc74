// Base class of the chart elements: renders an Observable Plot figure at the element's width, again when it resizes.
import { LitElement, css, html, nothing } from 'lit';
import { property, state } from 'lit/decorators.js';
import { baseStyles } from './styles.ts';

export abstract class PlotElement extends LitElement {
  /** The chart's title, shown above it and used as the figure's accessible name. */
  @property() heading = '';

  @state() protected width = 0;
  private readonly resize = new ResizeObserver((entries) => {
    const width = Math.floor(entries[0]?.contentRect.width ?? 0);
    // Small jitter from scrollbars appearing would re-render in a loop; ignore it.
    if (Math.abs(width - this.width) > 8) this.width = width;
  });

  static override styles = [
    baseStyles,
    css`
      :host { display: block; min-width: 0; }
      figure { margin: 0; }
      figcaption { font-weight: 600; font-size: 0.9rem; margin-bottom: 0.25rem; }
      .empty { color: var(--ft-muted); font-size: 0.85rem; min-height: 4rem; display: flex; align-items: center; }
      .plot svg { overflow: visible; }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    this.resize.observe(this);
  }

  override disconnectedCallback(): void {
    this.resize.disconnect();
    super.disconnectedCallback();
  }

  /** The Plot figure for this width, or a sentence saying why there is none yet. */
  protected abstract plot(width: number): Element | string;

  override render() {
    const content = this.width > 0 ? this.plot(this.width) : '';
    return html`<figure aria-label=${this.heading || nothing}>
      ${this.heading ? html`<figcaption>${this.heading}</figcaption>` : nothing}
      ${typeof content === 'string' ? html`<div class="empty">${content}</div>` : html`<div class="plot">${content}</div>`}
    </figure>`;
  }
}
