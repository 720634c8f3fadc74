// `fusetune app`'s server: the app's files and nothing else (traversal in every spelling refused), the journal streamed live
// in whole lines from a file and from Redis, and the command's bad input (exit 2, named) through the real CLI.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type AppServer } from '../../src/cli/app-server.ts';
import { fileTail, RedisJournalReader } from '../../src/store/journal-follow.ts';
import { JournalRedisBackend } from '../../src/store/journal-redis.ts';
import { JournalViewer } from '../../src/ui/viewer/journal-viewer.ts';
import { startApp } from '../helpers/app-process.ts';
import { cliInProcess } from '../helpers/cli-main.ts';
import { findPython, freePort, RedisServer } from './optuna-helpers.ts';

const BIN = join(import.meta.dirname, '../../bin/fusetune.js');
const SECRET = 'the secret beside the app';
const LINE = (name: string) => `{"op_code": 0, "worker_id": "w", "study_name": "${name}", "directions": [1]}\n`;

/** A folder holding a stand-in app (index.html, assets/app.js), a secret beside it, a link out of it, and a journal. */
function fixture(): { root: string; appDir: string; journal: string } {
  const root = mkdtempSync(join(tmpdir(), 'fusetune-app-'));
  const appDir = join(root, 'app');
  mkdirSync(join(appDir, 'assets'), { recursive: true });
  writeFileSync(join(appDir, 'index.html'), '<!doctype html><title>stand-in app</title>');
  writeFileSync(join(appDir, 'assets', 'app.js'), 'export {};');
  writeFileSync(join(root, 'secret.txt'), SECRET);
  symlinkSync(join(root, 'secret.txt'), join(appDir, 'assets', 'link.txt'));
  const journal = join(root, 'journal.log');
  writeFileSync(journal, LINE('one') + LINE('two'));
  return { root, appDir, journal };
}

const inProcess = (argv: string[]) => cliInProcess(argv);

/** A GET whose path goes out exactly as written (fetch would resolve `..` before sending it). */
function rawGet(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: string; type: string }> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => done({ status: res.statusCode!, body, type: String(res.headers['content-type']) }));
    });
    req.on('error', fail).end();
  });
}

/** An open journal stream: every chunk as it came, and a way to wait for the text to reach a length. */
async function openStream(url: string) {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  const chunks: string[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const reading = (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done) return;
      chunks.push(value!);
    }
  })();
  const text = () => chunks.join('');
  const until = async (predicate: (text: string) => boolean, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (!predicate(text())) {
      if (Date.now() > deadline) throw new Error(`stream stayed at ${JSON.stringify(text())}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { response, chunks, text, until, ended: reading, stop: () => controller.abort() };
}

describe('the server: the app and one journal, nothing else', () => {
  const { root, appDir, journal } = fixture();
  let server: AppServer;

  beforeAll(async () => {
    server = await startAppServer({ appDir, host: '127.0.0.1', port: 0, study: { name: 'journal.log', tail: () => fileTail(journal) }, pollMs: 20 });
  });
  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves the app and prints the address that opens the study', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?journal=/journal/journal.log`);
    const index = await rawGet(server.port, '/?journal=/journal/journal.log');
    expect(index).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', body: expect.stringContaining('stand-in app') });
    expect(await rawGet(server.port, '/assets/app.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8', body: 'export {};' });
    expect(await rawGet(server.port, '/assets/app.js', {}, 'HEAD')).toMatchObject({ status: 200, body: '' });
  });

  it('refuses every path outside the app: .., encoded, doubly encoded, backslashes, NUL, absolute, a link out', async () => {
    const paths = ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E%2Fsecret.txt', '/assets/%2e%2e%2f%2e%2e%2fsecret.txt', '/..%5csecret.txt', '/%2e%2e%5csecret.txt', '/%252e%252e/secret.txt', '/index.html%00', `/${root}/secret.txt`, `//${root.slice(1)}/secret.txt`, '/assets/link.txt', '/%', `http://127.0.0.1/../secret.txt`, '/journal/other.log', '/journal.log'];
    for (const path of paths) {
      const { status, body } = await rawGet(server.port, path);
      expect([400, 403, 404], path).toContain(status);
      expect(body, path).not.toContain(SECRET);
      expect(body, path).not.toContain('op_code');
    }
    expect((await rawGet(server.port, '/index.html', {}, 'POST')).status).toBe(405);
  });

  it('without a study: the app alone, at its root, and no journal', async () => {
    const alone = await startAppServer({ appDir, host: '127.0.0.1', port: 0 });
    try {
      expect(alone.url).toBe(`http://127.0.0.1:${alone.port}/`);
      expect((await rawGet(alone.port, '/')).status).toBe(200);
      expect((await rawGet(alone.port, '/journal/journal.log')).status).toBe(404);
    } finally {
      await alone.close();
    }
  });

  it('answers only requests that name it (a DNS-rebound page names its own host)', async () => {
    expect((await rawGet(server.port, '/', { host: `evil.example:${server.port}` })).status).toBe(403);
    expect((await rawGet(server.port, '/', { host: `localhost:${server.port}` })).status).toBe(200);
  });

  it('streams the journal, then each line as it is completed, never half a line, and keeps the response open', async () => {
    const stream = await openStream(`http://127.0.0.1:${server.port}/journal/journal.log`);
    expect(stream.response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    await stream.until((t) => t === LINE('one') + LINE('two'));
    const third = LINE('three');
    appendFileSync(journal, third.slice(0, 20));
    await new Promise((r) => setTimeout(r, 200));
    expect(stream.text()).toBe(LINE('one') + LINE('two'));
    appendFileSync(journal, third.slice(20) + LINE('fourth, é'));
    await stream.until((t) => t.endsWith(LINE('fourth, é')));
    expect(stream.text()).toBe(LINE('one') + LINE('two') + third + LINE('fourth, é'));
    for (const chunk of stream.chunks) expect(chunk.endsWith('\n')).toBe(true);
    stream.stop();
  });

  it('ends the stream of a journal that was replaced by a shorter one', async () => {
    const { root: other, appDir: app2, journal: log } = fixture();
    const replaced = await startAppServer({ appDir: app2, host: '127.0.0.1', port: 0, study: { name: 'journal.log', tail: () => fileTail(log) }, pollMs: 20 });
    const stream = await openStream(replaced.url.replace('/?journal=', ''));
    await stream.until((t) => t.length > 0);
    writeFileSync(log, LINE('x'));
    await stream.ended;
    await replaced.close();
    rmSync(other, { recursive: true, force: true });
  });

  it('closes with a stream still open', async () => {
    const { root: other, appDir: app2, journal: log } = fixture();
    const served = await startAppServer({ appDir: app2, host: '127.0.0.1', port: 0, study: { name: 'journal.log', tail: () => fileTail(log) } });
    const stream = await openStream(served.url.replace('/?journal=', ''));
    await stream.until((t) => t.length > 0);
    await served.close();
    await stream.ended;
    await expect(rawGet(served.port, '/')).rejects.toThrow(/ECONNREFUSED/);
    rmSync(other, { recursive: true, force: true });
  });
});

const { python, reason: noPython } = findPython(['optuna']);
if (!python) console.log(`app-server: skipping the Optuna writer: ${noPython}`);

/** Optuna 3.1 itself, one trial at a time into a journal file (its lock, then fsync): argv[1] the file, argv[2] the trials. */
const OPTUNA_WORKER_PY = `
import sys, time, optuna
optuna.logging.set_verbosity(optuna.logging.ERROR)
storage = optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(sys.argv[1]))
study = optuna.create_study(study_name="py-live", storage=storage, direction="maximize")
def objective(trial):
    x = trial.suggest_float("x", -1, 1)
    trial.report(x, 0)
    time.sleep(0.05)
    return -x * x
study.optimize(objective, n_trials=int(sys.argv[2]))
`;

describe.skipIf(!python)('an Optuna worker writing while the server streams', () => {
  it('the stream carries every record Optuna writes, live and in whole lines, and the viewer reads every trial from it', async () => {
    const { root, appDir, journal } = fixture();
    writeFileSync(journal, '');
    const script = join(root, 'worker.py');
    writeFileSync(script, OPTUNA_WORKER_PY);
    const server = await startAppServer({ appDir, host: '127.0.0.1', port: 0, study: { name: 'journal.log', tail: () => fileTail(journal) }, pollMs: 20 });
    try {
      const stream = await openStream(server.url.replace('/?journal=', ''));
      const worker = spawn(python!, ['-W', 'ignore', script, journal, '20'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      worker.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise((done) => worker.once('exit', done));
      expect(code, stderr).toBe(0);
      const written = readFileSync(journal, 'utf8');
      await stream.until((t) => t === written);
      // Live: the records came in many pieces while Optuna wrote, each piece whole lines.
      expect(stream.chunks.length).toBeGreaterThan(5);
      for (const chunk of stream.chunks) expect(chunk.endsWith('\n')).toBe(true);
      const viewer = new JournalViewer('journal.log');
      for (const chunk of stream.chunks) viewer.appendText(chunk);
      expect(viewer.choices()).toEqual([expect.objectContaining({ name: 'py-live', trials: 20 })]);
      stream.stop();
    } finally {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the journal in Redis, followed read-only', () => {
  let redis: RedisServer;
  let client: Redis;

  beforeAll(async () => {
    redis = new RedisServer(await freePort());
    await redis.start();
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  it('reads records as Optuna appends them (INCR, then SET), waits for a counted record not yet set, writes no key', async () => {
    const append = async (line: string) => client.set(`p:log:${await client.incr('p:log_number')}`, line.trimEnd());
    await client.set('p:log_number', -1);
    await append(LINE('a'));
    await append(LINE('b'));
    const reader = await RedisJournalReader.connect(redis.url, 'p', 2000);
    const tail = reader.tail();
    expect(await tail.next()).toBe(LINE('a') + LINE('b'));
    expect(await tail.next()).toBe('');
    await client.incr('p:log_number'); // counted, not yet set
    expect(await tail.next()).toBe('');
    await client.set('p:log:2', LINE('c').trimEnd());
    await append(LINE('d'));
    expect(await tail.next()).toBe(LINE('c') + LINE('d'));
    expect((await client.keys('*')).sort()).toEqual(['p:log:0', 'p:log:1', 'p:log:2', 'p:log:3', 'p:log_number']);
    await reader.close();
  });

  it('fusetune app redis://… --prefix: streams the log, then each record a worker appends; an empty prefix is named', async () => {
    const { root, appDir } = fixture();
    const writer = await JournalRedisBackend.connect(redis.url, { prefix: 'live' });
    await writer.append([{ op_code: 0, worker_id: 'w', study_name: 'first', directions: [1] }]);
    const app = await startApp(process.execPath, [BIN, 'app', redis.url, '--prefix', 'live', '--port', '0'], { env: { FUSETUNE_APP_DIR: appDir } });
    const empty = await startApp(process.execPath, [BIN, 'app', redis.url, '--prefix', 'nothing-here', '--port', '0'], { env: { FUSETUNE_APP_DIR: appDir } });
    try {
      expect(app.url).toMatch(/\/\?journal=\/journal\/redis-live$/);
      const stream = await openStream(app.url.replace('/?journal=', ''));
      await stream.until((t) => t === LINE('first'));
      await writer.append([{ op_code: 0, worker_id: 'w', study_name: 'second', directions: [1] }]);
      await stream.until((t) => t === LINE('first') + LINE('second'));
      stream.stop();
      await expect.poll(() => empty.output()).toContain(`${redis.url} prefix "nothing-here" holds no journal records yet`);
      expect(await app.stop()).toBe(0);
      expect(await empty.stop()).toBe(0);
    } finally {
      await app.stop();
      await empty.stop();
      await writer.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a Redis server that restarts (with its data) mid-stream: one line on the terminal, then the stream goes on', async () => {
    const durable = new RedisServer(await freePort(), undefined, true);
    await durable.start();
    const { root, appDir } = fixture();
    const raw = new Redis(durable.url);
    const append = async (line: string) => raw.set(`:log:${await raw.incr(':log_number')}`, line.trimEnd());
    await raw.set(':log_number', -1);
    await append(LINE('before'));
    const reader = await RedisJournalReader.connect(durable.url, '', 2000);
    const logged: string[] = [];
    const server = await startAppServer({ appDir, host: '127.0.0.1', port: 0, study: { name: 'redis', tail: () => reader.tail() }, pollMs: 20, log: (line) => logged.push(line) });
    try {
      const stream = await openStream(server.url.replace('/?journal=', ''));
      await stream.until((t) => t === LINE('before'));
      raw.disconnect();
      await durable.kill();
      await new Promise((r) => setTimeout(r, 300));
      await durable.start();
      const again = new Redis(durable.url);
      await again.set(`:log:${await again.incr(':log_number')}`, LINE('after').trimEnd());
      again.disconnect();
      await stream.until((t) => t === LINE('before') + LINE('after'));
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatch(/^fusetune app: cannot read redis: .* \(trying again\)$/);
      stream.stop();
    } finally {
      await server.close();
      await reader.close();
      await durable.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a Redis log that is gone (a server back without its data, a prefix deleted): the stream ends', async () => {
    const { root, appDir } = fixture();
    await client.set('gone:log_number', 0);
    await client.set('gone:log:0', LINE('only').trimEnd());
    const reader = await RedisJournalReader.connect(redis.url, 'gone', 2000);
    const server = await startAppServer({ appDir, host: '127.0.0.1', port: 0, study: { name: 'redis-gone', tail: () => reader.tail() }, pollMs: 20 });
    try {
      const stream = await openStream(server.url.replace('/?journal=', ''));
      await stream.until((t) => t === LINE('only'));
      await client.del('gone:log_number', 'gone:log:0');
      await stream.ended;
      expect(stream.text()).toBe(LINE('only'));
    } finally {
      await server.close();
      await reader.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('an unreachable server is refused after a bounded wait, naming the URL', async () => {
    const url = `redis://127.0.0.1:${await freePort()}/0`;
    const started = Date.now();
    await expect(RedisJournalReader.connect(url, '', 500)).rejects.toThrow(`${url}: cannot reach the server: no connection in 0.5 s`);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('fusetune app through the CLI', () => {
  const { root, appDir, journal } = fixture();
  const env = { ...process.env, FUSETUNE_APP_DIR: appDir };
  const fusetune = (args: string[]) => spawnSync(process.execPath, [BIN, 'app', ...args], { encoding: 'utf8', timeout: 60_000, env });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('bad input exits 2 and names it (in this process: main(), no start-up per case)', async () => {
    const busy = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => busy.once('listening', r));
    const port = (busy.address() as { port: number }).port;
    const cases: [string[], string][] = [
      [[journal, '--port', String(port)], `--port: ${port} is in use`],
      [[join(root, 'nowhere')], `${join(root, 'nowhere')}: no such file or folder`],
      [[appDir], `${appDir}: no journal.log in this folder`],
      [['--port', 'abc'], '--port: must be a number in decimal notation (got "abc")'],
      [['--port', '70000'], '--port: must be ≤ 65535 (got 70000)'],
      [['--port', '1.5'], '--port: must be an integer (got 1.5)'],
      [['--host', 'not a host', '--port', '0'], '--host: must be an IP address or a host name (got "not a host")'],
      [['--host', '', '--port', '0'], '--host: must be an IP address or a host name (got "")'],
      [['--host', '192.0.2.1', '--port', '0'], '--host: 192.0.2.1 is not an address of this machine'],
      [['--prefix', 'p', journal, '--port', '0'], `--prefix applies to a redis:// path, not to ${journal}`],
      [['--prefix', 'p', '--port', '0'], '--prefix applies to a redis:// path (none was given)'],
      [['redis://127.0.0.1:notaport/0', '--port', '0'], 'redis://127.0.0.1:notaport/0: the port must be an integer 1 … 65535'],
      [[journal, journal], 'app takes one path (got 2'],
      [['--bogus'], "Unknown option '--bogus'"],
    ];
    const before = process.env.FUSETUNE_APP_DIR;
    process.env.FUSETUNE_APP_DIR = appDir;
    try {
      for (const [args, message] of cases) {
        const r = await inProcess(['app', ...args]);
        expect(r.stderr, args.join(' ')).toContain(message);
        expect(r.code, args.join(' ')).toBe(2);
      }
      // The same through the executable, for its exit status.
      const r = fusetune([journal, '--port', String(port)]);
      expect(r.stderr).toContain(`--port: ${port} is in use`);
      expect(r.status).toBe(2);
    } finally {
      if (before === undefined) delete process.env.FUSETUNE_APP_DIR;
      else process.env.FUSETUNE_APP_DIR = before;
      busy.close();
    }
  });

  it('a Redis server that does not answer: exit 2 naming the URL, within a bounded wait', async () => {
    const url = `redis://127.0.0.1:${await freePort()}/0`;
    const started = Date.now();
    const r = fusetune([url, '--port', '0']);
    expect(r.stderr).toContain(`${url}: cannot reach the server`);
    expect(r.status).toBe(2);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('without a built app: says how to build it (exit 1)', async () => {
    const before = process.env.FUSETUNE_APP_DIR;
    process.env.FUSETUNE_APP_DIR = join(root, 'no-app');
    try {
      const r = await inProcess(['app', '--port', '0']);
      expect(r.stderr).toContain(`no built app at ${join(root, 'no-app')}: build it in this checkout with npm run build`);
      expect(r.code).toBe(1);
    } finally {
      if (before === undefined) delete process.env.FUSETUNE_APP_DIR;
      else process.env.FUSETUNE_APP_DIR = before;
    }
  });

  it('`fusetune help app` prints its options', async () => {
    const r = await inProcess(['help', 'app']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: fusetune app [path] [--port P] [--host H] [--open] [--prefix X]');
  });

  it('prints the address, serves it, opens it with --open, and stops cleanly on Ctrl-C (exit 0)', async () => {
    // A stand-in for xdg-open / open that records the address it was given.
    const bin = join(root, 'bin');
    mkdirSync(bin);
    for (const name of ['xdg-open', 'open']) {
      writeFileSync(join(bin, name), `#!/bin/sh\necho "$1" > ${join(root, 'opened.txt')}\n`);
      chmodSync(join(bin, name), 0o755);
    }
    const child = spawn(process.execPath, [BIN, 'app', root, '--port', '0', '--open'], { env: { ...env, PATH: `${bin}:${process.env.PATH}` } });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      const deadline = Date.now() + 30_000;
      while (!/http:\S+/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const url = /http:\S+/.exec(out)![0];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?journal=\/journal\/journal\.log$/);
      expect(await (await fetch(url)).text()).toContain('stand-in app');
      const stream = await openStream(url.replace('/?journal=', ''));
      await stream.until((t) => t === LINE('one') + LINE('two'));
      const opened = () => spawnSync('cat', [join(root, 'opened.txt')], { encoding: 'utf8' }).stdout.trim();
      await expect.poll(opened).toBe(url);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      await stream.ended;
    } finally {
      child.kill('SIGKILL');
    }
  });
});
