// Owns the page's GpuContext: acquires it once, reports loss, and tells its host element to re-render.
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
  private context: GpuContext | null = null;
  private readonly acquired: Promise<GpuContext | null>;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
    this.acquired = this.acquire();
  }

  hostConnected(): void {}

  /** The GpuContext once acquired, or null when the browser has none. */
  get ready(): Promise<GpuContext | null> {
    return this.acquired;
  }

  /** Re-reads the byte count (call after work that allocates or frees). */
  refresh(): void {
    if (this.context && this.state.status === 'ready') {
      this.state = { ...this.state, bytesHeld: this.context.memory.bytes() };
      this.host.requestUpdate();
    }
  }

  private async acquire(): Promise<GpuContext | null> {
    try {
      const ctx = await acquireBrowserGpu({
        onLost: (error) => {
          this.state = { status: 'lost', message: error.message, report: ctx.report };
          this.host.requestUpdate();
        },
      });
      this.context = ctx;
      this.state = { status: 'ready', report: ctx.report, bytesHeld: ctx.memory.bytes() };
      return ctx;
    } catch (error) {
      this.state = { status: 'unavailable', message: error instanceof Error ? error.message : String(error) };
      return null;
    } finally {
      this.host.requestUpdate();
    }
  }
}
