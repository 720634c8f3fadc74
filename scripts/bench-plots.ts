// Renders the Hardware lab's figures for results files into PNGs (headless Chromium), for docs/BENCHMARKS.md.
// Usage: node --import ./bin/register.js scripts/bench-plots.ts docs/bench/swiftshader.jsonl [...]
// → docs/bench/<name>-<figure>.png, or <name>-<runtime>-<figure>.png for a file that holds several runs.
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { withBenchPage } from '../src/bench/chromium.ts';
import { parseBenchRecords } from '../src/bench/record.ts';
import { runLabel, runLabels } from '../src/bench/series.ts';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: scripts/bench-plots.ts RESULTS.jsonl [...]');
  process.exit(2);
}
await withBenchPage({ progress: (line) => console.error(line), viewport: { width: 1100, height: 900 } }, async (page) => {
  for (const file of files) {
    const records = parseBenchRecords(readFileSync(file, 'utf8'));
    const runs = runLabels(records);
    for (const run of runs) {
      const own = records.filter((r) => runLabel(r) === run);
      const name = basename(file).replace(/\.jsonl?$/, '') + (runs.length > 1 ? `-${own[0]!.adapter.runtime}` : '');
      const text = own.map((r) => JSON.stringify(r)).join('\n');
      await page.evaluate(([t, label]) => document.querySelector('ft-hardware-lab')!.loadText(t, label), [text, basename(file)] as const);
      await page.locator('ft-hardware-lab figure[data-plot] svg').first().waitFor();
      const figures = page.locator('ft-hardware-lab figure[data-plot]');
      for (let i = 0; i < (await figures.count()); i++) {
        const figure = figures.nth(i);
        // A figure with no data shows a sentence instead of a plot: nothing to publish.
        if ((await figure.locator('svg').count()) === 0) continue;
        const out = join(dirname(file), `${name}-${await figure.getAttribute('data-plot')}.png`);
        await figure.screenshot({ path: out });
        console.error(`wrote ${out}`);
      }
    }
  }
});
