// Fault families "unreachable storage" and "Redis restarted without persistence": a server that is not there,
// a host that does not resolve, TLS to a plain server and a database the server lacks end the command in
// bounded time, saying why; a log replaced under running workers stops every one of them before it writes.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openJournalStorage } from '../../src/store/journal-node.ts';
import { JournalLogReplacedError } from '../../src/store/journal-redis.ts';
import type { JournalStorage } from '../../src/store/journal-storage.ts';
import { OP, type OptunaDistribution } from '../../src/store/optuna-journal.ts';
import type { StudyRecord } from '../../src/store/records.ts';
import { findRedisServer, freePort, RedisServer } from './optuna-helpers.ts';

const BIN = join(import.meta.dirname, '../../bin/fusetune.js');
const { server: redisServer, reason: noRedis } = findRedisServer();
if (!redisServer) console.log(`faults-storage: skipping: ${noRedis}`);

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const temp = () => mkdtempSync(join(tmpdir(), 'fusetune-faults-storage-'));

function fusetune(args: string[]): Promise<{ code: number | null; signal: string | null; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((done) =>
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      done({ code, signal, stderr, ms: Date.now() - started });
    }),
  );
}

const tiny = {
  name: 'faults-storage',
  seed: 3,
  data: { kind: 'circles', n: 120, noise: 0.05, seed: 2 },
  space: { lr: { type: 'float', low: 0.01, high: 0.1, log: true } },
  defaults: { batch_size: 8, units: 4, epochs: 1 },
  budget: { trials: 2 },
};

describe.skipIf(!redisServer)('storage that cannot be reached', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = new RedisServer(await freePort());
    await redis.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a closed port, TLS to a plain server and a host that does not resolve end run and ask in bounded time, saying why', async () => {
    const dir = temp();
    const study = join(dir, 'study.json');
    writeFileSync(study, JSON.stringify(tiny));
    const closed = await freePort();
    const cases: [string, number, RegExp][] = [
      [`redis://127.0.0.1:${closed}/0`, 1, /cannot reach the server: no connection in 10 s \(connect ECONNREFUSED/],
      [`rediss://127.0.0.1:${redis.port}/0`, 1, /cannot reach the server: no connection in 10 s/],
      ['redis://nonexistent.invalid:6379/0', 2, /--storage redis:\/\/nonexistent\.invalid:6379\/0: host nonexistent\.invalid not found/],
    ];
    const runs = await Promise.all(
      cases.flatMap(([url]) => [
        fusetune(['run', study, '--storage', url, '--out', join(dir, `out-${cases.findIndex((c) => c[0] === url)}`)]),
        fusetune(['ask', study, '--storage', url]),
      ]),
    );
    cases.forEach(([url, code, message], i) => {
      for (const r of [runs[2 * i]!, runs[2 * i + 1]!]) {
        expect([url, r.signal, r.code], r.stderr).toEqual([url, null, code]);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toMatch(/ReplyError|\n\s+at /);
      }
    });
  });

  it('a database the server lacks is refused (exit 2), not quietly replaced by database 0', async () => {
    const dir = temp();
    const study = join(dir, 'study.json');
    writeFileSync(study, JSON.stringify(tiny));
    const r = await fusetune(['ask', study, '--storage', `redis://127.0.0.1:${redis.port}/99`]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--storage redis:\/\/127\.0\.0\.1:\d+\/99: the server has no database 99 \(ERR DB index is out of range\)/);
    const client = new Redis({ port: redis.port, host: '127.0.0.1' });
    expect(await client.dbsize()).toBe(0);
    await client.quit();
  });
});

const lr: OptunaDistribution = { name: 'FloatDistribution', low: 0.01, high: 0.1, log: true, step: null };

/**
 * A worker's journal traffic without the training: claims trials within the budget, writes their
 * params, three reports and a result, and beats, until the budget is spent or the storage fails.
 */
async function worker(storage: JournalStorage, budget: number): Promise<{ trials: number; error: unknown }> {
  let trials = 0;
  let beatError: unknown = null;
  try {
    const { study: { studyId } } = await storage.createOrLoadStudy('restart', ['maximize']);
    const beat = storage.startHeartbeat(studyId, 20, (error) => (beatError = error));
    try {
      for (;;) {
        if (beatError) throw beatError;
        const claimed = await storage.createTrialsInBudget(studyId, budget, [undefined, undefined]);
        if (claimed.length === 0) return { trials, error: null };
        for (const trial of claimed) {
          await storage.update(trial.trialId, { params: { lr: 0.01 + trial.number / 1000 }, distributions: { lr } });
          for (let step = 0; step < 3; step++) {
            await storage.batch().setIntermediate(trial.trialId, step, step / 10).commitAll();
            await sleep(2);
          }
          await storage.update(trial.trialId, { state: 'COMPLETE', values: [0.5] });
          trials++;
        }
        await storage.sync();
      }
    } finally {
      await beat.stop().catch(() => undefined);
    }
  } catch (error) {
    return { trials, error };
  }
}

describe.skipIf(!redisServer)('a Redis restarted without persistence under running workers', () => {
  it('stops every worker before it writes anything into the new log, even when the new log regrows past what they read (10 restarts)', async () => {
    const port = await freePort();
    let orphans = 0;
    let goingOn = 0;
    for (let run = 0; run < 10; run++) {
      const server = new RedisServer(port);
      await server.start();
      const url = server.url;
      const storages = await Promise.all([0, 1, 2].map((i) => openJournalStorage({ kind: 'redis', url, prefix: '' }, { workerId: `old-${run}-${i}`, retryForMs: 15_000 })));
      const running = storages.map((s) => worker(s, 10_000));
      // Let them claim and finish a few trials, then lose everything.
      await sleep(300 + 40 * run);
      await server.kill();
      await server.start();
      // A worker started after the restart begins a new log and grows it past what the old ones read.
      const fresh = await openJournalStorage({ kind: 'redis', url, prefix: '' }, { workerId: `new-${run}` });
      const { studyId } = await fresh.createStudy('restart', ['maximize']);
      for (let i = 0; i < 60; i++) await fresh.batch().setStudyUserAttr(studyId, `k${i}`, i).setStudyUserAttr(studyId, `j${i}`, i).setStudyUserAttr(studyId, `m${i}`, i).setStudyUserAttr(studyId, `n${i}`, i).commitAll();
      const ended = await Promise.all(running);
      for (const { error } of ended) {
        if (!(error instanceof JournalLogReplacedError)) goingOn++;
      }
      // Every record of the new log is the new worker's.
      await fresh.sync();
      const client = new Redis({ port, host: '127.0.0.1' });
      const count = Number(await client.get(':log_number')) + 1;
      const texts = await client.mget(...Array.from({ length: count }, (_, i) => `:log:${i}`));
      orphans += texts.filter((t) => t === null || !t.includes(`"worker_id": "new-${run}"`)).length;
      expect(count).toBe(fresh.logNumberRead);
      expect(fresh.trials(studyId)).toHaveLength(0);
      await client.quit();
      await Promise.all(storages.map((s) => s.close().catch(() => undefined)));
      await fresh.close();
      await server.stop();
      expect([run, orphans, goingOn], ended.map((e) => String(e.error)).join('\n')).toEqual([run, 0, 0]);
    }
  });

  it('a worker that read the old log refuses the new one at once, and its append writes nothing', async () => {
    const server = new RedisServer(await freePort());
    await server.start();
    const old = await openJournalStorage({ kind: 'redis', url: server.url, prefix: 'p' }, { workerId: 'old', retryForMs: 10_000 });
    const { studyId } = await old.createStudy('s', ['minimize']);
    await old.createTrial(studyId);
    await server.kill();
    await server.start();
    const fresh = await openJournalStorage({ kind: 'redis', url: server.url, prefix: 'p' }, { workerId: 'new' });
    await fresh.createStudy('s', ['minimize']);
    for (let i = 0; i < 10; i++) await fresh.createTrial(0);
    await expect(old.sync()).rejects.toThrow(JournalLogReplacedError);
    await expect(old.sync()).rejects.toThrow(/the journal this worker read was replaced \(its identity is .+, not .+\)/);
    const before = fresh.logNumberRead;
    await expect(old.batch().setStudyUserAttr(studyId, 'x', 1).commitAll()).rejects.toThrow(JournalLogReplacedError);
    expect(await fresh.sync()).toBe(0);
    expect(fresh.logNumberRead).toBe(before);
    expect(OP.CREATE_STUDY).toBe(0);
    await old.close();
    await fresh.close();
    await server.stop();
  });
});

describe.skipIf(!redisServer)('a Redis that dies for good in the middle of a run', () => {
  it('ends the run saying the storage is gone, with study.json holding what this worker knows', async () => {
    const redis = new RedisServer(await freePort());
    await redis.start();
    const dir = temp();
    const study = join(dir, 'study.json');
    writeFileSync(study, JSON.stringify({ ...tiny, name: 'gone', defaults: { batch_size: 8, units: 4, epochs: 6 }, parallel: 2, budget: { trials: 40 } }));
    const out = join(dir, 'out');
    const running = fusetune(['run', study, '--storage', redis.url, '--heartbeat', '0.5', '--grace', '3', '--retry', '2', '--out', out]);
    const watcher = await openJournalStorage({ kind: 'redis', url: redis.url, prefix: '' });
    const deadline = Date.now() + 120_000;
    for (;;) {
      await watcher.sync();
      const s = watcher.studies()[0];
      if (s && watcher.trials(s.studyId).some((t) => t.state === 'COMPLETE')) break;
      if (Date.now() > deadline) throw new Error('no trial completed');
      await sleep(100);
    }
    await watcher.close();
    await redis.stop();
    const r = await running;
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/the study's storage failed: .*cannot reach the server/);
    expect(r.stderr).toMatch(/study\.json holds the trials this worker knows/);
    const record = JSON.parse(readFileSync(join(out, 'study.json'), 'utf8')) as StudyRecord;
    expect(record.state).toBe('failed');
    expect(record.reason).toMatch(/cannot reach the server/);
    expect(record.trials.filter((t) => t.state === 'done').length).toBeGreaterThanOrEqual(1);
    expect(existsSync(join(out, '.fusetune.lock'))).toBe(false);
  });
});
