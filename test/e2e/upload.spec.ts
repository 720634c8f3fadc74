// The app's table upload end to end in Chromium on SwiftShader: vega-datasets' penguins.json read, its columns shown and edited, trained, kept for a reload; broken files named as the CLI names them.
import { readFile } from 'node:fs/promises';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';

const VEGA = new URL('../../node_modules/vega-datasets/data/', import.meta.url);
/** `SCREENSHOTS_DIR=docs/screenshots` refreshes the one in docs/app.md. */
const SHOTS = process.env.SCREENSHOTS_DIR ?? 'test-results/screenshots';

function studyUrl(study: unknown): string {
  return `/#study=${Buffer.from(JSON.stringify(study)).toString('base64url')}`;
}

/** A small study on a synthetic set: the test switches its data to the uploaded table. */
const SMALL = {
  name: 'penguins-upload',
  data: { kind: 'xor' },
  space: { lr: { type: 'float', low: 0.01, high: 0.1, log: true } },
  defaults: { batch_size: 16, units: 16, optimizer: 'adam' },
  budget: { trials: 2, maxStepsPerTrial: 60 },
};

const runButton = (page: Page) => page.getByRole('button', { name: 'Run', exact: true });
const tableUpload = (page: Page) => page.getByLabel(/^Table file/);
const columnRow = (page: Page, name: string) => page.getByTestId('table-columns').locator(`tbody tr[data-column="${name}"]`);

/** A column's kind, missing count and distinct count as the table shows them. */
async function columnFacts(page: Page, name: string): Promise<{ kind: string; missing: string; distinct: string }> {
  const row = columnRow(page, name);
  const kind = row.getByTestId('kind');
  const tag = await kind.evaluate((e) => e.tagName);
  return {
    kind: tag === 'SELECT' ? await kind.inputValue() : (await kind.textContent())!.trim(),
    missing: (await row.getByTestId('missing').textContent())!.trim(),
    distinct: (await row.getByTestId('distinct').textContent())!.trim(),
  };
}

test('uploads penguins.json, shows its columns, edits target, missing tokens and a kind, trains, and keeps the file for a reload', async ({ page }) => {
  await page.goto(studyUrl(SMALL));
  await page.getByLabel('data set', { exact: true }).selectOption('Table upload (CSV, TSV, JSON, Arrow, Parquet)');
  await expect(runButton(page)).toBeDisabled();
  await tableUpload(page).setInputFiles(new URL('penguins.json', VEGA).pathname);

  // Every column with its guessed kind, missing cells and distinct values, before a target is picked.
  await expect(page.getByTestId('table-columns').locator('tbody tr')).toHaveCount(7);
  await expect(page.getByTestId('table-summary')).toContainText('penguins.json: 344 rows, 7 columns. Pick the target.');
  expect(await columnFacts(page, 'Island')).toEqual({ kind: 'categorical', missing: '0', distinct: '3' });
  expect(await columnFacts(page, 'Body Mass (g)')).toEqual({ kind: 'numeric', missing: '2', distinct: '94' });
  expect(await columnFacts(page, 'Sex')).toEqual({ kind: 'categorical', missing: '10', distinct: '3' });
  await expect(runButton(page)).toBeDisabled();

  await page.getByLabel('target (what the network predicts)').selectOption('Species');
  await expect(page.getByTestId('encoded-width')).toHaveText('13');
  await expect(page.getByTestId('split-rows')).toHaveText('206 train / 69 validation / 69 test');
  await expect(page.getByTestId('table-summary')).toContainText('classification, 3 classes (Adelie, Chinstrap, Gentoo)');
  expect((await columnFacts(page, 'Species')).kind).toBe('target');

  // An upload is kept before any run: a reload of the study being edited (its link) finds the file.
  await page.reload();
  await expect(page.getByTestId('encoded-width')).toHaveText('13');
  await expect(page.getByLabel('file', { exact: true })).toHaveValue('penguins.json');

  // "." in Sex is a missing value in disguise: naming it drops one category (one feature fewer).
  await page.getByLabel('missing tokens', { exact: true }).fill('.');
  await expect(page.getByTestId('encoded-width')).toHaveText('12');
  expect(await columnFacts(page, 'Sex')).toEqual({ kind: 'categorical', missing: '11', distinct: '2' });

  // Ignoring Island takes away its 3 categories and its "other" feature, and writes data.columns.
  await columnRow(page, 'Island').getByLabel('kind of Island').selectOption('ignore');
  await expect(page.getByTestId('encoded-width')).toHaveText('8');
  await page.locator('ft-data-editor').screenshot({ path: `${SHOTS}/upload.png` });
  // The Study tab with the columns view passes axe-core as the other tabs do: no serious or critical problem.
  const { violations } = await new AxeBuilder({ page }).analyze();
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  await page.getByText('Study JSON').click();
  const json = JSON.parse(await page.getByRole('textbox', { name: 'Study JSON' }).inputValue()) as { data: Record<string, unknown> };
  expect(json.data).toEqual({ kind: 'table', path: 'penguins.json', target: 'Species', missing: ['.'], columns: { Island: 'ignore' } });

  // The objective menu offers the classification metrics (and speed and memory), not regression's.
  const objective = page.getByLabel('objective', { exact: true });
  await expect(objective.locator('option', { hasText: 'val accuracy' })).toHaveCount(1);
  await expect(objective.locator('option', { hasText: 'val RMSE' })).toHaveCount(0);

  await expect(page.getByTestId('study-valid')).toHaveText('Valid study: 2 trials.');
  await expect(runButton(page)).toBeEnabled();
  await runButton(page).click();
  await expect(page.getByTestId('study-status')).toHaveText('done', { timeout: 150_000 });
  await expect(page.getByTestId('results-summary')).toContainText('penguins.json (json, 344 rows; 8 features');
  const trialTable = page.getByTestId('trial-table');
  await expect(trialTable.locator('tbody tr[data-state="done"]')).toHaveCount(2);
  await expect(page.getByTestId('best-trial')).toContainText(/\d+\.\d% val, \d+\.\d% test/);

  // The file was kept with the study (IndexedDB): after a reload the columns show again and Run is ready.
  await page.reload();
  await page.getByRole('tab', { name: 'Study' }).click();
  await expect(page.getByTestId('encoded-width')).toHaveText('8');
  await expect(runButton(page)).toBeEnabled();
});

test('a ragged CSV and a truncated Parquet file get the CLI’s named errors, and Run stays off until a good Arrow file comes', async ({ page }) => {
  await page.goto(studyUrl(SMALL));
  await page.getByLabel('data set', { exact: true }).selectOption('Table upload (CSV, TSV, JSON, Arrow, Parquet)');
  await tableUpload(page).setInputFiles({ name: 'ragged.csv', mimeType: 'text/csv', buffer: Buffer.from('a,b,label\n1,2,x\n3,4\n5,6,y\n') });
  await expect(page.getByTestId('table-error')).toHaveText('ragged.csv cannot train: table:ragged.csv line 3: expected 3 fields, got 2 (a ragged row)');
  await expect(page.getByTestId('study-issues')).toContainText('data.path: table:ragged.csv line 3');
  await expect(runButton(page)).toBeDisabled();
  await expect(page.getByTestId('run-note')).toContainText('ragged.csv cannot train');

  // The first 100 kB of flights-3m.parquet: no footer. Uploaded as bytes, named as the CLI names it.
  const parquet = await readFile(new URL('flights-3m.parquet', VEGA));
  await tableUpload(page).setInputFiles({ name: 'flights.parquet', mimeType: 'application/octet-stream', buffer: parquet.subarray(0, 100_000) });
  await expect(page.getByTestId('table-error')).toContainText('table:flights.parquet: corrupt or truncated Parquet file');
  await expect(runButton(page)).toBeDisabled();

  // A whole Arrow file (bytes) reads: its three numeric columns, the error gone, Run on.
  await tableUpload(page).setInputFiles(new URL('flights-200k.arrow', VEGA).pathname);
  await expect(page.getByTestId('table-columns').locator('tbody tr')).toHaveCount(3);
  await page.getByLabel('target (what the network predicts)').selectOption('delay');
  await expect(page.getByTestId('table-summary')).toContainText('flights-200k.arrow: 200,000 rows');
  await expect(page.getByTestId('encoded-width')).toHaveText('2');
  await expect(page.getByTestId('table-error')).toHaveCount(0);
  await expect(runButton(page)).toBeEnabled();
  // Kept as bytes in IndexedDB: a reload reads it again.
  await page.reload();
  await expect(page.getByTestId('encoded-width')).toHaveText('2');
  await expect(page.getByTestId('table-summary')).toContainText('flights-200k.arrow: 200,000 rows');
});

test('uploads cars.json for regression: the objectives become RMSE, MAE and R², and the results show them', async ({ page }) => {
  // No objective in the study: the regression task's default (val RMSE) applies.
  await page.goto(studyUrl({ ...SMALL, name: 'cars-upload' }));
  await page.getByLabel('data set', { exact: true }).selectOption('Table upload (CSV, TSV, JSON, Arrow, Parquet)');
  await tableUpload(page).setInputFiles(new URL('cars.json', VEGA).pathname);
  await page.getByLabel('target (what the network predicts)').selectOption('Miles_per_Gallon');
  await expect(page.getByTestId('table-summary')).toContainText('8 without a target left out');
  await expect(page.getByTestId('table-summary')).toContainText('regression');
  expect((await columnFacts(page, 'Name')).kind).toBe('ignore');
  const objective = page.getByLabel('objective', { exact: true });
  await expect(objective.locator('option')).toHaveText([/val RMSE/, /val MAE/, /val R²/, /val loss/, /samples\/s/, /step ms/, /device bytes/]);
  await expect(objective.locator('option:checked')).toHaveText(/val RMSE/);
  await expect(runButton(page)).toBeEnabled();
  await runButton(page).click();
  await expect(page.getByTestId('study-status')).toHaveText('done', { timeout: 150_000 });
  const headers = (await page.getByTestId('trial-table').locator('thead th').allTextContents()).map((t) => t.trim());
  expect(headers.filter((h) => /^val (RMSE|MAE|R²|acc)/.test(h)).map((h) => h.replace(/[^\w ²]+$/, ''))).toEqual(['val RMSE', 'val MAE', 'val R²']);
  await expect(page.getByTestId('best-trial')).toContainText(/[\d.]+ Miles_per_Gallon val, [\d.]+ test/);
  // The trial's page lists the regression metrics, not an empty accuracy.
  await page.getByRole('button', { name: /Open trial \d+’s page/ }).first().click();
  const trialPage = page.getByTestId('trial-page');
  await expect(trialPage).toContainText(/val RMSE\s*[\d.]+/);
  await expect(trialPage).toContainText(/val R²\s*-?[\d.]+/);
  await expect(trialPage).not.toContainText('val accuracy');
  await page.getByRole('tab', { name: /^Saved studies/ }).click();
  await expect(page.getByTestId('study-list').locator('tbody tr').first()).toContainText(/RMSE [\d.]+/);
});

test('an objective of the other task is named on its field once the table is read, and Run waits for a fitting one', async ({ page }) => {
  await page.goto(studyUrl({ ...SMALL, name: 'cars-accuracy', objective: { metric: 'val_accuracy' } }));
  await page.getByLabel('data set', { exact: true }).selectOption('Table upload (CSV, TSV, JSON, Arrow, Parquet)');
  await tableUpload(page).setInputFiles(new URL('cars.json', VEGA).pathname);
  await page.getByLabel('target (what the network predicts)').selectOption('Miles_per_Gallon');
  await expect(page.getByTestId('study-issues')).toContainText('objective.metric: val_accuracy scores classification; regression data is scored by val_rmse, val_mae, val_r2, val_loss');
  await expect(runButton(page)).toBeDisabled();
  // The menu keeps the chosen metric beside its issue, then offers regression's.
  const objective = page.getByLabel('objective', { exact: true });
  await expect(objective.locator('option').first()).toHaveText(/val accuracy/);
  await objective.selectOption({ label: 'val MAE (minimize)' });
  await expect(page.getByTestId('study-valid')).toHaveText('Valid study: 2 trials.');
  await expect(runButton(page)).toBeEnabled();
});
