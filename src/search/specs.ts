// The study file's policy sections: objectives, samplers, pruners, the regression loss and budgets (validated by zod, named by path).
import { z } from 'zod';
import { DEFAULT_HUBER_DELTA, type RegressionLoss } from '../model/loss.ts';
import { defaultObjective, METRIC_DIRECTIONS, OBJECTIVE_METRICS, type Objective } from '../model/objectives.ts';
import { issueMessage } from './errors.ts';
import { LEARNING_SAMPLER_SCHEMAS } from './learning-samplers.ts';

/** NOTE: a study asks trials one cohort at a time, but records every one: past this a study is a typo. */
export const MAX_TRIALS = 1_000_000;

const objectiveItemSchema = z
  .object({
    metric: z.enum(OBJECTIVE_METRICS),
    /** Derived from the metric; a file may state it, but only in agreement. */
    direction: z.enum(['maximize', 'minimize']).optional(),
  })
  .strict()
  .superRefine((objective, ctx) => {
    const expected = METRIC_DIRECTIONS[objective.metric];
    if (objective.direction !== undefined && objective.direction !== expected) {
      ctx.addIssue({ code: 'custom', path: ['direction'], message: `${objective.metric} is to ${expected}, so direction must be "${expected}" (or left out)` });
    }
  })
  .transform((objective): Objective => ({ metric: objective.metric, direction: METRIC_DIRECTIONS[objective.metric] }));

/**
 * One objective (`{ "metric": … }`) or a list of them. NOTE: parsed into a list either way; errors
 * keep the path the file used (`objective.metric` for one, `objective[1].metric` for a list).
 */
export type ObjectiveInput = { metric: Objective['metric']; direction?: Objective['direction'] };
export const objectiveSchema = z
  .unknown()
  .transform((value, ctx): Objective[] => {
    const items = Array.isArray(value) ? value : [value];
    if (Array.isArray(value) && (value.length === 0 || value.length > 4)) {
      ctx.addIssue({ code: 'custom', message: value.length === 0 ? 'needs at least one objective' : 'holds more than 4 objectives' });
      return z.NEVER;
    }
    const out: Objective[] = [];
    items.forEach((item, i) => {
      const parsed = objectiveItemSchema.safeParse(item, { reportInput: true });
      if (parsed.success) out.push(parsed.data);
      else for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issueMessage(issue), path: Array.isArray(value) ? [i, ...issue.path] : issue.path });
    });
    const seen = new Set<string>();
    out.forEach((objective, i) => {
      if (seen.has(objective.metric)) ctx.addIssue({ code: 'custom', path: [i, 'metric'], message: `${objective.metric} appears more than once` });
      seen.add(objective.metric);
    });
    return out;
  }) as unknown as z.ZodType<Objective[], ObjectiveInput | ObjectiveInput[]>;

/** A study file's objective(s) as a list, for code that reads the file's JSON rather than a parsed study. */
export function objectivesOf(input: ObjectiveInput | ObjectiveInput[] | undefined, task: 'classification' | 'regression' = 'classification'): Objective[] {
  const items = input === undefined ? [defaultObjective(task)] : Array.isArray(input) ? input : [input];
  return items.map((o) => ({ metric: o.metric, direction: METRIC_DIRECTIONS[o.metric] }));
}

const count = (min: number) => z.number().int().min(min);
const fraction = z.number().min(0).max(1);

export const HYPERPARAMETERS_NOT_MUTABLE = ['batch_size', 'layers', 'units', 'activation', 'optimizer', 'epochs'] as const;

export const samplerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('random') }).strict(),
  z
    .object({
      type: z.literal('grid'),
      /** When budget.trials caps the grid: a seeded random subset of it instead of its first points. */
      shuffle: z.boolean().default(false),
    })
    .strict(),
  // TPE, MOTPE and NSGA-II: their options live with the samplers (src/search/tpe.ts, nsga2.ts).
  ...LEARNING_SAMPLER_SCHEMAS,
  z
    .object({
      type: z.literal('pbt'),
      /** Trials trained together and ranked against each other. */
      population: count(2).max(MAX_TRIALS).default(16),
      /** Steps between two exploit/explore rounds. */
      interval: count(1).default(100),
      /** The bottom `quantile` copy a trial of the top `quantile`. */
      quantile: z.number().gt(0).max(0.5).default(0.25),
      /** Factors a mutable number is multiplied by, one chosen at random. */
      perturb: z.array(z.number().positive().max(1000)).min(1).max(64).default([0.8, 1.2]),
      /** Chance that a mutable parameter is drawn afresh from the space instead of perturbed. */
      resample: fraction.default(0.25),
      /** Parameters that exploit/explore may change; shape parameters and the optimizer kind may not. */
      mutable: z.array(z.string().min(1)).min(1).default(['lr']),
    })
    .strict(),
]);
export type SamplerSpec = z.output<typeof samplerSchema>;

/** Where rungs and intermediate values are counted: epochs, or optimizer steps (for short trials). */
const unitSchema = z.enum(['epoch', 'step']);

export const prunerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z
    .object({
      type: z.literal('median'),
      unit: unitSchema.optional(),
      /** Report every this many units (steps unit: the default is an eighth of the trials' steps). */
      every: count(1).optional(),
      /** Trials that finish before the median rule starts pruning (Optuna's n_startup_trials). */
      startupTrials: count(0).default(5),
      /** Reports at steps below this (in the report unit) never prune (Optuna's n_warmup_steps). */
      warmup: count(0).default(0),
    })
    .strict(),
  z
    .object({
      type: z.literal('successive-halving'),
      unit: unitSchema.optional(),
      every: count(1).optional(),
      /** Where the first rung lies, in the report unit; default: the first report (1 epoch, or `every` steps). */
      minResource: count(1).optional(),
      /** Keep the top 1/reductionFactor at each rung. */
      reductionFactor: count(2).default(4),
      /** Rungs skipped before the first one that may prune. */
      minEarlyStoppingRate: count(0).default(0),
    })
    .strict(),
  z
    .object({
      type: z.literal('hyperband'),
      unit: unitSchema.optional(),
      every: count(1).optional(),
      minResource: count(1).optional(),
      /** The resource of a whole trial, in the report unit; default: the planned epochs (or steps) of the first trial. */
      maxResource: count(1).optional(),
      reductionFactor: count(2).default(3),
    })
    .strict(),
]);
export type PrunerSpec = z.output<typeof prunerSchema>;

/**
 * Regression's training loss: squared error (default) or Huber with δ in standard deviations of the
 * target (the loss sees it standardized); torch.nn.MSELoss / HuberLoss.
 */
export const lossSchema: z.ZodType<RegressionLoss, unknown> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('mse') }).strict(),
  z.object({ kind: z.literal('huber'), delta: z.number().positive().max(1e6).default(DEFAULT_HUBER_DELTA) }).strict(),
]);

export const budgetSchema = z
  .object({
    /** Trials to run: required for random unless samples or seconds end the study; for grid an optional cap. */
    trials: z.number().int().min(1).max(MAX_TRIALS).optional(),
    /** Epochs of every trial, unless `epochs` is sampled in the space or set in `defaults` (then it must not be here too). */
    epochs: z.number().int().min(1).max(100_000).optional(),
    /** Stop each trial after this many optimizer steps even if epochs remain. */
    maxStepsPerTrial: z.number().int().min(1).optional(),
    /** Training samples (steps × batch, summed over trials) after which no new trial starts. */
    samples: z.number().int().min(1).optional(),
    /** Wall-clock seconds after which no new trial starts (running ones finish). */
    seconds: z.number().positive().optional(),
  })
  .strict();
export type Budget = z.output<typeof budgetSchema>;
