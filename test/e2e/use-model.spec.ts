// "Use this model" in the app: a finished table study's best trial offers its ONNX file, its preprocess.json and a
// page snippet; the ONNX download runs in onnxruntime-web (in Node here) on rows the downloaded transform encodes.
import { readFile } from 'node:fs/promises';
import AxeBuilder from '@axe-core/playwright';
import * as ort from 'onnxruntime-web';
import { expect, test, type Download, type Page } from '@playwright/test';
import { readTable } from '../../src/data/read-table.ts';
import { applyTransform, encodedWidth, parsePreprocess } from '../../src/data/transform.ts';

const PENGUINS = new URL('../../node_modules/vega-datasets/data/penguins.json', import.meta.url).pathname;

const SMALL = {
  name: 'penguins model',
  data: { kind: 'xor' },
  space: { lr: { type: 'float', low: 0.01, high: 0.1, log: true } },
  defaults: { batch_size: 16, units: 8, optimizer: 'adam' },
  budget: { trials: 2, maxStepsPerTrial: 60 },
};

async function text(download: Download): Promise<Buffer> {
  return readFile((await download.path())!);
}

async function downloadOf(page: Page, button: string): Promise<Download> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('use-model').getByRole('button', { name: button }).click()]);
  return download;
}

test('a finished table study offers its ONNX model, transform and snippet; the ONNX runs in onnxruntime-web', async ({ page }) => {
  await page.goto(`/#study=${Buffer.from(JSON.stringify(SMALL)).toString('base64url')}`);
  await page.getByLabel('data set', { exact: true }).selectOption('Table upload (CSV, TSV, JSON, Arrow, Parquet)');
  await page.getByLabel(/^Table file/).setInputFiles(PENGUINS);
  await page.getByLabel('target (what the network predicts)').selectOption('Species');
  await page.getByLabel(/^missing tokens/).fill('.');
  await expect(page.getByTestId('encoded-width')).toHaveText('12');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('study-status')).toHaveText('done', { timeout: 150_000 });

  const panel = page.getByTestId('use-model');
  await expect(panel.getByRole('heading', { name: 'Use this model' })).toBeVisible();
  await expect(panel.getByRole('button')).toHaveText(['Model (.onnx)', 'Transform (preprocess.json)', 'Snippet (.html)']);
  // axe-core over the page, its serious and critical findings inside the panel (a shadow root: axe names it in each node's target path).
  const { violations } = await new AxeBuilder({ page }).analyze();
  const inPanel = violations.filter((v) => (v.impact === 'serious' || v.impact === 'critical') && v.nodes.some((n) => JSON.stringify(n.target).includes('ft-use-model')));
  expect(inPanel.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  const transform = await downloadOf(page, 'Transform (preprocess.json)');
  expect(transform.suggestedFilename()).toBe('penguins_model-preprocess.json');
  const preprocess = parsePreprocess((await text(transform)).toString('utf8'));
  expect(preprocess.target).toMatchObject({ name: 'Species', classes: ['Adelie', 'Chinstrap', 'Gentoo'] });
  expect(encodedWidth(preprocess.columns)).toBe(12);

  const model = await downloadOf(page, 'Model (.onnx)');
  expect(model.suggestedFilename()).toBe('penguins_model-best.onnx');
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(new Uint8Array(await text(model)));
  const table = await readTable(new Uint8Array(await readFile(PENGUINS)), { name: 'penguins.json', format: 'json', missing: preprocess.missing });
  const x = applyTransform(preprocess, table);
  const { probabilities } = await session.run({ features: new ort.Tensor('float32', x, [table.rows, 12]) });
  const p = probabilities!.data as Float32Array;
  expect(p).toHaveLength(344 * 3);
  for (let r = 0; r < 344; r++) expect(p[3 * r]! + p[3 * r + 1]! + p[3 * r + 2]!).toBeCloseTo(1, 5);
  // A trained model, not noise: most penguins get their own species (the study trains briefly, so not all).
  const species = table.columns.find((c) => c.name === 'Species')!;
  const codes = species.type === 'text' ? species : null;
  let right = 0;
  for (let r = 0; r < 344; r++) {
    const best = [0, 1, 2].reduce((a, b) => (p[3 * r + b]! > p[3 * r + a]! ? b : a));
    if (preprocess.target.task === 'classification' && codes && codes.levels[codes.codes[r]!] === preprocess.target.classes[best]) right++;
  }
  expect(right / 344).toBeGreaterThan(0.6);

  const snippet = await downloadOf(page, 'Snippet (.html)');
  const html = (await text(snippet)).toString('utf8');
  expect(html).toContain("fetch('penguins_model-preprocess.json')");
  expect(html).toContain("InferenceSession.create('penguins_model-best.onnx')");
  expect(html.trim().split('\n').length).toBeLessThanOrEqual(12);
});
