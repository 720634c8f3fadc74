// The slot planner (pure): where asked trials go — free slots of running cohorts, new cohorts — which
// cohorts close or compact, and how many steps the cohorts train before a trial reaches its next event.
import { slotRefusal, type SlotBuffers } from '../model/cohort-layout.ts';
import { optimizerState } from '../model/optimizers.ts';
import { plannedSteps, stepsPerEpoch } from '../model/steps.ts';
import { optimizerConfig, OPTIMIZERS, shapeKey, TRIAL_DEFAULTS, type OptimizerKind, type TrialConfig } from '../model/trial-config.ts';
import type { Study } from '../search/study.ts';
import { admit, planCohorts, type CohortPlan, type PlanInput, type RefusedTrial } from './plan.ts';

/** A running cohort as the planner sees it. */
export interface CohortView {
  /** The shape key (shapeKey) every trial of the cohort has. */
  key: string;
  /** The trial number in each of its T slots; null while the slot idles. */
  members: readonly (number | null)[];
  /** Bytes it holds on the device. */
  bytes: number;
  /** The optional buffers it allocated: a refill may not need more. */
  holds: SlotBuffers;
}

/** A trial asked and not yet training. */
export interface WaitingTrial {
  number: number;
  config: TrialConfig;
}

export interface SlotInput {
  /** The running cohorts, in the order they started. */
  cohorts: readonly CohortView[];
  /** Trials waiting for a slot, in the order they were asked. */
  waiting: readonly WaitingTrial[];
  /** Whether the study may ask more trials later (then new cohorts reserve buffers for refills). */
  moreToCome: boolean;
  /** Cohorts training at once, at most. */
  maxConcurrent: number;
  /** What new cohorts are packed against: the data's sizes, the device budget, slots per cohort. */
  packing: Omit<PlanInput, 'trials'>;
}

/** What to do with the cohorts and the waiting trials now, to be carried out in this order. */
export interface SlotPlan {
  /** Cohorts (positions in `cohorts`) none of whose slots trains: free them. */
  close: number[];
  /** Waiting trials put in free slots of running cohorts of their shape. */
  refill: { trial: number; cohort: number; slot: number }[];
  /** Waiting trials no cohort can hold, with the limit each exceeds. */
  refuse: RefusedTrial[];
  /** New cohorts to start; `reserve`: allocate what any later trial could need, for refills. */
  start: { plan: CohortPlan; reserve: boolean }[];
  /** Cohorts to move, with their training trials, into a cohort of their own size. */
  compact: { cohort: number; members: { trial: number; slot: number }[] }[];
}

/**
 * Decides, in order: close, refill, refuse, start, compact.
 * NOTE: a cohort none of whose trials still trains is freed, even when trials of its shape wait:
 * they get a cohort of their own size, where refilling the old one would leave slots idle. Refills
 * go only into cohorts that still train (their free slots would idle anyway), in trial order.
 * NOTE: a cohort whose training trials fill at most half its slots, with no trial of its shape
 * still waiting, compacts (its trials move buffer to buffer and train on bit for bit), so idle
 * slots stop costing a dispatch lane each.
 */
export function planSlots(input: SlotInput): SlotPlan {
  const close = input.cohorts.flatMap((c, i) => (c.members.every((m) => m === null) ? [i] : []));
  const open = input.cohorts.flatMap((c, i) => (close.includes(i) ? [] : [{ ...c, members: [...c.members], at: i }]));
  const waiting = [...input.waiting];
  const take = (number: number) => waiting.splice(waiting.findIndex((t) => t.number === number), 1);

  const refill: SlotPlan['refill'] = [];
  for (const trial of input.waiting) {
    const key = shapeKey(trial.config);
    const into = open.find((c) => c.key === key && slotRefusal(c.holds, trial.config) === null && c.members.includes(null));
    if (!into) continue;
    const slot = into.members.indexOf(null);
    into.members[slot] = trial.number;
    refill.push({ trial: trial.number, cohort: into.at, slot });
    take(trial.number);
  }

  let refuse: RefusedTrial[] = [];
  const start: SlotPlan['start'] = [];
  if (waiting.length > 0 && open.length < input.maxConcurrent) {
    const planned = planCohorts({ ...input.packing, trials: waiting.map((t) => ({ index: t.number, config: t.config })) });
    refuse = planned.refused;
    for (const refused of refuse) take(refused.index);
    // Oldest trials first: a group waits no longer than its first trial's number says.
    const order = [...planned.cohorts].sort((a, b) => a.trials[0]!.index - b.trials[0]!.index);
    const runningBytes = open.reduce((s, c) => s + c.bytes, 0);
    for (const plan of admit(order, runningBytes, open.length, input.packing.budget, input.maxConcurrent)) {
      // Slots stay open for refills while more trials may come: reserve what any of them could need.
      start.push({ plan, reserve: input.moreToCome || waiting.length > plan.trials.length });
      for (const t of plan.trials) take(t.index);
    }
  }

  const compact: SlotPlan['compact'] = [];
  for (const c of open) {
    const members = c.members.flatMap((trial, slot) => (trial === null ? [] : [{ trial, slot }]));
    if (members.length === 0 || 2 * members.length > c.members.length) continue;
    if (waiting.some((t) => shapeKey(t.config) === c.key)) continue;
    compact.push({ cohort: c.at, members });
  }
  return { close, refill, refuse, start, compact };
}

/**
 * The optimizer state and dropout buffers any trial of the study may need, so that a refill always
 * fits: a cohort that may be refilled allocates them all.
 */
export function refillReserve(study: Study): SlotBuffers {
  const { space, defaults } = study;
  const drawn = space.optimizer;
  const kinds: OptimizerKind[] =
    drawn?.type === 'categorical' ? (drawn.choices.filter((c) => OPTIMIZERS.includes(c as OptimizerKind)) as OptimizerKind[]) : drawn?.type === 'fixed' ? [drawn.value as OptimizerKind] : [(defaults.optimizer as OptimizerKind | undefined) ?? TRIAL_DEFAULTS.optimizer];
  // Momentum may be above 0 where the space draws it, the defaults set it, or the optimizer's own default has it.
  const momentumOf = (kind: OptimizerKind) => ('momentum' in space ? 1 : defaults.momentum !== undefined ? Number(defaults.momentum) : optimizerConfig(kind, 1).momentum);
  const reserve = { m: false, v: false, dropout: 'dropout' in space || Number(defaults.dropout ?? 0) > 0 };
  for (const kind of kinds) {
    const need = optimizerState(kind, momentumOf(kind));
    reserve.m ||= need.m;
    reserve.v ||= need.v;
  }
  return reserve;
}

/** Where a trial reports, in its own steps: every epoch, or every `every` steps. */
export interface ReportPlan {
  unit: 'epoch' | 'step';
  /** Report every this many units (epochs or steps). */
  every: number;
}

/**
 * The report unit: the pruner's or PBT's if given; else epochs, unless trials are cut short by
 * budget.maxStepsPerTrial below two epochs of `first` (then steps, eight reports a trial).
 */
export function reportPlan(study: Study, first: TrialConfig, trainRows: number): ReportPlan {
  if (study.sampler.type === 'pbt') return { unit: 'step', every: study.sampler.interval };
  const pruner = study.pruner.type === 'none' ? null : study.pruner;
  const spe = stepsPerEpoch(trainRows, first.batchSize);
  const planned = plannedSteps(first, trainRows, study.budget.maxStepsPerTrial);
  const unit = pruner?.unit ?? (planned < 2 * spe ? 'step' : 'epoch');
  return { unit, every: pruner?.every ?? (unit === 'epoch' ? 1 : Math.max(1, Math.floor(planned / 8))) };
}

/** A training slot's clock: steps its trial has taken, and the steps it trains in all. */
export interface SlotClock {
  steps: number;
  end: number;
  /** Its own epoch's steps, where it trains on rows of its own (a cross-validation fold); else the cohort's. */
  stepsPerEpoch?: number;
}

/** What a slot reached at its current step: its trial's end, an epoch's end, a report. */
export interface SlotEvent {
  end: boolean;
  epochEnd: boolean;
  report: boolean;
}

/** Steps until the next event of any of `slots` (Infinity when none trains). */
export function stepsToNextEvent(slots: readonly SlotClock[], stepsPerEpoch: number, plan: ReportPlan): number {
  let steps = Infinity;
  for (const { steps: done, end, stepsPerEpoch: own } of slots) {
    const spe = own ?? stepsPerEpoch;
    const every = plan.unit === 'epoch' ? spe * plan.every : plan.every;
    const nextReport = (Math.floor(done / every) + 1) * every;
    steps = Math.min(steps, spe - (done % spe), nextReport - done, end - done);
  }
  return steps;
}

/** The event a slot has reached, or null when it is between events. */
export function eventAt(slot: SlotClock, cohortStepsPerEpoch: number, plan: ReportPlan): SlotEvent | null {
  const stepsPerEpoch = slot.stepsPerEpoch ?? cohortStepsPerEpoch;
  const end = slot.steps >= slot.end;
  const epochEnd = slot.steps % stepsPerEpoch === 0;
  const report = plan.unit === 'epoch' ? epochEnd && (slot.steps / stepsPerEpoch) % plan.every === 0 : slot.steps % plan.every === 0;
  return end || epochEnd || report ? { end, epochEnd, report } : null;
}

/** A report's step in the study's unit (epochs or optimizer steps). */
export function reportStep(steps: number, stepsPerEpoch: number, plan: ReportPlan): number {
  return plan.unit === 'epoch' ? steps / stepsPerEpoch : steps;
}
