// An Optuna journal in Redis (Node, ioredis): the keys and atomic append of Optuna's JournalRedisStorage, with retries that never write twice.
import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { InputError } from '../util/input-error.ts';
import { decodeRecord, encodeRecord, JournalFormatError, type JournalRecord } from './optuna-journal.ts';
import type { JournalBackend } from './journal-storage.ts';

/**
 * The log's identity: `<p>:fusetune:log_id`, a random id set once, by the first fusetune worker that
 * meets the log (with Optuna's SETNX `<p>:log_number` -1 when the log is new). NOTE: a server that
 * restarts without persistence comes back without it, and a log begun again after that gets another
 * one, so a worker that checks the id it first met on every read and append can never build on a
 * replaced log, however far the new one has grown.
 */
const IDENTIFY_SCRIPT = `
local prefix, fresh = ARGV[1], ARGV[2]
local key = prefix .. ':fusetune:log_id'
local id = redis.call('get', key)
if id then return id end
redis.call('set', key, fresh)
redis.call('setnx', prefix .. ':log_number', -1)
return fresh
`;

/**
 * Appends a batch atomically, as Optuna's script does per record (INCR `<p>:log_number`, SET
 * `<p>:log:<n>`), after SETNX `<p>:log_number` -1, once the log's identity is the one this writer
 * met (else it writes nothing and fails with LOG_REPLACED). NOTE: exactly once across retries: the
 * script also keeps, under `<p>:fusetune:append:<writer>`, the token and first log number of the
 * writer's latest batch. A writer has one batch in flight at a time, so when a reply is lost (the
 * script ran, the connection dropped) the retry of the same token finds it there and returns the
 * first number instead of appending again. Optuna ignores the extra keys; the mark expires after a week.
 */
const APPEND_SCRIPT = `
local prefix, writer, token, logId = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local id = redis.call('get', prefix .. ':fusetune:log_id')
if id ~= logId then return redis.error_reply('LOG_REPLACED ' .. tostring(id)) end
local mark = prefix .. ':fusetune:append:' .. writer
local last = redis.call('get', mark)
if last then
  local space = string.find(last, ' ', 1, true)
  if space and string.sub(last, 1, space - 1) == token then return tonumber(string.sub(last, space + 1)) end
end
redis.call('setnx', prefix .. ':log_number', -1)
local first = -1
for i = 5, #ARGV do
  local n = redis.call('incr', prefix .. ':log_number')
  if i == 5 then first = n end
  redis.call('set', string.format('%s:log:%d', prefix, n), ARGV[i])
end
redis.call('set', mark, token .. ' ' .. first, 'EX', 604800)
return first
`;

/** Keys read per round trip. */
const READ_CHUNK = 1000;

export interface JournalRedisOptions {
  /** Key prefix, as Optuna's `prefix` argument; default '' (optuna-dashboard opens only that one). */
  prefix?: string;
  /** How long an operation keeps retrying a lost server (back-off 50 ms doubling to 2 s) before it fails. Default 120 s. */
  retryForMs?: number;
  /** How long the first connection keeps trying before it fails. Default 10 s. */
  connectForMs?: number;
  /** Names the storage in messages (`--storage redis://…`); default the host, port and database. */
  label?: string;
  /** Extra ioredis options (tests; TLS, a password). */
  redis?: RedisOptions;
}

/** The server stayed unreachable for the whole retry period: names the operation and the last error. */
export class JournalUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JournalUnavailableError';
  }
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Errors worth retrying: the connection, not the command (Redis's own ReplyError, except LOADING after a restart). */
function retryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'ReplyError') return /^(LOADING|BUSY|TRYAGAIN|MASTERDOWN)/.test(error.message);
  return !(error instanceof JournalFormatError) && !(error instanceof JournalUnavailableError) && !(error instanceof JournalLogReplacedError) && !(error instanceof InputError);
}

/**
 * The log this worker read is gone: its identity key is missing or another (the server restarted
 * without persistence, and perhaps a new log began), or it holds fewer records than were read.
 * Nothing was written to the new log.
 */
export class JournalLogReplacedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JournalLogReplacedError';
  }
}

type AppendClient = Redis & {
  fusetuneAppend(...args: (string | number)[]): Promise<number>;
  fusetuneIdentify(prefix: string, fresh: string): Promise<string>;
};

/**
 * Optuna's JournalRedisStorage over one kept ioredis connection. Retries a dropped connection or a
 * restarted server with back-off for `retryForMs`, losing nothing acknowledged (with a server that
 * persists: `appendonly yes`) and writing nothing twice (see APPEND_SCRIPT). Never touches
 * `<prefix>:snapshot` (Optuna's pickle).
 */
export class JournalRedisBackend implements JournalBackend {
  readonly prefix: string;
  private readonly client: AppendClient;
  private readonly retryForMs: number;
  private readonly writerId: string;
  private batches = 0;
  /** host:port/db, for messages. */
  private readonly where: string;
  private readonly label: string;
  private lastConnectionError: (Error & { code?: string }) | null = null;
  /** The identity of the log this worker met (IDENTIFY_SCRIPT); set by connect. */
  private logId = '';
  private appending: Promise<unknown> = Promise.resolve();

  private constructor(url: string, options: JournalRedisOptions) {
    this.prefix = options.prefix ?? '';
    this.retryForMs = options.retryForMs ?? 120_000;
    // NOTE: one per backend, never reused: a second writer with the same id and token would be taken for a retry.
    this.writerId = randomUUID();
    this.client = new Redis(url, {
      lazyConnect: true,
      // RESP2, as Optuna's redis-py speaks: works with servers older than Redis 6.
      protocol: 2,
      connectionName: `fusetune-${this.writerId}`,
      // NOTE: a command whose reply was lost must not be re-sent behind our back (an append would
      // run twice): every drop rejects what is pending, and withRetry decides what to send again.
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
      commandTimeout: 30_000,
      // NOTE: a command while the connection is down fails at once (withRetry waits and sends it again), never queued with a timer that would keep the process alive.
      enableOfflineQueue: false,
      ...options.redis,
    }) as AppendClient;
    // Connection errors surface through the commands that fail (with this one named); the client reconnects by itself.
    this.client.on('error', (error: Error) => {
      this.lastConnectionError = error;
    });
    const { host, port, db } = this.client.options;
    this.where = `${host}:${port}/${db ?? 0}${this.prefix ? ` prefix "${this.prefix}"` : ''}`;
    this.label = options.label ?? `redis ${this.where}`;
    this.client.defineCommand('fusetuneAppend', { numberOfKeys: 0, lua: APPEND_SCRIPT });
    this.client.defineCommand('fusetuneIdentify', { numberOfKeys: 0, lua: IDENTIFY_SCRIPT });
  }

  /**
   * Connects to `redis://HOST:PORT/DB`, trying for `connectForMs` (a host that does not resolve and a
   * database the server lacks are refused at once, as bad input), checks the database and learns the
   * log's identity. NOTE: on failure the client is shut, so nothing keeps the process alive.
   */
  static async connect(url: string, options: JournalRedisOptions = {}): Promise<JournalRedisBackend> {
    const backend = new JournalRedisBackend(url, options);
    const { client } = backend;
    try {
      // One connect(): the client reconnects by itself (retryStrategy). NOTE: calling connect() again
      // while it does would start a second reconnect loop whose timers disconnect() cannot stop.
      client.connect().catch(() => undefined);
      const connectForMs = options.connectForMs ?? 10_000;
      const deadline = performance.now() + connectForMs;
      while (client.status !== 'ready') {
        const last = backend.lastConnectionError;
        if (last?.code === 'ENOTFOUND') throw new InputError(`${backend.label}: host ${client.options.host} not found (${last.message})`);
        if (performance.now() > deadline) throw new JournalUnavailableError(`${backend.label}: cannot reach the server: no connection in ${Math.round(connectForMs / 1000)} s${last ? ` (${last.message})` : ''}`);
        await sleep(25);
      }
      // NOTE: ioredis selects the database itself and, when the server refuses it, goes on in db 0.
      const db = client.options.db ?? 0;
      await backend.withRetry('connect', () =>
        client.select(db).catch((error: unknown) => {
          if (error instanceof Error && error.name === 'ReplyError') throw new InputError(`${backend.label}: the server has no database ${db} (${error.message})`);
          throw error;
        }),
      );
      backend.logId = await backend.withRetry('connect', () => client.fusetuneIdentify(backend.prefix, randomUUID()));
    } catch (error) {
      client.disconnect();
      throw error;
    }
    return backend;
  }

  append(records: readonly JournalRecord[]): Promise<number> {
    const token = `${++this.batches}`;
    const lines = records.map(encodeRecord);
    const run = this.appending.then(() =>
      this.withRetry('append', () =>
        this.client.fusetuneAppend(this.prefix, this.writerId, token, this.logId, ...lines).catch((error: unknown) => {
          if (error instanceof Error && /LOG_REPLACED/.test(error.message)) throw this.replaced('its identity is gone', 'nothing was appended');
          throw error;
        }),
      ),
    );
    this.appending = run.catch(() => undefined);
    return run;
  }

  private replaced(what: string, done: string): JournalLogReplacedError {
    return new JournalLogReplacedError(`${this.label}: the journal this worker read was replaced (${what}): the server lost its data (restarted without persistence?); ${done}. Run Redis with appendonly yes for a study that must survive a restart`);
  }

  /** Fails unless the log's identity is still the one this worker met (`id` as read with the records). */
  private checkIdentity(id: string | null, read: number): void {
    if (id !== this.logId) throw this.replaced(id === null ? 'its identity key is gone' : `its identity is ${id}, not ${this.logId}`, `${read} records had been read from it`);
  }

  recordName(log: number): string {
    return `redis key ${this.key(log)}`;
  }

  async read(from: number): Promise<JournalRecord[]> {
    const [id, last] = await this.withRetry('read', () => this.client.mget(this.idKey, `${this.prefix}:log_number`));
    this.checkIdentity(id ?? null, from);
    const max = last === null || last === undefined ? -1 : Number(last);
    if (max + 1 < from) throw this.replaced(`it holds ${max + 1} records`, `${from} had been read from it`);
    const records: JournalRecord[] = [];
    for (let start = from; start <= max; start += READ_CHUNK) {
      const end = Math.min(max, start + READ_CHUNK - 1);
      const texts = await this.readKeys(start, end, from);
      for (let i = 0; i < texts.length; i++) {
        const n = start + i;
        try {
          records.push(decodeRecord(texts[i]!, `redis key ${this.key(n)}`));
        } catch (error) {
          // As Optuna: only the newest record may be unreadable (and is left for the next read).
          if (n === max && error instanceof JournalFormatError && error.kind === 'json') return records;
          throw error;
        }
      }
    }
    return records;
  }

  async close(): Promise<void> {
    await this.appending;
    await this.client.quit().catch(() => this.client.disconnect());
  }

  private key(n: number): string {
    return `${this.prefix}:log:${n}`;
  }

  private get idKey(): string {
    return `${this.prefix}:fusetune:log_id`;
  }

  /**
   * Records start…end, read with the log's identity in one MGET (checked); a key counted by
   * log_number but not set yet (Optuna's cluster mode writes INCR and SET apart) is waited for.
   */
  private async readKeys(start: number, end: number, read: number): Promise<string[]> {
    const keys = Array.from({ length: end - start + 1 }, (_, i) => this.key(start + i));
    const deadline = performance.now() + this.retryForMs;
    for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
      const [id, ...texts] = await this.withRetry('read', () => this.client.mget(this.idKey, ...keys));
      this.checkIdentity(id ?? null, read);
      const missing = texts.findIndex((t) => t === null);
      if (missing < 0) return texts as string[];
      if (performance.now() > deadline) throw new JournalUnavailableError(`redis key ${keys[missing]} is counted by ${this.prefix}:log_number but was never set`);
      await sleep(wait);
    }
  }

  private async withRetry<T>(operation: string, work: () => Promise<T>, forMs: number = this.retryForMs): Promise<T> {
    const deadline = performance.now() + forMs;
    for (let wait = 50; ; wait = Math.min(wait * 2, 2000)) {
      try {
        return await work();
      } catch (error) {
        if (!retryable(error)) throw error;
        if (performance.now() + wait > deadline) {
          const last = this.lastConnectionError ? ` (last connection error: ${this.lastConnectionError.message})` : '';
          throw new JournalUnavailableError(`${this.label}: cannot reach the server: redis ${operation} failed for ${Math.round(forMs / 1000)} s: ${(error as Error).message}${last}`, { cause: error });
        }
        await sleep(wait);
      }
    }
  }
}
