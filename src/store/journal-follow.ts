// A journal read as it grows, read-only, for `fusetune app`'s live stream: each call gives the complete records appended since the last, as journal text.
import { open, stat } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { InputError } from '../util/input-error.ts';

/** One reader's place in a journal. `next()` gives whole lines (each `\n`-terminated) appended since the last call, or '' when there are none. */
export interface JournalTail {
  next(): Promise<string>;
}

/** The journal read so far is gone (the file shrank, the Redis log holds fewer records): what was sent no longer holds. */
export class JournalGoneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JournalGoneError';
  }
}

const NEWLINE = 0x0a;

/**
 * A journal file from its start. NOTE: only bytes up to the last newline are given: a line a writer
 * is still appending (Optuna writes a batch, then fsyncs) waits for its newline, so a reader never
 * sees half a record.
 */
export function fileTail(path: string): JournalTail {
  let offset = 0;
  return {
    async next() {
      const { size } = await stat(path);
      if (size < offset) throw new JournalGoneError(`${path} shrank from ${offset} to ${size} bytes: it was replaced`);
      if (size === offset) return '';
      const handle = await open(path, 'r');
      try {
        const bytes = Buffer.alloc(size - offset);
        const { bytesRead } = await handle.read(bytes, 0, bytes.length, offset);
        const end = bytes.subarray(0, bytesRead).lastIndexOf(NEWLINE) + 1;
        offset += end;
        return bytes.toString('utf8', 0, end);
      } finally {
        await handle.close();
      }
    },
  };
}

/** Keys read per round trip. */
const READ_CHUNK = 1000;

/**
 * An Optuna journal in Redis (keys `<prefix>:log_number`, `<prefix>:log:<n>`), read and never
 * written: unlike JournalRedisBackend it sets no key of its own, so a viewer leaves the log as it found it.
 */
export class RedisJournalReader {
  private constructor(
    private readonly client: Redis,
    readonly prefix: string,
  ) {}

  /** Connects to `url`, waiting at most `waitMs`; an unknown host, or no connection in that time, is an InputError naming the URL. */
  static async connect(url: string, prefix: string, waitMs: number): Promise<RedisJournalReader> {
    // NOTE: no offline queue: a command while the connection is down fails at once (the stream polls again) instead of piling up.
    const client = new Redis(url, { lazyConnect: true, protocol: 2, connectionName: 'fusetune-app', enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: (n) => Math.min(50 * 2 ** n, 1000) });
    let last: (Error & { code?: string }) | null = null;
    client.on('error', (error: Error) => (last = error));
    client.connect().catch(() => undefined);
    const deadline = performance.now() + waitMs;
    while (client.status !== 'ready') {
      const failed = last as (Error & { code?: string }) | null;
      const why = failed?.code === 'ENOTFOUND' ? `host ${client.options.host} not found` : performance.now() > deadline ? `no connection in ${waitMs / 1000} s` : null;
      if (why) {
        client.disconnect();
        throw new InputError(`${url}: cannot reach the server: ${why}${failed ? ` (${failed.message})` : ''}`);
      }
      await new Promise((done) => setTimeout(done, 25));
    }
    return new RedisJournalReader(client, prefix);
  }

  /** How many records the log holds now (0 for a prefix nothing was written under). */
  async records(): Promise<number> {
    const last = await this.client.get(`${this.prefix}:log_number`);
    return last === null ? 0 : Number(last) + 1;
  }

  /** The log from its first record. A record counted but not yet set (Optuna's INCR, then SET) ends a read; the next one starts there. */
  tail(): JournalTail {
    let next = 0;
    return {
      next: async () => {
        const count = await this.records();
        if (count < next) throw new JournalGoneError(`redis ${this.prefix}:log_number says ${count} records, but ${next} were read: the log was replaced`);
        const lines: string[] = [];
        while (next < count) {
          const keys = Array.from({ length: Math.min(READ_CHUNK, count - next) }, (_, i) => `${this.prefix}:log:${next + i}`);
          const texts = await this.client.mget(...keys);
          const unset = texts.indexOf(null);
          // Python's json.dumps never writes a raw newline, and JSON allows none inside strings: any is whitespace between tokens.
          for (const text of unset < 0 ? texts : texts.slice(0, unset)) lines.push(`${text!.replace(/[\r\n]+/g, ' ')}\n`);
          next += unset < 0 ? texts.length : unset;
          if (unset >= 0) break;
        }
        return lines.join('');
      },
    };
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
