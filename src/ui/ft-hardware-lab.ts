// <ft-hardware-lab>: the benchmark view: run the quick suites here or load results, and plot speed, bytes and scaling.
import { consume } from '@lit/context';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { BenchRecord } from '../bench/record.ts';
import { reportTables } from '../bench/report.ts';
import { bytesRows, copyPoints, fusedScaling, matmulBars, noiseOf, NOISY_SPREAD, peerBars, runLabel, runLabels, speedCurve, speedMemory } from '../bench/series.ts';
import type { BenchNetwork } from '../bench/training-suites.ts';
import { loadDatasetBrowser, type UploadedFile } from '../data/browser.ts';
import type { Activation } from '../model/trial-config.ts';
import { AskTellStudy } from '../search/ask-tell.ts';
import type { Study } from '../search/study.ts';
import { BenchController } from './bench-controller.ts';
import { bytesPlot, copyPlot, matmulPlot, peerPlot, scalingPlot, speedMemoryPlot, speedupPlot } from './bench-plots.ts';
import { formatDuration } from './format.ts';
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

  /** The study edited on the Study tab (when valid), whose own network the lab can sweep, and the files it reads. */
  @property({ attribute: false }) study: Study | null = null;
  @property({ attribute: false }) files: ReadonlyMap<string, UploadedFile> = new Map();
  /** Set in the app, which has a Study tab (bench.html has none, and sweeps the benchmark network only). */
  @property({ type: Boolean }) withStudy = false;

  private readonly bench = new BenchController(this, () => this.gpu?.live() ?? null);
  /** The network to sweep, as edited in the form (null: the study's first trial's). */
  @state() private shape: { hidden: string; activation: Activation } | null = null;
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
      .chart:focus-visible { outline: 2px solid var(--ft-accent); outline-offset: 2px; }
      .noise { background: #fff6e0; border: 1px solid #e8cf8f; border-radius: 6px; padding: 0.4rem 0.7rem; font-size: 0.85rem; }
      form.controls { font-size: 0.9rem; }
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
    const tradeoff = speedMemory(records);
    const figures: Record<string, Figure> = {
      speedMemory: speedMemoryPlot(tradeoff.points, curve.knee, half),
      bytesBatch: bytesPlot(bytesRows(records, 'batch'), 'batch size (T = 1)', half),
      scaling: scalingPlot(scaling.rates, half),
      speedup: speedupPlot(scaling.speedup, half),
      bytesFused: bytesPlot(bytesRows(records, 'fused'), 'trials fused (T)', half),
      peer: peerPlot(peerBars(records), half),
      matmul: matmulPlot(matmulBars(records), inner),
      copy: copyPlot(copyPoints(records), half),
    };
    const largest = curve.points.at(-1)?.x;
    const kneeText = curve.knee !== null ? `; knee at batch ${curve.knee}` : largest !== undefined ? `; still growing at batch ${largest}, no knee` : '';
    this.figures = { key, figures, kneeText: `${tradeoff.network || 'the benchmark network'}: samples/s against device memory, batch size along the path${kneeText}` };
    return this.figures;
  }

  /**
   * One figure: a Tab stop read as one image named by its caption (its numbers are in the Tables
   * below, for screen readers too); Plot's SVG inside is hidden from them.
   */
  private figure(name: string, caption: string, content: Figure) {
    if (content === '') return nothing;
    if (typeof content !== 'string') for (const svg of content.tagName.toLowerCase() === 'svg' ? [content] : content.querySelectorAll('svg')) svg.setAttribute('aria-hidden', 'true');
    return html`<figure data-plot=${name}>
      <figcaption>${caption}</figcaption>
      ${typeof content === 'string' ? html`<div class="empty">${content}</div>` : html`<div class="chart" role="img" tabindex="0" aria-label="${caption} (the numbers are in the Tables below)">${content}</div>`}
    </figure>`;
  }

  /** The network of the study on the Study tab: its first trial's, as its sampler asks it (seeded, so always the same). */
  private studyNetwork(): (BenchNetwork & { name: string }) | null {
    const study = this.study;
    if (!study) return null;
    let config;
    try {
      config = new AskTellStudy(study).ask(1)[0]?.config;
    } catch {
      return null;
    }
    if (!config) return null;
    const hidden = this.shape ? this.shape.hidden.split(/[\s,]+/).filter(Boolean).map(Number) : config.hidden;
    if (hidden.some((w) => !Number.isInteger(w) || w < 1)) return null;
    return { hidden, activation: this.shape?.activation ?? config.activation, optimizer: config.optimizer.kind, lr: config.optimizer.lr, name: study.name };
  }

  /** Sweeping the edited study's own network (its first trial's widths and activation, editable) on its own data. */
  private renderShapeForm(busy: boolean) {
    const study = this.study;
    if (!this.withStudy) return nothing;
    if (!study) return html`<p class="muted" data-testid="lab-shape">Fix the study on the Study tab to sweep its own network here.</p>`;
    const network = this.studyNetwork();
    const first = (() => {
      try {
        return new AskTellStudy(study).ask(1)[0]?.config ?? null;
      } catch {
        return null;
      }
    })();
    const hidden = this.shape?.hidden ?? first?.hidden.join(', ') ?? '';
    const activation = this.shape?.activation ?? first?.activation ?? 'relu';
    return html`<form class="controls" data-testid="lab-shape" aria-label="Sweep your study's network" @submit=${(e: Event) => {
        e.preventDefault();
        if (network) void this.bench.runShape(network, () => loadDatasetBrowser(study.data, new Map(this.files)), study.name).then(() => (this.run = null));
      }}>
      <span>Your study <strong>${study.name}</strong> (${study.data.kind}):</span>
      <label>hidden widths <input name="hidden" size="10" .value=${hidden} @input=${(e: Event) => (this.shape = { hidden: (e.target as HTMLInputElement).value, activation })} /></label>
      <label>activation <select name="activation" @change=${(e: Event) => (this.shape = { hidden, activation: (e.target as HTMLSelectElement).value as Activation })}>
        ${(['relu', 'tanh', 'sigmoid', 'linear'] as const).map((a) => html`<option ?selected=${a === activation}>${a}</option>`)}
      </select></label>
      <button type="submit" ?disabled=${!network || this.bench.running || busy}>Sweep batch size for this network</button>
      ${network ? nothing : html`<span class="error">hidden widths are whole numbers, separated by commas</span>`}
    </form>`;
  }

  /** A word on how far to trust the figures, when their repetitions spread wide (a busy machine) or fusing measured slower than not fusing. */
  private renderNoise(records: readonly BenchRecord[]) {
    if (records.length === 0 || this.bench.running) return nothing;
    const noise = noiseOf(records);
    if (noise.spread <= NOISY_SPREAD && noise.slowerFused.length === 0) return nothing;
    return html`<p class="noise" role="note" data-testid="lab-noise">
      <strong>These figures are noisy.</strong>
      ${noise.spread > NOISY_SPREAD ? html`Repeated timings of one measurement (${noise.where}) spread over ${Math.round(noise.spread * 100)}% of their median.` : nothing}
      ${noise.slowerFused.length ? html`Fusing measured slower than training one trial after another at T = ${noise.slowerFused.join(', ')}, which an idle device does not do.` : nothing}
      The machine was most likely busy with other work while it measured: read the ranges rather than the medians, or run again when it is idle.
    </p>`;
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
        What this GPU does with fusetune's kernels: matmul GFLOP/s by variant, copy bandwidth, training speed against memory
        over batch sizes, and how much fusing T trials into every dispatch buys. On a software adapter the quick suites take one to
        a few minutes, longer while other work runs on the machine; on a GPU, seconds. <code>npm run bench</code> runs the full
        set, with TensorFlow.js for comparison.
      </p>
      <div class="controls">
        <button class="primary" data-testid="lab-run" ?disabled=${bench.running || busy} @click=${() => bench.runQuick()}>Run quick benchmark</button>
        ${bench.running ? html`<button data-testid="lab-stop" @click=${() => bench.stop()}>Stop</button>` : nothing}
        <label class="file">Load results <input type="file" accept=".jsonl,.json,.ndjson,application/json" ?disabled=${bench.running} @change=${this.onFile} /></label>
        ${bench.publishedFiles.map(
          (file) => html`<button class="small" ?disabled=${bench.running} @click=${() => bench.loadPublished(file).then(() => (this.run = null))}>Published: ${file}</button>`,
        )}
        ${bench.records.length && !bench.running ? html`<button class="small" @click=${this.download}>Download .jsonl</button>` : nothing}
      </div>
      ${this.renderShapeForm(busy)}
      <div class="controls">
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
              >${records.length} measurements from ${bench.source}: ${runLabel(first)}, ${first.date.slice(0, 10)}${bench.elapsedMs !== null ? `; the run took ${formatDuration(bench.elapsedMs)}` : ''}</span
            >`
          : nothing}
      </div>
      ${this.renderNoise(records)}
      ${figures
        ? html`
            <section class="grid">
              ${this.figure('speed-memory', plots!.kneeText, figures.speedMemory!)}
              ${this.figure('bytes-batch', 'Where the memory goes, by batch size', figures.bytesBatch!)}
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
