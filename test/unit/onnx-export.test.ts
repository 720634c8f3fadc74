// fusetune export --onnx, checked in a real runtime: onnxruntime-web (WebAssembly, in Node) runs the exported
// model on the study's test rows and matches fusetune predict; the graph matches the float64 reference forward.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { readTable } from '../../src/data/read-table.ts';
import { encodedWidth, encodeRows, parsePreprocess, type Preprocess } from '../../src/data/transform.ts';
import { denseForward } from '../../src/kernels/reference.ts';
import { parameterLayout } from '../../src/model/parameter-layout.ts';
import type { Activation } from '../../src/model/trial-config.ts';
import { encodeOnnx } from '../../src/store/onnx.ts';
import { fusetune, PENGUINS, predict, runPenguins } from '../helpers/penguin-study.ts';

beforeAll(() => {
  // One thread: the WebAssembly build's workers are not needed for a few hundred rows.
  ort.env.wasm.numThreads = 1;
});

async function runOnnx(bytes: Uint8Array, x: Float32Array, features: number): Promise<{ name: string; data: Float32Array }> {
  const session = await ort.InferenceSession.create(bytes);
  const result = await session.run({ features: new ort.Tensor('float32', x, [x.length / features, features]) });
  const name = session.outputNames[0]!;
  return { name, data: result[name]!.data as Float32Array };
}

/** The study's test rows of penguins.json, encoded with the exported folder's preprocess.json. */
function encodedTestRows(out: string, preprocess: Preprocess): Promise<Float32Array> {
  const rows = (JSON.parse(readFileSync(join(out, 'test-rows.json'), 'utf8')) as { rows: number[] }).rows;
  return readTable(new Uint8Array(readFileSync(PENGUINS)), { name: 'penguins.json', format: 'json', missing: preprocess.missing }).then((table) => {
    const x = new Float32Array(rows.length * encodedWidth(preprocess.columns));
    encodeRows(table, preprocess.columns, rows, x);
    return x;
  });
}

function exportModel(out: string, dir: string): { bytes: Uint8Array; preprocess: Preprocess; stdout: string } {
  const folder = join(dir, 'export');
  mkdirSync(folder, { recursive: true });
  const r = fusetune(['export', '--onnx', '--model', out, '--out', join(folder, 'model.onnx')]);
  expect(r.code, r.stderr).toBe(0);
  return { bytes: new Uint8Array(readFileSync(join(folder, 'model.onnx'))), preprocess: parsePreprocess(readFileSync(join(folder, 'preprocess.json'), 'utf8')), stdout: r.stdout };
}

describe('fusetune export --onnx in onnxruntime-web matches fusetune predict on the test split', () => {
  it('classification: the probabilities of every class to 1e-5', async () => {
    const { out, dir } = runPenguins('classification');
    const { csv } = predict(out, PENGUINS, ['--split', 'test']);
    const { bytes, preprocess, stdout } = exportModel(out, dir);
    expect(stdout).toContain('preprocessing is not in the graph');
    const { name, data } = await runOnnx(bytes, await encodedTestRows(out, preprocess), encodedWidth(preprocess.columns));
    expect(name).toBe('probabilities');
    const want = csv.slice(1).flatMap((r) => r.slice(2).map(Number));
    expect(data.length).toBe(want.length);
    const diff = Math.max(...want.map((p, i) => Math.abs(p - data[i]!)));
    console.log(`ONNX probabilities: max |onnxruntime − predict| = ${diff.toExponential(2)} over ${want.length} values`);
    expect(diff).toBeLessThanOrEqual(1e-5);
  });

  it('regression: the value in the target’s units, relative 1e-5 (float32 carries ~7 digits of a 4,000 g mass)', async () => {
    const { out, dir } = runPenguins('regression', 1);
    const { csv } = predict(out, PENGUINS, ['--split', 'test']);
    const { bytes, preprocess } = exportModel(out, dir);
    const { name, data } = await runOnnx(bytes, await encodedTestRows(out, preprocess), encodedWidth(preprocess.columns));
    expect(name).toBe('value');
    const want = csv.slice(1).map((r) => Number(r[1]));
    expect(data.length).toBe(want.length);
    const relative = Math.max(...want.map((v, i) => Math.abs(v - data[i]!) / Math.abs(v)));
    console.log(`ONNX regression: max relative |onnxruntime − predict| = ${relative.toExponential(2)} over ${want.length} values`);
    expect(relative).toBeLessThanOrEqual(1e-5);
  });

  it('refuses a second model’s different transform in the same folder, and a missing --onnx, with exit 2', () => {
    const { out, dir } = runPenguins('classification');
    const regression = runPenguins('regression', 1);
    exportModel(out, dir);
    const r = fusetune(['export', '--onnx', '--model', regression.out, '--out', join(dir, 'export', 'other.onnx')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('preprocess.json already holds another transform');
    // Without --out: model.onnx in the results folder, beside the preprocess.json already there.
    const inFolder = fusetune(['export', '--onnx', '--model', out]);
    expect(inFolder.code, inFolder.stderr).toBe(0);
    expect(readFileSync(join(out, 'model.onnx'))).toEqual(readFileSync(join(dir, 'export', 'model.onnx')));
    const flagless = fusetune(['export', '--model', out]);
    expect(flagless.code).toBe(2);
    expect(flagless.stderr).toContain('--onnx is required');
  });
});

describe('encodeOnnx', () => {
  const widths = [5, 7, 4, 3];
  const { P, wBase, bBase } = parameterLayout(widths);
  const params = Float32Array.from({ length: P }, (_, i) => Math.sin(i * 1.7) * 0.8);
  const x = Float32Array.from({ length: 6 * 5 }, (_, i) => Math.cos(i * 0.9) * 2);

  function reference(activation: Activation): Float64Array {
    let h: ArrayLike<number> = x;
    for (let l = 0; l < 3; l++) h = denseForward(h, params, { T: 1, B: 6, I: widths[l]!, O: widths[l + 1]!, P, wBase: wBase[l]!, bBase: bBase[l]! }, l === 2 ? 'linear' : activation);
    return Float64Array.from(h);
  }

  for (const activation of ['relu', 'tanh', 'sigmoid', 'linear'] as const) {
    it(`runs a ${activation} network in onnxruntime as the reference forward computes it, softmax at the end`, async () => {
      const preprocess = { target: { name: 'y', task: 'classification', classes: ['a', 'b', 'c'] } } as Preprocess;
      const { data } = await runOnnx(encodeOnnx({ widths, activation, params, preprocess }), x, 5);
      const logits = reference(activation);
      for (let r = 0; r < 6; r++) {
        const row = logits.subarray(r * 3, r * 3 + 3);
        const sum = row.reduce((s, z) => s + Math.exp(z), 0);
        for (let c = 0; c < 3; c++) expect(data[r * 3 + c]).toBeCloseTo(Math.exp(row[c]!) / sum, 5);
      }
    });
  }

  it('folds the regression target’s scale into the last layer', async () => {
    const preprocess = { target: { name: 'y', task: 'regression', mean: 100, std: 20 } } as Preprocess;
    const network = { widths: [5, 7, 1], activation: 'tanh' as const };
    const layout = parameterLayout(network.widths);
    const weights = params.slice(0, layout.P);
    const { data } = await runOnnx(encodeOnnx({ ...network, params: weights, preprocess }), x, 5);
    const h = denseForward(x, weights, { T: 1, B: 6, I: 5, O: 7, P: layout.P, wBase: layout.wBase[0]!, bBase: layout.bBase[0]! }, 'tanh');
    const z = denseForward(h, weights, { T: 1, B: 6, I: 7, O: 1, P: layout.P, wBase: layout.wBase[1]!, bBase: layout.bBase[1]! }, 'linear');
    z.forEach((v, r) => expect(data[r]).toBeCloseTo(v * 20 + 100, 3));
  });
});
