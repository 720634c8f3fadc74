// Fault family "lock races": processes started together on a folder whose lock a dead process left; a lock
// left empty by a full disk or a kill; the journal file's symlink lock broken by two processes at once.
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderLockedError, lockFolder } from '../../src/store/folder-lock.ts';
import { JournalFileBackend } from '../../src/store/journal-file.ts';
import { OP, type JournalRecord } from '../../src/store/optuna-journal.ts';

const WORKER = join(import.meta.dirname, '../helpers/lock-race-worker.ts');
const REGISTER = join(import.meta.dirname, '../../bin/register.js');
const temp = () => mkdtempSync(join(tmpdir(), 'fusetune-locks-'));

/** A pid that no process holds now: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

type Outcome = readonly [string, string] | readonly [bigint, bigint];

/** `threads` threads take each folder's lock at the same moment, folder after folder; what each got, per folder. */
async function race(folders: string[], threads: number): Promise<Outcome[][]> {
  const barrier = new SharedArrayBuffer(12);
  new Int32Array(barrier)[2] = threads;
  const workers = Array.from({ length: threads }, () => {
    const worker = new Worker(WORKER, { workerData: { folders, barrier, holdMs: 3 }, execArgv: ['--import', REGISTER] });
    return new Promise<Outcome[]>((done, fail) => worker.once('message', done).once('error', fail));
  });
  const perThread = await Promise.all(workers);
  return folders.map((_, f) => perThread.map((outcomes) => outcomes[f]!));
}

describe('the results folder lock', () => {
  it('is held by one taker at a time when several break a dead process’s lock at the same moment (120 rounds of 4)', async () => {
    const dead = deadPid();
    const folders = Array.from({ length: 120 }, () => {
      const folder = temp();
      writeFileSync(join(folder, '.fusetune.lock'), `pid ${dead} on ${hostname()}`);
      return folder;
    });
    const rounds = await race(folders, 4);
    let contested = 0;
    rounds.forEach((outcomes, round) => {
      const held = outcomes.filter((o): o is readonly [bigint, bigint] => typeof o[0] === 'bigint').sort((x, y) => (x[0] < y[0] ? -1 : 1));
      const refused = outcomes.filter((o) => o[0] === 'refused').map((o) => o[1] as string);
      expect(held.length, `round ${round}`).toBeGreaterThanOrEqual(1);
      for (const message of refused) expect(message).toMatch(/in use by another fusetune run \(pid \d+ on /);
      // Never two at once (a taker that came late may hold it after the first let go).
      for (let i = 1; i < held.length; i++) expect(held[i]![0] >= held[i - 1]![1], `round ${round}: two takers held the lock at once`).toBe(true);
      if (refused.length > 0) contested++;
      expect(readdirSync(folders[round]!), `round ${round}: left behind`).toEqual([]);
    });
    // The rounds were races: takers met a live lock in most of them.
    expect(contested).toBeGreaterThanOrEqual(60);
  });

  it('breaks an empty lock (an older run killed or out of space while writing it) and never leaves one itself', () => {
    const folder = temp();
    writeFileSync(join(folder, '.fusetune.lock'), '');
    const release = lockFolder(folder);
    expect(readFileSync(join(folder, '.fusetune.lock'), 'utf8')).toBe(`pid ${process.pid} on ${hostname()}\n`);
    expect(readdirSync(folder)).toEqual(['.fusetune.lock']);
    expect(() => lockFolder(folder)).toThrow(FolderLockedError);
    release();
    expect(readdirSync(folder)).toEqual([]);
  });

  it('keeps a live holder’s lock, and one written on another host', () => {
    const folder = temp();
    writeFileSync(join(folder, '.fusetune.lock'), `pid ${deadPid()} on another-host.example`);
    expect(() => lockFolder(folder)).toThrow(/in use by another fusetune run \(pid \d+ on another-host\.example\)/);
    expect(existsSync(join(folder, '.fusetune.lock'))).toBe(true);
  });
});

describe('the journal file’s symlink lock', () => {
  it('two writers breaking one stale lock at once both append, in turn, and lose nothing', async () => {
    const path = join(temp(), 'journal.log');
    const a = await JournalFileBackend.open(path, { staleLockMs: 100 });
    const b = await JournalFileBackend.open(path, { staleLockMs: 100 });
    symlinkSync(path, `${path}.lock`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    const record = (name: string): JournalRecord => ({ op_code: OP.CREATE_STUDY, worker_id: name, study_name: name, directions: [1] });
    const appends = await Promise.all([...Array.from({ length: 20 }, (_, i) => a.append([record(`a${i}`)])), ...Array.from({ length: 20 }, (_, i) => b.append([record(`b${i}`)]))]);
    expect(new Set(appends).size).toBe(40);
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(40);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});
