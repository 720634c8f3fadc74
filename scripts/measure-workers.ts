// Completed trials per minute with 1, 2 and 3 `fusetune run` workers sharing one study in Redis (and one
// worker on the results folder's file journal), with each worker's journal time per trial.
// Usage: node --import ./bin/register.js scripts/measure-workers.ts [--trials 48] [--out docs/bench]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createServer } from 'node:net';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '48' }, out: { type: 'string', default: 'docs/bench' } } });
const trials = Number(values.trials);
const bin = join(import.meta.dirname, '..', 'bin', 'fusetune.js');
const dir = mkdtempSync(join(tmpdir(), 'fusetune-workers-'));
const study = join(dir, 'study.json');
// Tiny trials: the storage and the workers' own overhead show, not the arithmetic.
writeFileSync(
  study,
  JSON.stringify({
    name: 'workers',
    seed: 1,
    data: { kind: 'circles', n: 3000, noise: 0.05, seed: 2 },
    space: { lr: { type: 'float', low: 0.003, high: 0.3, log: true }, units: { type: 'categorical', choices: [32, 64] } },
    defaults: { batch_size: 16, epochs: 3 },
    parallel: 4,
    budget: { trials },
  }),
);

const port = await new Promise<number>((done) => {
  const server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    server.close(() => done(port));
  });
});
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
await new Promise((done) => setTimeout(done, 500));

interface Worker {
  code: number | null;
  output: string;
}
function worker(args: string[]): Promise<Worker> {
  const child = spawn(process.execPath, [bin, 'run', study, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((done) => child.on('exit', (code) => done({ code, output })));
}
const journalMs = (w: Worker) => Number(/journal: \d+ writes in ([\d.e+]+) ms/.exec(w.output)?.[1] ?? NaN);
const ran = (w: Worker) => Number(/ms per trial this run/.test(w.output) ? (/\(([\d.e+]+) ms per trial this run\)/.exec(w.output)?.[1] ?? NaN) : NaN);

const rows: { storage: string; workers: number; seconds: number; trialsPerMinute: number; journalMsPerTrial: number[] }[] = [];
async function measure(storage: string, count: number, args: (i: number) => string[]) {
  const started = performance.now();
  const done = await Promise.all(Array.from({ length: count }, (_, i) => worker(args(i))));
  const seconds = (performance.now() - started) / 1000;
  for (const w of done) if (w.code !== 0) throw new Error(`a worker failed (${w.code}):\n${w.output}`);
  rows.push({ storage, workers: count, seconds, trialsPerMinute: (trials / seconds) * 60, journalMsPerTrial: done.map(ran) });
  process.stderr.write(`${storage}, ${count} worker(s): ${trials} trials in ${seconds.toFixed(1)} s = ${((trials / seconds) * 60).toFixed(0)} trials/min; journal ${done.map((w) => `${journalMs(w).toFixed(0)} ms`).join(', ')}\n`);
}

try {
  await measure('file', 1, () => ['--out', join(dir, 'file')]);
  // Heartbeats every second: a worker with nothing left to claim looks again twice a second.
  for (const count of [1, 2, 3]) await measure('redis', count, (i) => ['--storage', `redis://127.0.0.1:${port}/0`, '--prefix', `n${count}`, '--heartbeat', '1', '--grace', '5', '--out', join(dir, `r${count}-${i}`)]);
} finally {
  redis.kill('SIGKILL');
}
const record = { date: new Date().toISOString(), cpus: cpus().length, trials, study: 'circles n=3000 (2,100 training rows), 3 epochs, batch 16, 32–64 units, parallel 4 per worker', rows };
writeFileSync(join(values.out!, 'workers-swiftshader.json'), JSON.stringify(record, null, 1) + '\n');
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(record, null, 1));
