// Pruners and PBT decisions as pure functions of recorded history: Optuna's rules on hand-made trials.
import { describe, expect, it } from 'vitest';
import { explore, pbtRound } from '../../src/schedule/pbt.ts';
import { createPruner, HyperbandPruner, MedianPruner, percentile, promotable, SuccessiveHalvingPruner } from '../../src/schedule/pruners.ts';
import type { PastTrial } from '../../src/search/samplers.ts';
import { parseStudy } from '../../src/search/study.ts';
import { Rng } from '../../src/util/random.ts';

const trial = (number: number, values: number[], state: PastTrial['state'] = 'running', firstStep = 1): PastTrial => ({
  number,
  params: {},
  state,
  values: state === 'complete' ? [values.at(-1)!] : null,
  intermediate: values.map((v, i) => [firstStep + i, v] as const),
});

describe('percentile', () => {
  it('interpolates linearly as numpy does and ignores NaN', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([5, 1, 3], 50)).toBe(3);
    expect(percentile([1, NaN, 3], 50)).toBe(2);
    expect(percentile([0, 10], 25)).toBe(2.5);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('MedianPruner', () => {
  const completed = [trial(0, [0.5, 0.6, 0.7], 'complete'), trial(1, [0.6, 0.7, 0.8], 'complete'), trial(2, [0.7, 0.8, 0.9], 'complete')];

  it('waits for its startup trials, then prunes a trial whose best so far is below the median at its step', () => {
    const pruner = new MedianPruner({ startupTrials: 3, warmup: 0 }, 'maximize');
    expect(pruner.shouldPrune(trial(3, [0.55]), completed)).toBe(true);
    expect(pruner.shouldPrune(trial(3, [0.65]), completed)).toBe(false);
    // The best value so far counts, not the latest: 0.62 at step 1 beats the median 0.6 there.
    expect(pruner.shouldPrune(trial(3, [0.62, 0.65]), completed)).toBe(true);
    expect(pruner.shouldPrune(trial(3, [0.62, 0.71]), completed)).toBe(false);
    expect(new MedianPruner({ startupTrials: 4, warmup: 0 }, 'maximize').shouldPrune(trial(3, [0.1]), completed)).toBe(false);
  });

  it('minimizes, skips warm-up steps, ignores running and pruned trials, and prunes an all-NaN trial', () => {
    const losses = [trial(0, [1.0, 0.8], 'complete'), trial(1, [0.9, 0.7], 'complete'), trial(2, [0.2, 0.1], 'pruned')];
    const pruner = new MedianPruner({ startupTrials: 2, warmup: 2 }, 'minimize');
    expect(pruner.shouldPrune(trial(3, [2.0]), losses)).toBe(false);
    expect(pruner.shouldPrune(trial(3, [2.0, 0.76]), losses)).toBe(true);
    expect(pruner.shouldPrune(trial(3, [2.0, 0.74]), losses)).toBe(false);
    expect(pruner.shouldPrune(trial(3, [NaN, NaN]), losses)).toBe(true);
  });
});

describe('SuccessiveHalvingPruner', () => {
  it("promotes the top 1/η at each rung and, with fewer than η values, only the best (Optuna's rule)", () => {
    expect(promotable(0.9, [0.9], 4, 'maximize')).toBe(true);
    expect(promotable(0.5, [0.9, 0.5], 4, 'maximize')).toBe(false);
    expect(promotable(0.9, [0.9, 0.5], 4, 'maximize')).toBe(true);
    // 8 values, η = 4: the top 2 go on.
    const eight = [1, 2, 3, 4, 5, 6, 7, 8];
    expect(promotable(7, eight, 4, 'maximize')).toBe(true);
    expect(promotable(6, eight, 4, 'maximize')).toBe(false);
    expect(promotable(2, eight, 4, 'minimize')).toBe(true);
    expect(promotable(3, eight, 4, 'minimize')).toBe(false);
  });

  it('judges a trial once per rung, at rungs minResource·η^k, against every trial that reached that rung', () => {
    const pruner = new SuccessiveHalvingPruner(1, 2, 0, 'maximize');
    expect([0, 1, 2, 3].map((r) => pruner.rungStep(r))).toEqual([1, 2, 4, 8]);
    const history = [trial(0, [0.5, 0.6, 0.7, 0.8], 'complete'), trial(1, [0.4, 0.9, 0.9, 0.95], 'complete'), trial(2, [0.3], 'pruned')];
    // Rung 0 (step 1): values 0.5, 0.4, 0.3 and ours; η = 2 keeps the top 2 of 4.
    expect(pruner.shouldPrune(trial(3, [0.45]), history)).toBe(false);
    expect(pruner.shouldPrune(trial(3, [0.35]), history)).toBe(true);
    // Step 3 is no rung: never pruned there, whatever its value.
    expect(pruner.shouldPrune(trial(3, [0.45, 0.95, 0.0]), history)).toBe(false);
    // Rung 1 (step 2): 0.6, 0.9 and ours; top 1 of 3.
    expect(pruner.shouldPrune(trial(3, [0.45, 0.8]), history)).toBe(true);
    expect(pruner.shouldPrune(trial(3, [0.45, 0.91]), history)).toBe(false);
  });

  it('reads rung values from sparse reports (the first report at or after a rung)', () => {
    const pruner = new SuccessiveHalvingPruner(10, 4, 0, 'minimize');
    const history = [trial(0, [0.5, 0.4, 0.3], 'complete', 5), trial(1, [0.9, 0.8], 'pruned', 5)];
    // Reports at steps 5, 6, 7… The rung at step 10 is not reached by either of them.
    expect(pruner.shouldPrune({ ...trial(2, [1.0]), intermediate: [[12, 1.0]] }, history)).toBe(false);
    const reached = [{ ...trial(0, []), state: 'complete' as const, values: [0.1], intermediate: [[10, 0.2]] as const }];
    expect(pruner.shouldPrune({ ...trial(2, [1.0]), intermediate: [[12, 1.0]] }, reached)).toBe(true);
  });
});

describe('HyperbandPruner', () => {
  it('splits trials into brackets of successive halving by a seeded rule and judges within a bracket only', () => {
    const pruner = new HyperbandPruner(1, 27, 3, 'maximize', 7);
    expect(pruner.brackets).toHaveLength(4);
    expect(pruner.brackets.map((b) => b.rungStep(0))).toEqual([1, 3, 9, 27]);
    const brackets = Array.from({ length: 400 }, (_, n) => pruner.bracketOf(n));
    expect(new Set(brackets)).toEqual(new Set([0, 1, 2, 3]));
    // Aggressive brackets get more trials (budgets 27, 12, 6, 4 of 49 … roughly).
    const share = (b: number) => brackets.filter((x) => x === b).length / 400;
    expect(share(0)).toBeGreaterThan(share(3));
    expect(Array.from({ length: 50 }, (_, n) => pruner.bracketOf(n))).toEqual(Array.from({ length: 50 }, (_, n) => new HyperbandPruner(1, 27, 3, 'maximize', 7).bracketOf(n)));
    // A rival in another bracket does not count.
    const zero = Array.from({ length: 50 }, (_, n) => n).filter((n) => pruner.bracketOf(n) === 0);
    const other = Array.from({ length: 50 }, (_, n) => n).find((n) => pruner.bracketOf(n) !== 0)!;
    const [a, b] = zero;
    expect(pruner.shouldPrune(trial(b!, [0.5]), [trial(other, [0.9], 'complete')])).toBe(false);
    expect(pruner.shouldPrune(trial(b!, [0.5]), [trial(a!, [0.9], 'complete')])).toBe(true);
  });
});

describe('createPruner', () => {
  it('builds each pruner of the study file with its defaults', () => {
    const context = { direction: 'maximize' as const, seed: 1, firstStep: 1, lastStep: 16 };
    expect(createPruner({ type: 'none' }, context)).toBeNull();
    expect(createPruner({ type: 'median', startupTrials: 5, warmup: 0 }, context)?.name).toBe('median');
    const sh = createPruner({ type: 'successive-halving', reductionFactor: 4, minEarlyStoppingRate: 0 }, context) as SuccessiveHalvingPruner;
    expect([sh.rungStep(0), sh.rungStep(1)]).toEqual([1, 4]);
    const hb = createPruner({ type: 'hyperband', reductionFactor: 3 }, context) as HyperbandPruner;
    expect(hb.brackets.length).toBe(3);
  });
});

describe('PBT', () => {
  const study = parseStudy({
    data: { kind: 'xor' },
    space: { lr: { type: 'float', low: 1e-4, high: 1e-1, log: true }, l2: { type: 'float', low: 0, high: 0.01 }, dropout: { type: 'categorical', choices: [0, 0.1, 0.2, 0.3] } },
    sampler: { type: 'pbt', population: 8, interval: 10, mutable: ['lr', 'l2', 'dropout'] },
  });
  const spec = study.sampler.type === 'pbt' ? study.sampler : null!;

  it('the bottom quantile copies a member of the top quantile, deterministically', () => {
    const members = Array.from({ length: 8 }, (_, i) => ({ number: i, value: [0.5, 0.9, 0.3, 0.8, NaN, 0.7, 0.6, 0.95][i]!, params: { lr: 0.01, l2: 0.001, dropout: 0.1 } }));
    const round = pbtRound(members, spec, 'maximize', study.space, 3, 0);
    expect(round.map((c) => c.to).sort()).toEqual([2, 4]);
    for (const c of round) expect([7, 1]).toContain(c.from);
    expect(pbtRound(members, spec, 'maximize', study.space, 3, 0)).toEqual(round);
    expect(pbtRound(members, spec, 'maximize', study.space, 3, 1)).not.toEqual(round);
    // Minimizing turns the ranking round; a trial without a value (NaN) stays last either way.
    expect(
      pbtRound(members, spec, 'minimize', study.space, 3, 0)
        .map((c) => c.to)
        .sort(),
    ).toEqual([4, 7]);
  });

  it('explores inside the space: perturbed, clipped, snapped, or drawn afresh', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 300; i++) {
      const params = explore({ lr: 0.09, l2: 0.0099, dropout: 0.3 }, spec, study.space, rng);
      expect(params.lr as number).toBeGreaterThanOrEqual(1e-4);
      expect(params.lr as number).toBeLessThanOrEqual(0.1);
      expect(params.l2 as number).toBeLessThanOrEqual(0.01);
      expect([0, 0.1, 0.2, 0.3]).toContain(params.dropout);
    }
    const noResample = { ...spec, resample: 0, perturb: [0.5] };
    expect(explore({ lr: 0.01, l2: 0.004, dropout: 0.2 }, noResample, study.space, new Rng(1))).toMatchObject({ lr: 0.005, l2: 0.002 });
  });
});

describe('PBT explore bounds', () => {
  it('keeps a value whose perturbation would leave the finite range', () => {
    const study = parseStudy({
      data: { kind: 'xor' },
      space: { lr: { type: 'float', distribution: 'normal', mean: 0.01, std: 0.01, low: 1e-6 } },
      sampler: { type: 'pbt', population: 4, interval: 10, mutable: ['lr'], resample: 0, perturb: [1000] },
    });
    const spec = study.sampler.type === 'pbt' ? study.sampler : null!;
    expect(explore({ lr: 1e306 }, spec, study.space, new Rng(1))).toEqual({ lr: 1e306 });
    expect(explore({ lr: 0.01 }, spec, study.space, new Rng(1)).lr).toBe(10);
  });
});
