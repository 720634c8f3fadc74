// Optuna journals in the app, without WebGPU: one fusetune wrote and one Optuna wrote open read-only as studies to view
// (a torn last line skipped, a malformed one named, foreign parameters refused), and a study downloads as a journal.
import { readFile } from 'node:fs/promises';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { parseStudy } from '../../src/search/study.ts';
import { openJournalText, studyJournalText } from '../../src/store/journal-text.ts';
import { studyFromJournal } from '../../src/ui/journal-study.ts';
import { fixtureStudy } from '../helpers/study-fixture.ts';
import { OPTUNA_WRITES_PY, findPython, runPython } from '../unit/optuna-helpers.ts';

const SHOTS = process.env.SCREENSHOTS_DIR ?? 'test-results/screenshots';

const marks = (chart: Locator, kind: string, shape: string) => chart.locator(`svg g[aria-label="${kind}"] ${shape}`);
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
  const back = studyFromJournal(await openJournalText(downloaded, 'download'), 0).record;
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

test('a journal Optuna wrote: pick a study, see its trials and charts; parameters outside fusetune refused by name', async ({ page }) => {
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
  await expect(page.getByTestId('study-notes')).toContainText('Optuna wrote this study');
  await expect(page.getByTestId('study-notes')).toContainText('units_2 is set in 4 of 6 trials');
  // Charts: the three complete trials on the best-so-far chart, every trial's reports, a ✕ where the pruned one stopped.
  await expect(marks(page.getByTestId('best-chart'), 'dot', 'circle')).toHaveCount(3);
  await expect(marks(page.getByTestId('intermediate-chart'), 'line', 'path')).toHaveCount(5);
  await expect(marks(page.getByTestId('intermediate-chart'), 'dot', 'path')).toHaveCount(1);
  await expect(marks(page.getByTestId('parallel-chart'), 'line', 'path')).toHaveCount(3);
  expect(errors).toEqual([]);
  // The Results tab whole, from the tabs down, in a viewport as tall as the page (charts off screen are not drawn, and the run bar stays on top).
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: 1280, height: Math.min(height, 4000) });
  await expect(marks(page.getByTestId('slice-chart'), 'dot', 'circle').first()).toBeVisible();
  await page.waitForTimeout(500);
  const top = (await page.getByRole('tablist').boundingBox())!.y;
  const bottom = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.screenshot({ path: `${SHOTS}/journal.png`, clip: { x: 0, y: top - 8, width: 1280, height: bottom - top + 8 } });
  await page.setViewportSize({ width: 1280, height: 800 });

  // Two objectives: Optuna's values stand in for accuracy and loss, the Pareto front computed from them.
  await picker.getByRole('button', { name: /^py-two/ }).click();
  await expect(rows(page)).toHaveCount(3);
  await expect(page.getByTestId('pareto-count')).toContainText('val accuracy × val loss');
  await expect(marks(page.getByTestId('pareto-chart'), 'dot', 'circle').first()).toBeVisible();

  // A parameter fusetune does not know: refused with its name; the study on show stays.
  await picker.getByRole('button', { name: /^py-foreign/ }).click();
  await expect(fileAlert(page)).toContainText('x (trials 0) is not a fusetune hyperparameter');
  await expect(page.getByTestId('results-summary')).toContainText('py-two');

  // Each study opened is there to compare.
  await page.getByRole('tab', { name: 'Compare' }).click();
  await expect(page.getByTestId('compare-choices')).toContainText('py-one');
  await expect(page.getByTestId('compare-choices')).toContainText('py-two');
  expect(errors).toEqual([]);
});
