// Fault family "kill at random, then resume": `fusetune run` killed (SIGKILL, the whole process group) at
// random moments — a third of the kills aimed at the gap between a trial's creation and its parameters —
// and resumed each time; every chain of kills ends with the trials, parameters, best trial, held-out test
// metrics and best weights of an uninterrupted run.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StudyRecord } from '../../src/store/records.ts';
import { decodeSafetensors } from '../../src/store/safetensors.ts';
import { Rng } from '../../src/util/random.ts';

const BIN = join(import.meta.dirname, '../../bin/fusetune.js');
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

const study = {
  name: 'kill-resume',
  seed: 9,
  data: { kind: 'circles', n: 120, noise: 0.05, seed: 2 },
  space: { lr: { type: 'float', low: 0.01, high: 0.1, log: true }, units: { type: 'categorical', choices: [4, 8] } },
  defaults: { batch_size: 8, epochs: 3 },
  parallel: 2,
  budget: { trials: 6 },
};

/** Whether the journal holds a trial created without parameters and not given any yet (the gap a kill must hit). */
function inTheGap(journal: string): boolean {
  if (!existsSync(journal)) return false;
  const lines = readFileSync(journal, 'utf8').split('\n');
  let trials = 0;
  const bare = new Set<number>();
  for (const line of lines) {
    const op = /^\{"op_code": (\d+)/.exec(line)?.[1];
    if (op === '4') {
      if (!line.includes('"params"')) bare.add(trials);
      trials++;
    } else if (op === '5' || op === '6') bare.delete(Number(/"trial_id": (\d+)/.exec(line)?.[1]));
  }
  return bare.size > 0;
}

/** One `fusetune run` (resuming when asked), killed with its process group after `killAfterMs` or at `when()`; whether it was killed. */
async function runOnce(file: string, out: string, resume: boolean, kill: { afterMs: number } | { when: () => boolean }): Promise<{ killed: boolean; code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'run', file, '--out', out, ...(resume ? ['--resume'] : [])], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  let over = false;
  void exited.then(() => (over = true));
  const started = Date.now();
  let killed = false;
  while (!over && Date.now() - started < 120_000) {
    const due = 'afterMs' in kill ? Date.now() - started >= kill.afterMs : kill.when();
    if (due) {
      process.kill(-child.pid!, 'SIGKILL');
      killed = true;
      break;
    }
    await sleep(5);
  }
  const code = await exited;
  // The launcher's child (the GPU process) is in the same group: wait until it is gone too.
  while (spawnSync('pgrep', ['-g', String(child.pid)]).status === 0) await sleep(20);
  return { killed, code, stderr };
}

function outcome(out: string) {
  const record = JSON.parse(readFileSync(join(out, 'study.json'), 'utf8')) as StudyRecord;
  const done = record.trials
    .filter((t) => t.state === 'done')
    .map((t) => ({ params: t.params, seed: t.config.seed, valAccuracy: t.valAccuracy, valLoss: t.valLoss, intermediate: t.intermediate, curve: t.curve }))
    .sort((a, b) => JSON.stringify(a.params).localeCompare(JSON.stringify(b.params)));
  const best = record.trials.find((t) => t.index === record.best)!;
  // The weights' tensors (their metadata names the trial's number, which a resumed run may give another).
  const weights = decodeSafetensors(readFileSync(join(out, 'best.safetensors'))).tensors;
  return { done, best: { params: best.params, valAccuracy: best.valAccuracy, test: best.test }, weights };
}

describe('kill at random moments, then resume', () => {
  it('ends every chain of kills as the uninterrupted run ends (at least 20 kills, a third between a trial’s creation and its parameters)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusetune-kill-'));
    const file = join(dir, 'study.json');
    writeFileSync(file, JSON.stringify(study));
    const started = Date.now();
    const reference = spawnSync(process.execPath, [BIN, 'run', file, '--out', join(dir, 'reference')], { encoding: 'utf8', timeout: 240_000 });
    expect(reference.status, reference.stderr).toBe(0);
    const wallMs = Date.now() - started;
    const expected = outcome(join(dir, 'reference'));
    expect(expected.done).toHaveLength(6);

    const rng = new Rng(20260507);
    const kills = { random: 0, gap: 0 };
    /**
     * A chain of runs in one folder, each killed (at a random moment, or every third one in the gap) and
     * resumed, until `count` kills landed; a run the kill missed ended the study, which then must be the
     * reference's, and the chain goes on in a fresh folder. The last folder is resumed to its end.
     */
    const chain = async (name: string, count: number) => {
      let killed = 0;
      let folder = 0;
      let resume = false;
      for (let attempt = 0; killed < count && attempt < count * 4; attempt++) {
        const out = join(dir, `${name}-${folder}`);
        const aimAtGap = attempt % 3 === 2;
        const run = await runOnce(file, out, resume, aimAtGap ? { when: () => inTheGap(join(out, 'journal.log')) } : { afterMs: rng.uniform(0.15, 1) * wallMs });
        if (run.killed) {
          killed++;
          if (aimAtGap) kills.gap++;
          else kills.random++;
          resume = existsSync(out);
        } else {
          expect(run.code, run.stderr).toBe(0);
          expect(outcome(out), `${name}-${folder}`).toEqual(expected);
          folder++;
          resume = false;
        }
      }
      const out = join(dir, `${name}-${folder}`);
      const last = await runOnce(file, out, resume, { when: () => false });
      expect(last.code, last.stderr).toBe(0);
      expect(outcome(out), `${name}-${folder}`).toEqual(expected);
    };
    await Promise.all([chain('a', 10), chain('b', 10)]);
    console.log(`faults-kill-resume: ${kills.random + kills.gap} kills (${kills.gap} between a trial's creation and its parameters), every chain ended as the uninterrupted run`);
    expect(kills.random + kills.gap).toBeGreaterThanOrEqual(20);
    expect(kills.gap).toBeGreaterThanOrEqual(5);
  });
});
