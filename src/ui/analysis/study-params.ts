// The best trial of a fusetune study record, found from its trials (the record's own `best` is written only when a run ends).
import { objectivesOf } from '../../search/specs.ts';
import { objectiveValue, rankTrials, type StudyRecord } from '../../store/records.ts';

/**
 * The best trial by the first objective, found from the trials themselves: `record.best` is
 * written when a run ends, so a run cut off by a reload has none though trials finished.
 */
export function bestTrial(record: Pick<StudyRecord, 'trials' | 'study'> & { dataset?: Pick<StudyRecord['dataset'], 'task'> }): number | null {
  const objective = objectivesOf(record.study.objective, record.dataset?.task)[0]!;
  const top = rankTrials(record.trials, objective)[0];
  return top && objectiveValue(top, objective) !== null ? top.index : null;
}
