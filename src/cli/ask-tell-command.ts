// `fusetune ask` and `fusetune tell`: the ask/tell study from the command line, on an Optuna journal, for
// trials trained elsewhere (another framework, another machine); `fusetune run` and Optuna share the study.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { tableTask } from '../data/load.ts';
import { METRIC_RANGES } from '../model/objectives.ts';
import { checkStorageSpec, openJournalStorage, parseStorageSpec } from '../store/journal-node.ts';
import { ASK_WORKER_PREFIX, LIVENESS_DEFAULTS } from '../store/journal-storage.ts';
import { checkInputFile } from '../store/node-store.ts';
import { formatOptunaDatetime, type JournalTrial } from '../store/optuna-journal.ts';
import { OPTUNA_STATE } from '../store/optuna-mapping.ts';
import { JournalLedger } from '../study/ledger.ts';
import { AskTellStudy } from '../search/ask-tell.ts';
import { objectiveAwaitsTask, studyForTask, trialCount, type Study } from '../search/study.ts';
import { InputError } from '../util/input-error.ts';
import { joinNegativeValues, numberFlag } from './flags.ts';
import { loadStudyFile } from './run-command.ts';

export const ASK_USAGE = `Usage: fusetune ask study.json --storage journal:PATH|redis://HOST:PORT/DB [--prefix P] [-n N]

Asks the study for N new trials (default 1) within its budget, counting every worker's trials, and
prints each as one JSON line: {"number", "params", "config"} (config: what fusetune would train).
The trials are recorded RUNNING in the journal (Optuna's format); report them with fusetune tell.
The sampler learns from every trial in the journal, also those fusetune run or Optuna added.`;

export const TELL_USAGE = `Usage: fusetune tell study.json --storage SPEC [--prefix P] --trial N
                     (--value V[,V...] | --state pruned|failed) [--report STEP=VALUE,...] [--force]

Records a trial asked with fusetune ask: its objective value(s) in the study's objective order
(COMPLETE), or that it was pruned (its value: the last intermediate value, as Optuna records it) or
failed, with intermediate values at steps (--report; the first objective's values). Values must lie
in their metric's range (an accuracy in 0 … 1, a loss ≥ 0).

  --force   tell a trial another worker holds: a fusetune run whose heartbeat is fresh, or a worker
            that never beats (an Optuna worker); that worker's own result is then ignored`;

const ASK_OPTIONS = { storage: { type: 'string' }, prefix: { type: 'string' }, n: { type: 'string', short: 'n' }, help: { type: 'boolean', short: 'h' } } as const;
const TELL_OPTIONS = {
  storage: { type: 'string' },
  prefix: { type: 'string' },
  trial: { type: 'string' },
  value: { type: 'string' },
  state: { type: 'string' },
  report: { type: 'string' },
  force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The one study file, the storage spec checked before anything is opened. */
function target(values: { storage?: string; prefix?: string }, positionals: string[]) {
  if (positionals.length === 0) throw new InputError('expected the study file');
  if (positionals.length > 1) throw new InputError(`expected one study file, got ${positionals.length}: ${positionals.join(' ')}`);
  if (values.storage === undefined) throw new InputError('--storage is required: journal:PATH or redis://HOST:PORT/DB');
  const spec = parseStorageSpec(values.storage, values.prefix);
  checkStorageSpec(spec);
  return { studyPath: positionals[0]!, spec };
}

/**
 * The study file with the objective fusetune run would give it: where it names none and its table no
 * task, the target column is read for the task, as run reads it (studyForTask).
 */
async function loadStudy(studyPath: string): Promise<Study> {
  const study = loadStudyFile(studyPath);
  if (!objectiveAwaitsTask(study) || study.data.kind !== 'table') return study;
  const data = study.data;
  try {
    checkInputFile(data.path, 'data.path');
  } catch (error) {
    throw new InputError(`${(error as Error).message}; the study names neither task nor objective, so its objective follows the task its target implies: state data.task or objective`, { cause: error });
  }
  return studyForTask(study, await tableTask(data, { readFile: (path) => readFile(path) }));
}

async function open(spec: ReturnType<typeof parseStorageSpec>, study: Study, workerId?: string) {
  const storage = await openJournalStorage(spec, { workerId });
  try {
    return { storage, ledger: await JournalLedger.open(storage, study) };
  } catch (error) {
    await storage.close();
    throw error;
  }
}

export async function askCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: joinNegativeValues(argv, ASK_OPTIONS), allowPositionals: true, options: ASK_OPTIONS });
  if (values.help) {
    console.log(ASK_USAGE);
    return 0;
  }
  const count = values.n === undefined ? 1 : numberFlag('-n', values.n, { integer: true, min: 1, max: 4096 });
  const { studyPath, spec } = target(values, positionals);
  // Trials held by an ask worker are held by no live process: any tell may finish them.
  const study = await loadStudy(studyPath);
  const { storage, ledger } = await open(spec, study, `${ASK_WORKER_PREFIX}${randomUUID()}-0`);
  try {
    const search = new AskTellStudy(study);
    search.observe(await ledger.history());
    const claims = await ledger.claim(count, trialCount(study, search.sampler));
    for (const claim of claims) {
      const asked = search.askAs(claim.number, { params: claim.params, seedNumber: claim.seedNumber });
      ledger.started({ index: asked.number, params: asked.params, config: asked.config });
      console.log(JSON.stringify({ number: asked.number, params: asked.params, config: asked.config }));
    }
    await ledger.close();
    if (claims.length < count) process.stderr.write(`the budget allows ${claims.length} more trial(s), not ${count}\n`);
    return 0;
  } finally {
    await storage.close();
  }
}

/** A told value within its metric's range, or an InputError naming the flag. */
function checkRange(flag: string, metric: Study['objective'][number]['metric'], value: number, text: string): number {
  const { min, max } = METRIC_RANGES[metric];
  if (value < min || value > max) throw new InputError(`${flag}: ${text} is outside the range of ${metric} (${min === -Infinity ? '−∞' : min} … ${max === Infinity ? '∞' : max})`);
  return value;
}

/** STEP=VALUE pairs: a step is an integer 0 … 2^53 − 1 (past that, doubles lose integers). */
function parseReports(text: string | undefined, study: Study): [number, number][] {
  return (text ?? '')
    .split(',')
    .filter((r) => r !== '')
    .map((r) => {
      const parts = r.split('=');
      if (parts.length !== 2) throw new InputError(`--report: expected STEP=VALUE pairs (got "${r}")`);
      const step = numberFlag('report', parts[0]!);
      if (!Number.isSafeInteger(step) || step < 0) throw new InputError(`--report: step must be an integer 0 … ${Number.MAX_SAFE_INTEGER} (got ${parts[0]})`);
      return [step, checkRange('--report', study.objective[0]!.metric, numberFlag('report', parts[1]!), parts[1]!)];
    });
}

/**
 * Refuses a trial another worker holds (unless --force): a fusetune run whose heartbeat is fresh, or
 * an owner that never beats and is not `fusetune ask` (an Optuna worker: its liveness is unknown).
 */
function checkOwner(trial: JournalTrial, heartbeats: ReadonlyMap<string, number>, now: number): void {
  const owner = trial.owner;
  if (owner === null || owner.startsWith(ASK_WORKER_PREFIX)) return;
  const beat = heartbeats.get(owner);
  if (beat === undefined) {
    throw new InputError(`--trial ${trial.number}: worker ${owner} holds it, and it does not beat (an Optuna worker, or a fusetune run on its own results folder): it may be training it now; give --force to tell it anyway`);
  }
  if (now - beat <= LIVENESS_DEFAULTS.graceMs) {
    throw new InputError(`--trial ${trial.number}: worker ${owner} is training it (its last heartbeat ${formatOptunaDatetime(beat)}, ${Math.round((now - beat) / 1000)} s ago); give --force to tell it anyway`);
  }
}

export async function tellCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: joinNegativeValues(argv, TELL_OPTIONS), allowPositionals: true, options: TELL_OPTIONS });
  if (values.help) {
    console.log(TELL_USAGE);
    return 0;
  }
  if (values.trial === undefined) throw new InputError('--trial is required: the number fusetune ask printed');
  const number = numberFlag('trial', values.trial, { integer: true, min: 0 });
  if ((values.value === undefined) === (values.state === undefined)) throw new InputError('give either --value (a complete trial) or --state pruned|failed');
  if (values.state !== undefined && values.state !== 'pruned' && values.state !== 'failed') throw new InputError(`--state: expected pruned or failed (got "${values.state}")`);
  const { studyPath, spec } = target(values, positionals);
  const study = await loadStudy(studyPath);
  const told = values.value?.split(',').map((v) => numberFlag('value', v));
  if (told && told.length !== study.objective.length) throw new InputError(`--value: the study has ${study.objective.length} objective(s) (${study.objective.map((o) => o.metric).join(', ')}), got ${told.length} value(s)`);
  told?.forEach((v, i) => checkRange('--value', study.objective[i]!.metric, v, values.value!.split(',')[i]!));
  const reports = parseReports(values.report, study);
  const { storage, ledger } = await open(spec, study);
  try {
    const trial = storage.trials(ledger.studyId).find((t) => t.number === number);
    if (!trial) throw new InputError(`--trial ${number}: the study has no such trial`);
    if (trial.state !== 'RUNNING') throw new InputError(`--trial ${number}: it is ${trial.state}, not RUNNING: only a running trial can be told`);
    if (!values.force) checkOwner(trial, storage.study(ledger.studyId).heartbeats, Date.now());
    const state = values.state === 'pruned' ? OPTUNA_STATE.pruned : values.state === 'failed' ? OPTUNA_STATE.failed : OPTUNA_STATE.done;
    let stored: number[] | null = told ?? null;
    if (values.state === 'pruned' && study.objective.length === 1) {
      // As Optuna's tell(PRUNED): the value at the last step reported, when it is a number.
      const intermediate = new Map([...trial.intermediate, ...reports]);
      const last = Math.max(...intermediate.keys());
      const value = intermediate.get(last);
      if (value !== undefined && !Number.isNaN(value)) stored = [value];
    }
    const took = await storage.update(trial.trialId, { intermediate: reports, state, values: stored, systemAttrs: { 'fusetune:state': values.state === 'pruned' ? 'pruned' : values.state === 'failed' ? 'failed' : 'done' } });
    if (!took) throw new Error(`trial ${number} finished meanwhile (another worker failed it as stale?): nothing recorded`);
    console.log(`trial ${number} ${state}${stored ? ` ${stored.join(', ')}` : ''}`);
    return 0;
  } finally {
    await storage.close();
  }
}
