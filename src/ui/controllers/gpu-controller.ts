// Owns the page's GpuContext: acquires it, reports loss, acquires a fresh one on request, and re-renders its host.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { acquireBrowserGpu } from '../../gpu/browser-gpu.ts';
import type { GpuContext } from '../../gpu/device.ts';
import type { AdapterReport } from '../../gpu/adapter-report.ts';

export type GpuState =
  | { status: 'pending' }
  | { status: 'ready'; report: AdapterReport; bytesHeld: number }
  | { status: 'unavailable'; message: string }
  | { status: 'lost'; message: string; report: AdapterReport };

export class GpuController implements ReactiveController {
  state: GpuState = { status: 'pending' };
  private current: GpuContext | null = null;
  private acquiring: Promise<GpuContext | null>;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
    this.acquiring = this.acquire();
  }

  hostConnected(): void {}

  /** The GpuContext once acquired, or null when the browser has none. */
  get ready(): Promise<GpuContext | null> {
    return this.acquiring;
  }

  /**
   * A live context: the current one, or after a device loss a fresh device (a lost device never
   * comes back, but the adapter usually offers a new one). Null when there is no WebGPU at all.
   */
  async live(): Promise<GpuContext | null> {
    const ctx = await this.acquiring;
    if (ctx && !ctx.lost) return ctx;
    if (this.state.status === 'unavailable') return null;
    this.state = { status: 'pending' };
    this.host.requestUpdate();
    this.acquiring = this.acquire();
    return this.acquiring;
  }

  /** Re-reads the byte count (call after work that allocates or frees). */
  refresh(): void {
    if (this.current && this.state.status === 'ready') {
      const bytesHeld = this.current.memory.bytes();
      if (bytesHeld === this.state.bytesHeld) return;
      this.state = { ...this.state, bytesHeld };
      this.host.requestUpdate();
    }
  }

  private async acquire(): Promise<GpuContext | null> {
    try {
      const ctx = await acquireBrowserGpu();
      this.current = ctx;
      this.state = { status: 'ready', report: ctx.report, bytesHeld: ctx.memory.bytes() };
      // Any loss counts, a destroy() included: the app never destroys its own device, so whoever did took it away.
      void ctx.device.lost.then((info) => {
        if (this.current !== ctx) return;
        this.state = { status: 'lost', message: ctx.lost?.message ?? `GPU device lost (${info.reason}): ${info.message}`, report: ctx.report };
        this.host.requestUpdate();
      });
      return ctx;
    } catch (error) {
      this.current = null;
      this.state = { status: 'unavailable', message: error instanceof Error ? error.message : String(error) };
      return null;
    } finally {
      this.host.requestUpdate();
    }
  }
}
