// The CLI's regression and cross-validation input: --loss/--delta and a study's loss and objectives
// are refused where they do not fit the data, exit 2 naming the flag or field, nothing written.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStudy } from '../../src/search/study.ts';

const BIN = join(import.meta.dirname, '../../bin/fusetune.js');

function fusetune(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('fusetune train --loss', () => {
  it('names a bad --loss or --delta before any work', () => {
    const cases: [string[], string][] = [
      [['--loss', 'lasso'], '--loss: expected mse or huber (got "lasso")'],
      [['--delta', '0.5'], '--delta: applies to --loss huber only'],
      [['--loss', 'mse', '--delta', '2'], '--delta: applies to --loss huber only'],
      [['--loss', 'huber', '--delta', '0'], '--delta: must be a number > 0 (got 0)'],
    ];
    for (const [args, message] of cases) {
      const r = fusetune(['train', '--data', 'circles', ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });

  it('refuses a regression loss on classification data, naming the flag', () => {
    const r = fusetune(['train', '--data', 'circles', '--loss', 'huber']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--loss applies to regression data; circles is classification');
  });
});

describe('fusetune run: regression fields on classification data', () => {
  const study = { name: 'cli-regression', data: { kind: 'circles', n: 120, noise: 0.05, seed: 2 }, space: {}, defaults: { batch_size: 8, units: 4, epochs: 1 }, budget: { trials: 1 } };
  for (const [extra, message] of [
    [{ objective: { metric: 'val_rmse' } }, 'objective.metric: val_rmse scores regression; classification data is scored by val_accuracy, val_loss'],
    [{ loss: { kind: 'huber', delta: 0.5 } }, 'loss: applies to regression data; classification trains with softmax cross-entropy'],
  ] as const) {
    it(`refuses ${Object.keys(extra)[0]} with exit 2, writing nothing`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'fusetune-cli-regression-'));
      const path = join(dir, 'study.json');
      writeFileSync(path, JSON.stringify({ ...study, ...extra }));
      const out = join(dir, 'out');
      const r = fusetune(['run', path, '--out', out]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(message);
      expect(existsSync(join(out, 'journal.log'))).toBe(false);
    });
  }

  it('parses a regression loss: mse, or huber with δ defaulting to 1', () => {
    expect(parseStudy({ ...study, loss: { kind: 'huber' } }).loss).toEqual({ kind: 'huber', delta: 1 });
    expect(parseStudy({ ...study, loss: { kind: 'mse' } }).loss).toEqual({ kind: 'mse' });
    expect(() => parseStudy({ ...study, loss: { kind: 'huber', delta: -1 } })).toThrow(/loss\.delta/);
  });
});
