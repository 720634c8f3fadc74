// A results folder as a model: which trials' weights `fusetune run` keeps, and where (weights/trial-N.safetensors).
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Objective } from '../model/objectives.ts';
import { rankTrials, type TrialRecord } from '../store/records.ts';

export const WEIGHTS_DIR = 'weights';

/** A trial's weights in the results folder. */
export function weightsFile(index: number): string {
  return join(WEIGHTS_DIR, `trial-${index}.safetensors`);
}

/** The trials whose weights a run keeps: the best `keep` finished trials by the first objective. */
export function keptTrials(trials: readonly TrialRecord[], objective: Objective, keep: number): number[] {
  return rankTrials(trials, objective)
    .filter((t) => t.state === 'done')
    .slice(0, keep)
    .map((t) => t.index);
}

/**
 * Removes from `dir`/weights/ the weights of trials not in `kept` (written while they were among the
 * best so far, since overtaken). Returns the trials whose weights are there.
 */
export function pruneWeights(dir: string, kept: readonly number[]): number[] {
  const keep = new Set(kept);
  const present: number[] = [];
  let names: string[];
  try {
    names = readdirSync(join(dir, WEIGHTS_DIR));
  } catch {
    return present;
  }
  for (const name of names) {
    const index = /^trial-(\d+)\.safetensors$/.exec(name)?.[1];
    if (index === undefined) continue;
    if (keep.has(Number(index))) present.push(Number(index));
    else rmSync(join(dir, WEIGHTS_DIR, name), { force: true });
  }
  return present.sort((a, b) => a - b);
}
