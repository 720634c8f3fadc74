// An Optuna journal file (Node): batches appended under Optuna's symlink lock and fsynced, read incrementally from the last offset.
import { randomUUID } from 'node:crypto';
import { link, lstat, open, rename, symlink, unlink, type FileHandle } from 'node:fs/promises';
import { InputError } from '../util/input-error.ts';
import { decodeRecord, parseJournalLines, encodeRecord, JournalFormatError, type JournalRecord } from './optuna-journal.ts';
import type { JournalBackend } from './journal-storage.ts';

const NEWLINE = 0x0a;

export interface JournalFileOptions {
  /**
   * A lock left unchanged this long is taken to be a dead writer's and broken (Optuna 4's grace
   * period). Default 30 s.
   */
  staleLockMs?: number;
  /** Told when an append cuts off a torn last line (a writer that died mid-write): its bytes. */
  onTornTail?: (bytes: number) => void;
}

/** The disk is full: nothing of the batch was kept. */
export class JournalNoSpaceError extends Error {
  constructor(
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`no space left on the device of ${path}: the journal was left as it was before this write; free space, then resume`, options);
    this.name = 'JournalNoSpaceError';
  }
}

/** A journal path that cannot be a journal file (a folder, a device, in a missing folder). */
export class JournalPathError extends InputError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JournalPathError';
  }
}

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** The lock could not be taken or released: names the lock file and the system error. */
export class JournalLockError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JournalLockError';
  }
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** A complete-line boundary: byte offset and the number of records before it. */
interface Position {
  offset: number;
  count: number;
}

/**
 * Optuna's JournalFileStorage with its JournalFileSymlinkLock: `<path>.lock` is a symlink to the
 * journal, created to take the lock and renamed away to release it. A batch is one write of whole
 * lines, then fsync. NOTE: under the lock a torn last line (a writer that died mid-write) is cut
 * off before appending, so the file stays readable by Optuna, which would otherwise fail on it.
 */
export class JournalFileBackend implements JournalBackend {
  readonly lockPath: string;
  private readonly staleLockMs: number;
  private readonly onTornTail: (bytes: number) => void;
  /** Where the last read stopped. */
  private cursor: Position = { offset: 0, count: 0 };
  /** The furthest complete-line boundary known (from reads or appends). */
  private known: Position = { offset: 0, count: 0 };
  private appending: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly path: string,
    options: JournalFileOptions,
  ) {
    this.lockPath = `${path}.lock`;
    this.staleLockMs = options.staleLockMs ?? 30_000;
    this.onTornTail = options.onTornTail ?? (() => undefined);
  }

  /** Opens the journal, creating an empty file when there is none (as Optuna does); refuses what is not a regular file. */
  static async open(path: string, options: JournalFileOptions = {}): Promise<JournalFileBackend> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'a');
    } catch (error) {
      const why: Record<string, string> = { ENOENT: 'its folder does not exist', EISDIR: 'it is a folder', ENOTDIR: 'a part of its path is a file', ELOOP: 'a symbolic link on its path loops', EACCES: 'permission denied', ENOSPC: 'no space left on the device' };
      throw new JournalPathError(`journal ${path}: cannot open it: ${why[code(error) ?? ''] ?? (error as Error).message}`, { cause: error });
    }
    try {
      if (!(await handle.stat()).isFile()) throw new JournalPathError(`journal ${path}: not a regular file (a journal must be one)`);
    } finally {
      await handle.close();
    }
    return new JournalFileBackend(path, options);
  }

  recordName(log: number): string {
    return `${this.path} line ${log + 1}`;
  }

  async read(from: number): Promise<JournalRecord[]> {
    if (from < this.cursor.count) this.cursor = { offset: 0, count: 0 };
    const handle = await open(this.path, 'r');
    try {
      const { size } = await handle.stat();
      if (size < this.cursor.offset) throw new Error(`${this.path} shrank to ${size} bytes below the ${this.cursor.offset} already read: it was replaced or truncated`);
      const bytes = await readRange(handle, this.cursor.offset, size);
      const end = bytes.lastIndexOf(NEWLINE);
      if (end < 0) return [];
      const lines = bytes.subarray(0, end).toString('utf8').split('\n');
      const { records, read } = parseJournalLines(lines, this.cursor.count + 1, this.path);
      // The consumed lines' bytes: all complete lines, or all but an unparsable last one.
      const consumed = read === lines.length ? end + 1 : byteLengthOfLines(bytes, read);
      this.cursor = { offset: this.cursor.offset + consumed, count: this.cursor.count + read };
      if (this.cursor.offset > this.known.offset) this.known = { ...this.cursor };
      return records.slice(Math.max(0, from - (this.cursor.count - read)));
    } finally {
      await handle.close();
    }
  }

  append(records: readonly JournalRecord[]): Promise<number> {
    const text = records.map((r) => `${encodeRecord(r)}\n`).join('');
    const run = this.appending.then(() => this.withLock(() => this.appendLocked(Buffer.from(text, 'utf8'), records.length)));
    this.appending = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.appending;
  }

  /**
   * Under the lock: checks the lines other writers appended since the last known boundary, cuts off a
   * torn last line, writes the batch and fsyncs it. NOTE: nothing is ever appended after a complete
   * line that does not parse: Optuna (and fusetune) would refuse the journal from then on, so the
   * append is refused naming the line (exit 2). A failed write (a full disk) is cut off again, so the
   * journal stays as it was.
   */
  private async appendLocked(data: Buffer, count: number): Promise<number> {
    const handle = await open(this.path, 'r+');
    try {
      const { size } = await handle.stat();
      if (size < this.known.offset) throw new Error(`${this.path} shrank to ${size} bytes below the ${this.known.offset} already read: it was replaced or truncated`);
      const tail = await readRange(handle, this.known.offset, size);
      const end = tail.lastIndexOf(NEWLINE) + 1;
      const lines = end === 0 ? [] : tail.subarray(0, end - 1).toString('utf8').split('\n');
      lines.forEach((line, i) => {
        try {
          decodeRecord(line, `${this.path} line ${this.known.count + i + 1}`);
        } catch (error) {
          if (!(error instanceof JournalFormatError)) throw error;
          throw new JournalFormatError(error.where, `${error.message.slice(error.where.length + 2)}; nothing is appended after a line that cannot be read: remove it (and what follows it), then run again`, error.kind);
        }
      });
      const first = this.known.count + lines.length;
      const at = this.known.offset + end;
      if (at < size) {
        await handle.truncate(at);
        this.onTornTail(size - at);
      }
      try {
        for (let done = 0; done < data.length; ) done += (await handle.write(data, done, data.length - done, at + done)).bytesWritten;
        await handle.sync();
      } catch (error) {
        await handle.truncate(at).catch(() => undefined);
        if (code(error) === 'ENOSPC' || code(error) === 'EDQUOT') throw new JournalNoSpaceError(this.path, { cause: error });
        throw error;
      }
      this.known = { offset: at + data.length, count: first + count };
      return first;
    } finally {
      await handle.close();
    }
  }

  private async withLock<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      await this.release();
    }
  }

  /** Optuna's acquire: symlink or wait, doubling the wait from 1 ms to 1 s; break a lock unchanged for staleLockMs. */
  private async acquire(): Promise<void> {
    let wait = 1;
    let seen = null as { identity: string; since: number } | null;
    for (;;) {
      try {
        await symlink(this.path, this.lockPath);
        return;
      } catch (error) {
        if (code(error) === 'ENOSPC' || code(error) === 'EDQUOT') throw new JournalNoSpaceError(this.path, { cause: error });
        if (code(error) !== 'EEXIST') throw new JournalLockError(`cannot create the lock ${this.lockPath}: ${(error as Error).message}`, { cause: error });
      }
      const identity = await lstat(this.lockPath).then(
        (s) => `${s.ino}:${s.mtimeMs}`,
        () => null,
      );
      if (identity !== null) {
        const now = performance.now();
        if (seen?.identity !== identity) seen = { identity, since: now };
        else if (now - seen.since > this.staleLockMs) {
          await this.breakLock(identity);
          seen = null;
          wait = 1;
          continue;
        }
      }
      await sleep(wait);
      wait = Math.min(wait * 2, 1000);
    }
  }

  /**
   * Renames the lock to a name of our own before deleting it, so two breakers cannot both succeed.
   * NOTE: a breaker that judged the same stale lock as another may rename away the lock the other
   * has just taken: it checks what it renamed and, when that is not the lock it judged stale, puts it
   * back (a hard link of the symlink itself), so the taker keeps it.
   */
  private async breakLock(judged: string): Promise<void> {
    const aside = `${this.lockPath}${randomUUID()}.rename`;
    try {
      await rename(this.lockPath, aside);
    } catch {
      return; // Someone else released or broke it first.
    }
    const renamed = await lstat(aside).then((s) => `${s.ino}:${s.mtimeMs}`, () => null);
    if (renamed !== judged) await link(aside, this.lockPath).catch(() => undefined);
    await unlink(aside);
  }

  private async release(): Promise<void> {
    const aside = `${this.lockPath}${randomUUID()}.rename`;
    try {
      await rename(this.lockPath, aside);
    } catch (error) {
      throw new JournalLockError(`lost the lock ${this.lockPath} while holding it (another process broke it as stale?): ${(error as Error).message}`, { cause: error });
    }
    await unlink(aside);
  }
}

async function readRange(handle: FileHandle, start: number, end: number): Promise<Buffer> {
  const buffer = Buffer.alloc(end - start);
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, start + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}

/** Bytes of the first `lines` newline-terminated lines of `bytes`. */
function byteLengthOfLines(bytes: Buffer, lines: number): number {
  let at = 0;
  for (let i = 0; i < lines; i++) at = bytes.indexOf(NEWLINE, at) + 1;
  return at;
}
