// One writer per results folder: a lock file holding the writer's pid, taken atomically, broken only when that pid is gone.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `<folder>/.fusetune.lock` (O_EXCL) for this process and returns its release. A lock left by
 * a process of this host that no longer exists (killed) is broken; one held by a live process, or
 * written on another host (the folder is shared), refuses with FolderLockedError.
 */
export function lockFolder(folder: string): () => void {
  const path = join(folder, '.fusetune.lock');
  const mine = `pid ${process.pid} on ${hostname()}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, mine);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder = '';
      try {
        holder = readFileSync(path, 'utf8');
      } catch {
        continue;
      }
      const match = /^pid (\d+) on (.*)$/.exec(holder);
      const stale = match !== null && match[2] === hostname() && !alive(Number(match[1]));
      if (!stale) throw new FolderLockedError(folder, holder || 'unknown');
      rmSync(path, { force: true });
    }
  }
  throw new FolderLockedError(folder, 'a run that keeps taking the lock');
}
