// What every analysis view of one study draws from: its trials (as filtered by brushing and the table's filters), objectives, parameters, Pareto front and selection.
import { stepsPerEpoch } from '../../model/steps.ts';
import type { TrialRecord } from '../../store/records.ts';
import { rankTrials, valueOf, type ParamInfo, type ViewObjective, type ViewTrial } from '../viewer/model.ts';

export interface StudyView {
  /** The trials to draw: all of them, or those inside every brushed range and filter. */
  trials: readonly ViewTrial[];
  /** Every trial of the study, filtered or not. */
  all: readonly ViewTrial[];
  objectives: readonly ViewObjective[];
  /** The parameters that vary, in declaration order. */
  params: readonly ParamInfo[];
  /** Non-dominated trials, when the study has several objectives (empty otherwise). */
  pareto: ReadonlySet<number>;
  /** Trials the user picked out (table, legend or a click). */
  selected: ReadonlySet<number>;
  /** Training rows, to turn steps into epochs (fusetune's own studies). */
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
export function topTrials(view: Pick<StudyView, 'trials' | 'objectives'>, k: number): ViewTrial[] {
  return rankTrials(view.trials, view.objectives)
    .filter((t) => valueOf(t, 0) !== null)
    .slice(0, k);
}

/** A label with an index per trial, for legends and tips. */
export function trialLabel(index: number): string {
  return `trial ${index}`;
}
