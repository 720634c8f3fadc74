// `fusetune app journal.log` from this checkout (the app Playwright's web server built into dist/app): the page opens the
// study read-only and shows each trial a worker appends without reloading; how long that takes, measured.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startApp } from '../helpers/app-process.ts';
import { rows } from '../helpers/e2e-charts.ts';
import { nextTrialLines, trialLines, type ParamRecord } from '../helpers/optuna-trial-lines.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'fusetune.js');
const LR = '{"name": "FloatDistribution", "attributes": {"step": null, "low": 0.001, "high": 0.1, "log": true}}';
const lr = (internal: number): ParamRecord[] => [{ name: 'lr', internal, distribution: LR }];

/** An Optuna journal of one study (maximize "accuracy") with `trials` finished trials. */
function journalText(trials: number): string {
  const head = [
    { op_code: 0, worker_id: 'w', study_name: 'followed', directions: [2] },
    { op_code: 3, worker_id: 'w', study_id: 0, system_attr: { 'study:metric_names': ['accuracy'] } },
  ].map((r) => `${JSON.stringify(r)}\n`);
  return head.join('') + Array.from({ length: trials }, (_, i) => trialLines(0, i, lr(0.01 + i / 1000), [0.5 + i / 100])).join('');
}

test('fusetune app journal.log: the study opens read-only, and appended trials appear without a reload', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'fusetune-app-e2e-'));
  const journal = join(dir, 'journal.log');
  writeFileSync(journal, journalText(3));
  const app = await startApp(process.execPath, [BIN, 'app', journal, '--port', '0']);
  try {
    expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?journal=\/journal\/journal\.log$/);
    await page.goto(app.url);
    await expect(page.getByRole('tab', { name: 'Results' })).toHaveAttribute('aria-selected', 'true');
    await expect(rows(page)).toHaveCount(3);
    await expect(page.getByTestId('results-summary')).toContainText('followed');

    // Each append, as a worker writes one trial, timed until its row is in the table (a count every few ms).
    const latenciesMs: number[] = [];
    for (let n = 3; n < 8; n++) {
      const started = performance.now();
      appendFileSync(journal, nextTrialLines(readFileSync(journal, 'utf8'), [0.9 + n / 1000]));
      while ((await rows(page).count()) < n + 1) {
        if (performance.now() - started > 30_000) throw new Error(`trial ${n} did not appear in 30 s`);
      }
      latenciesMs.push(Math.round(performance.now() - started));
    }
    await expect(rows(page)).toHaveCount(8);
    await expect(page.locator('[data-trial="7"]')).toBeVisible();
    const sorted = [...latenciesMs].sort((a, b) => a - b);
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    test.info().annotations.push({ type: 'append-to-row latency', description: `${latenciesMs.join(', ')} ms (median ${sorted[2]}); load ${load}` });
    console.log(`fusetune app: append to row ${latenciesMs.join(', ')} ms (median ${sorted[2]} ms), load ${load}`);

    expect(await app.stop()).toBe(0);
    expect(app.output()).not.toContain('cannot read');
    // The server gone, the page says it no longer follows the study, and keeps what it read.
    await expect(page.getByRole('alert')).toContainText('journal.log is no longer followed: the connection to /journal/journal.log broke');
    await expect(rows(page)).toHaveCount(8);
  } finally {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
