// The Results views while a study trains (Chromium, WebGPU on SwiftShader): intermediate values, stops and the budget's
// trial count show before the run ends, and the study downloads as an Optuna journal mid-run.
import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { openJournalText } from '../../src/store/journal-text.ts';
import { fusetuneRecord } from '../../src/ui/viewer/fusetune-journal.ts';
import { drawn, inView } from '../helpers/e2e-charts.ts';

const QUICK = JSON.parse(await readFile(new URL('../../studies/quick-synthetic.json', import.meta.url), 'utf8')) as Record<string, unknown>;

/** What the page showed while its status read "running": sampled every 100 ms until the study is done. */
interface Seen {
  reportLines: number;
  stops: number;
  prunedRows: number;
  notes: string[];
}

test('while a study trains: intermediate values, pruned trials and the budget show live; the journal downloads mid-run', async ({ page }) => {
  // Waves of 8 trials, successive halving pruning from the first rung on: reports and stops come all through the run.
  const study = { ...QUICK, name: 'live', parallel: 8, budget: { trials: 48, epochs: 10, maxStepsPerTrial: 300 }, pruner: { type: 'successive-halving', unit: 'epoch' } };
  await page.goto(`/#study=${Buffer.from(JSON.stringify(study)).toString('base64url')}`);
  await expect(page.getByTestId('study-valid')).toHaveText('Valid study: 48 trials.');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const watching = page.evaluate(async (): Promise<Seen> => {
    const seen: Seen = { reportLines: 0, stops: 0, prunedRows: 0, notes: [] };
    const app = document.querySelector('ft-app')!.shadowRoot!;
    for (let waited = 0; waited < 170_000; waited += 100) {
      const results = app.querySelector('ft-results')?.shadowRoot;
      const status = results?.querySelector('[data-testid="study-status"]')?.textContent;
      if (status === 'done') break;
      if (status === 'running' && results) {
        const chart = results.querySelector('ft-intermediate-chart')?.shadowRoot;
        seen.reportLines = Math.max(seen.reportLines, chart?.querySelectorAll('svg g[aria-label="line"] path').length ?? 0);
        seen.stops = Math.max(seen.stops, chart?.querySelectorAll('svg g[aria-label="dot"] path').length ?? 0);
        seen.prunedRows = Math.max(seen.prunedRows, results.querySelector('ft-trial-table')?.shadowRoot?.querySelectorAll('tbody tr[data-state="pruned"]').length ?? 0);
        const note = app.querySelector('ft-run-panel')?.shadowRoot?.querySelector('[data-testid="run-note"]')?.textContent ?? '';
        if (!seen.notes.includes(note)) seen.notes.push(note);
      }
      await new Promise((done) => setTimeout(done, 100));
    }
    return seen;
  });

  // Mid-run, the study downloads as a journal whose unfinished trials are RUNNING or WAITING.
  await expect(page.getByTestId('study-status')).toHaveText('running');
  await expect(page.getByTestId('trial-table').locator('tbody tr').first()).toBeVisible();
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Optuna journal (.log)' }).click();
  const text = await readFile((await (await download).path())!, 'utf8');
  const storage = await openJournalText(text, 'live-journal.log');
  expect(storage.trials(0).some((t) => t.state === 'RUNNING' || t.state === 'WAITING')).toBe(true);
  const midRun = fusetuneRecord(storage.study(0), storage.trials(0))!;
  expect(midRun.state).toBe('running');
  expect(midRun.study.name).toBe('live');

  const seen = await watching;
  await expect(page.getByTestId('study-status')).toHaveText('done', { timeout: 170_000 });
  expect(seen.reportLines, 'intermediate values drawn while training').toBeGreaterThan(0);
  expect(seen.stops, 'a ✕ where a pruned trial stopped, drawn while training').toBeGreaterThan(0);
  expect(seen.prunedRows).toBeGreaterThan(0);
  expect(seen.notes.some((n) => /^Training live: \d+ of 48 trials finished\.$/.test(n)), seen.notes.join(' | ')).toBe(true);

  // Once done, every trial that reported has its line.
  const reported = await page.getByTestId('trial-table').locator('tbody tr:is([data-state="done"], [data-state="pruned"])').count();
  const chart = await inView(page.getByTestId('intermediate-chart'));
  await expect.poll(() => drawn(chart, 'line')).toBe(reported);
});
