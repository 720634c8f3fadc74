// `fusetune ask` and `fusetune tell`: the ask/tell study from the command line, on an Optuna journal, for
// trials trained elsewhere (another framework, another machine); `fusetune run` and Optuna share the study.
import { parseArgs } from 'node:util';
import { openJournalStorage, parseStorageSpec } from '../store/journal-node.ts';
import { OPTUNA_STATE } from '../store/optuna-mapping.ts';
import { JournalLedger } from '../study/ledger.ts';
import { AskTellStudy } from '../search/ask-tell.ts';
import { trialCount } from '../search/samplers.ts';
import { InputError } from '../util/input-error.ts';
import { numberFlag } from './flags.ts';
import { loadStudyFile } from './run-command.ts';

export const ASK_USAGE = `Usage: fusetune ask study.json --storage journal:PATH|redis://HOST:PORT/DB [--prefix P] [-n N]

Asks the study for N new trials (default 1) within its budget, counting every worker's trials, and
prints each as one JSON line: {"number", "params", "config"} (config: what fusetune would train).
The trials are recorded RUNNING in the journal (Optuna's format); report them with fusetune tell.
The sampler learns from every trial in the journal, also those fusetune run or Optuna added.`;

export const TELL_USAGE = `Usage: fusetune tell study.json --storage SPEC [--prefix P] --trial N
                     (--value V[,V...] | --state pruned|failed) [--report STEP=VALUE,...]

Records a trial asked with fusetune ask: its objective value(s) in the study's objective order
(COMPLETE), or that it was pruned or failed, with intermediate values at steps (--report).`;

async function open(values: { storage?: string; prefix?: string }, studyPath: string | undefined) {
  if (!studyPath) throw new InputError('expected the study file');
  if (!values.storage) throw new InputError('--storage is required: journal:PATH or redis://HOST:PORT/DB');
  const study = loadStudyFile(studyPath);
  const storage = await openJournalStorage(parseStorageSpec(values.storage, values.prefix));
  try {
    return { study, storage, ledger: await JournalLedger.open(storage, study) };
  } catch (error) {
    await storage.close();
    throw error;
  }
}

export async function askCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { storage: { type: 'string' }, prefix: { type: 'string' }, n: { type: 'string', short: 'n' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(ASK_USAGE);
    return 0;
  }
  const count = values.n === undefined ? 1 : numberFlag('n', values.n, { integer: true, min: 1, max: 4096 });
  const { study, storage, ledger } = await open(values, positionals[0]);
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

export async function tellCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { storage: { type: 'string' }, prefix: { type: 'string' }, trial: { type: 'string' }, value: { type: 'string' }, state: { type: 'string' }, report: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(TELL_USAGE);
    return 0;
  }
  if (values.trial === undefined) throw new InputError('--trial is required: the number fusetune ask printed');
  const number = numberFlag('trial', values.trial, { integer: true, min: 0 });
  if ((values.value === undefined) === (values.state === undefined)) throw new InputError('give either --value (a complete trial) or --state pruned|failed');
  if (values.state !== undefined && values.state !== 'pruned' && values.state !== 'failed') throw new InputError(`--state: expected pruned or failed (got "${values.state}")`);
  const reports = (values.report ?? '')
    .split(',')
    .filter((r) => r !== '')
    .map((r) => {
      const [step, value] = r.split('=');
      if (value === undefined) throw new InputError(`--report: expected STEP=VALUE pairs (got "${r}")`);
      return [numberFlag('report', step!, { integer: true, min: 0 }), numberFlag('report', value)] as const;
    });
  const { study, storage, ledger } = await open(values, positionals[0]);
  try {
    const trial = storage.trials(ledger.studyId).find((t) => t.number === number);
    if (!trial) throw new InputError(`--trial ${number}: the study has no such trial`);
    if (trial.state !== 'RUNNING') throw new InputError(`--trial ${number}: it is ${trial.state}, not RUNNING: only a running trial can be told`);
    const values_ = values.value?.split(',').map((v) => numberFlag('value', v));
    if (values_ && values_.length !== study.objective.length) throw new InputError(`--value: the study has ${study.objective.length} objective(s) (${study.objective.map((o) => o.metric).join(', ')}), got ${values_.length} value(s)`);
    const state = values.state === 'pruned' ? OPTUNA_STATE.pruned : values.state === 'failed' ? OPTUNA_STATE.failed : OPTUNA_STATE.done;
    const took = await storage.update(trial.trialId, { intermediate: reports, state, values: values_ ?? null, systemAttrs: { 'fusetune:state': values.state === 'pruned' ? 'pruned' : values.state === 'failed' ? 'failed' : 'done' } });
    if (!took) throw new Error(`trial ${number} finished meanwhile (another worker failed it as stale?): nothing recorded`);
    console.log(`trial ${number} ${state}${values_ ? ` ${values_.join(', ')}` : ''}`);
    return 0;
  } finally {
    await storage.close();
  }
}
