// What the app's views show of any study, fusetune's or Optuna's: trials with their params, values, states, intermediate values and attrs; nothing of the training vocabulary.
import type { Direction, ObjectiveMetric } from '../../model/objectives.ts';
import type { TrialState } from '../../model/states.ts';
import { paretoFront } from '../../search/pareto.ts';
import type { Scalar } from '../../search/space.ts';
import type { OptunaDistribution } from '../../store/optuna-journal.ts';
import type { JsonValue } from '../../store/python-json.ts';
import type { StudyRecord, TrialRecord } from '../../store/records.ts';

/** One objective as the views name and format it. */
export interface ViewObjective {
  /** How tables and axes name it: fusetune's metric label, Optuna's `study:metric_names` entry, or `objective 0`. */
  label: string;
  direction: Direction;
  /** fusetune's metric, when the objective is one (accuracy then reads in percent). */
  metric?: ObjectiveMetric;
}

/** A parameter as declared (fusetune's space) or as the trials' distributions say. */
export interface ParamSpec {
  name: string;
  kind: 'numeric' | 'categorical';
  /** Sampled log-uniformly: axes and bins use log10. */
  log: boolean;
  /** The distribution's bounds (numeric), when known. */
  low?: number;
  high?: number;
  /** An integer parameter (numeric). */
  int?: boolean;
  /** Its step, when it has one (numeric). */
  step?: number | null;
  /** The choices (categorical), in the distribution's order, when known. */
  choices?: readonly Scalar[];
}

export interface ViewTrial {
  /** Optuna's trial number, fusetune's trial index. */
  index: number;
  /** Optuna's trial id (its CREATE_TRIAL record's place among every study's), for a trial read from a journal. */
  trialId?: number;
  /** COMPLETE is done, PRUNED pruned, FAIL failed, RUNNING running and WAITING pending; fusetune's own trials say more (diverged, stopped). */
  state: TrialState;
  /** Why a trial was pruned, diverged, failed or stopped, where the source says. */
  reason?: string;
  /** Values as sampled (a categorical's choice); an enqueued trial's fixed params. */
  params: Readonly<Record<string, Scalar>>;
  /** The objectives' values, in the study's order, as recorded (also for a pruned trial that has one). */
  values: readonly number[] | null;
  /** Reports, by step. */
  intermediate: readonly { step: number; value: number }[];
  /** ISO time stamps. */
  startedAt?: string;
  finishedAt?: string;
  userAttrs: Readonly<Record<string, JsonValue>>;
  systemAttrs: Readonly<Record<string, JsonValue>>;
  distributions: Readonly<Record<string, OptunaDistribution>>;
  /** fusetune's record of the trial (curves, epochs, speed, bytes), when it trained here or its journal carries it. */
  run?: TrialRecord;
}

export interface ViewStudy {
  /** Where it comes from: a saved study's id, or `file:…` for files and journals opened in this page. */
  id: string;
  name: string;
  objectives: readonly ViewObjective[];
  trials: readonly ViewTrial[];
  /** Declared parameters, in declaration order (more may appear in trials: PBT's mutations). */
  space: readonly ParamSpec[];
  userAttrs: Readonly<Record<string, JsonValue>>;
  systemAttrs: Readonly<Record<string, JsonValue>>;
  /** fusetune's record of the whole study, when there is one (a run, a results file, a journal fusetune wrote). */
  record: StudyRecord | null;
  /** Where intermediate values are counted. */
  reportUnit: 'epoch' | 'step';
}

/** The objective's value of a trial, or null unless it is done with a finite value. */
export function valueOf(trial: ViewTrial, k: number): number | null {
  if (trial.state !== 'done') return null;
  const v = trial.values?.[k];
  return v !== undefined && Number.isFinite(v) ? v : null;
}

/** Every objective's value, or null unless the trial has them all. */
export function valuesOf(trial: ViewTrial, objectives: number): number[] | null {
  const out: number[] = [];
  for (let k = 0; k < objectives; k++) {
    const v = valueOf(trial, k);
    if (v === null) return null;
    out.push(v);
  }
  return out;
}

/** Trials best first by objective k; those without a value last, by index. */
export function rankTrials<T extends ViewTrial>(trials: readonly T[], objectives: readonly ViewObjective[], k = 0): T[] {
  const sign = objectives[k]!.direction === 'maximize' ? -1 : 1;
  const keyed = trials.map((t) => ({ t, v: valueOf(t, k) }));
  keyed.sort((a, b) => {
    if (a.v === null || b.v === null) return a.v === null && b.v === null ? a.t.index - b.t.index : a.v === null ? 1 : -1;
    return sign * (a.v - b.v) || a.t.index - b.t.index;
  });
  return keyed.map((x) => x.t);
}

/** The best trial by objective k, or null when none has a value. */
export function bestIndex(trials: readonly ViewTrial[], objectives: readonly ViewObjective[], k = 0): number | null {
  const sign = objectives[k]!.direction === 'maximize' ? -1 : 1;
  let best: ViewTrial | null = null;
  let bestValue = 0;
  for (const t of trials) {
    const v = valueOf(t, k);
    if (v === null) continue;
    if (best === null || sign * (v - bestValue) < 0 || (v === bestValue && t.index < best.index)) {
      best = t;
      bestValue = v;
    }
  }
  return best?.index ?? null;
}

/** The trials no other trial beats in every objective (several objectives; empty with one), by search/pareto.ts. */
export function paretoIndices(trials: readonly ViewTrial[], objectives: readonly ViewObjective[]): Set<number> {
  if (objectives.length < 2) return new Set();
  const scored: number[] = [];
  const values: number[][] = [];
  for (const t of trials) {
    const v = valuesOf(t, objectives.length);
    if (v === null) continue;
    scored.push(t.index);
    values.push(v);
  }
  return new Set(
    paretoFront(
      values,
      objectives.map((o) => o.direction),
    ).map((i) => scored[i]!),
  );
}

/** A parameter the views draw: one that takes more than one value among the trials. */
export type ParamInfo = ParamSpec;

/**
 * The parameters that take more than one value among `trials`, declared ones first in declaration
 * order, then any others the trials hold (PBT's mutations, parameters a journal adds later).
 */
export function variedParams(trials: readonly ViewTrial[], space: readonly ParamSpec[]): ParamInfo[] {
  const declared = new Map(space.map((p) => [p.name, p]));
  const names = new Set(space.map((p) => p.name));
  for (const t of trials) for (const name in t.params) names.add(name);
  const out: ParamInfo[] = [];
  for (const name of names) {
    let first: Scalar | undefined;
    let varies = false;
    let numeric = true;
    let seen = false;
    for (const t of trials) {
      if (!Object.hasOwn(t.params, name)) continue;
      const v = t.params[name]!;
      if (typeof v !== 'number') numeric = false;
      if (!seen) {
        first = v;
        seen = true;
      } else if (!varies && !sameScalar(v, first!)) varies = true;
    }
    if (!varies) continue;
    const d = declared.get(name);
    const kind = d?.kind === 'categorical' || !numeric ? 'categorical' : 'numeric';
    const info: ParamInfo = { name, kind, log: kind === 'numeric' && d?.log === true };
    if (kind === 'numeric' && d?.low !== undefined && d.high !== undefined) Object.assign(info, { low: d.low, high: d.high });
    if (kind === 'numeric' && d?.int !== undefined) info.int = d.int;
    if (kind === 'numeric' && d?.step !== undefined) info.step = d.step;
    if (kind === 'categorical' && d?.choices) info.choices = d.choices;
    out.push(info);
  }
  return out;
}

function sameScalar(a: Scalar, b: Scalar): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}

/** The space of a study fusetune ran (its study file's `space`, read loosely: it is shown, never trained). */
export function specsOfSpace(space: unknown): ParamSpec[] {
  if (space === null || typeof space !== 'object') return [];
  return Object.entries(space as Record<string, { type?: unknown; log?: unknown; low?: unknown; high?: unknown; choices?: unknown }>).flatMap((entry): ParamSpec[] => {
    const [name, d] = entry;
    if (d === null || typeof d !== 'object' || d.type === 'fixed') return [];
    if (d.type === 'categorical') return [{ name, kind: 'categorical', log: false, ...(Array.isArray(d.choices) ? { choices: d.choices as Scalar[] } : {}) }];
    const bounds = typeof d.low === 'number' && typeof d.high === 'number' ? { low: d.low, high: d.high } : {};
    const step = typeof (d as { step?: unknown }).step === 'number' ? ((d as { step: number }).step) : d.type === 'int' ? 1 : null;
    return [{ name, kind: 'numeric', log: d.log === true, int: d.type === 'int', step, ...bounds }];
  });
}

/** Parameters as the trials' Optuna distributions declare them, in the order they first appear; bounds span every trial's. */
export function specsOfDistributions(trials: readonly Pick<ViewTrial, 'distributions'>[]): ParamSpec[] {
  const specs = new Map<string, ParamSpec>();
  for (const t of trials) {
    for (const [name, d] of Object.entries(t.distributions)) {
      const known = specs.get(name);
      if (d.name === 'CategoricalDistribution') {
        if (!known) specs.set(name, { name, kind: 'categorical', log: false, choices: d.choices });
        continue;
      }
      if (!known) specs.set(name, { name, kind: 'numeric', log: d.log, low: d.low, high: d.high, int: d.name === 'IntDistribution', step: d.step });
      else if (known.kind === 'numeric') Object.assign(known, { low: Math.min(known.low!, d.low), high: Math.max(known.high!, d.high) });
    }
  }
  return [...specs.values()];
}

/** A state as Optuna names it, for people who know Optuna's words. */
export function optunaStateOf(state: TrialState): string {
  switch (state) {
    case 'done':
      return 'COMPLETE';
    case 'pruned':
      return 'PRUNED';
    case 'running':
      return 'RUNNING';
    case 'pending':
      return 'WAITING';
    default:
      return 'FAIL';
  }
}
