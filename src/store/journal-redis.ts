// An Optuna journal in Redis (Node, ioredis): the keys and atomic append of Optuna's JournalRedisStorage, with retries that never write twice.
import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { decodeRecord, encodeRecord, JournalFormatError, type JournalRecord } from './optuna-journal.ts';
import type { JournalBackend } from './journal-storage.ts';

/**
 * Appends a batch atomically, as Optuna's script does per record (INCR `<p>:log_number`, SET
 * `<p>:log:<n>`), after SETNX `<p>:log_number` -1. NOTE: exactly once across retries: the script
 * also keeps, under `<p>:fusetune:append:<writer>`, the token and first log number of the writer's
 * latest batch. A writer has one batch in flight at a time, so when a reply is lost (the script ran,
 * the connection dropped) the retry of the same token finds it there and returns the first number
 * instead of appending again. Optuna ignores the extra key; it expires after a week.
 */
const APPEND_SCRIPT = `
local prefix, writer, token = ARGV[1], ARGV[2], ARGV[3]
local mark = prefix .. ':fusetune:append:' .. writer
local last = redis.call('get', mark)
if last then
  local space = string.find(last, ' ', 1, true)
  if space and string.sub(last, 1, space - 1) == token then return tonumber(string.sub(last, space + 1)) end
end
redis.call('setnx', prefix .. ':log_number', -1)
local first = -1
for i = 4, #ARGV do
  local n = redis.call('incr', prefix .. ':log_number')
  if i == 4 then first = n end
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
  return !(error instanceof JournalFormatError) && !(error instanceof JournalUnavailableError) && !(error instanceof JournalLogShrankError);
}

/** The server holds fewer records than were already read: it lost data (restarted without persistence?). */
export class JournalLogShrankError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JournalLogShrankError';
  }
}

type AppendClient = Redis & { fusetuneAppend(...args: (string | number)[]): Promise<number> };

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
  private lastConnectionError = '';
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
      ...options.redis,
    }) as AppendClient;
    // Connection errors surface through the commands that fail (with this one named); the client reconnects by itself.
    this.client.on('error', (error: Error) => {
      this.lastConnectionError = error.message;
    });
    const { host, port, db } = this.client.options;
    this.where = `${host}:${port}/${db ?? 0}${this.prefix ? ` prefix "${this.prefix}"` : ''}`;
    this.client.defineCommand('fusetuneAppend', { numberOfKeys: 0, lua: APPEND_SCRIPT });
  }

  /** Connects to `redis://HOST:PORT/DB` (retrying as every operation does). */
  static async connect(url: string, options: JournalRedisOptions = {}): Promise<JournalRedisBackend> {
    const backend = new JournalRedisBackend(url, options);
    await backend.withRetry('connect', () => backend.client.connect().catch((error: unknown) => {
      // ioredis refuses connect() while it is already connecting or connected.
      if (error instanceof Error && /already connect/.test(error.message)) return;
      throw error;
    }));
    return backend;
  }

  append(records: readonly JournalRecord[]): Promise<number> {
    const token = `${++this.batches}`;
    const lines = records.map(encodeRecord);
    const run = this.appending.then(() => this.withRetry('append', () => this.client.fusetuneAppend(this.prefix, this.writerId, token, ...lines)));
    this.appending = run.catch(() => undefined);
    return run;
  }

  async read(from: number): Promise<JournalRecord[]> {
    const last = await this.withRetry('read', () => this.client.get(`${this.prefix}:log_number`));
    if (last === null) {
      if (from > 0) throw new JournalLogShrankError(`redis prefix "${this.prefix}" holds no journal, but ${from} records were read from it: the server lost its data (restarted without persistence?)`);
      return [];
    }
    const max = Number(last);
    if (max + 1 < from) throw new JournalLogShrankError(`redis prefix "${this.prefix}" holds ${max + 1} records, but ${from} were read from it: the server lost data (restarted without persistence?)`);
    const records: JournalRecord[] = [];
    for (let start = from; start <= max; start += READ_CHUNK) {
      const end = Math.min(max, start + READ_CHUNK - 1);
      const texts = await this.readKeys(start, end);
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

  /** Records start…end; a key counted by log_number but not set yet (Optuna's cluster mode writes INCR and SET apart) is waited for. */
  private async readKeys(start: number, end: number): Promise<string[]> {
    const keys = Array.from({ length: end - start + 1 }, (_, i) => this.key(start + i));
    const deadline = performance.now() + this.retryForMs;
    for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
      const texts = await this.withRetry('read', () => this.client.mget(...keys));
      const missing = texts.findIndex((t) => t === null);
      if (missing < 0) return texts as string[];
      if (performance.now() > deadline) throw new JournalUnavailableError(`redis key ${keys[missing]} is counted by ${this.prefix}:log_number but was never set`);
      await sleep(wait);
    }
  }

  private async withRetry<T>(operation: string, work: () => Promise<T>): Promise<T> {
    const deadline = performance.now() + this.retryForMs;
    for (let wait = 50; ; wait = Math.min(wait * 2, 2000)) {
      try {
        return await work();
      } catch (error) {
        if (!retryable(error)) throw error;
        if (performance.now() + wait > deadline) {
          const last = this.lastConnectionError ? ` (last connection error: ${this.lastConnectionError})` : '';
          throw new JournalUnavailableError(`redis ${operation} at ${this.where} failed for ${Math.round(this.retryForMs / 1000)} s: ${(error as Error).message}${last}`, { cause: error });
        }
        await sleep(wait);
      }
    }
  }
}
