// Owns the Hardware lab's work: quick suites run on the page's GPU, results files loaded, the records on show.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { browserBenchSources } from '../bench/browser.ts';
import { BenchAborted } from '../bench/env.ts';
import { BUDGETS } from '../bench/plan.ts';
import { parseBenchRecords, type BenchRecord, type BenchSuite } from '../bench/record.ts';
import { runBench } from '../bench/run.ts';
import { sweepNetwork, type BenchNetwork } from '../bench/training-suites.ts';
import type { Dataset } from '../data/dataset.ts';
import { acquireBrowserGpu } from '../gpu/browser-gpu.ts';
import type { GpuContext } from '../gpu/device.ts';
import { GpuTimer } from '../gpu/timing.ts';

/** What the lab runs in the browser: every suite but the TF.js comparison, which only bench.html loads. */
export const LAB_SUITES: BenchSuite[] = ['copy', 'peak', 'matmul', 'batch', 'fused'];

export type LabStatus =
  | { kind: 'idle' }
  | { kind: 'running'; line: string }
  | { kind: 'error'; message: string };

/** The published results (docs/bench/*.jsonl), loaded only when asked for. */
const PUBLISHED = import.meta.glob<string>('../../docs/bench/*.jsonl', { query: '?raw', import: 'default' });

export class BenchController implements ReactiveController {
  /** The records on show; a new array on every change. */
  records: readonly BenchRecord[] = [];
  /** Where they came from: `this browser`, a file name, or `published results`. */
  source = '';
  status: LabStatus = { kind: 'idle' };
  /** How long the last run in this browser took, ms (null until one ends). */
  elapsedMs: number | null = null;
  private abort: AbortController | null = null;
  private ownContext: GpuContext | null = null;

  /** `gpu` returns the page's shared device, or null to let the lab acquire its own (bench.html). */
  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly gpu: () => Promise<GpuContext | null> | null,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.abort?.abort();
  }

  get running(): boolean {
    return this.status.kind === 'running';
  }

  /** The published result files by name (e.g. `swiftshader.jsonl`). */
  get publishedFiles(): string[] {
    return Object.keys(PUBLISHED).map((path) => path.split('/').pop()!);
  }

  /** Runs the quick suites here, showing each record as it arrives. */
  async runQuick(): Promise<void> {
    await this.measure('this browser', 'Requesting the GPU…', (options) => runBench(options, LAB_SUITES, browserBenchSources()));
  }

  /**
   * Sweeps batch size (T = 1) for one network on one data set: a study's own shape, so the lab
   * measures what the study will train rather than the benchmark MLP.
   */
  async runShape(network: BenchNetwork, load: () => Promise<Dataset>, name: string): Promise<void> {
    await this.measure(`this browser, ${name}`, `Loading ${name}'s data…`, async (options) => sweepNetwork(options, await load(), network));
  }

  /** One measuring run: records shown as they arrive, progress in the status, stoppable, its errors said. */
  private async measure(source: string, firstLine: string, work: (options: Parameters<typeof runBench>[0]) => Promise<unknown>): Promise<void> {
    if (this.running) return;
    const abort = (this.abort = new AbortController());
    this.records = [];
    this.source = source;
    this.setStatus({ kind: 'running', line: firstLine });
    const started = performance.now();
    try {
      const ctx = await this.context();
      const emit = (record: BenchRecord) => {
        this.records = [...this.records, record];
        this.host.requestUpdate();
      };
      const progress = (line: string) => this.setStatus({ kind: 'running', line });
      await work({ ctx, timer: new GpuTimer(ctx), budget: BUDGETS.quick, quick: true, emit, progress, signal: abort.signal });
      this.elapsedMs = performance.now() - started;
      this.setStatus({ kind: 'idle' });
    } catch (error) {
      this.setStatus(error instanceof BenchAborted ? { kind: 'idle' } : { kind: 'error', message: error instanceof Error ? error.message : String(error) });
    } finally {
      this.abort = null;
    }
  }

  /** Stops a run after its current measurement; what was measured stays on show. */
  stop(): void {
    this.abort?.abort();
  }

  /** Shows the records of a results file (JSON lines from `fusetune bench --json`, or a JSON array). */
  loadText(text: string, name: string): void {
    this.elapsedMs = null;
    try {
      this.records = parseBenchRecords(text);
      this.source = name;
      this.setStatus(this.records.length ? { kind: 'idle' } : { kind: 'error', message: `${name} holds no benchmark records` });
    } catch (error) {
      this.setStatus({ kind: 'error', message: `${name}: ${error instanceof Error ? error.message : String(error)}` });
    }
  }

  async loadPublished(file: string): Promise<void> {
    const entry = Object.entries(PUBLISHED).find(([path]) => path.endsWith(`/${file}`));
    if (!entry) return this.setStatus({ kind: 'error', message: `no published results named ${file}` });
    this.loadText(await entry[1](), file);
  }

  /** The records on show as JSON lines, the format `fusetune bench --json` writes. */
  toJsonLines(): string {
    return this.records.map((r) => JSON.stringify(r)).join('\n') + '\n';
  }

  private async context(): Promise<GpuContext> {
    const shared = await this.gpu();
    if (shared) return shared;
    this.ownContext ??= await acquireBrowserGpu();
    return this.ownContext;
  }

  private setStatus(status: LabStatus): void {
    this.status = status;
    this.host.requestUpdate();
  }
}
