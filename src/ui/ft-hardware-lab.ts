// <ft-hardware-lab>: the benchmark view: run the quick suites here or load results, and plot speed, bytes and scaling.
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { BenchRecord } from '../bench/record.ts';
import { reportTables } from '../bench/report.ts';
import { bytesRows, copyPoints, fusedScaling, matmulBars, peerBars, runLabel, runLabels, speedCurve } from '../bench/series.ts';
import { BenchController } from './bench-controller.ts';
import { bytesPlot, copyPlot, matmulPlot, peerPlot, scalingPlot, speedCurvePlot, speedupPlot } from './bench-plots.ts';
import { gpuContext, sessionContext, type Session } from './context.ts';
import type { GpuController } from './controllers/gpu-controller.ts';
import { downloadBlob } from './download.ts';
import { baseStyles } from './styles.ts';

type Figure = Element | string;

/**
 * The Hardware lab. Runs on the page's shared GPU when the app provides one (`gpuContext`), else on
 * its own device (bench.html). While a study trains, running is disabled: both would share the GPU
 * and the timings would mean nothing.
 */
@customElement('ft-hardware-lab')
export class FtHardwareLab extends LitElement {
  @consume({ context: gpuContext }) @state() private gpu?: GpuController;
  @consume({ context: sessionContext, subscribe: true }) @state() private session?: Session;

  private readonly bench = new BenchController(this, () => this.gpu?.live() ?? null);
  /** The run on show when the records hold several (adapters or runtimes). */
  @state() private run: string | null = null;
  @state() private width = 0;
  private readonly resize = new ResizeObserver((entries) => {
    const width = Math.floor(entries[0]?.contentRect.width ?? 0);
    if (Math.abs(width - this.width) > 8) this.width = width;
  });
  private figures: { key: unknown[]; figures: Record<string, Figure>; kneeText: string } | null = null;

  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      .controls { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem; margin: 0.5rem 0 0.75rem; }
      .status { min-height: 1.3rem; font-size: 0.9rem; }
      .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 440px), 1fr)); gap: 1rem; }
      figure[data-plot] { margin: 0; padding: 0.6rem 0.75rem; background: var(--ft-panel); border: 1px solid var(--ft-line); border-radius: 8px; min-width: 0; }
      figure[data-plot] > figcaption { font-weight: 600; font-size: 0.9rem; margin-bottom: 0.25rem; }
      .empty { color: var(--ft-muted); font-size: 0.85rem; min-height: 3rem; display: flex; align-items: center; }
      section { margin-bottom: 1.25rem; }
      table { border-collapse: collapse; font-size: 0.8rem; margin: 0.25rem 0 0.75rem; }
      th, td { padding: 0.15rem 0.6rem 0.15rem 0; text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
      th:first-child, td:first-child { text-align: left; }
      th { border-bottom: 1px solid var(--ft-line); font-weight: 600; }
      label.file { display: inline-flex; align-items: center; gap: 0.3rem; }
      input[type='file'] { font-size: 0.85rem; }
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

  /** Loads a results text (JSON lines or a JSON array), as the file picker does; for scripts and tests. */
  loadText(text: string, name = 'results'): void {
    this.run = null;
    this.bench.loadText(text, name);
  }

  private get shown(): readonly BenchRecord[] {
    const runs = runLabels(this.bench.records);
    const run = this.run && runs.includes(this.run) ? this.run : runs[0];
    return this.bench.records.filter((r) => runLabel(r) === run);
  }

  /** Figures are rebuilt only when the records, the run or the width change (not on progress lines). */
  private plots(records: readonly BenchRecord[], width: number): { figures: Record<string, Figure>; kneeText: string } {
    const key = [this.bench.records, this.run, width];
    if (this.figures && this.figures.key.every((k, i) => k === key[i])) return this.figures;
    // Figures sit in padded panels, two to a row on wide screens.
    const inner = width - 28;
    const half = width >= 900 ? Math.floor((width - 16) / 2) - 28 : inner;
    const curve = speedCurve(records);
    const scaling = fusedScaling(records);
    const figures: Record<string, Figure> = {
      speed: speedCurvePlot(curve.points, curve.knee, half),
      bytesBatch: bytesPlot(bytesRows(records, 'batch'), 'batch size (T = 1)', half),
      scaling: scalingPlot(scaling.rates, half),
      speedup: speedupPlot(scaling.speedup, half),
      bytesFused: bytesPlot(bytesRows(records, 'fused'), 'trials fused (T)', half),
      peer: peerPlot(peerBars(records), half),
      matmul: matmulPlot(matmulBars(records), inner),
      copy: copyPlot(copyPoints(records), half),
    };
    const largest = curve.points.at(-1)?.x;
    const kneeText = curve.knee !== null ? `: knee at batch ${curve.knee}` : largest !== undefined ? `: still growing at batch ${largest}, no knee` : '';
    this.figures = { key, figures, kneeText };
    return this.figures;
  }

  private figure(name: string, caption: string, content: Figure) {
    if (content === '') return nothing;
    return html`<figure data-plot=${name}>
      <figcaption>${caption}</figcaption>
      ${typeof content === 'string' ? html`<div class="empty">${content}</div>` : content}
    </figure>`;
  }

  private async onFile(event: Event): Promise<void> {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    this.loadText(await file.text(), file.name);
    input.value = '';
  }

  private download(): void {
    const date = new Date().toISOString().slice(0, 10);
    downloadBlob(`fusetune-bench-${date}.jsonl`, new Blob([this.bench.toJsonLines()], { type: 'application/x-ndjson' }));
  }

  override render() {
    const { bench } = this;
    const busy = this.session !== undefined && this.session.status !== 'idle';
    const runs = runLabels(bench.records);
    const records = this.shown;
    const plots = this.width > 0 ? this.plots(records, this.width) : null;
    const figures = plots?.figures;
    const first = records[0];
    return html`
      <h2>Hardware lab</h2>
      <p class="muted">
        What this GPU does with fusetune's kernels: matmul GFLOP/s by variant, copy bandwidth, training speed and memory against
        batch size, and how much fusing T trials into every dispatch buys. The quick suites take about a minute on a software
        adapter and seconds on a GPU; <code>npm run bench</code> runs the full set, with TensorFlow.js for comparison.
      </p>
      <div class="controls">
        <button class="primary" data-testid="lab-run" ?disabled=${bench.running || busy} @click=${() => bench.runQuick()}>Run quick benchmark</button>
        ${bench.running ? html`<button data-testid="lab-stop" @click=${() => bench.stop()}>Stop</button>` : nothing}
        <label class="file">Load results <input type="file" accept=".jsonl,.json,.ndjson,application/json" ?disabled=${bench.running} @change=${this.onFile} /></label>
        ${bench.publishedFiles.map(
          (file) => html`<button class="small" ?disabled=${bench.running} @click=${() => bench.loadPublished(file).then(() => (this.run = null))}>Published: ${file}</button>`,
        )}
        ${bench.records.length && !bench.running ? html`<button class="small" @click=${this.download}>Download .jsonl</button>` : nothing}
        ${runs.length > 1
          ? html`<select aria-label="run" @change=${(e: Event) => (this.run = (e.target as HTMLSelectElement).value)}>
              ${runs.map((r) => html`<option ?selected=${r === (this.run ?? runs[0])}>${r}</option>`)}
            </select>`
          : nothing}
      </div>
      <div class="status" role="status" data-testid="lab-status">
        ${busy ? html`<span class="muted">A study is training on this GPU; run the lab when it is done.</span>` : nothing}
        ${bench.status.kind === 'running' ? html`<span>${bench.status.line}</span>` : nothing}
        ${bench.status.kind === 'error' ? html`<span class="error">${bench.status.message}</span>` : nothing}
        ${bench.status.kind === 'idle' && first
          ? html`<span class="muted" data-testid="lab-source"
              >${records.length} measurements from ${bench.source}: ${runLabel(first)}, ${first.date.slice(0, 10)}</span
            >`
          : nothing}
      </div>
      ${figures
        ? html`
            <section class="grid">
              ${this.figure('speed', `Speed against batch size${plots!.kneeText}`, figures.speed!)}
              ${this.figure('bytes-batch', 'Device memory against batch size', figures.bytesBatch!)}
            </section>
            <section class="grid">
              ${this.figure('scaling', 'Fused scaling: samples/s against trials per dispatch', figures.scaling!)}
              ${this.figure('speedup', 'Speed-up over training the T trials one after another', figures.speedup!)}
              ${this.figure('bytes-fused', 'Device memory against trials fused', figures.bytesFused!)}
              ${this.figure('peer', 'fusetune fused against TensorFlow.js (WebGPU)', figures.peer!)}
            </section>
            <section>${this.figure('matmul', 'Dense forward GFLOP/s by size and matmul variant', figures.matmul!)}</section>
            <section class="grid">${this.figure('copy', 'Copy bandwidth', figures.copy!)}</section>
          `
        : nothing}
      ${records.length
        ? html`<details data-testid="lab-tables">
            <summary>Tables</summary>
            ${reportTables(records).map(
              (t) => html`<h3>${t.title}</h3>
                <table>
                  <tr>${t.header.map((h) => html`<th>${h}</th>`)}</tr>
                  ${t.rows.map((row) => html`<tr>${row.map((c) => html`<td>${c}</td>`)}</tr>`)}
                </table>`,
            )}
          </details>`
        : nothing}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-hardware-lab': FtHardwareLab;
  }
}
