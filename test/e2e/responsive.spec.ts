// How responsive the page stays: the longest animation frame and long task on the Results tab while a study trains, and while 150 trials are explored.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { expect, test, type Page } from '@playwright/test';
import { bigJournal } from '../helpers/big-journal.ts';
import { drawn } from '../helpers/e2e-charts.ts';
import { fixtureStudy } from '../helpers/study-fixture.ts';

const QUICK = JSON.parse(await readFile(new URL('../../studies/quick-synthetic.json', import.meta.url), 'utf8')) as Record<string, unknown>;

interface Frames {
  /** Long animation frames (over 50 ms): start and duration, ms; how much of it was rendering (style, layout, paint) and of that style and layout. */
  frames: { start: number; duration: number; blocking: number; scripts: string[]; renderMs: number; styleLayoutMs: number }[];
  tasks: { start: number; duration: number }[];
  supported: string[];
}

/** Records every long animation frame and long task from the page's first moment. */
async function observe(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const store: Frames = { frames: [], tasks: [], supported: [...PerformanceObserver.supportedEntryTypes] };
    (window as unknown as { frames_: Frames }).frames_ = store;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        // Where a long frame's time went: the scripts that ran in it, longest first.
        const scripts = ((e as PerformanceEntry & { scripts?: { duration: number; invoker: string; sourceFunctionName: string }[] }).scripts ?? [])
          .sort((a, b) => b.duration - a.duration)
          .slice(0, 3)
          .map((x) => `${Math.round(x.duration)} ms ${x.invoker}${x.sourceFunctionName ? ` ${x.sourceFunctionName}` : ''}`);
        const f = e as PerformanceEntry & { blockingDuration?: number; renderStart?: number; styleAndLayoutStart?: number };
        const end = e.startTime + e.duration;
        store.frames.push({
          start: e.startTime,
          duration: e.duration,
          blocking: f.blockingDuration ?? 0,
          scripts,
          renderMs: f.renderStart ? Math.round(end - f.renderStart) : 0,
          styleLayoutMs: f.styleAndLayoutStart ? Math.round(end - f.styleAndLayoutStart) : 0,
        });
      }
    }).observe({ type: 'long-animation-frame', buffered: true });
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) store.tasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
}

const now = (page: Page) => page.evaluate(() => performance.now());

async function longest(page: Page, from: number, to: number): Promise<{ frameMs: number; taskMs: number; longFrames: number; longest: string[]; longestRender: string; slowestWork: string[]; draws: Record<string, number>; supported: string[] }> {
  const store = await page.evaluate(() => (window as unknown as { frames_: Frames }).frames_);
  const frames = store.frames.filter((f) => f.start >= from && f.start <= to);
  const tasks = store.tasks.filter((t) => t.start >= from && t.start <= to);
  const worst = [...frames].sort((a, b) => b.duration - a.duration)[0];
  // The app's own User Timing measures (each chart's draw, each session publish): the slowest in the window.
  const measures = await page.evaluate(
    ([a, b]) =>
      performance
        .getEntriesByType('measure')
        .filter((m) => m.startTime >= a! && m.startTime <= b!)
        .sort((x, y) => y.duration - x.duration)
        .slice(0, 4)
        .map((m) => `${m.name} ${Math.round(m.duration)} ms`),
    [from, to],
  );
  // How often each chart drew in the window: the views of finished results should draw only when outcomes change.
  const draws = await page.evaluate(
    ([a, b]) => {
      const counts: Record<string, number> = {};
      for (const m of performance.getEntriesByType('measure')) if (m.startTime >= a! && m.startTime <= b! && m.name.startsWith('draw ')) counts[m.name.slice(5)] = (counts[m.name.slice(5)] ?? 0) + 1;
      return counts;
    },
    [from, to],
  );
  return {
    frameMs: Math.round(Math.max(0, ...frames.map((f) => f.duration))),
    taskMs: Math.round(Math.max(0, ...tasks.map((t) => t.duration))),
    longFrames: frames.length,
    longest: worst?.scripts ?? [],
    // Of the longest frame, the part spent rendering (style, layout, paint) and in style and layout alone.
    longestRender: worst ? `render ${worst.renderMs} ms, style and layout ${worst.styleLayoutMs} ms` : '',
    slowestWork: measures,
    draws,
    supported: store.supported,
  };
}

async function record(name: string, figures: object): Promise<void> {
  await mkdir('test-results', { recursive: true });
  const path = 'test-results/responsiveness.json';
  const old = JSON.parse(await readFile(path, 'utf8').catch(() => '{}')) as Record<string, unknown>;
  // The machine's load says how far to trust the figures: other work on few cores stretches every frame.
  const machine = { cores: cpus().length, loadAverage1m: Number(loadavg()[0]!.toFixed(1)) };
  figures = { ...figures, ...machine };
  await writeFile(path, JSON.stringify({ ...old, [name]: figures }, null, 2));
  console.log(`responsiveness ${name}: ${JSON.stringify(figures)}`);
}

test('the Results tab while a 48-trial study trains: longest frame and long task recorded', async ({ page }) => {
  await observe(page);
  const study = { ...QUICK, name: 'responsive', budget: { trials: 48, epochs: 10, maxStepsPerTrial: 300 } };
  await page.goto(`/#study=${Buffer.from(JSON.stringify(study)).toString('base64url')}`);
  await expect(page.getByTestId('study-valid')).toHaveText('Valid study: 48 trials.');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('study-status')).toHaveText('running');
  const start = await now(page);
  // Interact as a user would while it trains: sort, pick a trial, change the curves' axis.
  await page.getByRole('button', { name: /^val acc/ }).click();
  await expect(page.getByTestId('trial-table').locator('tbody tr').first()).toBeVisible();
  await page.getByTestId('loss-chart').getByLabel('Curves x axis').selectOption('epochs');
  await expect(page.getByTestId('study-status')).toHaveText('done', { timeout: 170_000 });
  const end = await now(page);
  const figures = await longest(page, start, end);
  expect(figures.supported).toContain('long-animation-frame');
  await record('live-run', { ...figures, supported: undefined, runMs: Math.round(end - start), trials: 48 });
});

test('the Results tab while 8 long trials train: how often each chart draws', async ({ page }) => {
  await observe(page);
  // Trials that train long and finish late: the views of finished results should wait for them while the curves follow the training.
  const study = { ...QUICK, name: 'responsive-long', budget: { trials: 8, epochs: 150, maxStepsPerTrial: 5000 } };
  await page.goto(`/#study=${Buffer.from(JSON.stringify(study)).toString('base64url')}`);
  await expect(page.getByTestId('study-valid')).toHaveText('Valid study: 8 trials.');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByTestId('study-status')).toHaveText('running');
  const start = await now(page);
  await expect(page.getByTestId('study-status')).toHaveText('done', { timeout: 170_000 });
  const end = await now(page);
  const figures = await longest(page, start, end);
  await record('live-long-trials', { ...figures, supported: undefined, runMs: Math.round(end - start), trials: 8 });
});

test('exploring 150 trials: opening the file, brushing, picking: longest frame and long task recorded', async ({ page }) => {
  await observe(page);
  await page.goto('/');
  await page.getByRole('tab', { name: 'Results' }).click();
  const start = await now(page);
  await page.getByLabel('Open results file').setInputFiles({ name: 'fixture.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(fixtureStudy())) });
  await expect(page.getByTestId('trial-table')).toHaveAttribute('data-rows', '150');
  await expect(page.getByTestId('importance-chart').locator('svg g[aria-label="bar"] rect')).toHaveCount(6);
  await expect(page.getByTestId('parallel-chart').locator('svg g[aria-label="line"] path').first()).toBeAttached();
  const brush = page.getByTestId('parallel-chart').locator('g.brush[data-axis="lr"] rect.overlay');
  await brush.scrollIntoViewIfNeeded();
  const box = (await brush.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.6, { steps: 5 });
  await page.mouse.up();
  await expect(page.getByTestId('filter-note')).toBeVisible();
  await page.getByTestId('loss-chart').locator('.legend button').first().click();
  await page.getByTestId('loss-chart').getByLabel('Curves shown').selectOption('all');
  await page.waitForTimeout(1500);
  const end = await now(page);
  const figures = await longest(page, start, end);
  expect(figures.supported).toContain('long-animation-frame');
  await record('explore-150', { ...figures, supported: undefined });
});

/** Waits until no chart has drawn for a second (charts draw one per task, so 10,000 trials take a while to settle). */
async function settled(page: Page): Promise<void> {
  let last = -1;
  for (let i = 0; i < 600; i++) {
    const draws = await page.evaluate(() => performance.getEntriesByType('measure').filter((m) => m.name.startsWith('draw ')).length);
    if (draws === last) return;
    last = draws;
    await page.waitForTimeout(1000);
  }
}

/** Drags the parallel coordinates' brush on one axis from 20% to 60% of its height. */
async function brush(page: Page, axis: string): Promise<void> {
  const overlay = page.getByTestId('parallel-chart').locator(`g.brush[data-axis="${axis}"] rect.overlay`);
  await overlay.scrollIntoViewIfNeeded();
  const box = (await overlay.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.6, { steps: 5 });
  await page.mouse.up();
}

for (const objectives of [1, 2] as const) {
  test(`exploring 10,000 trials of an Optuna journal (${objectives} objective${objectives === 1 ? '' : 's'}): opening, brushing, sorting, picking: time to open and longest frames recorded`, async ({ page }) => {
    test.setTimeout(600_000);
    const text = bigJournal({ trials: 10_000, objectives });
    await observe(page);
    await page.goto('/');
    await page.getByRole('tab', { name: 'Results' }).click();
    const start = await now(page);
    await page.getByLabel('Open Optuna journal').setInputFiles({ name: 'big.log', mimeType: 'text/plain', buffer: Buffer.from(text) });
    // Open: the table holds every trial and the parallel coordinates (at the top of the charts) are drawn.
    await expect(page.getByTestId('trial-table')).toHaveAttribute('data-rows', '10000', { timeout: 120_000 });
    await expect.poll(() => drawn(page.getByTestId('parallel-chart'), 'line'), { timeout: 120_000 }).toBeGreaterThan(5000);
    const opened = await now(page);
    const openFigures = await longest(page, start, opened);
    await settled(page);

    const from = await now(page);
    await brush(page, 'lr');
    await expect(page.getByTestId('filter-note')).toContainText('filtered on lr', { timeout: 120_000 });
    await settled(page);
    await page.getByRole('button', { name: 'dropout', exact: true }).click();
    await expect(page.getByRole('columnheader', { name: /^dropout/ })).toHaveAttribute('aria-sort', 'ascending', { timeout: 120_000 });
    await settled(page);
    const pick = page.getByTestId('trial-table').locator('tbody tr[data-trial] button[data-button="pick"]').first();
    await pick.click();
    await expect(pick).toHaveAttribute('aria-pressed', 'true', { timeout: 120_000 });
    await settled(page);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect(page.getByTestId('trial-table')).toHaveAttribute('data-rows', '10000', { timeout: 120_000 });
    await settled(page);
    const to = await now(page);
    const figures = await longest(page, from, to);
    expect(figures.supported).toContain('long-animation-frame');
    await record(`explore-10k-${objectives}`, { openMs: Math.round(opened - start), openFrameMs: openFigures.frameMs, openSlowest: openFigures.slowestWork, ...figures, supported: undefined });
  });
}
