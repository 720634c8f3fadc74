// What adaptive search buys, measured on MNIST on this machine's adapter: random search with full budgets,
// TPE, ASHA, Hyperband and PBT (best validation accuracy against training samples and wall seconds), and
// TPE against random over three seeds (best after each trial). Writes JSON records and SVG figures.
// Usage: node --import ./bin/register.js scripts/compare-tuners.ts [--out docs/bench] [--quick]
//   (through the launcher's environment: `npm run compare-tuners`)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as Plot from '@observablehq/plot';
import { JSDOM } from 'jsdom';
import { loadDatasetNode } from '../src/data/node.ts';
import { adapterName } from '../src/gpu/adapter-report.ts';
import { acquireNodeGpu } from '../src/gpu/node-gpu.ts';
import { parseStudy, type StudyInput } from '../src/search/study.ts';
import { runStudy } from '../src/study/run-study.ts';

if (!process.env.FUSETUNE_RELAUNCHED && process.platform === 'linux') {
  // As the CLI's launcher does: start again with the Vulkan loader Dawn needs, Dawn's warnings filtered.
  const { runCliChild } = await import('../src/gpu/node-launch.ts');
  const { vulkanLaunchEnv } = await import('../src/gpu/node-gpu.ts');
  process.exit(await runCliChild(fileURLToPath(import.meta.url), process.argv.slice(2), vulkanLaunchEnv(), false));
}
(await import('../src/gpu/node-launch.ts')).adoptParentStderr();

const { values } = parseArgs({
  options: { out: { type: 'string', default: 'docs/bench' }, quick: { type: 'boolean', default: false }, plot: { type: 'string' }, only: { type: 'string' } },
});
/** --only methods | tpe-vs-random: measure that part again, keep the other from the existing records. */
const only = values.only;
if (only !== undefined && only !== 'methods' && only !== 'tpe-vs-random') {
  process.stderr.write(`--only: expected methods or tpe-vs-random (got "${only}")\n`);
  process.exit(2);
}
const quick = values.quick!;
const out = values.out!;
mkdirSync(out, { recursive: true });

const data = { kind: 'mnist', pixels: 196 } as const;
/** One space for random, TPE, ASHA and Hyperband: batch size fixed so refills find their shape. */
const space: StudyInput['space'] = {
  lr: { type: 'float', low: 0.0001, high: 0.3, log: true },
  units: { type: 'categorical', choices: [32, 64, 128] },
  dropout: { type: 'float', low: 0, high: 0.4 },
  l2: { type: 'float', low: 1e-6, high: 1e-2, log: true },
  optimizer: { type: 'categorical', choices: ['sgd', 'momentum', 'rmsprop', 'adam'] },
};
const defaults = { layers: 1, activation: 'relu', batch_size: 64 };
const epochs = quick ? 3 : 6;
const trials = quick ? 12 : 32;

const methods: { name: string; study: StudyInput }[] = [
  { name: 'random', study: { name: 'random', data, space, defaults, sampler: { type: 'random' }, parallel: 16, budget: { trials, epochs } } },
  { name: 'tpe', study: { name: 'tpe', data, space, defaults, sampler: { type: 'tpe', startupTrials: 8 }, parallel: 8, budget: { trials, epochs } } },
  { name: 'asha', study: { name: 'asha', data, space, defaults, sampler: { type: 'random' }, pruner: { type: 'successive-halving', reductionFactor: 3 }, parallel: 16, budget: { trials: 2 * trials, epochs } } },
  { name: 'hyperband', study: { name: 'hyperband', data, space, defaults, sampler: { type: 'random' }, pruner: { type: 'hyperband', reductionFactor: 3 }, parallel: 16, budget: { trials: 2 * trials, epochs } } },
  {
    name: 'pbt',
    study: {
      name: 'pbt',
      data,
      space: { lr: space.lr!, dropout: space.dropout!, l2: space.l2!, momentum: { type: 'float', low: 0.5, high: 0.99 } },
      defaults: { ...defaults, units: 128, optimizer: 'momentum' },
      sampler: { type: 'pbt', population: 16, interval: 125, mutable: ['lr', 'dropout', 'l2', 'momentum'] },
      budget: { epochs },
    },
  },
];

const log = (line: string) => process.stderr.write(`${line}\n`);

interface Measured {
  name: string;
  best: number;
  timeline: { samples: number; ms: number; best: number }[];
}

async function measureAll(): Promise<{ name: string; results: Measured[]; curves: { sampler: string; seed: number; trial: number; best: number }[] }> {
  const dataset = await loadDatasetNode(data);
  const ctx = await acquireNodeGpu();
  const adapter = adapterName(ctx.report);
  const date = new Date().toISOString();

  interface Point {
    samples: number;
    ms: number;
    best: number;
  }

  async function measure(name: string, input: StudyInput) {
    const study = parseStudy(input);
    const batch = new Map<number, number>();
    const timeline: Point[] = [];
    let samples = 0;
    let best = 0;
    const started = performance.now();
    const { record } = await runStudy({
      ctx,
      study,
      dataset,
      onEvent: (e) => {
        if (e.type === 'asked') for (const t of e.trials) batch.set(t.index, t.config.batchSize);
        if (e.type === 'curve') samples += e.losses.length * (batch.get(e.index) ?? 0);
        // Best validation accuracy evaluated so far, by any trial at any epoch (PBT's members finish together).
        if (e.type === 'epoch' && (e.metrics.valAccuracy ?? -Infinity) > best) {
          best = e.metrics.valAccuracy!;
          timeline.push({ samples, ms: performance.now() - started, best });
        }
      },
    });
    timeline.push({ samples, ms: performance.now() - started, best });
    const occupancy = record.occupancy!.dispatched > 0 ? record.occupancy!.busy / record.occupancy!.dispatched : null;
    const states = Object.fromEntries(['done', 'pruned', 'diverged', 'failed'].map((s) => [s, record.trials.filter((t) => t.state === s).length]));
    log(`${name}: best ${(best * 100).toFixed(2)}% after ${samples} samples, ${(record.wallMs! / 1000).toFixed(0)} s, occupancy ${occupancy === null ? '-' : (occupancy * 100).toFixed(1)}%, ${JSON.stringify(states)}`);
    return { name, adapter, date, samples, wallMs: record.wallMs!, best, occupancy, states, timeline, bestTrial: record.best === null ? null : record.trials[record.best]!.config };
  }

  const results = [];
  const name = (quick ? 'quick-' : '') + (ctx.report.isSoftware ? 'swiftshader' : adapter.toLowerCase().replace(/[^a-z0-9]+/g, '-'));
  const curves: { sampler: string; seed: number; trial: number; best: number }[] = [];
  const earlier = only ? (JSON.parse(readFileSync(join(out, `tuners-${name}.json`), 'utf8')) as { methods: Measured[]; tpeVsRandom: typeof curves }) : null;
  if (only !== 'tpe-vs-random') for (const method of methods) results.push(await measure(method.name, method.study));
  else results.push(...earlier!.methods);

  // TPE against random: the default space, three seeds, best validation accuracy after each trial (by number).
  const seeds = only === 'methods' ? [] : quick ? [0] : [0, 1, 2];
  if (only === 'methods') curves.push(...earlier!.tpeVsRandom);
  const perTrial = quick ? 16 : 48;
  for (const seed of seeds) {
    for (const sampler of ['random', 'tpe'] as const) {
      const study = parseStudy({
        name: `${sampler}-${seed}`,
        seed,
        data,
        space: {
          lr: { type: 'float', low: 0.0001, high: 0.1, log: true },
          batch_size: { type: 'categorical', choices: [32, 64, 128] },
          units: { type: 'categorical', choices: [32, 64, 128] },
          dropout: { type: 'float', low: 0, high: 0.3 },
          l2: { type: 'float', low: 1e-6, high: 1e-3, log: true },
          optimizer: { type: 'categorical', choices: ['momentum', 'rmsprop', 'adam', 'adamw'] },
        },
        defaults: { layers: 1, activation: 'relu' },
        sampler: sampler === 'tpe' ? { type: 'tpe', startupTrials: 8 } : { type: 'random' },
        parallel: 8,
        budget: { trials: perTrial, epochs: 2 },
      });
      const { record } = await runStudy({ ctx, study, dataset });
      let best = 0;
      for (const t of [...record.trials].sort((a, b) => a.index - b.index)) {
        if (t.state === 'done' && t.valAccuracy !== null) best = Math.max(best, t.valAccuracy);
        curves.push({ sampler, seed, trial: t.index + 1, best });
      }
      log(`${sampler} seed ${seed}: best ${(best * 100).toFixed(2)}% after ${record.trials.length} trials (${(record.wallMs! / 1000).toFixed(0)} s)`);
    }
  }
  ctx.destroy();

  writeFileSync(join(out, `tuners-${name}.json`), JSON.stringify({ adapter, date, epochs, trials, methods: results, tpeVsRandom: curves }, null, 1) + '\n');
  return { name, results, curves };
}

// --plot FILE: draw the figures of an earlier run's records, without measuring again.
const { name, results, curves } = values.plot
  ? (() => {
      const saved = JSON.parse(readFileSync(values.plot, 'utf8')) as { methods: Measured[]; tpeVsRandom: { sampler: string; seed: number; trial: number; best: number }[] };
      return { name: basename(values.plot).replace(/^tuners-|\.json$/g, ''), results: saved.methods, curves: saved.tpeVsRandom };
    })()
  : await measureAll();

const document = new JSDOM('').window.document;
const svg = (plot: Plot.PlotOptions) => {
  const figure = Plot.plot({ ...plot, document, style: { background: 'white', fontSize: '12px' } }) as unknown as { outerHTML: string };
  return figure.outerHTML.replace(/^<svg /, '<svg xmlns="http://www.w3.org/2000/svg" ');
};
/** Colour keys in the bottom-right corner, one text mark per series (the ordinal colour scale matches the lines'). */
const legend = (names: readonly string[]) => names.map((n, i) => Plot.text([n], { frameAnchor: 'bottom-right', dx: -8, dy: -8 - 16 * (names.length - 1 - i), text: (d: string) => `— ${d}`, fill: (d: string) => d, fontWeight: 'bold' }));
const points = results.flatMap((r) => r.timeline.map((p) => ({ method: r.name, samples: p.samples, seconds: p.ms / 1000, best: p.best * 100 })));
const randomBest = results.find((r) => r.name === 'random')!.best * 100;
for (const [x, label] of [
  ['samples', 'training samples consumed'],
  ['seconds', 'wall seconds'],
] as const) {
  writeFileSync(
    join(out, `tuners-${name}-${x}.svg`),
    svg({
      width: 760,
      height: 400,
      marginLeft: 55,
      x: { label, grid: true },
      y: { label: 'best validation accuracy (%)', grid: true, domain: [90, 97], clamp: true },
      // A Plot legend is HTML; these figures must be plain SVG, so the legend is text marks.
      marks: [
        Plot.ruleY([randomBest], { stroke: '#999', strokeDasharray: '4 3' }),
        Plot.line(points, { x, y: 'best', stroke: 'method', curve: 'step-after' }),
        Plot.dot(points, { x, y: 'best', stroke: 'method', r: 2 }),
        ...legend(results.map((r) => r.name)),
      ],
    }),
  );
}
writeFileSync(
  join(out, `tpe-vs-random-${name}.svg`),
  svg({
    width: 760,
    height: 400,
    marginLeft: 55,
    x: { label: 'trials', grid: true },
    y: { label: 'best validation accuracy (%)', grid: true, domain: [92, 97], clamp: true },
    color: { domain: ['random', 'tpe'] },
    marks: [
      // One line per sampler and seed; random dashed, so TPE's lines stand out where they part.
      ...(['random', 'tpe'] as const).map((sampler) =>
        Plot.line(
          curves.filter((d) => d.sampler === sampler),
          { x: 'trial', y: (d: { best: number }) => d.best * 100, stroke: 'sampler', z: 'seed', curve: 'step-after', strokeDasharray: sampler === 'random' ? '5 3' : undefined, strokeWidth: 1.5 },
        ),
      ),
      ...legend(['random', 'tpe']),
    ],
  }),
);
log(`wrote ${join(out, `tuners-${name}.json`)} and its figures`);
