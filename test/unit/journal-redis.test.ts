// The Optuna journal in a real redis-server: Optuna 3.1's JournalRedisStorage reads what fusetune writes and the
// other way round; a lost reply, a dropped connection and a server restart lose nothing and double nothing.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JournalLogReplacedError, JournalRedisBackend } from '../../src/store/journal-redis.ts';
import { JournalStorage } from '../../src/store/journal-storage.ts';
import { OP, type JournalRecord } from '../../src/store/optuna-journal.ts';
import { expectIntact, writeEveryKind } from './optuna-fixtures.ts';
import { DUMP_STUDIES_PY, OPTUNA_WRITES_PY, RedisServer, findPython, findRedisServer, freePort, fusetuneView, pythonView, runPython } from './optuna-helpers.ts';

const { server: redisServer, reason: noRedis } = findRedisServer();
const { python, reason: noPython } = findPython(['optuna', 'redis']);
if (!redisServer) console.log(`journal-redis: skipping: ${noRedis}`);
else if (!python) console.log(`journal-redis: skipping the Optuna checks: ${noPython}`);

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** A TCP relay that can drop the next reply from Redis and cut the connection, as a network would. */
async function lossyRelay(targetPort: number): Promise<{ port: number; dropNextReply(): void; dropped: () => number; close(): Promise<void> }> {
  let drop = false;
  let dropped = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.on('data', (chunk) => {
      if (drop) {
        drop = false;
        dropped++;
        client.destroy();
        upstream.destroy();
      } else client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    dropNextReply: () => {
      drop = true;
    },
    dropped: () => dropped,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const record = (seq: number): JournalRecord => ({ op_code: OP.CREATE_STUDY, worker_id: 'w', study_name: `s${seq}`, directions: [1] });

describe.skipIf(!redisServer)('journal in Redis', () => {
  let redis: RedisServer;
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    redis = new RedisServer(await freePort());
    await redis.start();
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await close();
    await redis?.stop();
  });

  async function storage(prefix: string, url = redis.url, retryForMs?: number): Promise<JournalStorage> {
    const opened = await JournalStorage.open(await JournalRedisBackend.connect(url, { prefix, retryForMs }));
    closers.push(() => opened.close());
    return opened;
  }

  async function rawClient(port = redis.port): Promise<Redis> {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true });
    await client.connect();
    closers.push(() => client.quit());
    return client;
  }

  it.skipIf(!python)("is read by Optuna's JournalRedisStorage with every trial intact, under Optuna's keys", async () => {
    const fusetune = await storage('');
    const written = await writeEveryKind(fusetune);
    const view = pythonView(runPython(python!, DUMP_STUDIES_PY, [redis.url, '']));
    expectIntact(view, written);
    expect(view).toEqual(fusetuneView(fusetune));
    const client = await rawClient();
    expect(Number(await client.get(':log_number'))).toBe(fusetune.logNumberRead - 1);
    expect(await client.exists(':log:0', `:log:${fusetune.logNumberRead - 1}`, ':snapshot')).toBe(2);
  });

  it.skipIf(!python)('replays what Optuna wrote under a prefix, and Optuna sees the trial fusetune took from it', async () => {
    runPython(python!, OPTUNA_WRITES_PY, [redis.url, 'py']);
    const fusetune = await storage('py');
    expect(fusetuneView(fusetune)).toEqual(pythonView(runPython(python!, DUMP_STUDIES_PY, [redis.url, 'py'])));
    const one = await fusetune.loadStudy('py-one');
    expect(fusetune.trials(one.studyId).map((t) => t.state)).toEqual(['COMPLETE', 'COMPLETE', 'PRUNED', 'FAIL', 'COMPLETE', 'RUNNING', 'WAITING']);
    const taken = await fusetune.claimWaitingTrial(one.studyId);
    await fusetune.update(taken!.trialId, { intermediate: [[0, 0.5]], userAttrs: { by: 'fusetune' }, state: 'COMPLETE', values: [0.95] });
    const after = pythonView(runPython(python!, DUMP_STUDIES_PY, [redis.url, 'py']))['py-one']!.trials[6]!;
    expect([after.state, after.values, after.intermediate, after.user_attrs]).toEqual(['COMPLETE', [0.95], { '0': 0.5 }, { memo: 'enqueued', by: 'fusetune' }]);
  });

  it('writes a batch once when the reply to its append is lost and the append is retried', async () => {
    const relay = await lossyRelay(redis.port);
    closers.push(() => relay.close());
    const backend = await JournalRedisBackend.connect(`redis://127.0.0.1:${relay.port}/0`, { prefix: 'lost' });
    closers.push(() => backend.close());
    // The first append loads the script; the reply to the second is lost after the server ran it.
    expect(await backend.append([record(0)])).toBe(0);
    relay.dropNextReply();
    expect(await backend.append([record(1), record(2), record(3)])).toBe(1);
    expect(relay.dropped()).toBe(1);
    expect(await backend.append([record(4)])).toBe(4);
    const records = await backend.read(0);
    expect(records.map((r) => (r as { study_name: string }).study_name)).toEqual(['s0', 's1', 's2', 's3', 's4']);
    expect(await (await rawClient()).get('lost:log_number')).toBe('4');
  });

  it('survives a restart of a persistent server in the middle of appends: nothing lost, nothing doubled', async () => {
    const server = new RedisServer(await freePort(), undefined, true);
    await server.start();
    closers.push(() => server.stop());
    const url = server.url;
    const writer = await storage('restart', url);
    const { studyId } = await writer.createStudy('restart', ['minimize']);
    const total = 120;
    let restarted: Promise<void> | null = null;
    for (let seq = 0; seq < total; seq++) {
      if (seq === 40) {
        restarted = (async () => {
          await server.kill();
          await sleep(300);
          await server.start();
        })();
      }
      const trial = await writer.createTrial(studyId);
      expect(await writer.update(trial.trialId, { userAttrs: { seq }, state: 'COMPLETE', values: [seq] })).toBe(true);
    }
    await restarted;
    const reader = await storage('restart', url);
    const trials = reader.trials(studyId);
    expect(trials.map((t) => t.userAttrs.seq)).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(trials.every((t) => t.state === 'COMPLETE')).toBe(true);
    expect(reader.logNumberRead).toBe(1 + total * 3);
    if (python) {
      const view = pythonView(runPython(python, DUMP_STUDIES_PY, [url, 'restart']));
      expect(view.restart!.trials.map((t) => t.values)).toEqual(Array.from({ length: total }, (_, i) => [i]));
    }
  });

  it('refuses to go on when the server lost records it had acknowledged (restarted without persistence)', async () => {
    const server = new RedisServer(await freePort());
    await server.start();
    closers.push(() => server.stop());
    const writer = await storage('volatile', server.url, 10_000);
    const { studyId } = await writer.createStudy('s', ['minimize']);
    await writer.createTrial(studyId);
    await server.kill();
    await server.start();
    await expect(writer.sync()).rejects.toThrow(JournalLogReplacedError);
  });
});
