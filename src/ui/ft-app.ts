// <ft-app>: the page shell. Shows the device, or a clear message when the browser has no WebGPU.
import { LitElement, css, html } from 'lit';
import { customElement } from 'lit/decorators.js';
import { GpuController } from './controllers/gpu-controller.ts';
import './ft-device-panel.ts';

@customElement('ft-app')
export class FtApp extends LitElement {
  private readonly gpu = new GpuController(this);

  static override styles = css`
    :host { display: block; max-width: 1200px; margin: 0 auto; padding: 1rem 1.5rem; font-family: system-ui, sans-serif; color: #1d2530; }
    header { display: flex; align-items: baseline; gap: 1rem; border-bottom: 1px solid #dde3ea; margin-bottom: 1rem; }
    h1 { font-size: 1.5rem; margin: 0.5rem 0; }
    .tagline { color: #555; }
    .error { border: 1px solid #d33; background: #fff3f3; padding: 1rem; border-radius: 6px; }
  `;

  override render() {
    const state = this.gpu.state;
    return html`
      <header><h1>fusetune</h1><span class="tagline">fused WebGPU training of many small networks at once</span></header>
      <main>
        ${state.status === 'pending' ? html`<p role="status">Requesting a WebGPU adapter…</p>` : ''}
        ${state.status === 'unavailable'
          ? html`<div class="error" role="alert" data-testid="no-webgpu"><strong>WebGPU is not available.</strong><p>${state.message}</p></div>`
          : ''}
        ${state.status === 'lost'
          ? html`<div class="error" role="alert" data-testid="device-lost"><strong>The GPU device was lost.</strong><p>${state.message}</p><p>Reload the page to start again.</p></div>`
          : ''}
        ${state.status === 'ready' ? html`<ft-device-panel .report=${state.report} .bytesHeld=${state.bytesHeld}></ft-device-panel>` : ''}
      </main>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-app': FtApp;
  }
}
