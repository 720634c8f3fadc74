// A results folder as a model: `fusetune run --keep K` leaves the best K trials' weights in weights/ (each with
// held-out test metrics), and refuses a K that is not a count.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keptTrials } from '../../src/cli/model-folder.ts';
import { objectivesOf } from '../../src/search/specs.ts';
import type { StudyRecord } from '../../src/store/records.ts';

const BIN = join(import.meta.dirname, '../../bin/fusetune.js');
const root = mkdtempSync(join(tmpdir(), 'fusetune-model-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fusetune(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000, cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const study = {
  name: 'model-folder',
  seed: 5,
  data: { kind: 'gaussians', n: 240, noise: 0.5, seed: 4 },
  space: { lr: { type: 'float', low: 0.003, high: 0.3, log: true }, units: { type: 'categorical', choices: [4, 8] } },
  defaults: { batch_size: 16, epochs: 3 },
  budget: { trials: 6 },
};
writeFileSync(join(root, 'study.json'), JSON.stringify(study));

describe('fusetune run --keep', () => {
  it.each([1, 3])('--keep %i leaves exactly that many of the best finished trials\' weights, each with test metrics', (keep) => {
    const out = `runs/keep-${keep}`;
    const r = fusetune(['run', 'study.json', '--out', out, ...(keep === 1 ? [] : ['--keep', String(keep)])]);
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(readFileSync(join(root, out, 'study.json'), 'utf8')) as StudyRecord;
    const best = keptTrials(record.trials, objectivesOf(record.study.objective)[0]!, keep);
    expect(best).toHaveLength(keep);
    expect(best[0]).toBe(record.best);
    const files = readdirSync(join(root, out, 'weights')).sort();
    expect(files).toEqual(best.map((i) => `trial-${i}.safetensors`).sort());
    for (const index of best) expect(record.trials.find((t) => t.index === index)!.test, `trial ${index}`).toBeDefined();
    for (const index of best) expect(r.stdout).toContain(`weights/trial-${index}.safetensors`);
  });

  it('a --keep that is not a positive count exits 2 naming it', () => {
    for (const bad of ['0', '1.5', 'all']) {
      const r = fusetune(['run', 'study.json', '--out', 'runs/bad', '--keep', bad]);
      expect(r.code, bad).toBe(2);
      expect(r.stderr).toMatch(/--keep: must be/);
    }
  });
});
