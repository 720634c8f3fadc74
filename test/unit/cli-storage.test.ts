// `fusetune run` on Optuna's journal: a run opens in a real Optuna with everything intact, a resumed run
// ends as the uninterrupted one, a changed study is refused, one writer per folder, and three workers
// share one study in Redis — one killed mid-run — ending with exactly the budget's trials complete.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJournalStorage } from '../../src/store/journal-node.ts';
import { trialParams } from '../../src/store/optuna-journal.ts';
import type { StudyRecord, TrialRecord } from '../../src/store/records.ts';
import { DUMP_STUDIES_PY, findPython, findRedisServer, freePort, RedisServer, runPython } from './optuna-helpers.ts';

const BIN = join(import.meta.dirname, '../../bin/fusetune.js');
const { python, reason: noPython } = findPython(['optuna']);
const { server: redisServer, reason: noRedis } = findRedisServer();
if (!python) console.log(`skipping Optuna checks: ${noPython}`);
if (!redisServer) console.log(`skipping the Redis workers test: ${noRedis}`);

const tempDir = () => mkdtempSync(join(tmpdir(), 'fusetune-storage-'));
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const write = (dir: string, name: string, study: object) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(study));
  return path;
};

const tiny = {
  name: 'storage-tiny',
  seed: 5,
  data: { kind: 'circles', n: 120, noise: 0.05, seed: 2 },
  space: { lr: { type: 'float', low: 0.01, high: 0.1, log: true }, units: { type: 'categorical', choices: [4, 8] } },
  defaults: { batch_size: 8, epochs: 3 },
  pruner: { type: 'median', startupTrials: 2 },
  parallel: 2,
  budget: { trials: 6 },
};

const view = (t: TrialRecord) => ({ params: t.params, state: t.state, valAccuracy: t.valAccuracy, valLoss: t.valLoss, intermediate: t.intermediate, curve: t.curve });

describe('a run in its results folder', () => {
  it.skipIf(!python)("opens in Optuna with every trial, value, state, parameter and intermediate value", () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    const r = run(['run', write(dir, 's.json', tiny), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(readFileSync(join(out, 'study.json'), 'utf8')) as StudyRecord;
    const dump = runPython(python!, DUMP_STUDIES_PY, [join(out, 'journal.log')]) as Record<string, { directions: string[]; trials: { number: number; state: string; values: number[] | null; params: Record<string, unknown>; intermediate: Record<string, number> }[] }>;
    const study = dump['storage-tiny']!;
    expect(study.directions).toEqual(['MAXIMIZE']);
    expect(study.trials).toHaveLength(record.trials.length);
    const optunaState = { done: 'COMPLETE', pruned: 'PRUNED', diverged: 'FAIL', failed: 'FAIL', stopped: 'FAIL' } as Record<string, string>;
    for (const t of record.trials) {
      const o = study.trials[t.index]!;
      expect(o.state).toBe(optunaState[t.state]);
      expect(o.params).toEqual(t.params);
      expect(o.intermediate).toEqual(Object.fromEntries(t.intermediate.map((i) => [String(i.step), i.value])));
      if (t.state === 'done') expect(o.values).toEqual([t.valAccuracy]);
    }
  });

  it('resumed after Ctrl-C, ends with the trials of an uninterrupted run; a changed study is refused; one writer at a time', async () => {
    const dir = tempDir();
    const study = { ...tiny, name: 'resume', space: { units: { type: 'categorical', choices: [2, 3, 4, 5, 6, 7] } }, sampler: { type: 'grid' }, pruner: { type: 'none' }, parallel: 6, budget: {}, defaults: { batch_size: 8, epochs: 30, lr: 0.05 } };
    const file = write(dir, 'grid.json', study);
    const out = join(dir, 'interrupted');
    const child = spawn(process.execPath, [BIN, 'run', file, '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const journal = join(out, 'journal.log');
    const finished = () => existsSync(journal) && /"op_code": ?6\b.*"state": ?1\b/.test(readFileSync(journal, 'utf8'));
    const deadline = Date.now() + 120_000;
    while (!finished() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    // While it runs, the folder takes no second writer.
    const second = run(['run', file, '--out', out, '--resume']);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/in use by another fusetune run \(pid \d+/);
    child.kill('SIGINT');
    expect(await new Promise((done) => child.on('exit', done)), stderr).toBe(130);

    // A changed study file is refused, naming what changed.
    const changed = run(['run', write(dir, 'changed.json', { ...study, defaults: { ...study.defaults, lr: 0.1 } }), '--out', out, '--resume']);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/defaults\.lr: 0\.05 → 0\.1/);

    const resumed = run(['run', file, '--out', out, '--resume']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/continuing after \d+ finished trials, \d+ cut off to train again/);
    const full = run(['run', file, '--out', join(dir, 'full')]);
    expect(full.code, full.stderr).toBe(0);
    const a = JSON.parse(readFileSync(join(out, 'study.json'), 'utf8')) as StudyRecord;
    const b = JSON.parse(readFileSync(join(dir, 'full', 'study.json'), 'utf8')) as StudyRecord;
    const byUnits = (r: StudyRecord) => new Map(r.trials.filter((t) => t.state === 'done').map((t) => [t.params.units, view(t)]));
    expect(byUnits(a)).toEqual(byUnits(b));
    expect(a.trials.filter((t) => t.state === 'done')).toHaveLength(6);
    // The best trial and its held-out metrics and weights, as in the uninterrupted run.
    const bestA = a.trials.find((t) => t.index === a.best)!;
    const bestB = b.trials.find((t) => t.index === b.best)!;
    expect(bestA.params).toEqual(bestB.params);
    expect(bestA.test).toEqual(bestB.test);
    expect(readFileSync(join(out, 'best.safetensors'))).toEqual(readFileSync(join(dir, 'full', 'best.safetensors')));
  });
});

describe.skipIf(!redisServer)('workers sharing a study in Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = new RedisServer(await freePort());
    await redis.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('three workers, one killed mid-run: exactly the budget of trials complete, none lost, every record readable by Optuna', async () => {
    const dir = tempDir();
    const study = { ...tiny, name: 'workers', pruner: { type: 'none' }, parallel: 2, budget: { trials: 24 }, defaults: { batch_size: 8, epochs: 12 } };
    const file = write(dir, 'workers.json', study);
    const worker = (i: number) => {
      const child = spawn(process.execPath, [BIN, 'run', file, '--storage', redis.url, '--prefix', 'w', '--heartbeat', '0.5', '--grace', '3', '--out', join(dir, `w${i}`)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      child.stderr.on('data', (d) => (log += d));
      child.stdout.on('data', (d) => (log += d));
      return { child, exit: new Promise<number | null>((done) => child.on('exit', (code) => done(code))), log: () => log };
    };
    const workers = [worker(0), worker(1), worker(2)];
    const storage = await openJournalStorage({ kind: 'redis', url: redis.url, prefix: 'w' });
    const states = async () => {
      await storage.sync();
      const study = storage.studies().find((s) => s.name === 'workers');
      return study ? storage.trials(study.studyId) : [];
    };
    // Kill worker 1 (its id is in its log) while it trains trials, after a few trials completed.
    const deadline = Date.now() + 180_000;
    let victim: string | undefined;
    let held: number[] = [];
    for (;;) {
      victim ??= /as worker (\S+)/.exec(workers[1]!.log())?.[1];
      const trials = await states();
      // A trial it has just started (12 epochs to go, at most 2 reported): it cannot finish before the kill lands.
      held = trials.filter((t) => t.state === 'RUNNING' && t.owner === victim && t.intermediate.size <= 2).map((t) => t.number);
      if (trials.filter((t) => t.state === 'COMPLETE').length >= 4 && held.length > 0) break;
      if (Date.now() > deadline) throw new Error(`worker 1 never held a running trial:\n${workers[1]!.log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    workers[1]!.child.kill('SIGKILL');
    expect(await workers[1]!.exit).toBeNull();
    expect(await workers[0]!.exit, workers[0]!.log()).toBe(0);
    expect(await workers[2]!.exit, workers[2]!.log()).toBe(0);
    const trials = await states();
    expect(trials.filter((t) => t.state === 'COMPLETE')).toHaveLength(24);
    // The killed worker's running trials were failed as stale and trained again as themselves: a
    // retry with the same params (and seed), linked by retried_from, completed in each one's place
    // (one killed before its params were written is asked again: it gets params, never none).
    for (const number of held) {
      const t = trials.find((u) => u.number === number)!;
      expect(t.state).toBe('FAIL');
      expect(String(t.systemAttrs['fusetune:retry'])).toMatch(/showed no life/);
      const retry = trials.find((u) => u.systemAttrs.retried_from === number);
      expect(retry?.state).toBe('COMPLETE');
      if (Object.keys(t.params).length > 0) expect(trialParams(retry!)).toEqual(trialParams(t));
      else expect(Object.keys(trialParams(retry!)).sort()).toEqual(['lr', 'units']);
      expect(retry!.systemAttrs.failed_trial).toBe(number);
    }
    expect(trials.every((t) => t.state === 'COMPLETE' || t.state === 'FAIL')).toBe(true);
    expect(trials.length).toBe(24 + trials.filter((t) => t.state === 'FAIL').length);
    await storage.close();
    // Optuna reads every record.
    if (python) {
      const dump = runPython(python, DUMP_STUDIES_PY, [redis.url, 'w']) as Record<string, { trials: { state: string }[] }>;
      expect(dump.workers!.trials.filter((t) => t.state === 'COMPLETE')).toHaveLength(24);
      expect(dump.workers!.trials).toHaveLength(trials.length);
    }
  });
});
