// One writer per results folder: a lock file holding the writer's pid, taken in one atomic step, broken only when that pid is gone.
import { randomUUID } from 'node:crypto';
import { linkSync, lstatSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../util/input-error.ts';

export class FolderLockedError extends InputError {
  constructor(
    readonly folder: string,
    readonly holder: string,
  ) {
    super(`${folder} is in use by another fusetune run (${holder}); wait for it, or use another --out`);
    this.name = 'FolderLockedError';
  }
}

/** The lock could not be written: the disk is full (or another system error), named. */
export class FolderLockWriteError extends Error {
  constructor(folder: string, error: NodeJS.ErrnoException) {
    const why = error.code === 'ENOSPC' || error.code === 'EDQUOT' ? 'no space left on the device' : (error.code ?? error.message);
    super(`cannot take the lock of ${folder}: ${why}`, { cause: error });
    this.name = 'FolderLockWriteError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const LOCK_LINE = /^pid (\d+) on (.*)\n?$/;

/**
 * Whether a lock's text is a dead writer's: a process of this host that no longer exists, or text
 * that is not a lock line at all (an empty lock an older fusetune left when killed or out of space;
 * fusetune's own locks are never empty, see lockFolder). One written on another host is never stale.
 */
function stale(text: string): boolean {
  const match = LOCK_LINE.exec(text);
  if (match === null) return true;
  return match[2] === hostname() && !alive(Number(match[1]));
}

const code = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** Blocks this thread for `ms` (the lock is taken synchronously, before any async work starts). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The lock file's text and inode, or null when there is none. */
function holderOf(path: string): { text: string; ino: number } | null {
  try {
    const { ino } = lstatSync(path);
    return { text: readFileSync(path, 'utf8'), ino };
  } catch (error) {
    if (code(error) === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Takes `<folder>/.fusetune.lock` for this process and returns its release. NOTE: atomic: the lock's
 * text is written to a fresh file first and then hard-linked to the lock's name, which fails when a
 * lock exists, so a lock is taken in one step and is never empty (a full disk fails the first write,
 * leaving nothing). A stale lock (see `stale`) is removed by one process at a time, under
 * `.fusetune.lock.break` (taken the same way), and only if it is still the very file judged stale;
 * every process then tries the link again, and one wins. A live holder refuses with FolderLockedError.
 */
export function lockFolder(folder: string): () => void {
  const path = join(folder, '.fusetune.lock');
  const breaker = `${path}.break`;
  const mine = join(folder, `.fusetune.lock.${process.pid}.${randomUUID()}`);
  try {
    writeFileSync(mine, `pid ${process.pid} on ${hostname()}\n`, { flag: 'wx' });
  } catch (error) {
    rmSync(mine, { force: true });
    throw new FolderLockWriteError(folder, error as NodeJS.ErrnoException);
  }
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        linkSync(mine, path);
        const { ino } = lstatSync(mine);
        let released = false;
        return () => {
          if (released) return;
          released = true;
          if (holderOf(path)?.ino === ino) rmSync(path, { force: true });
        };
      } catch (error) {
        if (code(error) !== 'EEXIST') throw new FolderLockWriteError(folder, error as NodeJS.ErrnoException);
      }
      const holder = holderOf(path);
      if (holder === null) continue;
      if (!stale(holder.text)) throw new FolderLockedError(folder, holder.text.trim() || 'unknown');
      breakStale(path, breaker, mine, holder.ino);
    }
    throw new FolderLockedError(folder, 'runs that keep taking the lock');
  } finally {
    rmSync(mine, { force: true });
  }
}

/**
 * Removes the lock with inode `ino`, if it is still there, while holding the breaker (linked from
 * `mine`). NOTE: a breaker left by a process killed in those microseconds is itself stale and removed;
 * only two processes removing that same stale breaker at once could still both break.
 */
function breakStale(path: string, breaker: string, mine: string, ino: number): void {
  try {
    linkSync(mine, breaker);
  } catch (error) {
    if (code(error) !== 'EEXIST') throw error;
    // Another process is breaking the lock now (it takes microseconds), or one was killed while it did.
    const other = holderOf(breaker);
    if (other !== null && stale(other.text)) rmSync(breaker, { force: true });
    else sleepSync(2);
    return;
  }
  try {
    if (holderOf(path)?.ino === ino) rmSync(path, { force: true });
  } finally {
    rmSync(breaker, { force: true });
  }
}
