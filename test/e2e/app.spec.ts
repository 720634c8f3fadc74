// The app end to end in Chromium on SwiftShader: edit and validate a study, run it, watch results, reload, resume, share a link.
import { readFile } from 'node:fs/promises';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { drawn, inView } from '../helpers/e2e-charts.ts';

/** Screenshots of the main views; `SCREENSHOTS_DIR=docs/screenshots` refreshes the ones in the docs. */
const SHOTS = process.env.SCREENSHOTS_DIR ?? 'test-results/screenshots';

const QUICK = JSON.parse(await readFile(new URL('../../studies/quick-synthetic.json', import.meta.url), 'utf8')) as Record<string, unknown>;

function studyUrl(study: unknown): string {
  return `/#study=${Buffer.from(JSON.stringify(study)).toString('base64url')}`;
}

async function loadPreset(page: Page, id: string): Promise<void> {
  await page.getByLabel('Preset').selectOption(id);
  await page.getByRole('button', { name: 'Load preset' }).click();
}

const runButton = (page: Page) => page.getByRole('button', { name: 'Run', exact: true });
const rows = (page: Page) => page.getByTestId('trial-table').locator('tbody tr');
const finishedRows = (page: Page) => page.getByTestId('trial-table').locator('tbody tr:is([data-state="done"], [data-state="diverged"], [data-state="failed"])');

/** Each finished trial's metrics as the table shows them, by trial index. */
async function finishedMetrics(page: Page): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const row of await finishedRows(page).all()) {
    const cells = await row.locator('td').allTextContents();
    out.set((await row.getAttribute('data-trial'))!, cells.slice(2).join('|'));
  }
  return out;
}

/** The texts of one column of the trial table, found by its header. */
async function column(page: Page, header: string): Promise<string[]> {
  const table = page.getByTestId('trial-table');
  const headers = (await table.locator('thead th').allTextContents()).map((t) => t.trim());
  const index = headers.findIndex((h) => h.startsWith(header));
  expect(index, `column ${header} in ${headers.join(', ')}`).toBeGreaterThanOrEqual(0);
  return table.locator(`tbody tr td:nth-child(${index + 1})`).allTextContents();
}

async function openTab(page: Page, name: string): Promise<void> {
  await page.getByRole('tab', { name: new RegExp(`^${name}`) }).click();
}

/** A Plot mark inside a chart element: Plot labels each mark's group with its kind (`line`, `cell`, `dot`). */
const marks = (chart: Locator, kind: string, shape: string) => chart.locator(`svg g[aria-label="${kind}"] ${shape}`);

test('runs the quick synthetic preset: the table fills, the charts render, exports download, and a reload keeps it all', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('adapter-name')).toBeVisible();
  await loadPreset(page, 'quick-synthetic');
  await expect(page.getByTestId('study-valid')).toHaveText('Valid study: 8 trials.');
  await expect(page.getByLabel('name', { exact: true })).toHaveValue('quick-synthetic');
  await expect(page.getByLabel('Preset')).toHaveValue('quick-synthetic');
  await page.screenshot({ path: `${SHOTS}/study.png` });

  // Run from the keyboard: focus moves on to Pause rather than falling to the page.
  await runButton(page).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('tab', { name: 'Results' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('button', { name: 'Pause' })).toBeFocused();
  await expect(rows(page)).toHaveCount(8);
  await expect(page.getByRole('button', { name: 'Pause' })).toBeEnabled();
  await expect(page.getByTestId('study-status')).toHaveText('done', { timeout: 120_000 });
  await expect(page.getByTestId('trials-finished')).toHaveText('8 / 8');
  await expect(finishedRows(page)).toHaveCount(8);
  expect((await column(page, 'val acc')).filter((t) => /^\d+\.\d%$/.test(t)).length).toBeGreaterThan(0);

  await expect(marks(page.getByTestId('loss-chart'), 'line', 'path').first()).toBeVisible();
  await expect(marks(page.getByTestId('intermediate-chart'), 'line', 'path').first()).toBeAttached();
  await expect(marks(page.getByTestId('best-chart'), 'line', 'path').first()).toBeAttached();
  await expect(marks(page.getByTestId('objective-heatmap'), 'cell', 'rect').first()).toBeAttached();
  await expect(marks(page.getByTestId('throughput-heatmap'), 'cell', 'rect').first()).toBeAttached();
  await expect(page.getByTestId('run-best')).toContainText('Best val accuracy so far');
  const pareto = await inView(page.getByTestId('pareto-chart'));
  await expect.poll(() => drawn(pareto, 'dot')).toBeGreaterThan(0);
  expect(await drawn(pareto, 'dot', '#d1495b')).toBeGreaterThan(0);
  await expect(marks(page.getByTestId('parallel-chart'), 'line', 'path').first()).toBeAttached();

  // Sorting by validation accuracy puts the most accurate first.
  await page.getByRole('button', { name: /^val acc/ }).click();
  await expect(page.getByRole('columnheader', { name: /^val acc/ })).toHaveAttribute('aria-sort', 'descending');
  const accuracies = (await column(page, 'val acc')).map((t) => parseFloat(t)).filter(Number.isFinite);
  expect(accuracies).toEqual([...accuracies].sort((a, b) => b - a));
  await page.getByRole('button', { name: /^rank/ }).click();
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: 1280, height });
  await page.screenshot({ path: `${SHOTS}/results.png`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });

  const csvDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Trials CSV' }).click();
  const csv = await readFile(await (await csvDownload).path(), 'utf8');
  expect(csv.trim().split('\n')).toHaveLength(9);
  expect(csv.split('\n')[0]).toContain('val_accuracy');
  const weightsDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Best weights (.safetensors)' }).click();
  const weights = await readFile(await (await weightsDownload).path());
  const headerLength = Number(weights.readBigUInt64LE(0));
  const header = JSON.parse(weights.subarray(8, 8 + headerLength).toString('utf8'));
  expect(header['layers.0.weight'].dtype).toBe('F32');
  // As `fusetune run` writes it: the task and the best value of the study's objective.
  expect(header.__metadata__).toMatchObject({ task: 'classification', val_accuracy: expect.stringMatching(/^0\.\d+$|^1$/) });

  const before = await finishedMetrics(page);
  await page.reload();
  await expect(page.getByLabel('name', { exact: true })).toHaveValue('quick-synthetic');
  await openTab(page, 'Results');
  await expect(page.getByTestId('study-status')).toHaveText('done');
  await expect(rows(page)).toHaveCount(8);
  expect(await finishedMetrics(page)).toEqual(before);
  await expect(page.getByTestId('best-trial')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Best weights (.safetensors)' })).toBeEnabled();
  await expect(marks(page.getByTestId('loss-chart'), 'line', 'path').first()).toBeVisible();
  await openTab(page, 'Saved studies');
  await expect(page.getByTestId('study-list').locator('tbody tr')).toHaveCount(1);
  await expect(page.getByTestId('study-list')).toContainText('8 / 8');
  await page.screenshot({ path: `${SHOTS}/saved.png` });
});

test('invalid input shows the field’s message and disables Run', async ({ page }) => {
  await page.goto('/');
  await loadPreset(page, 'quick-synthetic');
  await expect(runButton(page)).toBeEnabled();

  // A bound that crosses the other one: the schema's message on the parameter.
  const low = page.getByLabel('lr low', { exact: true });
  await low.fill('1');
  await expect(page.locator('[data-param="lr"]')).toContainText('low (1) must be ≤ high (0.3)');
  await expect(runButton(page)).toBeDisabled();
  await expect(page.getByTestId('run-note')).toHaveText('Fix the problem in the study before running.');

  // Text where a number belongs: the message under that very field, which is marked invalid.
  const trials = page.getByLabel('trials', { exact: true });
  await trials.fill('abc');
  await expect(trials).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('ft-field[label="trials"]')).toContainText('must be a number (got "abc")');
  await expect(page.getByTestId('study-issues')).toContainText('budget.trials: must be a number (got "abc")');
  await expect(page.getByTestId('run-note')).toHaveText('Fix 2 problems in the study before running.');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SHOTS}/invalid.png` });

  await low.fill('0.003');
  await trials.fill('8');
  await expect(page.getByTestId('study-valid')).toHaveText('Valid study: 8 trials.');
  await expect(trials).toHaveAttribute('aria-invalid', 'false');
  await expect(runButton(page)).toBeEnabled();

  // A value the hyperparameter does not take: an unknown optimizer among a categorical's choices.
  await page.getByLabel('Parameter to add').selectOption('optimizer');
  await page.getByRole('button', { name: 'Add parameter' }).click();
  const choices = page.getByLabel('optimizer choices', { exact: true });
  await choices.fill('adam, lion');
  await expect(page.locator('ft-field[label="choices"][context="optimizer"]')).toContainText('unknown optimizer "lion"; valid: sgd, momentum, rmsprop, adam, adamw');
  await expect(runButton(page)).toBeDisabled();
  await choices.fill('adam, sgd');
  await expect(runButton(page)).toBeEnabled();
});

test('the editor says what a capped grid runs, sets epochs, offers only unused defaults, names the loaded preset, and stops Run on broken JSON', async ({ page }) => {
  await page.goto('/');
  // The default study is loaded, and the menu says so; an edit makes it a custom study.
  await expect(page.getByLabel('Preset')).toHaveValue('default');
  await page.getByLabel('name', { exact: true }).fill('mine');
  await expect(page.getByLabel('Preset').locator('option:checked')).toHaveText('Custom study (pick a preset)');

  // "Add default" offers neither what the space samples nor epochs (it has its budget field).
  const offered = await page.getByLabel('Default to add').locator('option').allTextContents();
  expect(offered).not.toContain('lr');
  expect(offered).not.toContain('epochs');
  expect(offered).toContain('momentum');

  // Epochs: sampled in the space while the budget sets them is the schema's error, with a fix the form offers.
  await page.getByLabel('Parameter to add').selectOption('epochs');
  await page.getByRole('button', { name: 'Add parameter' }).click();
  await expect(page.getByTestId('study-issues')).toContainText('budget.epochs: epochs is also set in space');
  await expect(runButton(page)).toBeDisabled();
  await page.getByRole('button', { name: 'Remove it from the budget' }).click();
  await expect(page.getByTestId('study-valid')).toBeVisible();
  await page.getByRole('button', { name: 'Remove epochs' }).click();
  await page.getByLabel('epochs', { exact: true }).fill('3');
  expect(JSON.parse(await page.getByLabel('Study JSON', { exact: true }).inputValue()).budget.epochs).toBe(3);

  // A grid capped by budget.trials: say which points run, and offer a random subset or the whole grid.
  await loadPreset(page, 'batch-lr-sweep');
  await expect(page.getByTestId('study-valid')).toHaveText('Valid study: 25 trials.');
  await page.getByLabel('trials', { exact: true }).fill('8');
  await expect(page.getByTestId('grid-cap')).toContainText('The grid has 25 combinations; budget.trials runs 8 of them: its first points');
  await expect(page.getByTestId('study-valid')).toHaveText('Valid study: 8 of the grid’s 25 trials.');
  await page.getByRole('button', { name: 'Run a random subset of 8' }).click();
  await expect(page.getByTestId('grid-cap')).toContainText('a seeded random subset');
  expect(JSON.parse(await page.getByLabel('Study JSON', { exact: true }).inputValue()).sampler).toEqual({ type: 'grid', shuffle: true });
  await page.getByRole('button', { name: 'Run all 25' }).click();
  await expect(page.getByTestId('study-valid')).toHaveText('Valid study: 25 trials.');
  await expect(page.getByTestId('grid-cap')).toHaveCount(0);

  // The samplers, pruners and objective lists of the study format, validated like files.
  await page.getByLabel('sampler', { exact: true }).selectOption('TPE (one objective)');
  await expect(page.getByTestId('study-issues')).toContainText('budget.trials: is required for the tpe sampler');
  await page.getByLabel('trials', { exact: true }).fill('12');
  await page.getByLabel('sampler startup trials', { exact: true }).fill('4');
  await page.getByLabel('pruner', { exact: true }).selectOption('median');
  await expect(page.getByTestId('study-valid')).toHaveText('Valid study: 12 trials.');
  await page.getByRole('button', { name: 'Add objective' }).click();
  await expect(page.getByTestId('study-issues')).toContainText('tpe optimizes one objective');
  await expect(page.getByTestId('study-issues')).toContainText('pruner.type: pruning needs a single objective');
  await page.getByLabel('sampler', { exact: true }).selectOption('NSGA-II (several objectives)');
  await page.getByLabel('pruner', { exact: true }).selectOption('none');
  await expect(page.getByTestId('study-valid')).toBeVisible();
  const study = JSON.parse(await page.getByLabel('Study JSON', { exact: true }).inputValue());
  expect(study.objective).toEqual([{ metric: 'val_accuracy' }, { metric: 'samples_per_sec' }]);
  expect(study.sampler).toEqual({ type: 'nsga2' });

  // Text in the Study JSON box that does not parse keeps Run off (it would run the last valid study).
  await page.getByText('Study JSON', { exact: true }).click();
  const json = page.getByLabel('Study JSON', { exact: true });
  await json.fill('{ "name": "half typed", ');
  await expect(runButton(page)).toBeDisabled();
  await expect(page.getByTestId('run-note')).toContainText('The Study JSON text does not parse');
  await json.fill(JSON.stringify(study));
  await expect(runButton(page)).toBeEnabled();
});

test('the URL of a study reproduces its space', async ({ page, browser }) => {
  const study = {
    name: 'from-a-link',
    seed: 3,
    data: { kind: 'xor', n: 200, noise: 0.2, seed: 2 },
    space: {
      lr: { type: 'float', low: 0.01, high: 0.2, log: true },
      units: { type: 'categorical', choices: [4, 8] },
      units_2: { type: 'int', low: 2, high: 6, step: 2, when: { param: 'units', op: 'eq', value: 8 } },
    },
    defaults: { layers: 2, epochs: 2 },
    sampler: { type: 'random' },
    budget: { trials: 3 },
  };
  await page.goto(studyUrl(study));
  await expect(page.getByLabel('name', { exact: true })).toHaveValue('from-a-link');
  await expect(page.locator('ft-param-editor legend')).toHaveText(['lr', 'units', 'units_2']);
  await expect(page.getByLabel('lr low', { exact: true })).toHaveValue('0.01');
  await expect(page.getByLabel('units choices', { exact: true })).toHaveValue('4, 8');
  await expect(page.getByLabel('units_2 when parameter', { exact: true })).toHaveValue('units');
  await expect(page.getByLabel('rows (n)', { exact: true })).toHaveValue('200');
  await expect(page.getByTestId('study-valid')).toHaveText('Valid study: 3 trials.');

  // Edit it; the address follows, and opens the edited space anywhere (a fresh profile, no saved state).
  await page.getByLabel('lr high', { exact: true }).fill('0.3');
  await page.getByLabel('units choices', { exact: true }).fill('4, 8, 16');
  await expect(page).toHaveURL(/#study=/);
  await expect.poll(() => page.evaluate(() => location.hash)).not.toContain(Buffer.from(JSON.stringify(study)).toString('base64url'));
  const edited = JSON.parse(await page.getByLabel('Study JSON', { exact: true }).inputValue()) as typeof study;
  expect(edited.space.lr.high).toBe(0.3);

  const fresh = await browser.newContext();
  const other = await fresh.newPage();
  await other.goto(page.url());
  await expect(other.locator('ft-param-editor legend')).toHaveText(['lr', 'units', 'units_2']);
  await expect(other.getByLabel('lr high', { exact: true })).toHaveValue('0.3');
  await expect(other.getByLabel('units choices', { exact: true })).toHaveValue('4, 8, 16');
  expect(JSON.parse(await other.getByLabel('Study JSON', { exact: true }).inputValue())).toEqual(edited);
  await fresh.close();
});

test('a paused or interrupted study resumes without losing its finished trials', async ({ page }) => {
  await page.goto(studyUrl({ ...QUICK, name: 'resumable', budget: { trials: 48, epochs: 10, maxStepsPerTrial: 300 } }));
  await expect(page.getByTestId('study-valid')).toHaveText('Valid study: 48 trials.');
  await runButton(page).click();
  await expect(finishedRows(page).first()).toBeAttached({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('study-status')).toHaveText('paused');
  const paused = await finishedMetrics(page);
  expect(paused.size).toBeGreaterThan(0);
  expect(paused.size).toBeLessThan(48);

  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('study-status')).toHaveText('running');
  await expect(page.getByTestId('run-stats')).toContainText('left');
  await page.screenshot({ path: `${SHOTS}/running.png` });
  await expect.poll(async () => (await finishedMetrics(page)).size, { timeout: 60_000 }).toBeGreaterThan(paused.size);
  // Reloading mid-run cuts the run off; the finished trials are already in IndexedDB.
  await page.reload();
  await openTab(page, 'Results');
  await expect(page.getByTestId('study-status')).toHaveText('interrupted');
  // The run never ended, so the record has no `best`: the summary finds it, and its weights, from the trials.
  await expect(page.getByTestId('best-trial')).toContainText('trial');
  await expect(page.getByRole('button', { name: 'Best weights (.safetensors)' })).toBeEnabled();
  await expect(page.getByTestId('run-best')).toBeVisible();
  const interrupted = await finishedMetrics(page);
  for (const [trial, metrics] of paused) expect(interrupted.get(trial)).toBe(metrics);

  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('study-status')).toHaveText('done', { timeout: 120_000 });
  await expect(page.getByTestId('trials-finished')).toHaveText('48 / 48');
  const done = await finishedMetrics(page);
  for (const [trial, metrics] of interrupted) expect(done.get(trial)).toBe(metrics);
});

test('a device lost mid-run stops cleanly, keeps the finished trials and resumes on a new device', async ({ page }) => {
  // Keep each device the page creates, so the test can take it away as a driver reset would.
  await page.addInitScript(() => {
    const devices: GPUDevice[] = [];
    (window as unknown as { testDevices: GPUDevice[] }).testDevices = devices;
    const requestDevice = GPUAdapter.prototype.requestDevice;
    GPUAdapter.prototype.requestDevice = async function (this: GPUAdapter, descriptor?: GPUDeviceDescriptor) {
      const device = await requestDevice.call(this, descriptor);
      devices.push(device);
      return device;
    };
  });
  await page.goto(studyUrl({ ...QUICK, name: 'lossy', budget: { trials: 16, epochs: 10, maxStepsPerTrial: 200 } }));
  await runButton(page).click();
  await expect(finishedRows(page).first()).toBeAttached({ timeout: 60_000 });
  await page.evaluate(() => (window as unknown as { testDevices: GPUDevice[] }).testDevices.at(-1)!.destroy());

  await expect(page.getByTestId('device-lost')).toContainText('The GPU device was lost');
  await expect(page.getByTestId('study-status')).toHaveText('lost');
  const kept = await finishedMetrics(page);
  expect(kept.size).toBeGreaterThan(0);
  expect(kept.size).toBeLessThan(16);
  for (const state of await page.getByTestId('trial-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-state')))) {
    expect(['done', 'diverged', 'stopped', 'pending']).toContain(state);
  }

  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(page.getByTestId('study-status')).toHaveText('done', { timeout: 120_000 });
  await expect(page.getByTestId('device-lost')).toHaveCount(0);
  await expect(page.getByTestId('trials-finished')).toHaveText('16 / 16');
  expect(await page.evaluate(() => (window as unknown as { testDevices: GPUDevice[] }).testDevices.length)).toBe(2);
  const done = await finishedMetrics(page);
  for (const [trial, metrics] of kept) expect(done.get(trial)).toBe(metrics);
});

test('trains on an uploaded CSV file, which stays for a reload', async ({ page }) => {
  // Two features on a 12 × 10 lattice, labelled by quadrant: a small, learnable XOR.
  const lines = ['x,y,label'];
  for (let i = 0; i < 120; i++) {
    const x = (i % 12) / 5.5 - 1;
    const y = Math.floor(i / 12) / 4.5 - 1;
    lines.push(`${x.toFixed(3)},${y.toFixed(3)},${x * y > 0 ? 'same' : 'opposite'}`);
  }
  await page.goto(studyUrl({ name: 'csv-upload', data: { kind: 'xor' }, space: { lr: { type: 'float', low: 0.01, high: 0.1, log: true } }, defaults: { batch_size: 8, units: 8 }, budget: { trials: 2, maxStepsPerTrial: 30 } }));
  await page.getByLabel('data set', { exact: true }).selectOption('CSV upload');
  await expect(runButton(page)).toBeDisabled();
  // A broken file says what is wrong as soon as it is uploaded, and Run stays off.
  const broken = [...lines.slice(0, 5), '0.5,oops,same', ...lines.slice(5)];
  const upload = page.getByLabel('CSV file (header row; one label column)');
  await upload.setInputFiles({ name: 'broken.csv', mimeType: 'text/csv', buffer: Buffer.from(broken.join('\n')) });
  await expect(page.getByTestId('csv-preview')).toContainText('broken.csv cannot train');
  await expect(page.getByTestId('csv-preview')).toContainText('"oops" is not a number');
  await expect(page.getByTestId('study-valid')).toHaveCount(0);
  await expect(runButton(page)).toBeDisabled();
  await expect(page.getByTestId('run-note')).toContainText('broken.csv cannot train');
  await upload.setInputFiles({ name: 'quadrants.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n')) });
  await expect(page.getByTestId('csv-preview')).toHaveText(/quadrants\.csv: 120 rows \(96 train, 24 validation\),\s+2 features \(x, y\),\s+2 classes \(opposite, same\)\./);
  await expect(page.getByLabel('file', { exact: true })).toHaveValue('quadrants.csv');
  await expect(page.getByTestId('study-valid')).toHaveText('Valid study: 2 trials.');
  await expect(runButton(page)).toBeEnabled();

  await runButton(page).click();
  await expect(page.getByTestId('study-status')).toHaveText('done', { timeout: 60_000 });
  await expect(page.getByTestId('results-summary')).toContainText('quadrants.csv');
  await expect(finishedRows(page)).toHaveCount(2);

  await page.reload();
  await expect(page.getByTestId('study-valid')).toHaveText('Valid study: 2 trials.');
  await expect(runButton(page)).toBeEnabled();

  // Running the identical study again replaces its saved run instead of saving a duplicate.
  await runButton(page).click();
  await expect(page.getByTestId('study-status')).toHaveText('done', { timeout: 60_000 });
  await openTab(page, 'Saved studies');
  await expect(page.getByTestId('study-list').locator('tbody tr')).toHaveCount(1);
});

test('the Hardware lab shows published benchmark results', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('tab', { name: 'Hardware lab' }).click();
  await page.getByRole('button', { name: 'Published: swiftshader.jsonl' }).click();
  await expect(page.getByTestId('lab-source')).toContainText('measurements from');
  for (const plot of ['speed-memory', 'scaling', 'matmul', 'peer']) {
    await expect(page.locator(`figure[data-plot="${plot}"] svg`).first()).toBeVisible();
  }
});

test('Run on a paused study asks first and keeps its finished trials unless told; the paused note is whole at 1280 px; a reload lands on its results', async ({ page }) => {
  await page.goto(studyUrl({ ...QUICK, name: 'ask-first', budget: { trials: 40, epochs: 10, maxStepsPerTrial: 300 } }));
  await expect(page.getByTestId('study-valid')).toHaveText('Valid study: 40 trials.');
  await runButton(page).click();
  // While the run prepares and starts, the summary never says "0 / 0" beside a best value in the run bar.
  const mismatches: string[] = [];
  for (let i = 0; i < 600 && (await finishedRows(page).count()) < 3; i++) {
    const best = await page.getByTestId('run-best').isVisible();
    const finished = await page.getByTestId('trials-finished').textContent().catch(() => null);
    if (best && finished === '0 / 0') mismatches.push(finished);
    await page.waitForTimeout(100);
  }
  expect(mismatches).toEqual([]);
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(page.getByTestId('study-status')).toHaveText('paused');
  const paused = await finishedMetrics(page);
  expect(paused.size).toBeGreaterThanOrEqual(3);
  // The paused note is whole at 1280 px: it wraps rather than being cut off.
  const note = page.getByTestId('run-note');
  await expect(note).toContainText(`ask-first: paused, ${paused.size} of 40 trials finished. Resume continues it; finished trials are kept.`);
  expect(await note.evaluate((el) => el.scrollWidth <= el.clientWidth + 1 && getComputedStyle(el).textOverflow !== 'ellipsis')).toBe(true);

  // Run asks first; Cancel keeps everything as it was and hands focus back to Run.
  await runButton(page).click();
  const ask = page.getByTestId('confirm-run');
  await expect(ask).toContainText(`is paused with ${paused.size} of 40 trials finished`);
  await expect(ask.getByRole('button', { name: 'Resume it' })).toBeFocused();
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await expect(ask).toHaveCount(0);
  await expect(runButton(page)).toBeFocused();
  await expect(page.getByTestId('study-status')).toHaveText('paused');
  expect(await finishedMetrics(page)).toEqual(paused);

  // A reload lands on the paused study's results, not on the Study tab.
  await page.reload();
  await expect(page.getByRole('tab', { name: 'Results' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('study-status')).toHaveText('paused');
  await expect(page.getByRole('button', { name: 'Resume' })).toBeVisible();
  expect(await finishedMetrics(page)).toEqual(paused);

  // "Run anew, keep the saved run" starts a new run beside the paused one.
  await runButton(page).click();
  await page.getByTestId('confirm-run').getByRole('button', { name: 'Run anew, keep the saved run' }).click();
  await expect(page.getByTestId('study-status')).toHaveText('running');
  await expect(finishedRows(page).first()).toBeAttached({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByTestId('study-status')).toHaveText('stopped');
  await openTab(page, 'Saved studies');
  const saved = page.getByTestId('study-list').locator('tbody tr');
  await expect(saved).toHaveCount(2);
  await expect(saved.filter({ hasText: 'paused' })).toHaveCount(1);
});

test('the Hardware lab sweeps the batch size of the edited study’s own network on its own data', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto(studyUrl({ ...QUICK, name: 'shape', space: { lr: { type: 'float', low: 0.01, high: 0.1, log: true } }, defaults: { units: 12, layers: 1, activation: 'tanh' } }));
  await expect(page.getByTestId('study-valid')).toBeVisible();
  await openTab(page, 'Hardware lab');
  const form = page.getByTestId('lab-shape');
  await expect(form).toContainText('Your study shape');
  await expect(form.getByLabel('hidden widths')).toHaveValue('12');
  await expect(form.getByLabel('activation')).toHaveValue('tanh');
  await form.getByRole('button', { name: 'Sweep batch size for this network' }).click();
  await expect(page.getByTestId('lab-source')).toContainText('this browser, shape', { timeout: 240_000 });
  // The trade-off names the study's network: 2 features of the circles, 12 tanh units, 2 classes.
  await expect(page.locator('figure[data-plot="speed-memory"] figcaption')).toContainText('MLP 2-12-2 tanh');
});
