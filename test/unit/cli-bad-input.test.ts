// Bad flags and files through the real CLI (`node bin/fusetune.js`): exit 2 and one message naming the flag, field, line or tensor; nothing written.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initialParameters } from '../../src/engine/init.ts';
import { encodeSafetensors, mlpTensors } from '../../src/store/safetensors.ts';

const BIN = join(import.meta.dirname, '../../bin/fusetune.js');

function fusetune(args: string[], cwd?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000, cwd });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const temp = () => mkdtempSync(join(tmpdir(), 'fusetune-cli-bad-'));

const tinyStudy = {
  name: 'cli-bad',
  data: { kind: 'circles', n: 120, noise: 0.05, seed: 2 },
  space: { lr: { type: 'float', low: 0.01, high: 0.1, log: true } },
  defaults: { batch_size: 8, units: 4, epochs: 1 },
  budget: { trials: 1 },
};

function writeStudy(dir: string, study: object | string): string {
  const path = join(dir, 'study.json');
  writeFileSync(path, typeof study === 'string' ? study : JSON.stringify(study));
  return path;
}

describe('fusetune train: bad flags and files exit 2, named', () => {
  it('takes negative numbers as values and refuses them by the value rule', () => {
    for (const args of [['--lr', '-0.1'], ['--lr=-0.1']]) {
      const r = fusetune(['train', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--lr: must be > 0 (got -0.1)');
      expect(r.stderr).not.toContain('ambiguous');
    }
  });

  it('lists every bad value at once: hex numbers, zero batch, empty and zero widths, a setting the optimizer ignores', () => {
    const r = fusetune(['train', '--lr', '0x10', '--batch', '0', '--layers', '4,,4', '--momentum', '0.9', '--seed', '1.5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid flags (5 problems)');
    expect(r.stderr).toContain('--seed: must be an integer 0 … 4294967295 (got 1.5)');
    expect(r.stderr).toContain('--layers: width 2 of "4,,4" must be an integer ≥ 1 (got ""); "" or 0 alone means no hidden layer');
    expect(r.stderr).toContain('--lr: must be a number in decimal notation (got "0x10")');
    expect(r.stderr).toContain('--batch: must be ≥ 1 (got 0)');
    const adam = fusetune(['train', '--momentum', '0.9', '--layers', '4,0,4']);
    expect(adam.stderr).toContain('--momentum: optimizer adam ignores momentum (read by sgd, momentum, rmsprop)');
    expect(adam.stderr).toContain('--layers: width 2 of "4,0,4" must be an integer ≥ 1 (got "0")');
  });

  it('--data mnist:100 is one line naming the flag, not a schema dump', () => {
    const r = fusetune(['train', '--data', 'mnist:100']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('fusetune train: invalid flags (1 problem):\n  --data: mnist:PIXELS takes 784, 196 or 49 (got "100")');
  });

  it('a missing or bad CSV, a damaged --init file and a --save folder are refused before any training', () => {
    const dir = temp();
    const missing = fusetune(['train', '--data', `csv:${join(dir, 'nope.csv')}`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/csv:nope\.csv: cannot read ".*nope\.csv": ENOENT/);

    writeFileSync(join(dir, 'bad.csv'), 'a,label\n1,0\n2,4294967296\n');
    const bad = fusetune(['train', '--data', `csv:${join(dir, 'bad.csv')}`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('csv:bad.csv line 3, column "label": label 4294967296 is not a class index');

    const init = encodeSafetensors(mlpTensors(initialParameters([2, 4, 2], 1), [2, 4, 2]));
    const header = new TextDecoder().decode(init.subarray(8, 8 + Number(new DataView(init.buffer).getBigUint64(0, true))));
    const damaged = new TextEncoder().encode(header.replace(/"data_offsets":\[0,32\]/, '"data_offsets":[-16,16]'));
    writeFileSync(join(dir, 'damaged.safetensors'), new Uint8Array([...init.subarray(0, 8), ...damaged, ...init.subarray(8 + damaged.length)]));
    const r = fusetune(['train', '--data', 'circles', '--layers', '4', '--init', join(dir, 'damaged.safetensors')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--init ${join(dir, 'damaged.safetensors')}: tensor "layers.0.weight": data_offsets must be [start, end], two integers ≥ 0`);

    mkdirSync(join(dir, 'out'));
    const save = fusetune(['train', '--data', 'circles', '--save', join(dir, 'out')]);
    expect(save.code).toBe(2);
    expect(save.stderr).toContain(`--save ${join(dir, 'out')} is a folder; give a file name inside it`);
    expect(readdirSync(dir).sort()).toEqual(['bad.csv', 'damaged.safetensors', 'out']);
  });

  it('an exploding run stops as diverged and exits 1, like a study trial', () => {
    const r = fusetune(['train', '--data', 'xor', '--optimizer', 'sgd', '--lr', '1e6', '--epochs', '3']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/diverged: batch loss \S+ at step \d+ exceeds 100× chance level \(0\.69\)/);
  });
});

describe('fusetune run: bad study files and folders exit 2, named, and leave nothing behind', () => {
  it('a missing study file, a reserved key, a non-finite distribution', () => {
    const dir = temp();
    expect(fusetune(['run', join(dir, 'nope.json')])).toMatchObject({ code: 2, stderr: expect.stringMatching(/cannot read study file .*nope\.json: ENOENT/) });
    const proto = fusetune(['run', writeStudy(dir, JSON.stringify(tinyStudy).replace('"space":{', '"space":{"__proto__":{"type":"fixed","value":1},'))]);
    expect(proto.code).toBe(2);
    expect(proto.stderr).toContain('space.__proto__: unknown hyperparameter "__proto__"');
    const normal = fusetune(['run', writeStudy(dir, { ...tinyStudy, space: { lr: { type: 'float', distribution: 'normal', mean: 1e308, std: 1e308, low: 0.01 } } })]);
    expect(normal.code).toBe(2);
    expect(normal.stderr).toContain('space.lr.std: mean ± 9·std overflows');
    expect(readdirSync(dir)).toEqual(['study.json']);
  });

  it('--out that is a file, under a file, not empty, or in /proc is refused before any work', () => {
    const dir = temp();
    const study = writeStudy(dir, tinyStudy);
    writeFileSync(join(dir, 'file'), 'x');
    const cases: [string, string][] = [
      [join(dir, 'file'), `--out ${join(dir, 'file')} is a file, not a folder`],
      [join(dir, 'file', 'sub'), `--out ${join(dir, 'file', 'sub')}: ${join(dir, 'file')} is a file, not a folder`],
      [dir, `--out ${dir} already holds files (file, study.json): use --resume to continue that run, or give another folder`],
    ];
    if (existsSync('/proc/self')) cases.push(['/proc/x', '--out /proc/x: cannot create folders in /proc (']);
    for (const [out, message] of cases) {
      const r = fusetune(['run', study, '--out', out]);
      expect(r.code, out).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toContain('adapter');
    }
  });

  it('a study refused by the data check leaves no results folder', () => {
    const dir = temp();
    const r = fusetune(['run', writeStudy(dir, { ...tinyStudy, defaults: { ...tinyStudy.defaults, batch_size: 500 } }), '--out', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('defaults.batch_size: 500 exceeds the 84 training rows');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('a study named "../../x" writes runs/x-<date>/ inside the working folder; escape characters are refused', () => {
    const dir = temp();
    const r = fusetune(['run', writeStudy(dir, { ...tinyStudy, name: '../../x' })], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(dir, 'runs'))).toEqual([expect.stringMatching(/^x-\d{8}-\d{6}$/)]);
    expect(readdirSync(dir).sort()).toEqual(['runs', 'study.json']);
    const escape = fusetune(['run', writeStudy(dir, { ...tinyStudy, name: '\u001b[31mred' })], dir);
    expect(escape.code).toBe(2);
    expect(escape.stderr).toContain('name: must not contain control characters');
    expect(escape.stderr).not.toContain('\u001b');
  });
});
