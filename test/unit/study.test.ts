// The study runner on real GPU work: reproducibility, divergence isolation inside a cohort,
// resuming from finished records, and no bytes left behind.
import { describe, expect, it } from 'vitest';
import { syntheticDataset } from '../../src/data/synthetic.ts';
import { parseStudy, type StudyInput } from '../../src/search/study.ts';
import type { TrialRecord } from '../../src/store/records.ts';
import { runStudy, type StudyEvent } from '../../src/study/run-study.ts';
import { gpu } from '../helpers/gpu.ts';

const dataset = syntheticDataset({ kind: 'xor', n: 200, noise: 0.05, seed: 4 });

function study(space: StudyInput['space'], extra: Partial<StudyInput> = {}) {
  return parseStudy({
    name: 'test',
    seed: 9,
    data: { kind: 'xor', n: 200, noise: 0.05, seed: 4 },
    space,
    defaults: { batch_size: 10, units: 8, epochs: 2, optimizer: 'adam' },
    sampler: { type: 'grid' },
    ...extra,
  });
}

const outcome = (t: TrialRecord) => [t.state, t.valAccuracy, t.valLoss, t.trainLoss, t.curve, t.epochs];

describe('runStudy', () => {
  it('gives the same results for the same study and seed', async () => {
    const ctx = await gpu();
    const s = study({ lr: { type: 'float', low: 0.001, high: 0.1, log: true, values: [0.003, 0.03] }, units: { type: 'categorical', choices: [4, 8] } });
    const a = await runStudy({ ctx, study: s, dataset });
    const b = await runStudy({ ctx, study: s, dataset });
    expect(a.record.trials).toHaveLength(4);
    expect(a.record.trials.every((t) => t.state === 'done')).toBe(true);
    expect(a.record.trials.map(outcome)).toEqual(b.record.trials.map(outcome));
    expect(a.record.best).toBe(b.record.best);
    // Held-out test metrics are reported for the best trials only (top 3 of 4).
    expect(a.record.trials.filter((t) => t.test).length).toBe(3);
    expect(a.record.trials[a.record.best!]!.test).toBeDefined();
  });

  it('stops a diverging trial with its step and reason; its cohort mates finish exactly as without it', async () => {
    const ctx = await gpu();
    const events: StudyEvent[] = [];
    const withIt = await runStudy({ ctx, study: study({ lr: { type: 'categorical', choices: [0.01, 1e25] } }), dataset, onEvent: (e) => events.push(e) });
    const without = await runStudy({ ctx, study: study({ lr: { type: 'categorical', choices: [0.01] } }), dataset });
    const [healthy, diverged] = withIt.record.trials;
    // They started in one cohort (the healthy one may move on when the cohort compacts).
    expect(withIt.record.cohorts![0]!.trials).toEqual([0, 1]);
    expect(diverged!.state).toBe('diverged');
    expect(diverged!.divergedStep).toBeGreaterThanOrEqual(0);
    expect(diverged!.reason).toMatch(/NaN\/Inf at step \d+/);
    expect(outcome(healthy!)).toEqual(outcome(without.record.trials[0]!));
    expect(withIt.record.best).toBe(0);
    expect(events.filter((e) => e.type === 'trial-finished').length).toBe(2);
  });

  it('stops a trial whose loss explodes without reaching NaN, as diverged', async () => {
    const ctx = await gpu();
    const s = study({ lr: { type: 'categorical', choices: [0.01, 1e4] } }, { defaults: { batch_size: 10, units: 8, epochs: 2, optimizer: 'sgd' } });
    const { record } = await runStudy({ ctx, study: s, dataset, divergenceFactor: 5 });
    expect(record.trials[1]!.state).toBe('diverged');
    expect(record.trials[1]!.reason).toMatch(/exceeds 5× chance level/);
    expect(record.trials[0]!.state).toBe('done');
  });

  it('keeps finished trials from an earlier run and trains only the rest', async () => {
    const ctx = await gpu();
    const s = study({ lr: { type: 'categorical', choices: [0.003, 0.03, 0.1] } });
    const full = await runStudy({ ctx, study: s, dataset });
    const before = ctx.memory.bytes();
    const started: number[] = [];
    const resumed = await runStudy({
      ctx,
      study: s,
      dataset,
      previous: [full.record.trials[0]!, { ...full.record.trials[2]!, state: 'stopped' }],
      onEvent: (e) => e.type === 'cohort-started' && started.push(...e.trials),
    });
    expect(started).toEqual([1, 2]);
    expect(resumed.record.trials.map(outcome)).toEqual(full.record.trials.map(outcome));
    // Nothing the run allocated is left on the device.
    expect(ctx.memory.bytes()).toBe(before);
  });

  it('refuses a study whose batch size exceeds the training rows, naming the field', async () => {
    const ctx = await gpu();
    await expect(runStudy({ ctx, study: study({ batch_size: { type: 'categorical', choices: [10, 1000] } }), dataset })).rejects.toThrow(/space\.batch_size.*1000.*140 training rows/);
  });
});
