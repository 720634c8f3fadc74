// The analysis views on 150-trial studies (deterministic fixtures opened as results files): every view, brushing, picks, Pareto fronts, PBT lineages, compare, and the viewer without WebGPU.
import { expect, test, type Page } from '@playwright/test';
import type { StudyRecord } from '../../src/store/records.ts';
import { drawn, inView, marks, rows, watchErrors } from '../helpers/e2e-charts.ts';
import { fixtureStudy } from '../helpers/study-fixture.ts';

const SHOTS = process.env.SCREENSHOTS_DIR ?? 'test-results/screenshots';
const RED = '#d1495b';

/**
 * A full-page screenshot taken with a viewport as tall as the page, so the sticky run bar stays at
 * the top instead of floating over the middle of the picture.
 */
async function shot(page: Page, name: string): Promise<void> {
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: 1280, height: Math.min(height, 6000) });
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${SHOTS}/${name}`, fullPage: true });
  await page.setViewportSize({ width: 1280, height: 800 });
}

async function openResults(page: Page, record: StudyRecord, name = `${record.study.name}.json`): Promise<void> {
  await page.getByRole('tab', { name: 'Results' }).click();
  await page.getByLabel('Open results file').setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(record)) });
  await expect(page.getByTestId('results-summary')).toContainText(String(record.study.name));
}

test('a 150-trial study: best so far, importance, slices, heatmaps, curves, stops, parallel coordinates with brushing', async ({ page }) => {
  const record = fixtureStudy();
  const errors = watchErrors(page);
  await page.goto('/');
  await openResults(page, record);
  await expect(page.getByTestId('read-only')).toBeVisible();
  await expect(rows(page)).toHaveCount(150);
  await expect(page.getByTestId('trials-finished')).toHaveText('150 / 150');
  await expect(page.getByTestId('best-trial')).toContainText(`trial ${record.best}`);

  await page.waitForTimeout(3000);
  expect(errors).toEqual([]);
  const best = page.getByTestId('best-chart');
  await expect(marks(best, 'line', 'path').first()).toBeVisible();
  expect(await drawn(best, 'dot')).toBe(record.trials.filter((t) => t.state === 'done').length);

  // Importance: the fixture's accuracy is built mostly from the learning rate.
  const importance = await inView(page.getByTestId('importance-chart'));
  await expect(marks(importance, 'bar', 'rect')).toHaveCount(6);
  await expect(importance.locator('svg g[aria-label="y-axis tick label"] text').first()).toHaveText('lr');

  // Slices: one small chart per parameter; lr on a log axis with decade ticks.
  const slices = await inView(page.getByTestId('slice-chart'));
  await expect(slices.locator('svg[data-param]')).toHaveCount(6);
  const lrTicks = await slices.locator('svg[data-param="lr"] g[aria-label="x-axis tick label"] text').allTextContents();
  expect(lrTicks).toEqual(expect.arrayContaining(['0.001', '0.01', '0.1']));

  // Heatmaps: lr in log bins × batch size; throughput over batch size × width, its legend ticks short.
  const heat = await inView(page.getByTestId('objective-heatmap'));
  await expect(marks(heat, 'cell', 'rect').first()).toBeVisible();
  await expect(heat.locator('svg g[aria-label="x-axis label"]')).toContainText('lr (log bins)');
  const throughput = await inView(page.getByTestId('throughput-heatmap'));
  await expect(marks(throughput, 'cell', 'rect').first()).toBeVisible();
  expect(await marks(throughput, 'cell', 'rect').count()).toBeGreaterThanOrEqual(16);
  for (const tick of await throughput.locator('figure svg').first().locator('text').allTextContents()) {
    expect(tick, 'legend ticks have at most 3 significant digits').not.toMatch(/\d\.\d{3,}/);
  }
  // Pick another pair of parameters.
  await heat.getByLabel('Heatmap y').selectOption('optimizer');
  await expect(heat.locator('svg g[aria-label="y-axis tick label"] text')).toHaveText(['adam', 'momentum', 'sgd']);

  // Curves: the top 8 in colour with a legend; a legend press picks the trial out in the table too.
  const curves = await inView(page.getByTestId('loss-chart'));
  await expect(curves.locator('.legend button')).toHaveCount(8);
  const first = curves.locator('.legend button').first();
  const picked = await first.getAttribute('data-trial');
  await first.click();
  await expect(first).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator(`[data-testid="trial-table"] tr[data-trial="${picked}"]`)).toHaveClass(/selected/);
  await curves.getByLabel('Curves x axis').selectOption('samples');
  await expect(curves.locator('svg g[aria-label="x-axis label"]')).toContainText('samples seen');
  await curves.getByLabel('Curves shown').selectOption('all');
  // The top 8 in colour, the other 142 grey.
  await expect.poll(() => drawn(curves, 'line', '#aab4c0')).toBe(142);

  // Intermediate values: a ✕ where each pruned or diverged trial stopped.
  const intermediate = await inView(page.getByTestId('intermediate-chart'));
  const stopped = record.trials.filter((t) => (t.state === 'pruned' || t.state === 'diverged') && t.intermediate.length > 0).length;
  expect(stopped).toBeGreaterThan(10);
  await expect(marks(intermediate, 'dot', 'path')).toHaveCount(stopped);

  // Parallel coordinates: labelled ticks on every axis.
  const parallel = await inView(page.getByTestId('parallel-chart'));
  expect(await drawn(parallel, 'line')).toBe(record.trials.filter((t) => t.state === 'done').length);
  const ticks = parallel.locator('svg g[aria-label="text"] text');
  expect(await ticks.count()).toBeGreaterThanOrEqual(7 * 2);
  await shot(page, 'analysis.png');

  // Brushing the lr axis filters the table and the other views.
  const brush = parallel.locator('g.brush[data-axis="lr"] rect.overlay');
  await brush.scrollIntoViewIfNeeded();
  const box = (await brush.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.6, { steps: 5 });
  await page.mouse.up();
  await expect(page.getByTestId('filter-note')).toContainText('filtered on lr');
  const shown = await rows(page).count();
  expect(shown).toBeGreaterThan(0);
  expect(shown).toBeLessThan(150);
  await expect(page.getByTestId('filter-note')).toContainText(`Showing ${shown} of 150`);
  // The table shows every trial whose lr lies in the brushed range; the slices draw the finished ones among them.
  const done = await rows(page).evaluateAll((trs) => trs.filter((tr) => tr.getAttribute('data-state') === 'done').length);
  await expect.poll(() => drawn(slices.locator('svg[data-param="lr"]'), 'dot')).toBe(done);
  await expect(parallel.locator('g.brush[data-axis="lr"] rect.selection')).toBeVisible();
  await parallel.screenshot({ path: `${SHOTS}/brushed.png` });
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(rows(page)).toHaveCount(150);
});

test('a 2-objective study: the Pareto front is marked in the table and every chart', async ({ page }) => {
  const record = fixtureStudy({ objectives: 2 });
  const front = new Set(record.paretoFront);
  const errors = watchErrors(page);
  await page.goto('/');
  await openResults(page, record);
  await expect(page.getByTestId('pareto-count')).toContainText(`${front.size} trials`);
  const marked = page.getByTestId('trial-table').locator('tbody tr.pareto');
  await expect(marked).toHaveCount(front.size);
  for (const trial of await marked.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-trial'))))) expect(front.has(trial)).toBe(true);
  // Sorting by the Pareto column brings the front to the top.
  await page.getByRole('button', { name: /^Pareto/ }).click();
  await expect(rows(page).first()).toHaveClass(/pareto/);

  await page.getByTestId('pareto-chart').scrollIntoViewIfNeeded();
  await expect.poll(() => drawn(page.getByTestId('pareto-chart'), 'dot', RED)).toBe(front.size);
  await expect.poll(() => drawn(page.getByTestId('best-chart'), 'dot', RED)).toBe(front.size);
  await expect.poll(() => drawn(page.getByTestId('parallel-chart'), 'line', RED)).toBe(front.size);
  await page.getByTestId('slice-chart').scrollIntoViewIfNeeded();
  await expect.poll(() => drawn(page.getByTestId('slice-chart').locator('svg[data-param="lr"]'), 'dot', RED)).toBe(front.size);
  // The front is drawn over the dominated trials, so none of its points hides under one (its layer comes later in the SVG).
  const layers = await page.getByTestId('pareto-chart').locator('svg g[aria-label="dot"][data-count]').evaluateAll((gs) => gs.map((g) => g.querySelector('path[data-fill]')?.getAttribute('data-fill') ?? ''));
  expect(layers.filter(Boolean)).toEqual(['#8795a8', RED]);
  await expect(page.getByTestId('objective-heatmap').locator('svg g[aria-label="cell"][stroke="#d1495b"] rect').first()).toBeAttached();
  // Its second objective is an axis of the parallel coordinates and a column of the table.
  await expect(page.getByTestId('parallel-chart').locator('svg g[aria-label="x-axis tick label"]')).toContainText('samples/s (shape alone)');
  await expect(page.getByRole('columnheader', { name: /samples\/s \(shape alone\)/ })).toBeVisible();
  await page.getByTestId('pareto-chart').screenshot({ path: `${SHOTS}/pareto.png` });
  expect(errors).toEqual([]);
});

test('PBT: exploits drawn as arrows from the trial copied', async ({ page }) => {
  const record = fixtureStudy({ pbt: true });
  const exploits = record.trials.reduce((n, t) => n + (t.exploits?.length ?? 0), 0);
  expect(exploits).toBeGreaterThan(3);
  await page.goto('/');
  await openResults(page, record);
  const chart = await inView(page.getByTestId('intermediate-chart'));
  await expect(marks(chart, 'arrow', 'path')).toHaveCount(exploits);
  await expect(marks(chart, 'arrow', 'path').first().locator('title')).toContainText('copied trial');
  await chart.screenshot({ path: `${SHOTS}/pbt.png` });
});

test('compare studies: best so far and Pareto fronts overlaid', async ({ page }) => {
  const a = fixtureStudy();
  const b = fixtureStudy({ objectives: 2, seed: 11, name: 'fixture-pareto' });
  await page.goto('/');
  await openResults(page, a);
  await openResults(page, b);
  await page.getByRole('tab', { name: 'Compare' }).click();
  const choices = page.getByTestId('compare-choices');
  await choices.getByLabel(/fixture-150/).check();
  await choices.getByLabel(/fixture-pareto/).check();
  await expect(page.getByTestId('compare-table').locator('tbody tr')).toHaveCount(2);
  await expect(page.getByTestId('compare-table')).toContainText('nsga2');
  await expect(marks(page.getByTestId('compare-best'), 'line', 'path')).toHaveCount(2);
  await expect(marks(page.getByTestId('compare-fronts'), 'line', 'path')).toHaveCount(2);
  await page.getByTestId('compare-best').getByLabel('Best so far against').selectOption('samples');
  await expect(page.getByTestId('compare-best').locator('svg g[aria-label="x-axis label"]')).toContainText('samples trained');
  await shot(page, 'compare.png');
});

test('without WebGPU the app still opens and compares results files', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
  const record = fixtureStudy();
  await page.goto('/');
  await expect(page.getByTestId('no-webgpu')).toContainText('WebGPU is not available');
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeDisabled();
  await expect(page.getByRole('tab', { name: 'Hardware lab' })).toHaveCount(0);
  await openResults(page, record);
  await expect(rows(page)).toHaveCount(150);
  await expect(marks(page.getByTestId('importance-chart'), 'bar', 'rect')).toHaveCount(6);
  // A file that is not a results file says why, and the study that was on show goes.
  await page.getByLabel('Open results file').setInputFiles({ name: 'study.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(record.study)) });
  await expect(page.getByRole('alert').filter({ hasText: 'is not a results file' })).toContainText('no "trials" list');
  await expect(page.getByTestId('results-summary')).toHaveCount(0);
  await expect(page.getByTestId('trial-table')).toHaveCount(0);
  await expect(page.getByTestId('no-results')).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/no-webgpu.png` });
});
