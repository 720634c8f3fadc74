// Browser sources for the benchmark: MNIST fetched from the app's asset, TF.js only where a page adds it.
import { loadDatasetBrowser } from '../data/browser.ts';
import type { BenchSources } from './sources.ts';

export function browserBenchSources(extra: Partial<BenchSources> = {}): BenchSources {
  return { loadMnist: () => loadDatasetBrowser({ kind: 'mnist', pixels: 784 }, new Map()), ...extra };
}
