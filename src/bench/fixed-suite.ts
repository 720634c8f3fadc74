// Fixed costs: where the default study's wall time goes apart from training arithmetic — the adapter and
// device, loading and uploading the data, pipeline creation, readbacks (evaluation included) — measured
// on a fresh device, as `fusetune run` starts one.
import type { Dataset } from '../data/dataset.ts';
import { freeDataset, uploadDataset } from '../engine/device-dataset.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { Study } from '../search/study.ts';
import { runStudy } from '../study/run-study.ts';
import { checkAborted, stamp, type BenchEnv } from './env.ts';
import type { BenchSources } from './sources.ts';
import { summarize } from './stats.ts';

/** Adds up intervals that may overlap (pipelines compile in parallel): the wall time during which any was open. */
export class IntervalUnion {
  private readonly spans: [number, number][] = [];
  count = 0;

  add(start: number, end: number): void {
    this.spans.push([start, end]);
    this.count++;
  }

  /** Wraps a promise-returning call so its lifetime is recorded. */
  async time<T>(call: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await call();
    } finally {
      this.add(start, performance.now());
    }
  }

  get ms(): number {
    const sorted = [...this.spans].sort((a, b) => a[0] - b[0]);
    let total = 0;
    let [from, to] = [-Infinity, -Infinity];
    for (const [start, end] of sorted) {
      if (start > to) {
        if (to > from) total += to - from;
        [from, to] = [start, end];
      } else to = Math.max(to, end);
    }
    if (to > from) total += to - from;
    return total;
  }
}

export interface ContextProbe {
  pipelines: IntervalUnion;
  readbacks: IntervalUnion;
  submits: { count: number };
}

/**
 * Watches a context the study runs on: pipeline creations (new or cached), readbacks through its
 * memory (evaluation metrics, parameters) and submits. Instance methods are wrapped, nothing global.
 */
export function probeContext(ctx: GpuContext): ContextProbe {
  const probe: ContextProbe = { pipelines: new IntervalUnion(), readbacks: new IntervalUnion(), submits: { count: 0 } };
  const compute = ctx.pipelines.compute.bind(ctx.pipelines);
  ctx.pipelines.compute = (...args) => probe.pipelines.time(() => compute(...args));
  const read = ctx.memory.read.bind(ctx.memory);
  ctx.memory.read = (...args) => probe.readbacks.time(() => read(...args));
  const queue = ctx.device.queue;
  const submit = queue.submit.bind(queue);
  queue.submit = (buffers) => {
    probe.submits.count++;
    submit(buffers);
  };
  return probe;
}

/** The default study, smaller for a quick run (4 trials of 1 epoch). */
export function fixedCostStudy(study: Study, quick: boolean): Study {
  return quick ? { ...study, budget: { ...study.budget, trials: 4, epochs: 1 } } : study;
}

export async function runFixedSuite(env: BenchEnv, sources: BenchSources): Promise<void> {
  if (!sources.acquireGpu || !sources.defaultStudy || !sources.loadData) {
    env.progress('fixed: skipped, this runtime cannot start a second device or read the default study');
    return;
  }
  const study = fixedCostStudy(await sources.defaultStudy(), env.quick);
  const workload = `study "${study.name}": ${study.budget.trials} trials × ${study.budget.epochs} epochs`;
  const record = (kernel: string, values: Record<string, number | null | ReturnType<typeof summarize>>, note?: string, shape: Record<string, number | string> = {}) =>
    env.emit(stamp(env, { suite: 'fixed', kernel, workload, shape: { trials: study.budget.trials ?? 0, epochs: study.budget.epochs ?? 0, ...shape }, T: 1, values, ...(note ? { note } : {}) }));

  // A new process: Node, the TypeScript loader and the CLI's modules; then the same with the first adapter.
  if (sources.timeCommand) {
    for (const [kernel, args, note] of [
      ['cli-start', ['help'], 'a new process running `fusetune help`: Node, the TypeScript loader and the CLI, no GPU'],
      ['cli-start-device', ['device', '--json'], 'a new process running `fusetune device --json`: start-up, Dawn, the Vulkan driver and the first adapter'],
    ] as const) {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        checkAborted(env);
        times.push(await sources.timeCommand([...args]));
      }
      record(kernel, { ms: summarize(times) }, note);
      env.progress(`fixed: ${kernel} ${Math.round(summarize(times).median)} ms`);
    }
  }

  // The adapter and device once Dawn is loaded: what each further device costs.
  const acquireMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    checkAborted(env);
    const started = performance.now();
    const fresh = await sources.acquireGpu();
    acquireMs.push(performance.now() - started);
    fresh.destroy();
  }
  record('acquire-device', { ms: summarize(acquireMs) }, 'requestAdapter + requestDevice in a process that already holds a device (Dawn loaded)');

  // The data: from the package cache into memory, then onto the device.
  let started = performance.now();
  const dataset: Dataset = await sources.loadData(study);
  const loadMs = performance.now() - started;
  const ctx = await sources.acquireGpu();
  try {
    started = performance.now();
    const uploaded = uploadDataset(ctx, dataset, 'bench-fixed-data');
    await ctx.device.queue.onSubmittedWorkDone();
    const uploadMs = performance.now() - started;
    freeDataset(ctx, uploaded);
    const bytes = dataset.x.byteLength + dataset.y.byteLength;
    record('data', { loadMs, uploadMs, bytes }, `${dataset.description}`);

    // The whole study on a fresh device (cold pipeline cache), watched, then again on the same device (warm).
    for (const pass of ['cold', 'warm'] as const) {
      checkAborted(env);
      const probe = probeContext(ctx);
      started = performance.now();
      const { record: result } = await runStudy({ ctx, study, dataset, signal: env.signal });
      const wallMs = performance.now() - started;
      const samples = result.samplesTrained ?? 0;
      record(
        `study-${pass}`,
        {
          wallMs,
          pipelineMs: probe.pipelines.ms,
          pipelineCalls: probe.pipelines.count,
          pipelinesCached: ctx.pipelines.size,
          readbackMs: probe.readbacks.ms,
          readbacks: probe.readbacks.count,
          submits: probe.submits.count,
          otherMs: wallMs - probe.pipelines.ms - probe.readbacks.ms,
          samplesTrained: samples,
          samplesPerSec: (samples / wallMs) * 1000,
        },
        'runStudy alone (data already loaded, device already acquired); pipelineMs and readbackMs are wall time during which any was pending (readbacks wait for the GPU work before them, evaluation included); otherMs is the rest: training, scheduling, uploads',
        { pass },
      );
      env.progress(
        `fixed ${pass}: study ${Math.round(wallMs)} ms, pipelines ${Math.round(probe.pipelines.ms)} ms (${probe.pipelines.count} calls), ` +
          `readbacks ${Math.round(probe.readbacks.ms)} ms (${probe.readbacks.count}), ${probe.submits.count} submits`,
      );
    }
    env.progress(`fixed: device ${Math.round(summarize(acquireMs).median)} ms, data load ${Math.round(loadMs)} ms, upload ${Math.round(uploadMs)} ms`);
  } finally {
    ctx.destroy();
  }
}
