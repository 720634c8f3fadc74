// A trial's life: the states every layer names, and which of them are final.

/**
 * pending: asked, not yet training; running: in a cohort; done: trained its full budget;
 * pruned: stopped early by a pruner (its intermediate values stand); diverged: loss or an update
 * went NaN/Inf or exploded; failed: could not train (refused by the planner, a kernel error);
 * stopped: cut off by the user or a lost device (a resumed study trains it again).
 */
export type TrialState = 'pending' | 'running' | 'done' | 'pruned' | 'diverged' | 'failed' | 'stopped';

/** States a trial never leaves: it is kept as is by a resumed study. */
export const FINISHED_STATES: ReadonlySet<TrialState> = new Set<TrialState>(['done', 'pruned', 'diverged', 'failed']);

export function isFinished(state: TrialState): boolean {
  return FINISHED_STATES.has(state);
}
