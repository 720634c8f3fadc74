// <ft-use-model>: "Use this model" for a finished table study's best trial: the ONNX file, its preprocess.json, and a page snippet that runs them with onnxruntime-web.
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { downloadBlob, fileBase } from './download.ts';
import { baseStyles } from './styles.ts';

/** NOTE: the onnxruntime-web release the export is checked against (test/unit/onnx-export.test.ts). */
const ORT_VERSION = '1.31.1';

/** About ten lines of a page that load the two downloads and run one encoded row. */
export function useModelSnippet(study: string, features: number, task: 'classification' | 'regression'): string {
  const base = fileBase(study);
  const result = task === 'classification' ? "const p = out.probabilities.data;\n  console.log(preprocess.target.classes[p.indexOf(Math.max(...p))], p);" : `console.log(preprocess.target.name, out.value.data[0]);`;
  return `<script type="module">
  import * as ort from 'https://cdn.jsdelivr.net/npm/onnxruntime-web@${ORT_VERSION}/dist/ort.min.mjs';
  const preprocess = await (await fetch('${base}-preprocess.json')).json();
  const session = await ort.InferenceSession.create('${base}-best.onnx');
  // One row encoded as preprocess.json says (impute, one-hot, standardize: ${features} features),
  // e.g. by fusetune's encodeRows; all zeros is every numeric column at its training mean.
  const x = new Float32Array(${features});
  const out = await session.run({ features: new ort.Tensor('float32', x, [1, ${features}]) });
  ${result}
</script>
`;
}

/**
 * @fires export-request - `detail: { kind: 'onnx' | 'preprocess' }`, bubbles and crosses shadow roots: download the best trial as ONNX, or the study's transform.
 */
@customElement('ft-use-model')
export class FtUseModel extends LitElement {
  /** The study's name (the downloads' file names start with it). */
  @property() study = '';
  /** Encoded features the model reads (preprocess.json's width). */
  @property({ type: Number }) features = 0;
  @property() task: 'classification' | 'regression' = 'classification';
  /** The best trial's number, for the heading. */
  @property({ type: Number }) trial = 0;

  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      .buttons { display: flex; flex-wrap: wrap; gap: 0.4rem; margin: 0.4rem 0; }
      pre { font-size: 0.75rem; background: var(--ft-accent-soft); padding: 0.5rem; border-radius: 5px; overflow-x: auto; }
      p { font-size: 0.85rem; margin: 0.2rem 0; }
    `,
  ];

  override render() {
    const snippet = useModelSnippet(this.study, this.features, this.task);
    return html`<section aria-labelledby="use-model-heading" data-testid="use-model">
      <h3 id="use-model-heading">Use this model</h3>
      <p>Trial ${this.trial} as ONNX (opset 13). Its input is rows encoded by preprocess.json, which is not in the graph; the output is ${this.task === 'classification' ? 'each class’s probability' : 'the value in the target’s units'}.</p>
      <div class="buttons" role="group" aria-label="Use this model">
        <button type="button" @click=${() => this.request('onnx')}>Model (.onnx)</button>
        <button type="button" @click=${() => this.request('preprocess')}>Transform (preprocess.json)</button>
        <button type="button" @click=${() => downloadBlob(`${fileBase(this.study)}-use-model.html`, new Blob([snippet], { type: 'text/html' }))}>Snippet (.html)</button>
      </div>
      <pre data-testid="use-model-snippet">${snippet}</pre>
    </section>`;
  }

  private request(kind: 'onnx' | 'preprocess'): void {
    this.dispatchEvent(new CustomEvent('export-request', { detail: { kind }, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ft-use-model': FtUseModel;
  }
}
