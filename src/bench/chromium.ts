// Node only: bench.html in headless Chromium (Debian's, through Playwright), served by Vite: suites run there, figures shot there.
import { chromium, type Page } from '@playwright/test';
import { createServer } from 'vite';
import { CHROMIUM_ARGS } from './chromium-args.ts';
import { BenchAborted } from './env.ts';
import { BENCH_PAGE_PORT, PROGRESS_PREFIX, type BenchPageApi } from './page-api.ts';
import { benchRecordSchema, type BenchRecord, type BenchSuite } from './record.ts';

export interface BenchPageOptions {
  progress(line: string): void;
  /** Chromium binary (default CHROMIUM_PATH or /usr/bin/chromium). */
  executablePath?: string;
  viewport?: { width: number; height: number };
}

/** Serves bench.html, opens it in headless Chromium, runs `use` on the page, and closes both. */
export async function withBenchPage<R>(options: BenchPageOptions, use: (page: Page) => Promise<R>): Promise<R> {
  const server = await createServer({
    configFile: 'vite.config.ts',
    logLevel: 'warn',
    server: { port: BENCH_PAGE_PORT, strictPort: false, host: '127.0.0.1' },
    // Pre-bundle TF.js before the page asks for it: a late discovery reloads the page mid-run.
    optimizeDeps: { entries: ['bench.html'], include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu'] },
  });
  await server.listen();
  const url = `${server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${BENCH_PAGE_PORT}/`}bench.html`;
  const browser = await chromium.launch({ executablePath: options.executablePath ?? process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: options.viewport ?? { width: 1280, height: 900 } });
    page.on('console', (message) => {
      const text = message.text();
      if (text.startsWith(PROGRESS_PREFIX)) options.progress(`chromium: ${text.slice(PROGRESS_PREFIX.length)}`);
      else if (message.type() === 'error') options.progress(`chromium console error: ${text}`);
    });
    options.progress(`chromium: opening ${url}`);
    await page.goto(url);
    await page.waitForFunction(() => 'fusetuneBench' in window, undefined, { timeout: 120_000 });
    return await use(page);
  } finally {
    await browser.close();
    await server.close();
  }
}

export interface ChromiumRunOptions extends BenchPageOptions {
  suites: BenchSuite[];
  quick: boolean;
  emit(record: BenchRecord): void;
  signal?: AbortSignal;
}

/** Runs `suites` on Chromium's WebGPU adapter and emits its records (checked against the schema). */
export async function runInChromium(options: ChromiumRunOptions): Promise<void> {
  await withBenchPage(options, async (page) => {
    const run = page.evaluate(
      ([suites, quick]) => (window as unknown as { fusetuneBench: BenchPageApi }).fusetuneBench.run(suites, quick),
      [options.suites, options.quick] as const,
    );
    const aborted = new Promise<never>((_, reject) => options.signal?.addEventListener('abort', () => reject(new BenchAborted()), { once: true }));
    const records = await Promise.race([run, aborted]);
    for (const value of records) options.emit(benchRecordSchema.parse(value));
  });
}
