// Any Optuna journal as the views' studies, built from its records alone and fed incrementally: a whole file at once, or records as `fusetune app` streams them.
import { METRIC_LABELS, OBJECTIVE_METRICS, type ObjectiveMetric } from '../../model/objectives.ts';
import type { TrialState } from '../../model/states.ts';
import type { Scalar } from '../../search/space.ts';
import { JournalReplay, OP, parseJournalLines, parseOptunaDatetime, toExternal, type JournalRecord, type JournalStudy, type JournalTrial, type OptunaTrialState } from '../../store/optuna-journal.ts';
import type { JsonValue } from '../../store/python-json.ts';
import { specsOfDistributions, type ViewObjective, type ViewStudy, type ViewTrial } from './model.ts';

/** One study of a journal, as the app offers it to open. */
export interface JournalStudyChoice {
  studyId: number;
  name: string;
  trials: number;
  directions: readonly string[];
  /** Written by fusetune: the journal holds the study file it ran (its `fusetune:study` user attr). */
  fusetune: boolean;
}

/** NOTE: the study user attr fusetune writes its study file into (store/optuna-mapping.ts STUDY_ATTR.study); only its presence is read here. */
const FUSETUNE_STUDY_ATTR = 'fusetune:study';

const STATES: Readonly<Record<OptunaTrialState, TrialState>> = { COMPLETE: 'done', PRUNED: 'pruned', FAIL: 'failed', RUNNING: 'running', WAITING: 'pending' };

const isObject = (v: JsonValue | undefined): v is Record<string, JsonValue> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isoOf(stamp: string | null): string | undefined {
  if (stamp === null) return undefined;
  const ms = parseOptunaDatetime(stamp);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** A trial's params as sampled; an enqueued (WAITING) trial's `fixed_params`; a stored index outside its choices stays the index. */
function paramsOf(trial: JournalTrial): Record<string, Scalar> {
  const params: Record<string, Scalar> = {};
  for (const [name, internal] of Object.entries(trial.params)) {
    try {
      params[name] = toExternal(trial.distributions[name]!, internal);
    } catch {
      params[name] = internal;
    }
  }
  const fixed = trial.systemAttrs.fixed_params;
  if (Object.keys(params).length === 0 && isObject(fixed)) {
    for (const [name, value] of Object.entries(fixed)) if (value === null || typeof value !== 'object') params[name] = value;
  }
  return params;
}

export function viewTrialOf(trial: JournalTrial): ViewTrial {
  const view: ViewTrial = {
    index: trial.number,
    trialId: trial.trialId,
    state: STATES[trial.state],
    params: paramsOf(trial),
    values: trial.values,
    intermediate: [...trial.intermediate].sort((a, b) => a[0] - b[0]).map(([step, value]) => ({ step, value })),
    // Copies: the replay goes on changing its trials as records arrive.
    userAttrs: { ...trial.userAttrs },
    systemAttrs: { ...trial.systemAttrs },
    distributions: { ...trial.distributions },
  };
  const started = isoOf(trial.datetimeStart);
  const finished = isoOf(trial.datetimeComplete);
  if (started !== undefined) view.startedAt = started;
  if (finished !== undefined) view.finishedAt = finished;
  return view;
}

/** A study's objectives: its directions, named by its `study:metric_names` when it has them (fusetune's metrics get their labels). */
export function objectivesOf(study: JournalStudy): ViewObjective[] {
  const names = study.systemAttrs['study:metric_names'];
  const named = Array.isArray(names) && names.length === study.directions.length ? names : null;
  return study.directions.map((d, k) => {
    const direction = d === 'maximize' ? 'maximize' : 'minimize';
    const name = named?.[k];
    if (typeof name === 'string' && (OBJECTIVE_METRICS as readonly string[]).includes(name)) return { label: METRIC_LABELS[name as ObjectiveMetric], direction, metric: name as ObjectiveMetric };
    if (typeof name === 'string' && name !== '') return { label: name, direction };
    return { label: study.directions.length === 1 ? 'value' : `objective ${k}`, direction };
  });
}

/**
 * A journal's studies for the views, replayed by Optuna's rules (store/optuna-journal.ts) and
 * nothing else: any parameter names, values and distributions. Records can be appended at any time
 * (`append`, `appendText`); `study` then rebuilds only the trials they touched.
 */
export class JournalViewer {
  private readonly replay = new JournalReplay('');
  /** Each trial's view by trial id, until a record touches it. */
  private readonly views = new Map<number, ViewTrial>();
  private tail = '';
  private nextLine = 1;

  /** `source` names the journal in errors (`journal.log line 17: …`). */
  constructor(readonly source = 'journal') {}

  /** Records read so far (the next record's log number). */
  get records(): number {
    return this.replay.logNumberRead;
  }

  /**
   * Applies records appended to the journal, in log order: the reducer that `fusetune app`'s live
   * stream feeds. Returns the ids of the studies they touched. Throws JournalFormatError for a
   * record Optuna would refuse (a distribution it cannot read).
   */
  append(records: readonly JournalRecord[]): Set<number> {
    const touched = new Set<number>();
    for (const record of records) {
      this.replay.apply([record]);
      if (record.op_code >= OP.SET_TRIAL_PARAM && record.op_code <= OP.SET_TRIAL_SYSTEM_ATTR) {
        const trialId = (record as Extract<JournalRecord, { trial_id: number }>).trial_id;
        this.views.delete(trialId);
        const trial = this.replay.trial(trialId);
        if (trial) touched.add(trial.studyId);
      } else if (record.op_code >= OP.DELETE_STUDY && record.op_code <= OP.CREATE_TRIAL) touched.add((record as Extract<JournalRecord, { study_id: number }>).study_id);
      else if (record.op_code === OP.CREATE_STUDY) {
        const study = this.replay.studyByName(record.study_name);
        if (study) touched.add(study.studyId);
      }
    }
    return touched;
  }

  /**
   * Appends journal text as it grows (a whole file, or the bytes written since): complete lines are
   * read, a last line without its newline waits for the rest. As Optuna reads a file, a line that
   * does not parse is an error once more lines follow it (JournalFormatError naming the line).
   */
  appendText(chunk: string): Set<number> {
    const text = this.tail + chunk;
    const end = text.lastIndexOf('\n');
    if (end < 0) {
      this.tail = text;
      return new Set();
    }
    const lines = text.slice(0, end).split('\n');
    const { records, read } = parseJournalLines(lines, this.nextLine, this.source);
    this.nextLine += read;
    this.tail = lines
      .slice(read)
      .map((line) => `${line}\n`)
      .join('') + text.slice(end + 1);
    return this.append(records);
  }

  choices(): JournalStudyChoice[] {
    return this.replay.studies().map((study) => ({
      studyId: study.studyId,
      name: study.name,
      trials: this.replay.trialsOf(study.studyId).length,
      directions: study.directions,
      fusetune: study.userAttrs[FUSETUNE_STUDY_ATTR] !== undefined,
    }));
  }

  /** The replayed study and its trials, as Optuna's storage holds them (for readers that need more, such as fusetune's own record). */
  journalStudy(studyId: number): { study: JournalStudy; trials: JournalTrial[] } | null {
    const study = this.replay.study(studyId);
    return study ? { study, trials: this.replay.trialsOf(studyId) } : null;
  }

  /** The study as the views see it; `id` names it in the app. Unchanged trials keep their objects. */
  study(studyId: number, id: string): ViewStudy | null {
    const study = this.replay.study(studyId);
    if (!study) return null;
    const trials = this.replay.trialsOf(studyId).map((t) => {
      let view = this.views.get(t.trialId);
      if (!view) this.views.set(t.trialId, (view = viewTrialOf(t)));
      return view;
    });
    return {
      id,
      name: study.name,
      objectives: objectivesOf(study),
      trials,
      space: specsOfDistributions(trials),
      userAttrs: study.userAttrs,
      systemAttrs: study.systemAttrs,
      record: null,
      reportUnit: 'step',
    };
  }
}
