// A thread of the lock race test: for each folder in turn it meets the other threads at a barrier, takes the
// folder's lock at once, holds it a moment and lets go; it posts, per folder, when it held the lock (hrtime
// ns, shared by the threads of a process) or why it was refused. workerData: { folders, barrier, holdMs }.
import { parentPort, workerData } from 'node:worker_threads';
import { lockFolder } from '../../src/store/folder-lock.ts';

const { folders, barrier, holdMs } = workerData as { folders: string[]; barrier: SharedArrayBuffer; holdMs: number };
const shared = new Int32Array(barrier);
const threads = shared[2]!;

/** All threads arrive before any goes on. shared: [arrived, generation, threads]. */
function meet(): void {
  const generation = Atomics.load(shared, 1);
  if (Atomics.add(shared, 0, 1) === threads - 1) {
    Atomics.store(shared, 0, 0);
    Atomics.add(shared, 1, 1);
    Atomics.notify(shared, 1);
  } else Atomics.wait(shared, 1, generation);
}

const results: (readonly [string, string] | readonly [bigint, bigint])[] = [];
for (const folder of folders) {
  meet();
  try {
    const release = lockFolder(folder);
    const taken = process.hrtime.bigint();
    const until = taken + BigInt(holdMs * 1e6);
    while (process.hrtime.bigint() < until);
    const released = process.hrtime.bigint();
    release();
    results.push([taken, released]);
  } catch (error) {
    results.push(['refused', (error as Error).message]);
  }
}
parentPort!.postMessage(results);
