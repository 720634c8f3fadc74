// The 'search' suite: sampler quality on test functions (best after N, hypervolume, wins over random) and the cost of one ask at 1,000 finished trials. CPU only.
import DEFAULT_STUDY from '../../studies/default.json';
import { AskTellStudy } from '../search/ask-tell.ts';
import { parseStudy, type Study, type StudyInput } from '../search/study.ts';
import type { Params } from '../search/space.ts';
import { hypervolume } from '../search/pareto.ts';
import { RandomSampler, type Direction, type PastTrial, type Sampler } from '../search/samplers.ts';
import { Nsga2Sampler } from '../search/nsga2.ts';
import type { Space } from '../search/space.ts';
import { TpeSampler } from '../search/tpe.ts';
import { summarize } from './stats.ts';
import { BenchAborted } from './env.ts';
import type { AdapterSummary, BenchRecord } from './record.ts';
import { num, valueText, type ReportTable } from './report-cells.ts';
import { bestSoFar, runSampler, SINGLE_OBJECTIVE_FUNCTIONS, ZDT1_MIXED, ZDT1_REFERENCE, type TestFunction } from './search-functions.ts';

/** What the search suite needs: no device, so the CLI can run it without acquiring a GPU. */
export interface SearchBenchEnv {
  quick: boolean;
  emit(record: BenchRecord): void;
  progress(line: string): void;
  signal?: AbortSignal;
  runtime: AdapterSummary['runtime'];
}

/** Trials per single-objective run and seeds per comparison: the bar is "beats random on 80% of 20 seeds at N = 50". */
export const SEARCH_TRIALS = 50;
export const SEARCH_SEEDS = 20;
/** Two objectives need more trials: NSGA-II's first generation alone is 50. */
export const MULTI_OBJECTIVE_TRIALS = 200;
/** The history size at which one ask is timed. */
export const TIMED_HISTORY = 1000;

type MakeSampler = (space: Space, seed: number, directions: readonly Direction[]) => Sampler;
const SINGLE_SAMPLERS: [string, MakeSampler][] = [
  ['random', (space, seed) => new RandomSampler(space, seed)],
  ['tpe', (space, seed, directions) => new TpeSampler(space, seed, directions)],
  ['tpe-multivariate', (space, seed, directions) => new TpeSampler(space, seed, directions, { multivariate: true })],
];
const MULTI_SAMPLERS: [string, MakeSampler][] = [
  ['random', (space, seed) => new RandomSampler(space, seed)],
  ['motpe', (space, seed, directions) => new TpeSampler(space, seed, directions)],
  ['nsga2', (space, seed, directions) => new Nsga2Sampler(space, seed, directions)],
];

function cpuAdapter(runtime: AdapterSummary['runtime']): AdapterSummary {
  return { vendor: 'cpu', architecture: '', device: '', description: 'CPU (the search suite uses no GPU)', isSoftware: false, runtime };
}

export async function runSearchSuite(env: SearchBenchEnv): Promise<void> {
  const adapter = cpuAdapter(env.runtime);
  const record = (fields: Omit<BenchRecord, 'suite' | 'T' | 'timing' | 'adapter' | 'date'>): BenchRecord => ({
    suite: 'search',
    T: 1,
    timing: 'wall-clock',
    adapter,
    date: new Date().toISOString(),
    ...fields,
  });
  // The work is synchronous: yield between runs so that Ctrl-C (or the app's stop) is noticed.
  const checkpoint = async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (env.signal?.aborted) throw new BenchAborted();
  };
  const seeds = env.quick ? 5 : SEARCH_SEEDS;
  for (const fn of SINGLE_OBJECTIVE_FUNCTIONS) {
    for (const [name, make] of SINGLE_SAMPLERS) {
      await checkpoint();
      for (let seed = 0; seed < seeds; seed++) {
        const best = bestSoFar(runSampler(make(fn.space, seed, ['minimize']), fn, SEARCH_TRIALS)).at(-1)!;
        env.emit(record({ kernel: name, workload: `${fn.name}, best after ${SEARCH_TRIALS} trials`, shape: { function: fn.name, seed, trials: SEARCH_TRIALS }, values: { bestAfterN: best } }));
      }
    }
    env.progress(`search: ${fn.name} done`);
  }
  const directions: Direction[] = ['minimize', 'minimize'];
  for (const [name, make] of MULTI_SAMPLERS) {
    await checkpoint();
    for (let seed = 0; seed < seeds; seed++) {
      const history = runSampler(make(ZDT1_MIXED.space, seed, directions), ZDT1_MIXED, MULTI_OBJECTIVE_TRIALS);
      const volume = hypervolume(
        history.map((t) => t.values!),
        directions,
        ZDT1_REFERENCE,
      );
      env.emit(record({ kernel: name, workload: `${ZDT1_MIXED.name}, hypervolume after ${MULTI_OBJECTIVE_TRIALS} trials`, shape: { function: ZDT1_MIXED.name, seed, trials: MULTI_OBJECTIVE_TRIALS, reference: ZDT1_REFERENCE }, values: { hypervolume: volume } }));
    }
  }
  env.progress(`search: ${ZDT1_MIXED.name} done`);
  const timed: [string, TestFunction, MakeSampler, Direction[]][] = [
    ...SINGLE_SAMPLERS.map(([name, make]) => [name, SINGLE_OBJECTIVE_FUNCTIONS[1], make, ['minimize']] as [string, TestFunction, MakeSampler, Direction[]]),
    ...MULTI_SAMPLERS.slice(1).map(([name, make]) => [name, ZDT1_MIXED, make, directions] as [string, TestFunction, MakeSampler, Direction[]]),
  ];
  for (const [name, fn, make, dirs] of timed) {
    await checkpoint();
    const history = runSampler(new RandomSampler(fn.space, 7), fn, TIMED_HISTORY);
    const msPerTrial = timeAsks(make(fn.space, 1, dirs), history, env.quick ? 3 : 7);
    const params = Object.keys(fn.space).length;
    env.emit(record({ kernel: name, workload: `one ask + tell at ${TIMED_HISTORY} finished trials, ${fn.name} space (${params} parameters)`, shape: { function: fn.name, finished: TIMED_HISTORY, parameters: params }, values: { msPerTrial: summarize(msPerTrial) } }));
  }
  // The whole study API as `fusetune run` uses it: AskTellStudy with TPE on the default study's space.
  for (const sampler of [{ type: 'tpe' }, { type: 'random' }] as const) {
    await checkpoint();
    const study = parseStudy({ ...(DEFAULT_STUDY as StudyInput), sampler, budget: { trials: TIMED_HISTORY + 1000 } });
    const { wall, cpu } = timeAskTell(study, env.quick ? 3 : 7);
    const values = { msPerTrial: summarize(wall), ...(cpu.length > 0 ? { cpuMsPerTrial: summarize(cpu) } : {}) };
    env.emit(record({ kernel: `study ${sampler.type}`, workload: `AskTellStudy.ask(1) + tell at ${TIMED_HISTORY} finished trials, the default study's space (${Object.keys(study.space).length} parameters)`, shape: { function: 'default study', finished: TIMED_HISTORY, parameters: Object.keys(study.space).length }, values }));
  }
}

/**
 * Milliseconds per trial of AskTellStudy.ask(1) then tell(…) (its history holds TIMED_HISTORY told
 * trials), each repetition the mean over 20 trials: wall clock, and this process's CPU time where the
 * runtime tells it (Node) — on a shared machine the CPU time is the steadier figure.
 */
function timeAskTell(study: Study, repetitions: number): { wall: number[]; cpu: number[] } {
  const search = new AskTellStudy(study);
  const value = (params: Params) => -Math.abs(Math.log10(Number(params.lr)) + 2.5) + Number(params.units) / 1000;
  for (const trial of search.ask(TIMED_HISTORY)) search.tell(trial.number, { state: 'complete', values: [value(trial.params)] });
  const wall: number[] = [];
  const cpu: number[] = [];
  const cpuMs = () => {
    const usage = globalThis.process?.cpuUsage?.();
    return usage ? (usage.user + usage.system) / 1000 : NaN;
  };
  for (let r = -1; r < repetitions; r++) {
    const [started, startedCpu] = [performance.now(), cpuMs()];
    for (let i = 0; i < 20; i++) {
      const [trial] = search.ask(1);
      search.tell(trial!.number, { state: 'complete', values: [value(trial!.params)] });
    }
    if (r < 0) continue;
    wall.push((performance.now() - started) / 20);
    const used = (cpuMs() - startedCpu) / 20;
    if (Number.isFinite(used)) cpu.push(used);
  }
  return { wall, cpu };
}

/**
 * Milliseconds per trial of ask (sample) plus tell (appending the result to the history the next
 * ask reads), each repetition the mean over 20 asks of trial numbers past the history.
 */
function timeAsks(sampler: Sampler, history: readonly PastTrial[], repetitions: number): number[] {
  const asks = 20;
  const out: number[] = [];
  for (let r = -1; r < repetitions; r++) {
    const grown = [...history];
    const started = performance.now();
    for (let i = 0; i < asks; i++) {
      const number = grown.length;
      const params = sampler.sample(number, grown);
      grown.push({ number, params, state: 'complete', values: history[i].values, intermediate: [] });
    }
    // The first repetition warms the JIT up and is not kept.
    if (r >= 0) out.push((performance.now() - started) / asks);
  }
  return out;
}

/** Median of a sampler's records' values by function, and its wins over random with the same seed. */
export function searchTables(records: readonly BenchRecord[]): ReportTable[] {
  const rs = records.filter((r) => r.suite === 'search');
  if (rs.length === 0) return [];
  const tables: ReportTable[] = [];
  const value = (r: BenchRecord) => (r.values.bestAfterN ?? r.values.hypervolume) as number;
  const quality = rs.filter((r) => r.values.bestAfterN !== undefined || r.values.hypervolume !== undefined);
  for (const [key, title, better] of [
    ['bestAfterN', `Sampler quality: best value after N trials (minimized), median over seeds`, (a: number, b: number) => a < b],
    ['hypervolume', `Two objectives: hypervolume after N trials (larger is better), median over seeds`, (a: number, b: number) => a > b],
  ] as const) {
    const group = quality.filter((r) => r.values[key] !== undefined);
    if (group.length === 0) continue;
    const rows: string[][] = [];
    for (const fn of new Set(group.map((r) => String(r.shape.function)))) {
      const ofFn = group.filter((r) => r.shape.function === fn);
      const random = new Map(ofFn.filter((r) => r.kernel === 'random').map((r) => [r.shape.seed, value(r)]));
      for (const sampler of new Set(ofFn.map((r) => r.kernel))) {
        const runs = ofFn.filter((r) => r.kernel === sampler);
        const values = runs.map(value).sort((a, b) => a - b);
        const median = values[Math.floor(values.length / 2)];
        const paired = runs.filter((r) => random.has(r.shape.seed));
        const wins = paired.filter((r) => better(value(r), random.get(r.shape.seed)!)).length;
        rows.push([fn, String(runs[0].shape.trials), sampler, num(median), sampler === 'random' ? '-' : `${wins}/${paired.length} (${Math.round((100 * wins) / Math.max(1, paired.length))}%)`]);
      }
    }
    tables.push({ title, header: ['function', 'N', 'sampler', key === 'bestAfterN' ? 'median best' : 'median hypervolume', 'beats random (same seed)'], rows });
  }
  const timing = rs.filter((r) => r.values.msPerTrial !== undefined);
  if (timing.length > 0) {
    tables.push({
      title: `Cost of one ask + tell at ${TIMED_HISTORY} finished trials (ms per trial, median (min–max) of repetitions)`,
      header: ['sampler', 'space', 'ms per trial (wall)', 'CPU ms per trial'],
      rows: timing.map((r) => [r.kernel, `${r.shape.function} (${r.shape.parameters} parameters)`, valueText(r.values.msPerTrial), r.values.cpuMsPerTrial === undefined ? '-' : valueText(r.values.cpuMsPerTrial)]),
    });
  }
  return tables;
}
