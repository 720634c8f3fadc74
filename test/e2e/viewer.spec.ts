// The app as a viewer (no training): a trial's page, filters, importance per objective, what a refused file leaves, compare's
// fronts, the editor's fixes, the keyboard and screen readers (one Tab stop per table, a skip link, charts with a text
// alternative, a quiet status region), axe-core on every tab, and the Hardware lab's trade-off chart and noise warning.
import AxeBuilder from '@axe-core/playwright';
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { parseStudy } from '../../src/search/study.ts';
import { studyJournalText } from '../../src/store/journal-text.ts';
import { inView, marks, rows, watchErrors } from '../helpers/e2e-charts.ts';
import { fixtureStudy } from '../helpers/study-fixture.ts';

const SHOTS = process.env.SCREENSHOTS_DIR ?? 'test-results/screenshots';
const OPTUNA = await readFile(new URL('../fixtures/optuna-3.1-journal.log', import.meta.url), 'utf8');

async function withoutWebGpu(page: Page): Promise<void> {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
}

async function openResults(page: Page, record: ReturnType<typeof fixtureStudy>): Promise<void> {
  await page.getByRole('tab', { name: 'Results' }).click();
  await page.getByLabel('Open results file').setInputFiles({ name: `${record.study.name}.json`, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(record)) });
  await expect(page.getByTestId('results-summary')).toContainText(String(record.study.name));
}

async function openJournal(page: Page, name: string, text: string): Promise<void> {
  await page.getByRole('tab', { name: 'Results' }).click();
  await page.getByLabel('Open Optuna journal').setInputFiles({ name, mimeType: 'text/plain', buffer: Buffer.from(text) });
}

/** axe-core's serious and critical findings on the page as it stands, one line each. */
async function axeProblems(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help}; ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
}

test('a trial’s page: parameters with their distributions, values, intermediate values, user and system attrs, notes; by keyboard', async ({ page }) => {
  const errors = watchErrors(page);
  await withoutWebGpu(page);
  await page.goto('/');
  await openJournal(page, 'optuna.log', OPTUNA);
  await page.getByTestId('journal-studies').getByRole('button', { name: /^py-one/ }).click();
  await expect(rows(page)).toHaveCount(7);
  // Into the table with Tab, down to trial 2 (the pruned one) with the arrow keys, across to its details button.
  await page.locator('[data-trial] button[data-button="pick"][tabindex="0"]').focus();
  const order = await rows(page).evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-trial'))));
  for (let i = 0; i < order.indexOf(2); i++) await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('button', { name: 'Open trial 2’s page' })).toBeFocused();
  await page.keyboard.press('Enter');
  const trialPage = page.getByTestId('trial-page');
  await expect(trialPage.getByRole('heading', { name: /Trial 2/ })).toBeFocused();
  await expect(trialPage).toContainText('pruned, Optuna PRUNED');
  await expect(trialPage.getByTestId('trial-params')).toContainText('float 1.00e-4…0.1, log');
  await expect(trialPage.getByTestId('trial-params')).toContainText('categorical: sgd, momentum, adam');
  await expect(trialPage.getByTestId('trial-user-attrs')).toContainText('note');
  await expect(trialPage.getByTestId('trial-user-attrs')).toContainText('from optuna');
  await expect(trialPage.locator('svg[aria-label="Intermediate values of trial 2"]')).toBeVisible();
  // The user's note stays in this browser.
  await trialPage.getByLabel(/Your note on this trial/).fill('too high a learning rate');
  await expect(trialPage).toContainText('Note saved in this browser.');
  await page.keyboard.press('Escape');
  await expect(trialPage).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Open trial 2’s page' })).toBeFocused();
  await page.getByRole('button', { name: 'Open trial 2’s page' }).click();
  await expect(page.getByTestId('trial-page').getByLabel(/Your note on this trial/)).toHaveValue('too high a learning rate');
  await page.getByTestId('trial-page').screenshot({ path: `${SHOTS}/trial-page.png` });
  // An enqueued trial's page shows the params it waits with, and its system attrs.
  await page.getByRole('button', { name: 'Open trial 6’s page' }).click();
  await expect(page.getByTestId('trial-page').getByTestId('trial-system-attrs')).toContainText('fixed_params');
  expect(errors).toEqual([]);
});

test('filters on the table from the keyboard, and brushing is the same filter', async ({ page }) => {
  const record = fixtureStudy();
  await page.goto('/');
  await openResults(page, record);
  const filters = page.locator('ft-trial-filters');
  // By state: only the pruned trials.
  await filters.getByRole('combobox', { name: 'Filter on' }).selectOption('state');
  for (const s of ['diverged', 'done']) await filters.getByRole('checkbox', { name: s }).uncheck();
  await filters.getByRole('button', { name: 'Apply' }).press('Enter');
  const pruned = record.trials.filter((t) => t.state === 'pruned').length;
  await expect(rows(page)).toHaveCount(pruned);
  await expect(page.getByTestId('filter-note')).toContainText(`Showing ${pruned} of 150 trials, filtered on state pruned`);
  // And a range of the learning rate, typed.
  await filters.getByRole('combobox', { name: 'Filter on' }).selectOption('lr');
  await filters.getByLabel('lr from').fill('0.001');
  await filters.getByLabel('lr to').fill('0.01');
  await filters.getByLabel('lr to').press('Enter');
  const both = record.trials.filter((t) => t.state === 'pruned' && (t.params.lr as number) >= 0.001 && (t.params.lr as number) <= 0.01).length;
  await expect(rows(page)).toHaveCount(both);
  // The range shows as a brush on the parallel coordinates' lr axis.
  await expect((await inView(page.getByTestId('parallel-chart'))).locator('g.brush[data-axis="lr"] rect.selection')).toBeVisible();
  await page.getByRole('button', { name: 'Remove the filter on state' }).click();
  await expect(rows(page)).toHaveCount(record.trials.filter((t) => (t.params.lr as number) >= 0.001 && (t.params.lr as number) <= 0.01).length);
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(rows(page)).toHaveCount(150);
});

test('keyboard and screen readers: one Tab stop per table, a skip link past it, every chart reachable with what it shows in words', async ({ page }) => {
  await page.goto('/');
  await openResults(page, fixtureStudy());
  const pick = page.locator('[data-testid="trial-table"] button[tabindex="0"]');
  await expect(pick).toHaveCount(1);
  // Tab from the table's one stop reaches the charts' controls at once: the 150 rows cost no Tab presses.
  await pick.focus();
  await page.keyboard.press('Tab');
  const after = await page.evaluate(() => {
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return `${el?.tagName} ${el?.textContent?.trim().slice(0, 40)}`;
  });
  expect(after).not.toMatch(/^BUTTON \d+$/);
  // Arrow keys move along the rows; the Tab stop moves with them.
  await pick.focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await expect(page.locator('[data-testid="trial-table"] tr[data-position="2"] button[data-button="pick"]')).toBeFocused();
  await page.keyboard.press('End');
  await expect(page.locator('[data-testid="trial-table"] tr[data-position="149"] button[data-button="pick"]')).toBeFocused();
  // A skip link before the table jumps past it.
  const skip = page.getByRole('button', { name: 'Skip past the trials table' });
  await skip.focus();
  await expect(skip).toBeVisible();
  await page.keyboard.press('Enter');
  await expect(page.locator('ft-results p.after-table')).toBeFocused();
  // Every chart is one Tab stop, named by its heading and described in words.
  const charts = page.locator('ft-results .plot[role="img"]');
  expect(await charts.count()).toBeGreaterThanOrEqual(10);
  await inView(page.getByTestId('best-chart'));
  const best = page.getByTestId('best-chart').locator('.plot[role="img"]');
  await best.focus();
  await expect(best).toBeFocused();
  await expect(best).toHaveAccessibleName('Best so far');
  await expect(best).toHaveAccessibleDescription(/best val accuracy 9\d\.\d% after \d+ scored trials/);
  // No chart SVG is without a name.
  const unnamed = await page.evaluate(() => {
    const all: Element[] = [];
    const walk = (root: Document | ShadowRoot) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.tagName.toLowerCase() === 'svg' && !el.getAttribute('aria-label')) all.push(el);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    return all.length;
  });
  expect(unnamed).toBe(0);
  // The run bar's status region announces states, not statistics.
  const live = await page.evaluate(() => {
    const found: string[] = [];
    const walk = (root: Document | ShadowRoot) => {
      for (const el of root.querySelectorAll('[aria-live], [role="status"]')) found.push(el.textContent ?? '');
      for (const el of root.querySelectorAll('*')) if (el.shadowRoot) walk(el.shadowRoot);
    };
    walk(document);
    return found;
  });
  for (const text of live) expect(text).not.toMatch(/samples\/s|elapsed|left/);
});

test('importance per objective, by fANOVA or PED-ANOVA', async ({ page }) => {
  await page.goto('/');
  await openResults(page, fixtureStudy({ objectives: 2, name: 'two' }));
  const importance = await inView(page.getByTestId('importance-chart'));
  const names = () => importance.locator('svg g[aria-label="y-axis tick label"] text').allTextContents();
  await expect(marks(importance, 'bar', 'rect')).toHaveCount(6);
  expect((await names())[0]).toBe('lr');
  // Samples/s of the shape alone is driven by batch size and width (the fixture's construction).
  await importance.getByLabel('Importance for').selectOption({ label: 'samples/s (shape alone)' });
  await expect(importance.locator('svg g[aria-label="x-axis label"]')).toContainText('importance for samples/s (shape alone)');
  expect(['batch_size', 'units', 'layers']).toContain((await names())[0]);
  await importance.getByLabel('Importance method').selectOption('ped-anova');
  await expect(importance).toContainText('PED-ANOVA as Optuna computes it');
  await expect(marks(importance, 'bar', 'rect')).toHaveCount(6);
});

test('a refused or a new file clears the study that was on show', async ({ page }) => {
  await withoutWebGpu(page);
  await page.goto('/');
  const record = fixtureStudy();
  await openJournal(page, 'good.log', await studyJournalText(parseStudy(record.study), record));
  await expect(page.getByTestId('trial-table')).toHaveAttribute('data-rows', '150');
  const lines = OPTUNA.split('\n');
  lines.splice(2, 0, '{"op_code": oops}');
  await openJournal(page, 'broken.log', lines.join('\n'));
  await expect(page.locator('ft-results').getByRole('alert')).toContainText('broken.log line 3: malformed JSON');
  await expect(page.getByTestId('results-summary')).toHaveCount(0);
  await expect(page.getByTestId('trial-table')).toHaveCount(0);
  // A journal of several studies: nothing shows until one is picked.
  await openJournal(page, 'good.log', await studyJournalText(parseStudy(record.study), record));
  await expect(page.getByTestId('trial-table')).toHaveAttribute('data-rows', '150');
  await openJournal(page, 'optuna.log', OPTUNA);
  await expect(page.getByTestId('journal-studies')).toContainText('pick one');
  await expect(page.getByTestId('trial-table')).toHaveCount(0);
});

test('compare lists the Pareto front it draws', async ({ page }) => {
  await page.goto('/');
  const one = fixtureStudy({ name: 'one' });
  const two = fixtureStudy({ objectives: 2, seed: 11, name: 'two' });
  await openResults(page, one);
  await openResults(page, two);
  await page.getByRole('tab', { name: 'Compare' }).click();
  await page.getByTestId('compare-choices').getByRole('checkbox', { name: /^one/ }).check();
  await page.getByTestId('compare-choices').getByRole('checkbox', { name: /^two/ }).check();
  const listed = (await page.getByTestId('compare-table').locator('tbody tr td:nth-child(6)').allTextContents()).map(Number);
  // The fronts chart's larger dots are the front members, one colour per study.
  const fronts = page.getByTestId('compare-fronts').locator('svg g[aria-label="dot"]').nth(1).locator('circle');
  await expect(fronts).toHaveCount(listed[0]! + listed[1]!);
  const byColour = await fronts.evaluateAll((cs) => {
    const n = new Map<string, number>();
    for (const c of cs) n.set(c.getAttribute('fill')!, (n.get(c.getAttribute('fill')!) ?? 0) + 1);
    return [...n.values()].sort((a, b) => a - b);
  });
  expect(byColour).toEqual([...listed].sort((a, b) => a - b));
});

test('the editor: constant liar turns off and on, adding a defaulted parameter says it drops the default, Load preset keeps focus, no adapter said so', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Preset').selectOption('quick-synthetic');
  await page.getByRole('button', { name: 'Load preset' }).press('Enter');
  await expect(page.getByLabel('Preset')).toBeFocused();
  const json = async () => JSON.parse(await page.getByLabel('Study JSON', { exact: true }).inputValue()) as Record<string, Record<string, unknown>>;
  await page.getByLabel('sampler', { exact: true }).selectOption({ label: 'TPE (one objective)' });
  const liar = page.getByLabel('sampler constant liar');
  await expect(liar).toBeChecked();
  await liar.uncheck();
  expect((await json()).sampler!.constantLiar).toBe(false);
  await expect(liar).not.toBeChecked();
  await liar.check();
  expect('constantLiar' in (await json()).sampler!).toBe(false);
  // A default for optimizer, then optimizer added to the space: the default goes, and the editor says so.
  const study = await json();
  await page.getByText('Study JSON', { exact: true }).click();
  await page.getByLabel('Study JSON', { exact: true }).fill(JSON.stringify({ ...study, defaults: { ...study.defaults, optimizer: 'sgd' } }));
  await page.getByText('Study JSON', { exact: true }).click();
  await page.getByLabel('Parameter to add').selectOption('optimizer');
  await page.getByRole('button', { name: 'Add parameter' }).click();
  expect((await json()).space!.optimizer).toBeDefined();
  expect((await json()).defaults?.optimizer).toBeUndefined();
  await expect(page.getByText('Removed defaults.optimizer ("sgd"): the space samples optimizer now.')).toBeVisible();
});

test('without WebGPU the Study tab says there is no adapter instead of an empty box', async ({ page }) => {
  await withoutWebGpu(page);
  await page.goto('/');
  await expect(page.getByTestId('no-adapter')).toContainText('no WebGPU adapter');
});

test('axe-core finds no serious or critical problem on any tab', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/');
  await expect(page.getByTestId('study-valid')).toBeVisible();
  const problems: string[] = [];
  const check = async (where: string) => {
    for (const p of await axeProblems(page)) problems.push(`${where}: ${p}`);
  };
  await check('Study');
  await openResults(page, fixtureStudy({ objectives: 2, name: 'two' }));
  await openResults(page, fixtureStudy({ name: 'one' }));
  await page.getByRole('button', { name: /Open trial \d+’s page/ }).first().click();
  await expect(page.getByTestId('trial-page')).toBeVisible();
  await page.waitForTimeout(2000);
  await check('Results');
  await page.getByRole('tab', { name: 'Saved studies' }).click();
  await check('Saved studies');
  await page.getByRole('tab', { name: 'Compare' }).click();
  await page.getByTestId('compare-choices').getByRole('checkbox', { name: /^one/ }).check();
  await page.getByTestId('compare-choices').getByRole('checkbox', { name: /^two/ }).check();
  await expect(page.getByTestId('compare-table')).toBeVisible();
  await check('Compare');
  await page.getByRole('tab', { name: 'Hardware lab' }).click();
  await page.getByRole('button', { name: 'Published: swiftshader.jsonl' }).click();
  await expect(page.getByTestId('lab-source')).toContainText('measurements from');
  await check('Hardware lab');
  expect(problems).toEqual([]);
});

test('the Hardware lab: speed against memory for the network it names, with batch size along the path; a noise warning for noisy figures', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('tab', { name: 'Hardware lab' }).click();
  await page.getByRole('button', { name: 'Published: swiftshader.jsonl' }).click();
  const tradeoff = page.locator('figure[data-plot="speed-memory"]');
  await expect(tradeoff.locator('figcaption')).toContainText('MLP 784-128-64-10 relu, Adam: samples/s against device memory, batch size along the path');
  await expect(tradeoff.locator('svg g[aria-label="text"] text').first()).toHaveText(/^B=\d+$/);
  await tradeoff.screenshot({ path: `${SHOTS}/lab-tradeoff.png` });
  // A run whose repetitions spread wide, and whose fused trials measured slower than one after another, is called noisy.
  const published = (await readFile(new URL('../../docs/bench/swiftshader.jsonl', import.meta.url), 'utf8')).trim().split('\n');
  const noisy = published.map((line) => {
    const r = JSON.parse(line) as { suite: string; kernel: string; T: number; values: Record<string, { median: number; min: number; max: number; n: number }> };
    if (r.kernel === 'train-step' && r.values.stepMs) r.values.stepMs = { ...r.values.stepMs, max: r.values.stepMs.median * 3 };
    if (r.suite === 'fused' && r.kernel === 'train-step' && r.T === 4 && r.values.speedup) r.values.speedup = { ...r.values.speedup, median: 0.3 };
    return JSON.stringify(r);
  });
  await page.locator('ft-hardware-lab input[type="file"]').setInputFiles({ name: 'noisy.jsonl', mimeType: 'application/json', buffer: Buffer.from(noisy.join('\n')) });
  await expect(page.getByTestId('lab-noise')).toContainText('These figures are noisy.');
  await expect(page.getByTestId('lab-noise')).toContainText(/slower than training one trial after another at T = [\d, ]*4/);
  // The study on the Study tab can be swept instead of the benchmark network.
  await expect(page.getByTestId('lab-shape')).toContainText('Your study');
});

test('?journal=<url> opens the journal at that address (what a server such as fusetune app provides)', async ({ page }) => {
  await withoutWebGpu(page);
  await page.route((url) => url.pathname === '/study/journal.log', (route) => route.fulfill({ status: 200, contentType: 'text/plain', body: OPTUNA }));
  await page.goto('/?journal=/study/journal.log');
  await expect(page.getByRole('tab', { name: 'Results' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('journal-studies')).toContainText('journal.log holds 3 studies: pick one');
  await page.getByTestId('journal-studies').getByRole('button', { name: /^py-two/ }).click();
  await expect(rows(page)).toHaveCount(3);
});
