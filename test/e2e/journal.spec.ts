// Optuna journals in the app, without WebGPU: one fusetune wrote and one Optuna wrote open read-only as studies to view
// (a torn last line skipped, a malformed one named, any parameter names shown), and a study downloads as a journal.
import { readFile } from 'node:fs/promises';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { parseStudy } from '../../src/search/study.ts';
import { openJournalText, studyJournalText } from '../../src/store/journal-text.ts';
import { fusetuneRecord } from '../../src/ui/viewer/fusetune-journal.ts';
import { fixtureStudy } from '../helpers/study-fixture.ts';
import { OPTUNA_WRITES_PY, findPython, runPython } from '../unit/optuna-helpers.ts';

const SHOTS = process.env.SCREENSHOTS_DIR ?? 'test-results/screenshots';

const marks = (chart: Locator, kind: string, shape: string) => chart.locator(`svg g[aria-label="${kind}"] ${shape}`);
/** Dots or lines a chart drew as paths (fast-marks.ts): the sum of their groups' data-count. */
const drawn = (chart: Locator, kind: string) => chart.locator(`svg g[aria-label="${kind}"][data-count]`).evaluateAll((gs) => gs.reduce((n, g) => n + Number(g.getAttribute('data-count')), 0));
/** Alerts of the Results tab (the page's own say that WebGPU is missing). */
const fileAlert = (page: Page) => page.locator('ft-results').getByRole('alert');
const rows = (page: Page) => page.getByTestId('trial-table').locator('tbody tr');
const states = (page: Page) => rows(page).evaluateAll((trs) => trs.map((tr) => [Number(tr.getAttribute('data-trial')), tr.getAttribute('data-state')] as const).sort((a, b) => a[0] - b[0]).map(([, s]) => s));

/** A journal written by Optuna itself: fresh from Debian's Optuna 3.1 when python3 imports it, else the one checked in (written by it). */
async function optunaJournal(): Promise<{ text: string; from: string }> {
  const { python, reason } = findPython(['optuna']);
  if (!python) {
    console.log(`journal.spec: ${reason}; using test/fixtures/optuna-3.1-journal.log`);
    return { text: await readFile(new URL('../fixtures/optuna-3.1-journal.log', import.meta.url), 'utf8'), from: 'fixture' };
  }
  const folder = mkdtempSync(join(tmpdir(), 'fusetune-e2e-journal-'));
  try {
    runPython(python, OPTUNA_WRITES_PY, [join(folder, 'journal.log')]);
    return { text: readFileSync(join(folder, 'journal.log'), 'utf8'), from: python };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

async function withoutWebGpu(page: Page): Promise<void> {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
}

async function openJournal(page: Page, name: string, text: string): Promise<void> {
  await page.getByLabel('Open Optuna journal').setInputFiles({ name, mimeType: 'text/plain', buffer: Buffer.from(text) });
}

/** Fails the test on any uncaught error or console error in the page. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return errors;
}

test('a journal fusetune wrote opens read-only without WebGPU, downloads again as a journal; torn and malformed lines', async ({ page }) => {
  const record = fixtureStudy();
  const text = await studyJournalText(parseStudy(record.study), record);
  const errors = watchErrors(page);
  await withoutWebGpu(page);
  await page.goto('/');
  await expect(page.getByTestId('no-webgpu')).toBeVisible();
  await page.getByRole('tab', { name: 'Results' }).click();
  await openJournal(page, 'journal.log', text);

  await expect(page.getByTestId('results-summary')).toContainText(record.study.name!);
  await expect(page.getByTestId('read-only')).toBeVisible();
  await expect(rows(page)).toHaveCount(150);
  expect(await states(page)).toEqual(record.trials.map((t) => t.state));
  await expect(page.getByTestId('best-trial')).toContainText(`trial ${record.best}`);
  await expect(marks(page.getByTestId('importance-chart'), 'bar', 'rect')).toHaveCount(6);
  const stopped = record.trials.filter((t) => (t.state === 'pruned' || t.state === 'diverged') && t.intermediate.length > 0).length;
  await expect(marks(page.getByTestId('intermediate-chart'), 'dot', 'path')).toHaveCount(stopped);
  // One study: nothing to pick, nothing it could not carry.
  await expect(page.getByTestId('journal-studies')).toHaveCount(0);
  await expect(page.getByTestId('study-notes')).toHaveCount(0);

  // Downloaded again as a journal, it holds the same trials.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Optuna journal (.log)' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe(`${record.study.name}-journal.log`);
  const downloaded = await readFile((await file.path())!, 'utf8');
  const storage = await openJournalText(downloaded, 'download');
  const back = fusetuneRecord(storage.study(0), storage.trials(0))!;
  expect(back.trials.map((t) => [t.index, t.state, t.valAccuracy, t.params])).toEqual(record.trials.map((t) => [t.index, t.state, t.valAccuracy, t.params]));

  // A writer died mid-line: the journal still opens, without the torn line.
  await openJournal(page, 'torn.log', `${text}{"op_code": 4, "worker_id": "dead", "stu`);
  await expect(rows(page)).toHaveCount(150);
  await expect(fileAlert(page)).toHaveCount(0);
  // A malformed line that more lines follow is an error naming the line.
  const lines = text.split('\n');
  lines.splice(3, 0, '{"op_code": oops}');
  await openJournal(page, 'broken.log', lines.join('\n'));
  await expect(fileAlert(page)).toContainText('broken.log is not a journal Optuna reads: broken.log line 4: malformed JSON');
  expect(errors).toEqual([]);
});

test('a journal Optuna wrote: pick a study, see its trials and every view that applies; any parameter names', async ({ page }) => {
  const { text } = await optunaJournal();
  const errors = watchErrors(page);
  await withoutWebGpu(page);
  await page.goto('/');
  await page.getByRole('tab', { name: 'Results' }).click();
  await openJournal(page, 'optuna-journal.log', text);

  const picker = page.getByTestId('journal-studies');
  await expect(picker).toContainText('optuna-journal.log holds 3 studies: pick one');
  await picker.getByRole('button', { name: /^py-one/ }).click();
  await expect(page.getByTestId('results-summary')).toContainText('py-one');
  await expect(picker.getByRole('button', { name: /^py-one/ })).toHaveAttribute('aria-pressed', 'true');
  await expect(rows(page)).toHaveCount(7);
  expect(await states(page)).toEqual(['done', 'done', 'pruned', 'failed', 'done', 'running', 'pending']);
  await expect(page.getByTestId('best-trial')).toContainText('trial 4');
  // Views that need fusetune's own records say the study has none, and are left out.
  await expect(page.getByTestId('no-fusetune-data')).toContainText('no training curves, throughput or device bytes');
  await expect(page.getByTestId('loss-chart')).toHaveCount(0);
  await expect(page.getByTestId('throughput-heatmap')).toHaveCount(0);
  await expect(page.getByTestId('pareto-chart')).toHaveCount(0);
  // Charts: the three complete trials on the best-so-far chart, every trial's reports, a ✕ where the pruned one stopped.
  await expect.poll(() => drawn(page.getByTestId('best-chart'), 'dot')).toBe(3);
  await expect.poll(() => drawn(page.getByTestId('intermediate-chart'), 'line')).toBe(5);
  await expect(marks(page.getByTestId('intermediate-chart'), 'dot', 'path')).toHaveCount(1);
  await expect.poll(() => drawn(page.getByTestId('parallel-chart'), 'line')).toBe(3);
  await expect(page.getByTestId('edf-chart').locator('svg g[aria-label="line"] path')).toHaveCount(1);
  await expect.poll(() => drawn(page.getByTestId('timeline-chart'), 'line')).toBe(6);
  expect(errors).toEqual([]);
  // The Results tab whole, from the tabs down, in a viewport as tall as the page (charts off screen are not drawn, and the run bar stays on top).
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: 1280, height: Math.min(height, 4000) });
  await expect.poll(() => drawn(page.getByTestId('slice-chart'), 'dot')).toBeGreaterThan(0);
  await page.waitForTimeout(500);
  const top = (await page.getByRole('tablist').boundingBox())!.y;
  const bottom = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.screenshot({ path: `${SHOTS}/journal.png`, clip: { x: 0, y: top - 8, width: 1280, height: bottom - top + 8 } });
  await page.setViewportSize({ width: 1280, height: 800 });

  // Two objectives: named as Optuna names them, the Pareto front computed from them.
  await picker.getByRole('button', { name: /^py-two/ }).click();
  await expect(rows(page)).toHaveCount(3);
  await expect(page.getByTestId('pareto-count')).toContainText('objective 0 × objective 1');
  // One trial on the front reads "1 trial", not "1 trials".
  const front = await page.getByTestId('pareto-count').textContent();
  expect(front).toMatch(/^(1 trial|\d+ trials) \(/);
  // Charts off screen are drawn when scrolled to.
  await page.getByTestId('pareto-chart').scrollIntoViewIfNeeded();
  await expect.poll(() => drawn(page.getByTestId('pareto-chart'), 'dot')).toBe(3);

  // A parameter outside fusetune's hyperparameters is shown like any other.
  await picker.getByRole('button', { name: /^py-foreign/ }).click();
  await expect(page.getByTestId('results-summary')).toContainText('py-foreign');
  await expect(page.getByRole('columnheader', { name: 'x', exact: true })).toBeVisible();
  await expect(fileAlert(page)).toHaveCount(0);

  // Each study opened is there to compare.
  await page.getByRole('tab', { name: 'Compare' }).click();
  await expect(page.getByTestId('compare-choices')).toContainText('py-one');
  await expect(page.getByTestId('compare-choices')).toContainText('py-two');
  expect(errors).toEqual([]);
});
