// <ft-device-panel>: the adapter report (name, software or not, features, limits) and the bytes the study holds.
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { AdapterReport } from '../gpu/adapter-report.ts';
import { formatBytes } from './format.ts';

@customElement('ft-device-panel')
export class FtDevicePanel extends LitElement {
  /** The adapter to show. */
  @property({ attribute: false }) report: AdapterReport | null = null;
  /** Bytes the current work holds on the GPU. */
  @property({ type: Number }) bytesHeld = 0;

  static override styles = css`
    :host { display: block; }
    h2 { font-size: 1.1rem; margin: 0 0 0.5rem; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0 0 1rem; }
    dt { color: var(--ft-muted, #555); }
    dd { margin: 0; font-variant-numeric: tabular-nums; }
    .software { color: #8a5300; }
    ul.features { display: flex; flex-wrap: wrap; gap: 0.3rem; padding: 0; margin: 0 0 1rem; list-style: none; }
    ul.features li { background: #eef2f7; border-radius: 4px; padding: 0.1rem 0.4rem; font-size: 0.85rem; }
    table { border-collapse: collapse; font-size: 0.85rem; }
    td { padding: 0.1rem 0.75rem 0.1rem 0; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; }
    details { margin-top: 0.5rem; }
  `;

  override render() {
    const r = this.report;
    if (!r) return nothing;
    return html`
      <h2>WebGPU adapter</h2>
      <dl data-testid="adapter">
        <dt>Adapter</dt><dd data-testid="adapter-name">${r.description || r.device || r.vendor || 'unknown'}</dd>
        <dt>Vendor</dt><dd>${r.vendor || '–'}</dd>
        <dt>Architecture</dt><dd>${r.architecture || '–'}</dd>
        <dt>Kind</dt>
        <dd class=${r.isSoftware ? 'software' : ''}>${r.isSoftware ? 'software (runs on the CPU: expect ~1000× less speed)' : 'hardware GPU'}</dd>
        <dt>Max buffer</dt><dd>${formatBytes(r.limits.maxBufferSize ?? 0)}</dd>
        <dt>Max storage binding</dt><dd>${formatBytes(r.limits.maxStorageBufferBindingSize ?? 0)}</dd>
        <dt>Workgroup memory</dt><dd>${formatBytes(r.limits.maxComputeWorkgroupStorageSize ?? 0)}</dd>
        <dt>Held by fusetune</dt><dd data-testid="bytes-held">${formatBytes(this.bytesHeld)}</dd>
      </dl>
      <h3>Features</h3>
      <ul class="features">${r.features.map((f) => html`<li>${f}</li>`)}</ul>
      <details>
        <summary>All limits (${Object.keys(r.limits).length})</summary>
        <table>
          ${Object.entries(r.limits).map(([k, v]) => html`<tr><td>${k}</td><td class="num">${v.toLocaleString('en-US')}</td></tr>`)}
        </table>
      </details>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-device-panel': FtDevicePanel;
  }
}
