// bench.html: the Hardware lab on its own, plus the hook `fusetune bench peer` drives through Playwright.
// NOTE: only this page imports TF.js, so the app's build never bundles it.
import './ft-hardware-lab.ts';
import { acquireBrowserGpu } from '../gpu/browser-gpu.ts';
import { GpuTimer } from '../gpu/timing.ts';
import { browserBenchSources } from '../bench/browser.ts';
import { PROGRESS_PREFIX, type BenchPageApi } from '../bench/page-api.ts';
import { BUDGETS } from '../bench/plan.ts';
import type { BenchRecord } from '../bench/record.ts';
import { runBench } from '../bench/run.ts';
import type { Tf } from '../bench/tfjs-mlp.ts';

async function loadTfBrowser(): Promise<Tf> {
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js could not start its WebGPU backend in this browser');
  await tf.ready();
  return tf;
}

const api: BenchPageApi = {
  async run(suites, quick) {
    const ctx = await acquireBrowserGpu();
    const records: BenchRecord[] = [];
    try {
      await runBench(
        { ctx, timer: new GpuTimer(ctx), budget: BUDGETS[quick ? 'quick' : 'full'], quick, emit: (r) => records.push(r), progress: (line) => console.log(`${PROGRESS_PREFIX}${line}`) },
        suites,
        browserBenchSources({ loadTf: loadTfBrowser }),
      );
    } finally {
      ctx.destroy();
    }
    return records;
  },
};
(window as unknown as { fusetuneBench: BenchPageApi }).fusetuneBench = api;
