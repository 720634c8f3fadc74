// Bad storage specs, journal paths, folders, numbers and results folders through the CLI's own entry point
// (`main`, in this process: the one place that turns an error into an exit code): exit 2 naming the flag,
// field or line, never a raw ENOENT/EISDIR/ENOTDIR/ELOOP, and nothing written.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openJournalStorage } from '../../src/store/journal-node.ts';
import { openFusetuneStudy } from '../../src/store/optuna-mapping.ts';
import { folderSafeName } from '../../src/store/node-store.ts';
import { decodeSafetensors, encodeSafetensors, mlpTensorNames, mlpTensors, SafetensorsError } from '../../src/store/safetensors.ts';
import { parseStudy } from '../../src/search/study.ts';
import { cliInProcess } from '../helpers/cli-main.ts';

const BIN = join(import.meta.dirname, '../../bin/fusetune.js');
const temp = () => mkdtempSync(join(tmpdir(), 'fusetune-cli-input-'));

afterEach(() => {
  vi.restoreAllMocks();
});

const cli = (args: string[]) => cliInProcess(args);

const tiny = {
  name: 'cli-input',
  seed: 3,
  data: { kind: 'circles', n: 120, noise: 0.05, seed: 2 },
  space: { lr: { type: 'float', low: 0.01, high: 0.1, log: true } },
  defaults: { batch_size: 8, units: 4, epochs: 1 },
  budget: { trials: 2 },
};

function writeStudy(dir: string, study: object, name = 'study.json'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(study));
  return path;
}

const RAW = /ENOENT|EISDIR|ENOTDIR|ELOOP|EINVAL/;

describe('commands', () => {
  it('an unknown command, a name of an object property included, is exit 2 with the usage', async () => {
    for (const name of ['frobnicate', 'constructor', '__proto__', 'toString']) {
      const { code, stderr } = await cli([name]);
      expect(code, name).toBe(2);
      expect(stderr).toContain(`unknown command "${name}"`);
      expect(stderr).toContain('Usage: fusetune <command>');
    }
  });
});

describe('--storage, --prefix', () => {
  it('refuses specs that are neither journal:PATH nor redis://HOST:PORT/DB, naming --storage', async () => {
    const dir = temp();
    const study = writeStudy(dir, tiny);
    const cases: [string[], RegExp][] = [
      [['--storage', 'bogus'], /--storage must be journal:PATH or redis:\/\/HOST:PORT\/DB \(got "bogus"\)/],
      [['--storage', ''], /--storage must be journal:PATH/],
      [['--storage', 'journal:'], /--storage must be journal:PATH/],
      [['--storage', `journal:${join(dir, 'j.log')}`, '--prefix', 'p'], /--prefix applies to redis:\/\/ storage/],
      [['--storage', 'redis://127.0.0.1:notaport/0'], /--storage redis:\/\/127\.0\.0\.1:notaport\/0: the port must be an integer 1 … 65535/],
      [['--storage', 'redis://127.0.0.1:99999/0'], /--storage .*: the port must be an integer 1 … 65535/],
      [['--storage', 'redis://'], /--storage redis:\/\/: no host/],
      [['--storage', 'redis://127.0.0.1:6379/abc'], /--storage .*: the database must be an integer ≥ 0 \(got "abc"\)/],
      [['--storage', 'redis://127.0.0.1:6379/-1'], /--storage .*: the database must be an integer ≥ 0 \(got "-1"\)/],
    ];
    for (const [args, message] of cases) {
      for (const command of ['run', 'ask']) {
        const r = await cli([command, study, ...args, ...(command === 'run' ? ['--out', join(dir, 'out')] : [])]);
        expect([command, ...args, r.code]).toEqual([command, ...args, 2]);
        expect(r.stderr).toMatch(message);
      }
    }
    expect(readdirSync(dir)).toEqual(['study.json']);
  });

  it('refuses a journal path in a missing folder, a folder, under a file, or a device, naming --storage and writing nothing', async () => {
    const dir = temp();
    const study = writeStudy(dir, tiny);
    mkdirSync(join(dir, 'folder'));
    writeFileSync(join(dir, 'file'), 'x');
    const cases: [string, RegExp][] = [
      [join(dir, 'missing', 'j.log'), /--storage journal:.*missing\/j\.log: folder .*missing does not exist/],
      [join(dir, 'folder'), /--storage journal:.*folder: is a folder; name a file inside it/],
      [join(dir, 'file', 'j.log'), /--storage journal:.*file\/j\.log: .*file is a file, not a folder/],
      ['/dev/null', /--storage journal:\/dev\/null: not a regular file/],
    ];
    for (const [path, message] of cases) {
      for (const command of ['run', 'ask']) {
        const r = await cli([command, study, '--storage', `journal:${path}`, ...(command === 'run' ? ['--out', join(dir, 'out')] : [])]);
        expect([command, path, r.code]).toEqual([command, path, 2]);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).not.toMatch(RAW);
      }
    }
    expect(readdirSync(dir).sort()).toEqual(['file', 'folder', 'study.json']);
    expect(readdirSync(join(dir, 'folder'))).toEqual([]);
  });
});

describe('--out', () => {
  it('refuses a dangling or looping symlink, naming --out', async () => {
    const dir = temp();
    const study = writeStudy(dir, tiny);
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
    symlinkSync(join(dir, 'loop'), join(dir, 'loop'));
    for (const [out, message] of [
      [join(dir, 'dangling'), /--out .*dangling is a symbolic link to .*nowhere, which does not exist/],
      [join(dir, 'loop'), /--out .*loop is a symbolic link that loops/],
      [join(dir, 'loop', 'sub'), /--out .*loop\/sub: .*loop is a symbolic link that loops/],
    ] as const) {
      const r = await cli(['run', study, '--out', out]);
      expect([out, r.code]).toEqual([out, 2]);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(RAW);
    }
  });

  it('makes folder names of whole characters: a long name of astral letters is never cut inside one', () => {
    const name = `a${'𝒜'.repeat(40)}`;
    const safe = folderSafeName(name);
    expect(safe).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    expect([...safe].length).toBeLessThanOrEqual(64);
    expect(safe.startsWith('a𝒜𝒜')).toBe(true);
  });
});

describe('numbers after flags', () => {
  it('takes a negative number as the value and refuses it by the value rule, never as "ambiguous"', async () => {
    const dir = temp();
    const study = writeStudy(dir, tiny);
    const journal = `journal:${join(dir, 'j.log')}`;
    const cases: [string[], RegExp][] = [
      [['tell', study, '--storage', journal, '--trial', '-1', '--value', '0.5'], /--trial: must be ≥ 0 \(got -1\)/],
      [['run', study, '--storage', journal, '--heartbeat', '-1'], /--heartbeat: must be > 0 \(got -1\)/],
      [['ask', study, '--storage', journal, '-n', '-1'], /-n: must be ≥ 1 \(got -1\)/],
      [['ask', study, '--storage', journal, '-n', '0'], /-n: must be ≥ 1 \(got 0\)/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect([...args, r.code]).toEqual([...args, 2]);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/ambiguous/);
    }
  });

  it('refuses --report pairs that are not STEP=VALUE, steps past 2^53, and a second study file', async () => {
    const dir = temp();
    const study = writeStudy(dir, tiny);
    const journal = `journal:${join(dir, 'j.log')}`;
    const cases: [string[], RegExp][] = [
      [['tell', study, '--storage', journal, '--trial', '0', '--value', '0.5', '--report', '1=2=3'], /--report: expected STEP=VALUE pairs \(got "1=2=3"\)/],
      [['tell', study, '--storage', journal, '--trial', '0', '--value', '0.5', '--report', '1e20=0.5'], /--report: step must be an integer 0 … 9007199254740991 \(got 1e20\)/],
      [['ask', study, join(dir, 'b.json'), '--storage', journal], /expected one study file, got 2/],
      [['tell', study, join(dir, 'b.json'), '--storage', journal, '--trial', '0', '--value', '1'], /expected one study file, got 2/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect([...args, r.code]).toEqual([...args, 2]);
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync(join(dir, 'j.log'))).toBe(false);
  });
});

describe('study files', () => {
  it('bounds what a study file read takes: /dev/zero is refused at once, not read forever', () => {
    const r = spawnSync(process.execPath, [BIN, 'run', '/dev/zero'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/study file \/dev\/zero: more than 16 MiB: not a study file/);
  });
});

describe('data files', () => {
  it('a missing CSV file names both the field (data.path) and the path, before any work', async () => {
    const dir = temp();
    const missing = join(dir, 'nope.csv');
    const r = await cli(['run', writeStudy(dir, { ...tiny, data: { kind: 'csv', path: missing } }), '--out', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`data.path ${missing}: no such file`);
    mkdirSync(join(dir, 'folder.csv'));
    const folder = await cli(['run', writeStudy(dir, { ...tiny, data: { kind: 'csv', path: join(dir, 'folder.csv') } }), '--out', join(dir, 'out')]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(`data.path ${join(dir, 'folder.csv')} is a folder, not a file`);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});

describe('a results folder resumed with another study', () => {
  async function folderWith(study: object): Promise<string> {
    const out = join(temp(), 'out');
    mkdirSync(out);
    const storage = await openJournalStorage({ kind: 'journal', path: join(out, 'journal.log') });
    await openFusetuneStudy(storage, parseStudy(study));
    await storage.close();
    return out;
  }

  it('refuses a renamed study, an objective change and a corrupt journal line with exit 2, naming them, and writes nothing', async () => {
    const out = await folderWith(tiny);
    const before = readFileSync(join(out, 'journal.log'), 'utf8');
    const renamed = await cli(['run', writeStudy(join(out, '..'), { ...tiny, name: 'other' }, 'renamed.json'), '--out', out, '--resume']);
    expect(renamed.code).toBe(2);
    expect(renamed.stderr).toMatch(/--out .*out holds study "cli-input", not "other": resume it with its own study file, or give another folder/);
    const objective = await cli(['run', writeStudy(join(out, '..'), { ...tiny, objective: { metric: 'val_loss' } }, 'objective.json'), '--out', out, '--resume']);
    expect(objective.code).toBe(2);
    expect(objective.stderr).toMatch(/study "cli-input" in the journal has directions \[maximize\], not \[minimize\]/);
    expect(readFileSync(join(out, 'journal.log'), 'utf8')).toBe(before);

    writeFileSync(join(out, 'journal.log'), before.replace('\n', '\n{"op_code": 2, oops\n'));
    const corrupt = await cli(['run', writeStudy(join(out, '..'), tiny, 'same.json'), '--out', out, '--resume']);
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toMatch(/journal\.log line 2: malformed JSON/);
    expect(readdirSync(out)).toEqual(['journal.log']);
  });
});

describe('weights files', () => {
  it('names a tensor whose header entry is missing, not a byte range', () => {
    const tensors = mlpTensors(new Float32Array(2 * 4 + 4 + 4 * 2 + 2).fill(0.5), [2, 4, 2]);
    const { 'layers.0.bias': _dropped, ...kept } = tensors;
    const whole = encodeSafetensors(tensors);
    // The header without layers.0.bias's entry, the data as it was: its bytes belong to no tensor.
    const header = JSON.parse(new TextDecoder().decode(whole.subarray(8, 8 + Number(new DataView(whole.buffer).getBigUint64(0, true))))) as Record<string, unknown>;
    delete header['layers.0.bias'];
    const text = new TextEncoder().encode(JSON.stringify(header));
    const data = whole.subarray(8 + Number(new DataView(whole.buffer).getBigUint64(0, true)));
    const bytes = new Uint8Array(8 + text.length + data.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(text.length), true);
    bytes.set(text, 8);
    bytes.set(data, 8 + text.length);
    expect(Object.keys(kept)).not.toContain('layers.0.bias');
    expect(() => decodeSafetensors(bytes, { expect: mlpTensorNames(2) })).toThrow(SafetensorsError);
    expect(() => decodeSafetensors(bytes, { expect: mlpTensorNames(2) })).toThrow(/missing tensor "layers\.0\.bias"/);
  });
});

describe('fusetune tell', () => {
  async function askedStudy(study: object = tiny) {
    const dir = temp();
    const file = writeStudy(dir, study);
    const journal = join(dir, 'journal.log');
    const asked = await cli(['ask', file, '--storage', `journal:${journal}`]);
    expect(asked.code, asked.stderr).toBe(0);
    return { file, journal, storage: ['--storage', `journal:${journal}`] };
  }

  it("refuses a trial another worker holds — a run with a fresh heartbeat, a worker that never beats — unless --force; a dead run's or an ask's trial it takes", async () => {
    const { file, journal, storage } = await askedStudy({ ...tiny, budget: { trials: 6 } });
    const now = Date.now();
    const worker = async (workerId: string, beatAt?: number) => {
      const s = await openJournalStorage({ kind: 'journal', path: journal }, { workerId, clock: () => beatAt ?? now });
      const studyId = s.studies()[0]!.studyId;
      if (beatAt !== undefined) await s.heartbeat(studyId);
      const trial = await s.createTrial(studyId);
      await s.close();
      return trial.number;
    };
    const live = await worker('live-run-0', now);
    const optuna = await worker('c0ffee00-0000-4000-8000-000000000000-140000');
    const dead = await worker('dead-run-0', now - 10 * 60_000);
    const refusedLive = await cli(['tell', file, ...storage, '--trial', String(live), '--value', '0.5']);
    expect(refusedLive.code).toBe(2);
    expect(refusedLive.stderr).toMatch(new RegExp(`--trial ${live}: worker live-run-0 is training it \\(its last heartbeat .*\\); give --force`));
    const refusedOptuna = await cli(['tell', file, ...storage, '--trial', String(optuna), '--value', '0.5']);
    expect(refusedOptuna.code).toBe(2);
    expect(refusedOptuna.stderr).toMatch(/worker c0ffee00.* holds it, and it does not beat \(an Optuna worker/);
    expect((await cli(['tell', file, ...storage, '--trial', String(live), '--value', '0.5', '--force'])).code).toBe(0);
    expect((await cli(['tell', file, ...storage, '--trial', String(dead), '--value', '0.25'])).code).toBe(0);
    expect((await cli(['tell', file, ...storage, '--trial', '0', '--value', '0.75'])).code).toBe(0);
    const after = await openJournalStorage({ kind: 'journal', path: journal });
    expect(after.trials(0).map((t) => t.state)).toEqual(['COMPLETE', 'COMPLETE', 'RUNNING', 'COMPLETE']);
    await after.close();
  });

  it('records a pruned trial with its last intermediate value, as Optuna does', async () => {
    const { file, journal, storage } = await askedStudy();
    expect((await cli(['tell', file, ...storage, '--trial', '0', '--state', 'pruned', '--report', '2=0.3,1=0.4'])).code).toBe(0);
    const after = await openJournalStorage({ kind: 'journal', path: journal });
    expect(after.trials(0)[0]).toMatchObject({ state: 'PRUNED', values: [0.3] });
    await after.close();
  });

  it("checks told values against the metric's range: an accuracy of 1e308 is refused, a loss of -0 accepted", async () => {
    const accuracy = await askedStudy();
    for (const args of [['--value', '1e308'], ['--value', '1.5'], ['--value', '0.5', '--report', '1=2']]) {
      const r = await cli(['tell', accuracy.file, ...accuracy.storage, '--trial', '0', ...args]);
      expect([...args, r.code]).toEqual([...args, 2]);
      expect(r.stderr).toMatch(/is outside the range of val_accuracy \(0 … 1\)/);
    }
    const loss = await askedStudy({ ...tiny, objective: { metric: 'val_loss' } });
    const r = await cli(['tell', loss.file, ...loss.storage, '--trial', '0', '--value', '-0']);
    expect(r.code, r.stderr).toBe(0);
  });
});
