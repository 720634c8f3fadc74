// Real runs in the app (Chromium, WebGPU on SwiftShader) with the search policies a study file can name:
// Hyperband stops trials early, PBT exploits on the device and draws its lineage, TPE and a two-objective
// MOTPE study run to the end with their front marked.
import { expect, test, type Page } from '@playwright/test';
import { inView } from '../helpers/e2e-charts.ts';

const data = { kind: 'circles', n: 400, noise: 0.1, seed: 1 };

async function runStudy(page: Page, study: object, trials: number): Promise<void> {
  await page.goto(`/#study=${Buffer.from(JSON.stringify(study)).toString('base64url')}`);
  await expect(page.getByTestId('study-valid')).toHaveText(`Valid study: ${trials} trials.`);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('study-status')).toHaveText('done', { timeout: 170_000 });
}

const rows = (page: Page, state: string) => page.getByTestId('trial-table').locator(`tbody tr[data-state="${state}"]`);

test('a Hyperband study stops trials early; the stops are drawn where they happened', async ({ page }) => {
  const study = {
    name: 'hyperband-app',
    seed: 2,
    data,
    space: { lr: { type: 'float', low: 0.001, high: 0.5, log: true }, units: { type: 'categorical', choices: [4, 8] } },
    defaults: { batch_size: 16, optimizer: 'adam' },
    pruner: { type: 'hyperband', reductionFactor: 3 },
    parallel: 6,
    budget: { trials: 18, epochs: 9 },
  };
  await runStudy(page, study, 18);
  expect(await rows(page, 'pruned').count()).toBeGreaterThan(0);
  expect(await rows(page, 'done').count()).toBeGreaterThan(0);
  await expect((await inView(page.getByTestId('intermediate-chart'))).locator('svg g[aria-label="dot"] path').first()).toBeVisible();
});

test('a PBT study: every member trains to the end, exploits are drawn as arrows from the trial copied', async ({ page }) => {
  const study = {
    name: 'pbt-app',
    seed: 3,
    data,
    space: { lr: { type: 'float', low: 0.001, high: 0.5, log: true }, l2: { type: 'float', low: 0, high: 0.01 } },
    defaults: { batch_size: 16, units: 8, optimizer: 'adam' },
    sampler: { type: 'pbt', population: 6, interval: 20, mutable: ['lr', 'l2'] },
    budget: { epochs: 6 },
  };
  await runStudy(page, study, 6);
  await expect(rows(page, 'done')).toHaveCount(6);
  const arrows = (await inView(page.getByTestId('intermediate-chart'))).locator('svg g[aria-label="arrow"] path');
  await expect(arrows.first()).toBeAttached();
  await expect(arrows.first().locator('title')).toContainText('copied trial');
});

test('TPE and a two-objective MOTPE study run to the end; the Pareto front is marked in the table', async ({ page }) => {
  const space = { lr: { type: 'float', low: 0.001, high: 0.5, log: true }, units: { type: 'categorical', choices: [4, 8, 16] }, batch_size: { type: 'categorical', choices: [8, 16, 32] } };
  await runStudy(page, { name: 'tpe-app', seed: 4, data, space, defaults: { optimizer: 'adam' }, sampler: { type: 'tpe', startupTrials: 4 }, parallel: 4, budget: { trials: 12, epochs: 2 } }, 12);
  await expect(rows(page, 'done')).toHaveCount(12);
  const motpe = { name: 'motpe-app', seed: 5, data, space, defaults: { optimizer: 'adam' }, sampler: { type: 'motpe', startupTrials: 4 }, parallel: 4, budget: { trials: 12, epochs: 2 }, objective: [{ metric: 'val_accuracy' }, { metric: 'samples_per_sec' }] };
  await runStudy(page, motpe, 12);
  await expect(rows(page, 'done')).toHaveCount(12);
  expect(await page.getByTestId('trial-table').locator('tbody tr').filter({ hasText: '◆' }).count()).toBeGreaterThan(0);
});
