// The real things the journal tests check against: a Python that imports optuna (and redis), and redis-server on a loopback port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JournalStorage } from '../../src/store/journal-storage.ts';
import { distributionFromJson, trialParams, type OptunaDistribution } from '../../src/store/optuna-journal.ts';
import { decodePythonJson, type JsonValue } from '../../src/store/python-json.ts';

/**
 * The first interpreter that imports every module, or why none does. NOTE: `python3` on PATH may be
 * a pyenv one without Debian's python3-optuna, so /usr/bin/python3 comes first.
 */
export function findPython(modules: readonly string[]): { python: string | null; reason: string } {
  const tried: string[] = [];
  for (const python of ['/usr/bin/python3', 'python3', 'python']) {
    const probe = spawnSync(python, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
    if (probe.status === 0) return { python, reason: '' };
    tried.push(`${python}: ${probe.error ? 'not found' : (probe.stderr.trim().split('\n').at(-1) ?? 'failed')}`);
  }
  return { python: null, reason: `no Python imports ${modules.join(' and ')} (${tried.join('; ')}); install python3-optuna and python3-redis` };
}

/** Runs a Python script and parses what it prints as (Python) JSON; null when it prints nothing. */
export function runPython(python: string, script: string, args: string[] = []): JsonValue {
  const dir = mkdtempSync(join(tmpdir(), 'fusetune-py-'));
  const file = join(dir, 'script.py');
  writeFileSync(file, script);
  const run = spawnSync(python, ['-W', 'ignore', file, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  rmSync(dir, { recursive: true, force: true });
  if (run.status !== 0) throw new Error(`python failed (${run.status}):\n${run.stderr}`);
  return run.stdout.trim() === '' ? null : decodePythonJson(run.stdout);
}

/** Which redis-server, or why none. */
export function findRedisServer(): { server: string | null; reason: string } {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? { server: 'redis-server', reason: '' } : { server: null, reason: 'redis-server is not installed (apt-get install redis-server)' };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server on 127.0.0.1:port; stopped by PID. `persist` keeps an append-only file in `dir` (fsync on every write). */
export class RedisServer {
  private child: ChildProcess | null = null;

  constructor(
    readonly port: number,
    readonly dir: string = mkdtempSync(join(tmpdir(), 'fusetune-redis-')),
    readonly persist = false,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--protected-mode', 'yes'];
    args.push(...(this.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
    });
  }

  /** Kills the server and deletes its folder. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** SIGKILL: no shutdown save, as when a machine loses power. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid!, 'SIGKILL');
    await exited;
    this.child = null;
  }
}

/**
 * Python that loads every study of a journal storage with optuna.load_study and prints what it
 * read: argv[1] is a file path, or `redis://…` with argv[2] the prefix.
 */
export const DUMP_STUDIES_PY = `
import json, sys, warnings
warnings.simplefilter("ignore")
import optuna
from optuna.distributions import distribution_to_json
from optuna.storages import JournalStorage, JournalFileStorage
optuna.logging.set_verbosity(optuna.logging.ERROR)

def open_storage(spec, prefix):
    if spec.startswith("redis://"):
        from optuna.storages import JournalRedisStorage
        return JournalStorage(JournalRedisStorage(spec, prefix=prefix))
    return JournalStorage(JournalFileStorage(spec))

def when(t):
    return None if t is None else t.isoformat(timespec="microseconds")

storage = open_storage(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "")
out = {}
for summary in storage.get_all_studies():
    study = optuna.load_study(study_name=summary.study_name, storage=storage)
    out[summary.study_name] = {
        "directions": [d.name for d in study.directions],
        "user_attrs": study.user_attrs,
        "system_attrs": study.system_attrs,
        "trials": [
            {
                "number": t.number,
                "state": t.state.name,
                "values": t.values,
                "params": t.params,
                "distributions": {k: distribution_to_json(d) for k, d in t.distributions.items()},
                "intermediate": {str(k): v for k, v in t.intermediate_values.items()},
                "user_attrs": t.user_attrs,
                "system_attrs": t.system_attrs,
                "datetime_start": when(t.datetime_start),
                "datetime_complete": when(t.datetime_complete),
            }
            for t in study.trials
        ],
    }
print(json.dumps(out))
`;

/**
 * Python that writes studies with Optuna itself: argv[1] as in DUMP_STUDIES_PY. "py-one": complete,
 * pruned, failed trials (float, log, step, int, categorical and conditional params; intermediate
 * values; user attrs), an enqueued WAITING trial and a RUNNING one; "py-two": two objectives;
 * "py-foreign": a parameter fusetune does not know.
 */
export const OPTUNA_WRITES_PY = `
import sys, warnings
warnings.simplefilter("ignore")
import optuna
from optuna.storages import JournalStorage, JournalFileStorage
optuna.logging.set_verbosity(optuna.logging.ERROR)
if sys.argv[1].startswith("redis://"):
    from optuna.storages import JournalRedisStorage
    storage = JournalStorage(JournalRedisStorage(sys.argv[1], prefix=sys.argv[2]))
else:
    storage = JournalStorage(JournalFileStorage(sys.argv[1]))

def objective(trial):
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    trial.suggest_float("l2", 0.0, 0.01, step=0.001)
    layers = trial.suggest_int("layers", 1, 3)
    trial.suggest_int("units", 16, 128, step=16)
    trial.suggest_categorical("optimizer", ["sgd", "momentum", "adam"])
    if layers >= 2:
        trial.suggest_int("units_2", 8, 64, log=True)
    trial.set_user_attr("note", "from optuna")
    for step in range(3):
        trial.report(0.5 + 0.1 * step + trial.number / 100, step)
        if trial.number == 2 and step == 1:
            raise optuna.TrialPruned()
    if trial.number == 3:
        raise ValueError("a failing objective")
    return 0.8 + trial.number / 100

one = optuna.create_study(study_name="py-one", storage=storage, direction="maximize", sampler=optuna.samplers.RandomSampler(seed=1))
one.optimize(objective, n_trials=5, catch=(ValueError,))
running = one.ask()
running.suggest_float("lr", 1e-4, 1e-1, log=True)
one.enqueue_trial({"lr": 0.01, "l2": 0.002, "layers": 1, "units": 32, "optimizer": "adam"}, user_attrs={"memo": "enqueued"})

two = optuna.create_study(study_name="py-two", storage=storage, directions=["maximize", "minimize"], sampler=optuna.samplers.RandomSampler(seed=2))
two.optimize(lambda t: (t.suggest_float("dropout", 0.0, 0.5), t.suggest_categorical("batch_size", [16, 32, 64])), n_trials=3)

foreign = optuna.create_study(study_name="py-foreign", storage=storage)
foreign.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=1)
`;

interface StudyView {
  directions: string[];
  user_attrs: unknown;
  system_attrs: unknown;
  trials: {
    number: number;
    state: string;
    values: readonly number[] | null;
    params: unknown;
    distributions: Record<string, Omit<OptunaDistribution, 'legacy'>>;
    intermediate: Record<string, number>;
    user_attrs: unknown;
    system_attrs: unknown;
    datetime_start: string | null;
    datetime_complete: string | null;
  }[];
}

const withoutLegacy = (d: OptunaDistribution) => {
  const { legacy: _legacy, ...rest } = d as OptunaDistribution & { legacy?: string };
  return rest;
};

/** What DUMP_STUDIES_PY printed, with each distribution parsed (Python writes 1.0 where JS writes 1). */
export function pythonView(dump: JsonValue): Record<string, StudyView> {
  const studies = dump as unknown as Record<string, StudyView & { trials: { distributions: Record<string, unknown> }[] }>;
  for (const study of Object.values(studies)) {
    for (const trial of study.trials) {
      trial.distributions = Object.fromEntries(Object.entries(trial.distributions).map(([k, d]) => [k, withoutLegacy(distributionFromJson(d as unknown as string))]));
    }
  }
  return studies;
}

/** The same view from fusetune's replay of the journal. */
export function fusetuneView(storage: JournalStorage): Record<string, StudyView> {
  return Object.fromEntries(
    storage.studies().map((study) => [
      study.name,
      {
        directions: study.directions.map((d) => d.toUpperCase()),
        user_attrs: study.userAttrs,
        system_attrs: study.systemAttrs,
        trials: storage.trials(study.studyId).map((t) => ({
          number: t.number,
          state: t.state,
          values: t.values,
          params: trialParams(t),
          distributions: Object.fromEntries(Object.entries(t.distributions).map(([k, d]) => [k, withoutLegacy(d)])),
          intermediate: Object.fromEntries([...t.intermediate].map(([step, value]) => [String(step), value])),
          user_attrs: t.userAttrs,
          system_attrs: t.systemAttrs,
          datetime_start: t.datetimeStart,
          datetime_complete: t.datetimeComplete,
        })),
      },
    ]),
  );
}
