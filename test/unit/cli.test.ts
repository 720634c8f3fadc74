// The fusetune CLI as a user runs it: results files, bad input messages and exit codes, Ctrl-C
// keeping finished trials, and a --no-shuffle training run replayed exactly by the reference.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initialParameters } from '../../src/engine/init.ts';
import { parameterLayout } from '../../src/model/parameter-layout.ts';
import { mlpStep, optimizerStep } from '../../src/kernels/reference.ts';
import { optimizerConfig } from '../../src/model/trial-config.ts';
import { decodeSafetensors, encodeSafetensors, mlpParams, mlpTensors } from '../../src/store/safetensors.ts';
import type { StudyRecord } from '../../src/store/records.ts';
import { expectRelativeError } from '../helpers/close.ts';

const BIN = join(import.meta.dirname, '../../bin/fusetune.js');

function fusetune(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'fusetune-cli-'));
}

function writeStudy(dir: string, study: object): string {
  const path = join(dir, 'study.json');
  writeFileSync(path, JSON.stringify(study));
  return path;
}

const tinyStudy = {
  name: 'cli-tiny',
  seed: 3,
  data: { kind: 'circles', n: 120, noise: 0.05, seed: 2 },
  space: { lr: { type: 'float', low: 0.01, high: 0.1, log: true } },
  defaults: { batch_size: 8, units: 8, epochs: 2 },
  budget: { trials: 3 },
};

describe('fusetune run', () => {
  it('prints the ranked table and writes journal, study.json, trials.csv and the best weights', () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    const r = fusetune(['run', writeStudy(dir, tinyStudy), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/rank\s+trial\s+state\s+val acc/);
    const record = JSON.parse(readFileSync(join(out, 'study.json'), 'utf8')) as StudyRecord;
    expect(record.state).toBe('done');
    expect(record.trials).toHaveLength(3);
    expect(readFileSync(join(out, 'trials.csv'), 'utf8').trim().split('\n')).toHaveLength(4);
    // Optuna's journal: three trials created, three finished (COMPLETE).
    const journal = readFileSync(join(out, 'journal.log'), 'utf8');
    expect(journal.match(/"op_code": ?4\b/g)).toHaveLength(3);
    expect(journal.match(/"op_code": ?6\b.*"state": ?1\b/g)).toHaveLength(3);
    const best = record.trials[record.best!]!;
    const weights = decodeSafetensors(readFileSync(join(out, 'best.safetensors')));
    expect(weights.metadata.trial).toBe(String(best.index));
    expect(weights.tensors['layers.0.weight']!.shape).toEqual([8, 2]);
  });

  it('rejects a bad study file with exit 2 and every problem named by its field', () => {
    const dir = tempDir();
    const bad = { ...tinyStudy, space: { lr: { type: 'float', low: 1, high: 0.1 }, dropout: { type: 'float', low: 0.5, high: 0.2 } }, budget: { trails: 3 } };
    const r = fusetune(['run', writeStudy(dir, bad), '--out', join(dir, 'out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/space\.lr: low \(1\) must be ≤ high \(0\.1\)/);
    expect(r.stderr).toMatch(/space\.dropout: low \(0\.5\) must be ≤ high \(0\.2\)/);
    expect(r.stderr).toMatch(/budget.*trails/);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('says which file is missing or not JSON', () => {
    const dir = tempDir();
    expect(fusetune(['run', join(dir, 'nope.json')]).stderr).toMatch(/cannot read study file .*nope\.json: ENOENT/);
    writeFileSync(join(dir, 'broken.json'), '{ "name": ');
    const r = fusetune(['run', join(dir, 'broken.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.json/);
  });

  it('Ctrl-C stops the run and leaves the finished trials on disk', async () => {
    const dir = tempDir();
    const out = join(dir, 'out');
    // Six cohorts (different widths), two running at a time, many epochs: plenty left to interrupt.
    const study = { ...tinyStudy, space: { units: { type: 'categorical', choices: [2, 3, 4, 5, 6, 7] } }, sampler: { type: 'grid' }, budget: {}, defaults: { batch_size: 8, epochs: 40, lr: 0.05 } };
    const child = spawn(process.execPath, [BIN, 'run', writeStudy(dir, study), '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const journal = join(out, 'journal.log');
    // Wait for a first trial to finish (an op 6 record that sets state 1, COMPLETE).
    const finished = () => existsSync(journal) && /"op_code": ?6\b.*"state": ?1\b/.test(readFileSync(journal, 'utf8'));
    const deadline = Date.now() + 90_000;
    while (!finished() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(code, stderr).toBe(130);
    const record = JSON.parse(readFileSync(join(out, 'study.json'), 'utf8')) as StudyRecord;
    expect(record.state).toBe('stopped');
    const done = record.trials.filter((t) => t.state === 'done');
    expect(done.length).toBeGreaterThanOrEqual(1);
    expect(record.trials.some((t) => t.state === 'stopped' || t.state === 'pending')).toBe(true);
    const csv = readFileSync(join(out, 'trials.csv'), 'utf8');
    for (const t of done) expect(csv).toMatch(new RegExp(`^${t.index},done,`, 'm'));
  });
});

describe('fusetune train', () => {
  it('--no-shuffle trains batches in file order, replayed exactly by the float64 reference', () => {
    const dir = tempDir();
    const rows = 24;
    const F = 3;
    const csv = ['a,b,c,label', ...Array.from({ length: rows }, (_, i) => `${Math.sin(i)},${Math.cos(3 * i)},${(i % 7) / 7},${i % 3}`)].join('\n');
    writeFileSync(join(dir, 'data.csv'), csv);
    const widths = [F, 5, 3];
    const start = initialParameters(widths, 77);
    writeFileSync(join(dir, 'init.safetensors'), encodeSafetensors(mlpTensors(start, widths)));
    const r = fusetune(['train', '--data', `csv:${join(dir, 'data.csv')}`, '--layers', '5', '--act', 'tanh', '--optimizer', 'momentum', '--lr', '0.1', '--batch', '6', '--steps', '4', '--no-shuffle', '--init', join(dir, 'init.safetensors'), '--save', join(dir, 'out.safetensors'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const trained = mlpParams(decodeSafetensors(readFileSync(join(dir, 'out.safetensors'))).tensors, widths);
    // The same 4 steps in float64: batch i is rows 6i … 6i+5.
    const { P, nWeights } = parameterLayout(widths);
    const params = Float64Array.from(start);
    const m = new Float64Array(P);
    const v = new Float64Array(P);
    const data = csv.split('\n').slice(1).map((line) => line.split(',').map(Number));
    const settings = [{ optimizer: optimizerConfig('momentum', 0.1), l1: 0, l2: 0 }];
    for (let step = 0; step < 4; step++) {
      const batch = data.slice(step * 6, step * 6 + 6);
      const pass = mlpStep(batch.flatMap((row) => row.slice(0, F)), batch.map((row) => row[F]!), params, { widths, activation: 'tanh' }, 1, 6);
      optimizerStep(params, pass.grads, m, v, settings, [{ lr: 0.1, count: step + 1 }], P, nWeights);
    }
    expectRelativeError(trained, params, 1e-5, 'weights after 4 replayed steps');
    const final = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(final).toMatchObject({ type: 'final', state: 'done', steps: 4 });
  });

  it('rejects bad flags with a message naming the flag', () => {
    const lion = fusetune(['train', '--optimizer', 'lion']);
    expect(lion.stderr).toMatch(/--optimizer: unknown optimizer "lion"; valid: sgd, momentum, rmsprop, adam, adamw/);
    expect(lion.code).toBe(2);
    expect(fusetune(['train', '--lr=-1']).stderr).toMatch(/--lr: must be > 0 \(got -1\)/);
    expect(fusetune(['train', '--dropout', '1']).stderr).toMatch(/--dropout: must be < 1 \(got 1\)/);
    const r = fusetune(['train', '--data', 'spirals', '--batch', '50000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--batch 50000 exceeds the \d+ training rows/);
  });
});
