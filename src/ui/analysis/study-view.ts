// What every analysis view of one study draws from: its trials (as filtered by brushing), objectives, parameters, Pareto front and selection.
import type { Objective } from '../../model/objectives.ts';
import { stepsPerEpoch } from '../../model/steps.ts';
import { rankTrials, objectiveValue, type TrialRecord } from '../../store/records.ts';
import type { ParamInfo } from './study-params.ts';

export interface StudyView {
  /** The trials to draw: all of them, or those inside every brushed range of the parallel coordinates. */
  trials: readonly TrialRecord[];
  /** Every trial of the study, filtered or not. */
  all: readonly TrialRecord[];
  objectives: readonly Objective[];
  /** The parameters that vary, in declaration order. */
  params: readonly ParamInfo[];
  /** Non-dominated trials, when the study has several objectives (empty otherwise). */
  pareto: ReadonlySet<number>;
  /** Trials the user picked out (table, legend or a click). */
  selected: ReadonlySet<number>;
  /** Training rows, to turn steps into epochs. */
  trainRows: number;
  /** Where intermediate values are counted. */
  reportUnit: 'epoch' | 'step';
  /** Whether the study is training now (charts then redraw calmly). */
  live: boolean;
}

export type XUnit = 'steps' | 'epochs' | 'samples';

/** A training step of `trial` on the chosen axis: the step itself, epochs done, or samples seen (so batch sizes line up). */
export function stepToX(trial: TrialRecord, step: number, unit: XUnit, trainRows: number): number {
  if (unit === 'steps') return step;
  if (unit === 'samples') return step * trial.config.batchSize;
  return step / Math.max(1, stepsPerEpoch(trainRows, trial.config.batchSize));
}

/** The k best trials by the first objective (those with a value), best first. */
export function topTrials(view: Pick<StudyView, 'trials' | 'objectives'>, k: number): TrialRecord[] {
  const objective = view.objectives[0]!;
  return rankTrials(view.trials, objective)
    .filter((t) => objectiveValue(t, objective) !== null)
    .slice(0, k);
}

/** A label with an index per trial, for legends and tips. */
export function trialLabel(index: number): string {
  return `trial ${index}`;
}
