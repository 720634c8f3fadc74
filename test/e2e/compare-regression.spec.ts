// Compare on the objective studies share: two regression studies on val RMSE (lower is better, in mpg), and a regression with a classification study, which share none (fixtures opened as results files, no training).
import { expect, test, type Page } from '@playwright/test';
import type { StudyRecord } from '../../src/store/records.ts';
import { inView, marks, watchErrors } from '../helpers/e2e-charts.ts';
import { fixtureStudy, regressionFixture } from '../helpers/study-fixture.ts';

async function openResults(page: Page, record: StudyRecord): Promise<void> {
  await page.getByRole('tab', { name: 'Results' }).click();
  await page.getByLabel('Open results file').setInputFiles({ name: `${record.study.name}.json`, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(record)) });
  await expect(page.getByTestId('results-summary')).toContainText(String(record.study.name));
}

test('regression studies compare on val RMSE, lower is better; with a classification study each keeps its own objective', async ({ page }) => {
  const errors = watchErrors(page);
  const a = regressionFixture({ name: 'cars-a' });
  const b = regressionFixture({ name: 'cars-b', seed: 3 });
  const c = fixtureStudy({ name: 'digits', trials: 30 });
  await page.goto('/');
  await openResults(page, a);
  // The results view of a regression study: its best in mpg beside the test figure, and RMSE against speed.
  await expect(page.getByTestId('best-trial')).toContainText(new RegExp(`trial ${a.best}: [\\d.]+ mpg val, [\\d.]+ test`));
  const tradeoff = await inView(page.getByTestId('pareto-chart'));
  await expect(tradeoff).toContainText('val RMSE against speed');
  await expect(tradeoff.locator('svg g[aria-label="y-axis label"]')).toContainText('val RMSE ↓ better');
  await openResults(page, b);
  await openResults(page, c);

  await page.getByRole('tab', { name: 'Compare' }).click();
  const choices = page.getByTestId('compare-choices');
  await choices.getByLabel(/cars-a/).check();
  await choices.getByLabel(/cars-b/).check();
  const table = page.getByTestId('compare-table');
  await expect(table.locator('thead')).toContainText('Best val RMSE (mpg), lower is better');
  await expect(table.locator('tbody tr').nth(0).locator('td').nth(4)).toHaveText(new RegExp(`^[\\d.]+ \\(trial ${a.best}\\)$`));
  await expect(table.locator('tbody tr').nth(1).locator('td').nth(4)).toHaveText(new RegExp(`^[\\d.]+ \\(trial ${b.best}\\)$`));
  await expect(page.getByTestId('compare-unshared')).toHaveCount(0);
  const best = page.getByTestId('compare-best');
  await expect(marks(best, 'line', 'path')).toHaveCount(2);
  await expect(best.locator('svg g[aria-label="y-axis label"]')).toContainText('val RMSE (best so far) ↓ better');
  const fronts = page.getByTestId('compare-fronts');
  await expect(marks(fronts, 'line', 'path')).toHaveCount(2);
  await expect(fronts.locator('svg g[aria-label="y-axis label"]')).toContainText('val RMSE ↓ better');

  // Regression with classification: no common axis; each study by its own objective.
  await choices.getByLabel(/cars-b/).uncheck();
  await choices.getByLabel(/digits/).check();
  await expect(page.getByTestId('compare-unshared')).toContainText('share no objective');
  await expect(page.getByTestId('compare-unshared')).toContainText('cars-a: val RMSE (mpg), lower is better');
  await expect(page.getByTestId('compare-unshared')).toContainText('digits: val accuracy, higher is better');
  await expect(table.locator('tbody tr').nth(0).locator('td').nth(4)).toHaveText(new RegExp(`^val RMSE [\\d.]+ mpg \\(trial ${a.best}\\)$`));
  await expect(table.locator('tbody tr').nth(1).locator('td').nth(4)).toHaveText(new RegExp(`^val accuracy [\\d.]+% \\(trial ${c.best}\\)$`));
  await expect(page.getByTestId('compare-best')).toHaveCount(2);
  await expect(page.getByTestId('compare-best').nth(0)).toContainText('cars-a: best val RMSE so far');
  await expect(marks(page.getByTestId('compare-best').nth(1), 'line', 'path')).toHaveCount(1);
  await expect(page.getByTestId('compare-fronts')).toHaveCount(0);
  expect(errors).toEqual([]);
});
