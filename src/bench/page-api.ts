// The contract between bench.html's script (src/bench/page.ts) and the Node runner that drives it (src/bench/chromium.ts).
import type { BenchSuite } from './record.ts';

/** Not the app's preview port (4173) or dev port (5173): the bench page is served beside them. */
export const BENCH_PAGE_PORT = 5197;

/** Console lines the page prints with this prefix are progress the runner passes on. */
export const PROGRESS_PREFIX = '[bench] ';

/** What the page puts on `window.fusetuneBench`. */
export interface BenchPageApi {
  /** Runs `suites` on the page's adapter and resolves with every record (plain JSON objects). */
  run(suites: BenchSuite[], quick: boolean): Promise<unknown[]>;
}
