// The best objective value reached so far, by trial number or by training samples spent: how fast a study converges.
import { better } from '../../model/objectives.ts';
import { isFinished } from '../../model/states.ts';
import { valueOf, type ViewObjective, type ViewTrial } from '../viewer/model.ts';

export interface BestPoint {
  trial: number;
  /** The trial number, or the samples every trial had trained when this one finished. */
  x: number;
  /** This trial's objective value. */
  value: number;
  /** The best value of this trial and all before it on x. */
  best: number;
  /** Whether this trial set a new best. */
  improved: boolean;
}

/** Samples a trial trained (fusetune's trials): its optimizer steps × its batch size; 0 for a trial with no run. */
export function samplesTrained(trial: ViewTrial): number {
  return trial.run ? trial.run.stepsDone * trial.run.config.batchSize : 0;
}

/**
 * One point per trial with a value of objective k, in x order. `trial`: x is the trial number
 * (Optuna's history plot). `samples`: trials in the order they finished, x the samples trained by
 * every finished trial so far (pruned and diverged ones too: they cost samples), so a study that
 * prunes or fuses well reaches its best sooner.
 */
export function bestSoFar(trials: readonly ViewTrial[], objective: ViewObjective, by: 'trial' | 'samples', k = 0): BestPoint[] {
  const ordered =
    by === 'trial'
      ? [...trials].sort((a, b) => a.index - b.index)
      : trials.filter((t) => isFinished(t.state)).sort((a, b) => (a.finishedAt ?? '').localeCompare(b.finishedAt ?? '') || a.index - b.index);
  const points: BestPoint[] = [];
  let spent = 0;
  let best: number | null = null;
  for (const trial of ordered) {
    spent += samplesTrained(trial);
    const value = valueOf(trial, k);
    if (value === null) continue;
    const improved = best === null || better(value, best, objective.direction);
    if (improved) best = value;
    points.push({ trial: trial.index, x: by === 'trial' ? trial.index : spent, value, best: best!, improved });
  }
  return points;
}
