// The study file: schema, parsing with readable errors, checks against the loaded data, and JSON export.
import { z } from 'zod';
import { dataSpecSchema, type DataSpec } from '../data/spec.ts';
import { defaultObjective, metricTaskProblem, OBJECTIVE_METRICS, SHAPE_METRICS, type Objective } from '../model/objectives.ts';
import { batchTooLarge } from '../model/steps.ts';
import { TRIAL_DEFAULTS } from '../model/trial-config.ts';
import { StudyError, formatPath, issuesFromZod, type StudyIssue } from './errors.ts';
import { distributionProblems, isHyperparameter, reservedKeyIssues, unknownNameMessage, unusedSettingIssues, valueProblem } from './hyperparameters.ts';
import type { Sampler } from './samplers.ts';
import { budgetSchema, HYPERPARAMETERS_NOT_MUTABLE, lossSchema, objectiveSchema, prunerSchema, samplerSchema } from './specs.ts';
import { distributionSchema, gridCombinations, scalarSchema, spaceGrids, spaceSchema, stepCount, stepValue, type Distribution, type Scalar } from './space.ts';

const VALIDATION_METRICS = OBJECTIVE_METRICS.filter((m) => !SHAPE_METRICS.has(m));

/** NOTE: the grid sampler holds its combinations in memory; past this a study must shrink its grid. */
export const MAX_GRID_COMBINATIONS = 100_000;

export const studySchema = z
  .object({
    /** Shown in the terminal and the app, and (made folder-safe) names the results folder: no control characters. */
    name: z
      .string()
      .min(1)
      .max(100)
      .refine((name) => !/[\u0000-\u001f\u007f-\u009f]/.test(name), 'must not contain control characters (escape sequences, newlines, tabs)')
      .default('study'),
    /** Seeds every trial's parameters and weights; see samplers.ts. */
    seed: z.number().int().min(0).max(0xffff_ffff).default(0),
    data: dataSpecSchema,
    space: spaceSchema,
    /** Plain values for hyperparameters the space does not sample (or samples conditionally). */
    defaults: z.record(z.string(), scalarSchema).default({}),
    sampler: samplerSchema.default({ type: 'random' }),
    /** Stops poor trials early from their intermediate values (none by default). */
    pruner: prunerSchema.default({ type: 'none' }),
    budget: budgetSchema.default({}),
    /**
     * Trials asked and training at once (default: all the budget allows for random and grid, up to
     * the running cohorts' slots; 8 for the samplers that learn, so each batch learns from the last).
     */
    parallel: z.number().int().min(1).max(4096).optional(),
    /** One metric, or a list for a Pareto search; parsed into a list. Left out: the data's task decides (studyForTask). */
    objective: objectiveSchema.optional(),
    /** Regression data only: squared error (the default) or Huber. */
    loss: lossSchema.optional(),
  })
  .strict()
  .superRefine((study, ctx) => {
    const add = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    // A distribution that already failed its own checks (step 0, low > high...) would only repeat them here.
    const broken = new Set(ctx.issues.filter((issue) => issue.path?.[0] === 'space').map((issue) => issue.path?.[1]));
    const space = Object.entries(study.space).filter(([name]) => !broken.has(name));
    for (const issue of hyperparameterIssues(space, Object.entries(study.defaults))) add(issue.path, issue.message);
    const { sampler, budget } = study;
    const open = budget.trials === undefined && budget.samples === undefined && budget.seconds === undefined;
    if (open && sampler.type !== 'grid' && sampler.type !== 'pbt') add(['budget', 'trials'], `is required for the ${sampler.type} sampler (or set budget.samples or budget.seconds)`);
    const several = (study.objective?.length ?? 1) > 1;
    if (several && (sampler.type === 'tpe' || sampler.type === 'pbt')) {
      add(['sampler', 'type'], `${sampler.type} optimizes one objective; with ${study.objective!.length} use "motpe", "nsga2", "random" or "grid"`);
    }
    if (!several && (sampler.type === 'motpe' || sampler.type === 'nsga2')) add(['sampler', 'type'], `${sampler.type} is for several objectives; with one use "tpe"`);
    if (several && study.pruner.type !== 'none') add(['pruner', 'type'], 'pruning needs a single objective');
    if (sampler.type === 'pbt') {
      for (const name of Object.keys(study.space)) {
        const d = study.space[name]!;
        if (d.type === 'fixed') continue;
        if ((HYPERPARAMETERS_NOT_MUTABLE as readonly string[]).includes(name) || name.startsWith('units_')) {
          add(['space', name], `PBT trains one population of one shape (its members copy each other's weights): fix ${name} in defaults`);
        }
      }
      if (study.parallel !== undefined) add(['parallel'], 'PBT trains its whole population at once: leave parallel out');
      if (study.pruner.type !== 'none') add(['pruner', 'type'], 'PBT decides stops itself: leave the pruner out');
      if (budget.trials !== undefined) add(['budget', 'trials'], 'PBT trains its population (sampler.population): leave budget.trials out');
      sampler.mutable.forEach((name, i) => {
        if (!isHyperparameter(name)) add(['sampler', 'mutable', i], unknownNameMessage(name));
        else if ((HYPERPARAMETERS_NOT_MUTABLE as readonly string[]).includes(name) || name.startsWith('units_')) {
          add(['sampler', 'mutable', i], `${name} shapes the network or its optimizer state: it cannot change while a trial trains`);
        } else if (!(name in study.space)) add(['sampler', 'mutable', i], `${name} is not in the space: explore draws and perturbs values of the space`);
      });
    }
    if (study.objective?.every((o) => SHAPE_METRICS.has(o.metric))) {
      add(['objective'], `a speed or memory metric alone is a property of the shape: pair it with a validation metric (${VALIDATION_METRICS.join(', ')}) in a list`);
    }
    if (study.budget.epochs !== undefined && ('epochs' in study.space || 'epochs' in study.defaults)) {
      add(['budget', 'epochs'], `epochs is also set in ${'epochs' in study.space ? 'space' : 'defaults'}; set it in one place`);
    }
    if (study.sampler.type === 'grid') {
      const { grids, problems } = spaceGrids(Object.fromEntries(space));
      for (const [name, problem] of problems) add(['space', name], problem);
      if (grids.size === Object.keys(study.space).length && countUpTo(gridCombinations(study.space, grids), MAX_GRID_COMBINATIONS + 1) > MAX_GRID_COMBINATIONS) {
        add(['space'], `the grid has more than ${MAX_GRID_COMBINATIONS} combinations: give fewer values`);
      }
    }
  });

/** The name and value rules of hyperparameters, for space entries and defaults that are well-formed on their own. */
function hyperparameterIssues(space: [string, Distribution][], defaults: [string, Scalar][]): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  for (const [name, d] of space) {
    if (!isHyperparameter(name)) issues.push({ path: ['space', name], message: unknownNameMessage(name) });
    else for (const problem of distributionProblems(name, d)) issues.push({ path: ['space', name, ...problem.path], message: problem.message });
  }
  for (const [name, value] of defaults) {
    const problem = isHyperparameter(name) ? valueProblem(name, value) : unknownNameMessage(name);
    if (problem) issues.push({ path: ['defaults', name], message: problem });
  }
  // A setting with a bad value already has its issue; whether its optimizer reads it comes after.
  const unused = unusedSettingIssues(space, defaults).filter((u) => !issues.some((issue) => issue.path[0] === u.path[0] && issue.path[1] === u.path[1]));
  return [...issues, ...unused];
}

/**
 * zod runs the study-wide rules only once the whole file is well-formed; so that one mistake does
 * not hide another, apply the hyperparameter rules to every space entry and default that is
 * well-formed by itself.
 */
function ruleIssuesOfWellFormedParts(json: unknown, reported: readonly StudyIssue[]): StudyIssue[] {
  if (typeof json !== 'object' || json === null) return [];
  const { space, defaults } = json as { space?: unknown; defaults?: unknown };
  const entries = (x: unknown) => (typeof x === 'object' && x !== null && !Array.isArray(x) ? Object.entries(x) : []);
  const seen = new Set(reported.map((issue) => issue.path));
  const touched = (prefix: string) => reported.some((issue) => issue.path === prefix || issue.path.startsWith(`${prefix}.`) || issue.path.startsWith(`${prefix}[`));
  const wellFormedSpace: [string, Distribution][] = [];
  for (const [name, d] of entries(space)) {
    const parsed = distributionSchema.safeParse(d);
    if (parsed.success && !touched(formatPath(['space', name]))) wellFormedSpace.push([name, parsed.data]);
  }
  const wellFormedDefaults: [string, Scalar][] = [];
  for (const [name, value] of entries(defaults)) {
    const parsed = scalarSchema.safeParse(value);
    if (parsed.success && !touched(formatPath(['defaults', name]))) wellFormedDefaults.push([name, parsed.data]);
  }
  return hyperparameterIssues(wellFormedSpace, wellFormedDefaults)
    .map((issue) => ({ path: formatPath(issue.path), message: issue.message }))
    .filter((issue) => !seen.has(issue.path));
}

/** A parsed study: its objective filled in (see parseStudy). */
export type Study = Omit<z.output<typeof studySchema>, 'objective'> & { objective: Objective[] };
/** A study as written in a file: optional fields may be left out. */
export type StudyInput = z.input<typeof studySchema>;

function countUpTo(items: Iterable<unknown>, limit: number): number {
  let count = 0;
  for (const _ of items) if (++count >= limit) break;
  return count;
}

/** A validated study with every default filled in; throws a StudyError listing every problem found. */
export function parseStudy(json: unknown): Study {
  const result = studySchema.safeParse(json, { reportInput: true });
  const reserved = reservedKeyIssues(json);
  if (!result.success || reserved.length > 0) {
    const issues = result.success ? [] : issuesFromZod(result.error);
    throw new StudyError([...reserved, ...issues, ...ruleIssuesOfWellFormedParts(json, [...reserved, ...issues])]);
  }
  const { objective, ...rest } = result.data;
  if (objective) return { ...rest, objective };
  const study = { ...rest, objective: [defaultObjective(declaredTask(rest.data) ?? 'classification')] };
  OBJECTIVE_LEFT_OUT.add(study);
  return study;
}

/**
 * NOTE: the one place a study's default objective is decided. A study whose file names no objective
 * optimizes its task's first metric (defaultObjective: val_accuracy for classification, val_rmse for
 * regression). A table that does not declare its task has it guessed from the target when the file is
 * read, so until then such a study holds classification's default, and studyForTask replaces it.
 * Kept by identity rather than as a field, so the study's JSON (journal, study.json) stays as written.
 */
const OBJECTIVE_LEFT_OUT = new WeakSet<Study>();

/** The task a data spec states before its file is read: tables may leave it to the target's guess. */
function declaredTask(data: DataSpec): 'classification' | 'regression' | undefined {
  return data.kind === 'table' ? data.task : 'classification';
}

/** Whether the study's objective waits for its data's task: the file names none, and a table's task is left to the target's guess. */
export function objectiveAwaitsTask(study: Study): boolean {
  return OBJECTIVE_LEFT_OUT.has(study) && declaredTask(study.data) === undefined;
}

/** The study with the objective its loaded data's task implies, where its file named none; otherwise the study itself. */
export function studyForTask(study: Study, task: 'classification' | 'regression'): Study {
  if (!OBJECTIVE_LEFT_OUT.has(study) || study.objective[0]!.metric === defaultObjective(task).metric) return study;
  const resolved = { ...study, objective: [defaultObjective(task)] };
  OBJECTIVE_LEFT_OUT.add(resolved);
  return resolved;
}

/** parseStudy for file text, so malformed JSON fails the same way as a bad field. */
export function parseStudyText(text: string): Study {
  let json: unknown;
  try {
    // A UTF-8 byte-order mark (editors on Windows write one) is not part of the JSON.
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new StudyError([{ path: '(root)', message: `not valid JSON: ${(error as Error).message}` }]);
  }
  return parseStudy(json);
}

/** The study as plain JSON; parseStudy(studyToJson(study)) equals study. */
export function studyToJson(study: Study): StudyInput {
  return JSON.parse(JSON.stringify(study)) as StudyInput;
}

/** What the loaded data says about a study: its task, and whether trials train cross-validation folds. */
export interface StudyData {
  task?: 'classification' | 'regression';
  folds?: number;
}

/**
 * Checks what needs the loaded data: every objective must score the data's task, PBT cannot train
 * folds, and every batch size the study can propose must fit in `trainRows`, the rows a trial
 * trains on (a batch never wraps around the epoch; with folds, the smallest fold's training rows).
 * Throws a StudyError naming each problem.
 */
export function checkStudyAgainstData(study: Study, trainRows: number, data: StudyData = {}): void {
  const issues: StudyIssue[] = [];
  study.objective.forEach((o, i) => {
    const problem = metricTaskProblem(o.metric, data.task ?? 'classification');
    if (problem) issues.push({ path: study.objective.length > 1 ? `objective[${i}].metric` : 'objective.metric', message: problem });
  });
  if (study.loss && data.task !== 'regression') issues.push({ path: 'loss', message: `applies to regression data; ${data.task ?? 'classification'} trains with softmax cross-entropy` });
  if (data.folds !== undefined && study.sampler.type === 'pbt') {
    issues.push({ path: 'sampler.type', message: `pbt copies one trial's weights onto another's, which cross-validation's ${data.folds} folds of a trial cannot share: use another sampler, or no cv` });
  }
  const check = (path: string, batchSize: number, what = String(batchSize), then = '') => {
    const problem = batchTooLarge(batchSize, trainRows);
    if (problem) issues.push({ path, message: `${what} ${problem}${then}` });
  };
  const d = study.space.batch_size;
  if (d?.type === 'fixed') check('space.batch_size.value', d.value as number);
  if (d?.type === 'categorical') d.choices.forEach((choice, i) => check(`space.batch_size.choices[${i}]`, choice as number));
  if (d?.type === 'int') {
    if (study.sampler.type === 'grid' && d.values) d.values.forEach((value, i) => check(`space.batch_size.values[${i}]`, value));
    else {
      const step = d.step ?? 1;
      const largest = stepValue(d.low, step, stepCount(d.low, d.high, step) - 1);
      check('space.batch_size', largest, `high (${largest})`);
    }
  }
  // Where the space may not set batch_size, the default applies.
  if (d === undefined || d.when !== undefined) {
    const given = study.defaults.batch_size;
    if (given === undefined) check('defaults.batch_size', TRIAL_DEFAULTS.batch_size, `the built-in default (${TRIAL_DEFAULTS.batch_size})`, ': set a smaller one');
    else check('defaults.batch_size', given as number);
  }
  if (issues.length > 0) throw new StudyError(issues, 'study does not fit its data');
}

/** Trials the study runs: budget.trials (PBT: its population), capped by the grid's size. */
export function trialCount(study: Study, sampler: Pick<Sampler, 'size'>): number {
  const count = study.sampler.type === 'pbt' ? study.sampler.population : (study.budget.trials ?? Infinity);
  return Math.min(count, sampler.size ?? Infinity);
}
