// Fault family "full disk": a run whose results folder fills up stops saying so, leaves no lock that blocks the
// folder, keeps a journal Optuna and fusetune read, and once there is space `--resume` ends with the trials of
// an uninterrupted run. A real full disk: a small tmpfs, mounted in a user and mount namespace of its own
// (`unshare -rm`, which needs no root where unprivileged user namespaces are allowed).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openJournalStorage } from '../../src/store/journal-node.ts';
import type { StudyRecord } from '../../src/store/records.ts';
import { decodeSafetensors } from '../../src/store/safetensors.ts';
import { findPython, runPython } from './optuna-helpers.ts';

const BIN = join(import.meta.dirname, '../../bin/fusetune.js');
const { python } = findPython(['optuna']);

/** Why a tmpfs cannot be mounted here, or null when it can. */
function noTmpfs(): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'fusetune-probe-'));
  const probe = spawnSync('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs -o size=64k tmpfs ${dir}`], { encoding: 'utf8' });
  if (probe.error) return `unshare is not installed (${probe.error.message})`;
  return probe.status === 0 ? null : `cannot mount a tmpfs in a user namespace here (unshare -rm: ${probe.stderr.trim()}); run as root or allow unprivileged user namespaces`;
}
const skip = noTmpfs();
if (skip) console.log(`faults-disk: skipping: ${skip}`);

const study = {
  name: 'full-disk',
  seed: 5,
  data: { kind: 'circles', n: 120, noise: 0.05, seed: 2 },
  space: { lr: { type: 'float', low: 0.01, high: 0.1, log: true }, units: { type: 'categorical', choices: [4, 8] } },
  defaults: { batch_size: 8, epochs: 2 },
  parallel: 2,
  budget: { trials: 6 },
};

describe.skipIf(skip !== null)('a full disk', () => {
  it('stops the run saying "no space left", leaves no lock, and a resume once there is space ends as an uninterrupted run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusetune-disk-'));
    const file = join(dir, 'study.json');
    writeFileSync(file, JSON.stringify(study));
    const mnt = join(dir, 'mnt');
    const res = join(dir, 'res');
    // 96 KiB, 72 of them taken: the journal fills the rest a few trials in.
    const script = `
set -u
mkdir -p ${mnt} ${res}
mount -t tmpfs -o size=96k tmpfs ${mnt}
head -c ${72 * 1024} /dev/zero > ${mnt}/filler
node ${BIN} run ${file} --out ${mnt}/out > ${res}/first.out 2> ${res}/first.err; echo $? > ${res}/first.rc
ls -A ${mnt}/out > ${res}/first.ls
cp ${mnt}/out/journal.log ${res}/first-journal.log
rm ${mnt}/filler
node ${BIN} run ${file} --out ${mnt}/out --resume > ${res}/second.out 2> ${res}/second.err; echo $? > ${res}/second.rc
cp -r ${mnt}/out ${res}/out
`;
    const ran = spawnSync('unshare', ['-rm', 'bash', '-c', script], { encoding: 'utf8', timeout: 300_000 });
    expect(ran.status, ran.stderr).toBe(0);
    const read = (name: string) => readFileSync(join(res, name), 'utf8');

    expect(read('first.rc').trim(), read('first.err')).toBe('1');
    expect(read('first.err')).toMatch(/no space left on the device of .*journal\.log/);
    expect(read('first.err')).not.toMatch(/changed under this worker|\n\s+at |Node\.js v/);
    expect(read('first.ls').split('\n').filter((f) => f.includes('lock'))).toEqual([]);

    expect(read('second.rc').trim(), read('second.err')).toBe('0');
    expect(read('second.err')).toMatch(/continuing after \d+ finished trials/);

    // Nothing was lost: the resumed study is the uninterrupted one.
    const full = join(dir, 'full');
    const uninterrupted = spawnSync(process.execPath, [BIN, 'run', file, '--out', full], { encoding: 'utf8', timeout: 240_000 });
    expect(uninterrupted.status, uninterrupted.stderr).toBe(0);
    const outcome = (path: string) => {
      const record = JSON.parse(readFileSync(join(path, 'study.json'), 'utf8')) as StudyRecord;
      const done = record.trials.filter((t) => t.state === 'done').map((t) => ({ params: t.params, seed: t.config.seed, valAccuracy: t.valAccuracy, curve: t.curve }));
      const best = record.trials.find((t) => t.index === record.best)!;
      return { done: done.sort((x, y) => JSON.stringify(x.params).localeCompare(JSON.stringify(y.params))), best: { params: best.params, test: best.test }, weights: decodeSafetensors(readFileSync(join(path, 'best.safetensors'))).tensors };
    };
    expect(outcome(join(res, 'out'))).toEqual(outcome(full));
    expect(existsSync(join(res, 'out', '.fusetune.lock'))).toBe(false);
    expect(readdirSync(join(res, 'out')).filter((f) => f.includes('lock'))).toEqual([]);
  });

  it('keeps the journal readable by fusetune and Optuna at the moment the disk filled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusetune-disk-'));
    const file = join(dir, 'study.json');
    writeFileSync(file, JSON.stringify(study));
    const mnt = join(dir, 'mnt');
    const script = `
mkdir -p ${mnt}
mount -t tmpfs -o size=64k tmpfs ${mnt}
head -c ${48 * 1024} /dev/zero > ${mnt}/filler
node ${BIN} run ${file} --out ${mnt}/out > /dev/null 2> ${dir}/err; echo $? > ${dir}/rc
cp ${mnt}/out/journal.log ${dir}/journal.log
`;
    const ran = spawnSync('unshare', ['-rm', 'bash', '-c', script], { encoding: 'utf8', timeout: 300_000 });
    expect(ran.status, ran.stderr).toBe(0);
    expect(readFileSync(join(dir, 'rc'), 'utf8').trim()).toBe('1');
    expect(readFileSync(join(dir, 'err'), 'utf8')).toMatch(/no space left on the device of /);
    const journal = join(dir, 'journal.log');
    expect(readFileSync(journal, 'utf8').endsWith('\n')).toBe(true);
    const storage = await openJournalStorage({ kind: 'journal', path: journal });
    expect(storage.studies().map((s) => s.name)).toEqual(['full-disk']);
    const trials = storage.trials(0).length;
    await storage.close();
    if (python) {
      const dump = runPython(python, 'import sys, warnings\nwarnings.simplefilter("ignore")\nimport optuna\nfrom optuna.storages import JournalStorage, JournalFileStorage\ns = JournalStorage(JournalFileStorage(sys.argv[1]))\nprint(len(s.get_all_trials(s.get_all_studies()[0]._study_id)))', [journal]);
      expect(dump).toBe(trials);
    }
  });
});
