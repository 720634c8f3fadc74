// The peer comparison: fusetune fused against TF.js running the same trials one after another, same adapter, same run.
import type { DeviceDataset } from '../engine/device-dataset.ts';
import { GpuTimer } from '../gpu/timing.ts';
import { checkAborted, stamp, type BenchEnv } from './env.ts';
import { invert, perSecond, ratio, summarize, type Summary } from './stats.ts';
import { trainTfjsTrials, type Tf } from './tfjs-mlp.ts';
import { BENCH_MLP, cohortRefusal, mlpWorkload, timeCohort } from './training-suites.ts';

/** Trial counts compared: one trial, and the fused cohort the targets are set for. */
export const PEER_TRIALS = [1, 32] as const;

/** Targets of issue 6 for fusetune ÷ TF.js aggregate samples/s (the goal on a real GPU is 10× at T=32). */
export const PEER_TARGETS: Record<number, { target: number; goal?: number }> = { 1: { target: 1.5 }, 32: { target: 3, goal: 10 } };

/** Milliseconds the TF.js trials one after another may take, per runtime. */
export function peerBudgetMs(quick: boolean): number {
  return quick ? 20_000 : 60_000;
}

/**
 * Steps each TF.js trial trains: as many as let T trials fit the budget at the measured pace, 2 to 10
 * (TF.js on a CPU adapter takes up to a second a step; a fixed count could not keep the suite short).
 */
export function peerStepsPerTrial(msPerStep: number, T: number, quick: boolean): number {
  const fit = Math.floor(peerBudgetMs(quick) / (T * msPerStep));
  return Math.max(2, Math.min(quick ? 3 : 10, Number.isFinite(fit) ? fit : 10));
}

export async function runPeerSuite(env: BenchEnv, data: DeviceDataset, tf: Tf): Promise<void> {
  const B = BENCH_MLP.batchSize;
  const runtime = env.ctx.report.runtime;
  // TF.js can only be timed by the wall clock, so fusetune is timed the same way here.
  const wall: BenchEnv = { ...env, timer: new GpuTimer(env.ctx, true) };
  const counts = PEER_TRIALS.filter((T) => cohortRefusal(env.ctx.limits, data.source, T, B) === null);
  if (counts.length === 0) {
    env.progress(`peer: skipped, this device cannot hold even one trial (${cohortRefusal(env.ctx.limits, data.source, 1, B)})`);
    return;
  }
  const widths = [data.source.features, ...BENCH_MLP.hidden, data.source.classes];
  const library = `TF.js ${tf.version.tfjs} (${tf.getBackend()} backend)`;
  const shape = { widths, batch: B, runtime };

  const fused = new Map<number, Summary>();
  for (const T of counts) {
    const timing = await timeCohort(wall, data, T, B, `bench-peer-${T}`);
    const samplesPerSec = invert(timing.stepMs, (ms) => perSecond(T * B, ms));
    fused.set(T, samplesPerSec);
    env.emit(
      stamp(wall, {
        suite: 'peer',
        kernel: 'fusetune-train-step',
        workload: `fusetune, ${T} fused × ${mlpWorkload(widths, B)}`,
        shape: { ...shape, matmul: timing.matmul, stepsPerPass: timing.stepsPerPass },
        T,
        values: { samplesPerSec, stepMs: timing.stepMs, setupMs: timing.setupMs, warmupMs: timing.warmupMs },
        bytes: timing.bytes,
      }),
    );
    env.progress(`peer (${runtime}) fusetune T=${T}: ${Math.round(samplesPerSec.median)} samples/s`);
  }

  checkAborted(env);
  const T = Math.max(...counts);
  const options = { hidden: BENCH_MLP.hidden, batchSize: B, lr: BENCH_MLP.lr, seed: 1000 };
  // Warm-up (shader compilation, first allocations), excluded; its second trial sets the pace.
  const warmupStarted = performance.now();
  const [, paceMs] = await trainTfjsTrials(tf, data.source, { ...options, trials: 2, stepsPerTrial: 2 });
  const warmupMs = performance.now() - warmupStarted;
  const S = peerStepsPerTrial(paceMs! / 2, T, env.quick);
  const trialMs = await trainTfjsTrials(tf, data.source, {
    ...options,
    trials: T,
    stepsPerTrial: S,
    onTrial: (t, ms) => {
      checkAborted(env);
      if ((t + 1) % 8 === 0 || t === T - 1) env.progress(`peer (${runtime}) ${library}: trial ${t + 1}/${T}, ${Math.round(perSecond(S * B, ms))} samples/s`);
    },
  });
  const perTrial = summarize(trialMs.map((ms) => perSecond(S * B, ms)));
  const aggregate = perSecond(T * S * B, trialMs.reduce((a, b) => a + b, 0));
  const tfjsBy: Record<number, Summary> = { 1: perTrial, [T]: { ...perTrial, median: aggregate } };
  for (const t of counts) {
    env.emit(
      stamp(wall, {
        suite: 'peer',
        kernel: 'tfjs-train-step',
        workload: `${library}, ${t} trial${t > 1 ? 's' : ''} one after another × ${mlpWorkload(widths, B)}`,
        shape: { ...shape, stepsPerTrial: S },
        T: t,
        values: { samplesPerSec: tfjsBy[t]!, perTrialSamplesPerSec: perTrial, warmupMs },
        note:
          t === 1
            ? `each of ${T} trials trained alone; median, min and max over the trials`
            : `aggregate = all samples ÷ the summed time of ${T} trials trained one after another; min and max are the slowest and fastest trial`,
      }),
    );
  }

  for (const t of counts) {
    const speedup = ratio(fused.get(t)!, tfjsBy[t]!);
    const { target, goal } = PEER_TARGETS[t] ?? { target: 1 };
    env.emit(
      stamp(wall, {
        suite: 'peer',
        kernel: 'speedup-vs-tfjs',
        workload: `fusetune ${t} fused ÷ ${library} ${t} one after another, aggregate samples/s`,
        shape: { ...shape, stepsPerTrial: S },
        T: t,
        values: { speedup, target, ...(goal ? { goal } : {}) },
        note: speedup.median >= target ? `meets the target of ${target}×` : `misses the target of ${target}×`,
      }),
    );
    env.progress(`peer (${runtime}) T=${t}: fusetune ÷ TF.js = ${speedup.median.toFixed(2)}× (target ${target}×)`);
  }
}
