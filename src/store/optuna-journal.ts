// Optuna's journal (as Optuna 3.1 writes and reads it): records, distributions, time stamps, and the replay into studies and trials.
import { z } from 'zod';
import type { Scalar } from '../search/space.ts';
import { InputError } from '../util/input-error.ts';
import { decodePythonJson, encodePythonJson, type JsonValue } from './python-json.ts';

/**
 * Optuna's JournalOperation codes. NOTE: fusetune writes 0–9 only. DISCARD_TRIALS (Optuna 5.0; only
 * Rustuna writes it) is read and skipped, as Optuna's own reader does.
 */
export const OP = {
  CREATE_STUDY: 0,
  DELETE_STUDY: 1,
  SET_STUDY_USER_ATTR: 2,
  SET_STUDY_SYSTEM_ATTR: 3,
  CREATE_TRIAL: 4,
  SET_TRIAL_PARAM: 5,
  SET_TRIAL_STATE_VALUES: 6,
  SET_TRIAL_INTERMEDIATE_VALUE: 7,
  SET_TRIAL_USER_ATTR: 8,
  SET_TRIAL_SYSTEM_ATTR: 9,
  DISCARD_TRIALS: 10,
} as const;

/** The study system attr that names the objectives (optuna-dashboard labels them with it). */
export const METRIC_NAMES_ATTR = 'study:metric_names';

/** Optuna's TrialState by its code (RUNNING = 0 … WAITING = 4). */
export const TRIAL_STATES = ['RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'WAITING'] as const;
export type OptunaTrialState = (typeof TRIAL_STATES)[number];

export function stateCode(state: OptunaTrialState): number {
  return TRIAL_STATES.indexOf(state);
}

/** COMPLETE, PRUNED and FAIL: Optuna ignores every later change to such a trial. */
export function isFinishedState(state: OptunaTrialState): boolean {
  return state === 'COMPLETE' || state === 'PRUNED' || state === 'FAIL';
}

/** Optuna's StudyDirection by its code. */
export const STUDY_DIRECTIONS = ['not_set', 'minimize', 'maximize'] as const;
export type StudyDirectionName = (typeof STUDY_DIRECTIONS)[number];

/**
 * fusetune's own attributes in a journal (Optuna ignores them; see docs/storage.md).
 * - heartbeat: study system attr `fusetune:heartbeat:<worker_id>` = the worker's latest time stamp.
 * - retry: trial system attr; a FAIL trial that has it does not count toward a study budget
 *   (its worker stopped or died, or it was created past the budget): the budget asks it again.
 * - state: trial system attr, fusetune's TrialState (diverged, failed and stopped are all FAIL in Optuna).
 */
export const FUSETUNE_ATTR = {
  heartbeatPrefix: 'fusetune:heartbeat:',
  retry: 'fusetune:retry',
  state: 'fusetune:state',
} as const;

/** A journal that cannot be read: names the record (file line or Redis key) and what is wrong. Bad input: exit 2. */
export class JournalFormatError extends InputError {
  constructor(
    readonly where: string,
    message: string,
    /** `json`: the text is not JSON (a torn write when it is the last line); `record`: not a record Optuna 3.1 reads. */
    readonly kind: 'json' | 'record' = 'record',
  ) {
    super(`${where}: ${message}`);
    this.name = 'JournalFormatError';
  }
}

// ---------------------------------------------------------------------------------------------
// Records

// zod's z.number() refuses NaN and ±Infinity, which Python's json writes and Optuna accepts.
const anyNumber = z.custom<number>((v) => typeof v === 'number', { message: 'must be a number' });
// Python's ints have no bound: a step past 2^53 is still one Optuna reads (zod's int() stops at 2^53).
const anyInteger = z.custom<number>((v) => typeof v === 'number' && Number.isInteger(v), { message: 'must be an integer' });
const id = z.number().int().min(0);
const jsonValue = z.custom<JsonValue>(() => true);
const oneAttr = z.record(z.string(), jsonValue).refine((attr) => Object.keys(attr).length === 1, { message: 'must hold exactly one key' });
const stateNumber = z.number().int().min(0).max(4);
const fields = { worker_id: z.string() };

export const journalRecordSchema = z.discriminatedUnion('op_code', [
  z.object({ op_code: z.literal(OP.CREATE_STUDY), ...fields, study_name: z.string(), directions: z.array(z.number().int().min(0).max(2)).min(1) }),
  z.object({ op_code: z.literal(OP.DELETE_STUDY), ...fields, study_id: id }),
  z.object({ op_code: z.literal(OP.SET_STUDY_USER_ATTR), ...fields, study_id: id, user_attr: oneAttr }),
  z.object({ op_code: z.literal(OP.SET_STUDY_SYSTEM_ATTR), ...fields, study_id: id, system_attr: oneAttr }),
  z.object({
    op_code: z.literal(OP.CREATE_TRIAL),
    ...fields,
    study_id: id,
    datetime_start: z.string().nullable(),
    state: stateNumber.optional(),
    value: anyNumber.nullable().optional(),
    values: z.array(anyNumber).nullable().optional(),
    datetime_complete: z.string().optional(),
    distributions: z.record(z.string(), z.string()).optional(),
    params: z.record(z.string(), anyNumber).optional(),
    user_attrs: z.record(z.string(), jsonValue).optional(),
    system_attrs: z.record(z.string(), jsonValue).optional(),
    intermediate_values: z.record(z.string().regex(/^-?\d+$/, 'steps must be integers'), anyNumber).optional(),
  }),
  z.object({ op_code: z.literal(OP.SET_TRIAL_PARAM), ...fields, trial_id: id, param_name: z.string(), param_value_internal: anyNumber, distribution: z.string() }),
  z.object({
    op_code: z.literal(OP.SET_TRIAL_STATE_VALUES),
    ...fields,
    trial_id: id,
    state: stateNumber,
    values: z.array(anyNumber).nullable(),
    datetime_start: z.string().optional(),
    datetime_complete: z.string().optional(),
  }),
  z.object({ op_code: z.literal(OP.SET_TRIAL_INTERMEDIATE_VALUE), ...fields, trial_id: id, step: anyInteger, intermediate_value: anyNumber }),
  z.object({ op_code: z.literal(OP.SET_TRIAL_USER_ATTR), ...fields, trial_id: id, user_attr: oneAttr }),
  z.object({ op_code: z.literal(OP.SET_TRIAL_SYSTEM_ATTR), ...fields, trial_id: id, system_attr: oneAttr }),
  // Whatever its fields: skipped on replay.
  z.looseObject({ op_code: z.literal(OP.DISCARD_TRIALS), ...fields }),
]);
export type JournalRecord = z.output<typeof journalRecordSchema>;
/** A record before its worker_id is filled in by the storage that appends it. */
export type JournalOp = JournalRecord extends infer R ? (R extends JournalRecord ? Omit<R, 'worker_id'> : never) : never;

/** One record as a journal line (without the newline), field order as Optuna writes it. */
export function encodeRecord(record: JournalRecord): string {
  const { op_code, worker_id, ...rest } = record;
  return encodePythonJson({ op_code, worker_id, ...rest });
}

/**
 * Parses one record's text; `where` names it in errors (`journal.log line 3`, `redis key p:log:2`).
 * NOTE: only the JSON and the op code are checked here. The other fields are checked by the replay
 * when it applies the record (checkRecord), as Optuna reads them: a record Optuna ignores (a change
 * to a finished trial, to an unknown study) is never refused for a field Optuna never looks at.
 */
export function decodeRecord(text: string, where: string): JournalRecord {
  let json: JsonValue;
  try {
    json = decodePythonJson(text);
  } catch (error) {
    throw new JournalFormatError(where, `malformed JSON (${(error as Error).message})`, 'json');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new JournalFormatError(where, 'record: must be a JSON object');
  const op = json.op_code;
  if (typeof op !== 'number' || !Number.isInteger(op)) throw new JournalFormatError(where, 'op_code: must be an integer');
  if (op < 0 || op > OP.DISCARD_TRIALS) throw new JournalFormatError(where, `op_code ${op} is not one Optuna knows (0-${OP.DISCARD_TRIALS})`);
  return json as unknown as JournalRecord;
}

/** A decoded record with every field checked (see decodeRecord); JournalFormatError naming the field. */
export function checkRecord<R extends JournalRecord>(record: R, where: string): R {
  const parsed = journalRecordSchema.safeParse(record);
  if (parsed.success) return parsed.data as R;
  const issue = parsed.error.issues[0]!;
  throw new JournalFormatError(where, `${issue.path.join('.') || 'record'}: ${issue.message}`);
}

/** A field Optuna reads before it decides whether to apply a record: missing, Optuna fails on it. */
function needField(record: JournalRecord, field: string, where: string): void {
  if (!Object.hasOwn(record, field)) throw new JournalFormatError(where, `${field}: missing`);
}

// ---------------------------------------------------------------------------------------------
// Distributions: Optuna's JSON strings

export interface OptunaFloatDistribution {
  name: 'FloatDistribution';
  low: number;
  high: number;
  log: boolean;
  step: number | null;
  /** The deprecated class it was read from (UniformDistribution …), which Optuna keeps apart. */
  legacy?: string;
}
export interface OptunaIntDistribution {
  name: 'IntDistribution';
  low: number;
  high: number;
  log: boolean;
  step: number;
  legacy?: string;
}
export interface OptunaCategoricalDistribution {
  name: 'CategoricalDistribution';
  choices: Scalar[];
}
export type OptunaDistribution = OptunaFloatDistribution | OptunaIntDistribution | OptunaCategoricalDistribution;

/** `distribution_to_json`: the JSON string Optuna stores, attributes in Python's order. */
export function distributionToJson(d: OptunaDistribution): string {
  switch (d.name) {
    case 'FloatDistribution':
      return encodePythonJson({ name: d.name, attributes: { step: d.step, low: d.low, high: d.high, log: d.log } });
    case 'IntDistribution':
      return encodePythonJson({ name: d.name, attributes: { log: d.log, step: d.step, low: d.low, high: d.high } });
    case 'CategoricalDistribution':
      return encodePythonJson({ name: d.name, attributes: { choices: d.choices } });
  }
}

/** `json_to_distribution`, including the classes Optuna 3 deprecated and its abbreviated form. */
export function distributionFromJson(text: string): OptunaDistribution {
  const json = decodePythonJson(text) as Record<string, JsonValue>;
  if (typeof json !== 'object' || json === null) throw new Error(`not a distribution: ${text}`);
  const a = (typeof json.name === 'string' ? json.attributes : json) as Record<string, JsonValue>;
  const num = (key: string): number => {
    const v = a[key];
    if (typeof v !== 'number') throw new Error(`distribution ${text}: ${key} must be a number`);
    return v;
  };
  const float = (log: boolean, step: number | null, legacy?: string): OptunaFloatDistribution => {
    const low = num('low');
    const high = num('high');
    if (low > high) throw new Error(`distribution ${text}: low > high`);
    return { name: 'FloatDistribution', low, high, log, step, ...(legacy ? { legacy } : {}) };
  };
  const int = (log: boolean, step: number, legacy?: string): OptunaIntDistribution => {
    const low = Math.trunc(num('low'));
    const high = Math.trunc(num('high'));
    if (low > high) throw new Error(`distribution ${text}: low > high`);
    return { name: 'IntDistribution', low, high, log, step, ...(legacy ? { legacy } : {}) };
  };
  const choices = (): Scalar[] => {
    const c = a.choices;
    if (!Array.isArray(c) || c.some((x) => typeof x === 'object' && x !== null)) throw new Error(`distribution ${text}: choices must be a list of scalars`);
    return c as Scalar[];
  };
  const step = a.step ?? null;
  if (step !== null && typeof step !== 'number') throw new Error(`distribution ${text}: step must be a number or null`);
  switch (typeof json.name === 'string' ? json.name : `abbreviated ${String(json.type)}`) {
    case 'FloatDistribution':
      return float(a.log === true, step);
    case 'IntDistribution':
      return int(a.log === true, step ?? 1);
    case 'CategoricalDistribution':
    case 'abbreviated categorical':
      return { name: 'CategoricalDistribution', choices: choices() };
    case 'UniformDistribution':
      return float(false, null, 'UniformDistribution');
    case 'LogUniformDistribution':
      return float(true, null, 'LogUniformDistribution');
    case 'DiscreteUniformDistribution':
      return float(false, num('q'), 'DiscreteUniformDistribution');
    case 'IntUniformDistribution':
      return int(false, step ?? 1, 'IntUniformDistribution');
    case 'IntLogUniformDistribution':
      return int(true, step ?? 1, 'IntLogUniformDistribution');
    case 'abbreviated float':
      return float(a.log === true, step);
    case 'abbreviated int':
      return int(a.log === true, step ?? 1);
    default:
      throw new Error(`unknown distribution class in ${text}`);
  }
}

function sameChoice(a: Scalar, b: Scalar): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}

/** `check_distribution_compatibility`: same class, same log flag, same categorical choices. */
export function compatibleDistributions(old: OptunaDistribution, next: OptunaDistribution): boolean {
  if (old.name !== next.name) return false;
  if (old.name === 'CategoricalDistribution') {
    const c = (next as OptunaCategoricalDistribution).choices;
    return old.choices.length === c.length && old.choices.every((choice, i) => sameChoice(choice, c[i]!));
  }
  const n = next as OptunaFloatDistribution | OptunaIntDistribution;
  return (old.legacy ?? old.name) === (n.legacy ?? n.name) && old.log === n.log;
}

/** A parameter's value as Optuna stores it: a float, an int as a float, a categorical as its choice's index. */
export function toInternal(d: OptunaDistribution, value: Scalar): number {
  if (d.name === 'CategoricalDistribution') {
    const index = d.choices.findIndex((choice) => sameChoice(choice, value));
    if (index < 0) throw new RangeError(`${JSON.stringify(value)} is not one of the choices ${JSON.stringify(d.choices)}`);
    return index;
  }
  if (typeof value !== 'number' || Number.isNaN(value)) throw new RangeError(`${JSON.stringify(value)} is not a number`);
  if (d.name === 'IntDistribution' && !Number.isInteger(value)) throw new RangeError(`${value} is not an integer`);
  return value;
}

/** A stored value as the trial saw it (Optuna's to_external_repr). */
export function toExternal(d: OptunaDistribution, internal: number): Scalar {
  if (d.name === 'CategoricalDistribution') {
    const choice = d.choices[Math.trunc(internal)];
    if (choice === undefined) throw new RangeError(`choice index ${internal} is outside ${JSON.stringify(d.choices)}`);
    return choice;
  }
  return d.name === 'IntDistribution' ? Math.trunc(internal) : internal;
}

// ---------------------------------------------------------------------------------------------
// Time stamps

/** `datetime.isoformat(timespec="microseconds")` in UTC with an explicit offset: `2026-09-01T10:00:00.123000+00:00`. */
export function formatOptunaDatetime(time: Date | number): string {
  return new Date(time).toISOString().replace('Z', '000+00:00');
}

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Epoch milliseconds of a journal time stamp. NOTE: Optuna itself writes naive local times (no
 * offset); those are read as UTC, which is exact only on machines that run in UTC.
 */
export function parseOptunaDatetime(text: string): number {
  const m = DATETIME.exec(text);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +(s ?? 0), Math.floor(Number(`0.${frac ?? '0'}`) * 1000));
  if (!zone || zone === 'Z') return ms;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return ms - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
}

// ---------------------------------------------------------------------------------------------
// Replay

export interface JournalStudy {
  readonly studyId: number;
  readonly name: string;
  readonly directions: readonly StudyDirectionName[];
  readonly userAttrs: Readonly<Record<string, JsonValue>>;
  readonly systemAttrs: Readonly<Record<string, JsonValue>>;
  /** Epoch ms of each fusetune worker's latest heartbeat in this study, by worker_id. */
  readonly heartbeats: ReadonlyMap<string, number>;
  /** Trials that count toward a budget now: all but FAIL trials marked for retry. */
  readonly counted: number;
}

/** A trial as the log has it so far (Optuna's FrozenTrial, plus where its state came from). */
export interface JournalTrial {
  readonly trialId: number;
  readonly studyId: number;
  readonly number: number;
  readonly state: OptunaTrialState;
  readonly values: readonly number[] | null;
  /** Internal values (a categorical's index); see trialParams for the values as sampled. */
  readonly params: Readonly<Record<string, number>>;
  readonly distributions: Readonly<Record<string, OptunaDistribution>>;
  readonly userAttrs: Readonly<Record<string, JsonValue>>;
  readonly systemAttrs: Readonly<Record<string, JsonValue>>;
  /** step → value, in the order first reported. */
  readonly intermediate: ReadonlyMap<number, number>;
  readonly datetimeStart: string | null;
  readonly datetimeComplete: string | null;
  /** worker_id of the record that made it RUNNING (its creation, or the first claim of a WAITING trial). */
  readonly owner: string | null;
  readonly ownerLog: number | null;
  /** Log numbers of its CREATE_TRIAL record and of the record that last set its state. */
  readonly createdLog: number;
  readonly stateLog: number;
  /**
   * How many of its study's trials counted toward a budget when it was created (in log order,
   * so every replayer agrees). NOTE: a worker keeps a trial it created only if this is < budget.
   */
  readonly countedBefore: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type StudyState = Mutable<Omit<JournalStudy, 'heartbeats' | 'userAttrs' | 'systemAttrs'>> & {
  heartbeats: Map<string, number>;
  userAttrs: Record<string, JsonValue>;
  systemAttrs: Record<string, JsonValue>;
};
type TrialState = Mutable<Omit<JournalTrial, 'intermediate' | 'params' | 'distributions' | 'userAttrs' | 'systemAttrs'>> & {
  intermediate: Map<number, number>;
  params: Record<string, number>;
  distributions: Record<string, OptunaDistribution>;
  userAttrs: Record<string, JsonValue>;
  systemAttrs: Record<string, JsonValue>;
};

/** What became of one of this worker's records: applied or ignored, and the study or trial it created. */
export interface RecordOutcome {
  applied: boolean;
  studyId?: number;
  trialId?: number;
}

/** A trial's parameters as sampled (categoricals as their choices). */
export function trialParams(trial: Pick<JournalTrial, 'params' | 'distributions'>): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  for (const [name, internal] of Object.entries(trial.params)) out[name] = toExternal(trial.distributions[name]!, internal);
  return out;
}

function isVoid(trial: TrialState): boolean {
  return trial.state === 'FAIL' && Object.hasOwn(trial.systemAttrs, FUSETUNE_ATTR.retry);
}

/**
 * Optuna's JournalStorageReplayResult: applies records in log order with Optuna's rules — study_id
 * counts successful CREATE_STUDY records, trial_id counts CREATE_TRIAL records across studies,
 * number counts within a study; a duplicate study name, an unknown id, or a change to a finished
 * trial is ignored; a RUNNING trial cannot be set RUNNING again (so the first claim of a WAITING
 * trial wins); a parameter whose distribution is incompatible with an earlier trial's is ignored.
 */
export class JournalReplay {
  /** Records applied so far: the next record's log number. */
  logNumberRead = 0;
  private readonly studyById = new Map<number, StudyState>();
  private readonly trialList: TrialState[] = [];
  private readonly trialIdsOf = new Map<number, number[]>();
  private nextStudyId = 0;
  private readonly outcomes = new Map<number, RecordOutcome>();
  /** NOTE: every trial of a study repeats the same distribution texts: each is parsed once (10,000 trials read in a fraction of the time). */
  private readonly parsed = new Map<string, OptunaDistribution>();

  private distribution(text: string): OptunaDistribution {
    let d = this.parsed.get(text);
    if (!d) this.parsed.set(text, (d = distributionFromJson(text)));
    return d;
  }

  /**
   * Records with this worker_id get an outcome (see takeOutcome); `name` names a record by its log
   * number in errors (`journal.log line 12`).
   */
  constructor(
    readonly workerId: string,
    private readonly name: (log: number) => string = (log) => `log record ${log}`,
  ) {}

  apply(records: readonly JournalRecord[]): void {
    for (const record of records) {
      const log = this.logNumberRead;
      const outcome = this.applyOne(record, log);
      if (record.worker_id === this.workerId) this.outcomes.set(log, outcome);
      this.logNumberRead++;
    }
  }

  /** The outcome of this worker's record at `log`, once (undefined when not replayed yet). */
  takeOutcome(log: number): RecordOutcome | undefined {
    const outcome = this.outcomes.get(log);
    this.outcomes.delete(log);
    return outcome;
  }

  studies(): JournalStudy[] {
    return [...this.studyById.values()];
  }

  study(studyId: number): JournalStudy | undefined {
    return this.studyById.get(studyId);
  }

  studyByName(name: string): JournalStudy | undefined {
    for (const study of this.studyById.values()) if (study.name === name) return study;
    return undefined;
  }

  trial(trialId: number): JournalTrial | undefined {
    return this.trialList[trialId];
  }

  /** A study's trials by number (live objects: a later apply updates them). */
  trialsOf(studyId: number): JournalTrial[] {
    return (this.trialIdsOf.get(studyId) ?? []).map((t) => this.trialList[t]!);
  }

  /** The study a record names, if it exists (an id that is not one, as in Optuna, names none). */
  private studyOf(r: JournalRecord, where: string): StudyState | undefined {
    needField(r, 'study_id', where);
    const id = (r as { study_id: unknown }).study_id;
    return typeof id === 'number' ? this.studyById.get(id) : undefined;
  }

  private applyOne(raw: JournalRecord, log: number): RecordOutcome {
    const where = this.name(log);
    const ignored = { applied: false };
    // Each field is checked where Optuna reads it: the ids first, the rest only when the record applies.
    switch (raw.op_code) {
      case OP.DISCARD_TRIALS:
        return ignored;
      case OP.CREATE_STUDY: {
        const r = checkRecord(raw, where);
        if (this.studyByName(r.study_name)) return ignored;
        const studyId = this.nextStudyId++;
        this.studyById.set(studyId, {
          studyId,
          name: r.study_name,
          directions: r.directions.map((d) => STUDY_DIRECTIONS[d]!),
          userAttrs: {},
          systemAttrs: {},
          heartbeats: new Map(),
          counted: 0,
        });
        this.trialIdsOf.set(studyId, []);
        return { applied: true, studyId };
      }
      case OP.DELETE_STUDY:
        return { applied: this.studyById.delete(checkRecord(raw, where).study_id) };
      case OP.SET_STUDY_USER_ATTR:
      case OP.SET_STUDY_SYSTEM_ATTR: {
        const study = this.studyOf(raw, where);
        if (!study) return ignored;
        const r = checkRecord(raw, where);
        if (r.op_code === OP.SET_STUDY_USER_ATTR) Object.assign(study.userAttrs, r.user_attr);
        else {
          Object.assign(study.systemAttrs, r.system_attr);
          const [key, value] = Object.entries(r.system_attr)[0]!;
          if (key.startsWith(FUSETUNE_ATTR.heartbeatPrefix) && typeof value === 'string') {
            const time = parseOptunaDatetime(value);
            if (!Number.isNaN(time)) study.heartbeats.set(key.slice(FUSETUNE_ATTR.heartbeatPrefix.length), time);
          }
        }
        return { applied: true };
      }
      case OP.CREATE_TRIAL: {
        const study = this.studyOf(raw, where);
        if (!study) return ignored;
        const r = checkRecord(raw, where);
        const distributions: Record<string, OptunaDistribution> = {};
        for (const [name, text] of Object.entries(r.distributions ?? {})) {
          try {
            distributions[name] = this.distribution(text);
          } catch (error) {
            throw new JournalFormatError(where, `distribution of ${name}: ${(error as Error).message}`);
          }
        }
        const params: Record<string, number> = {};
        for (const [name, value] of Object.entries(r.params ?? {})) {
          if (!distributions[name]) throw new JournalFormatError(where, `param ${name} has no distribution`);
          params[name] = value;
        }
        const trialIds = this.trialIdsOf.get(r.study_id)!;
        const trialId = this.trialList.length;
        const state = TRIAL_STATES[r.state ?? 0]!;
        const trial: TrialState = {
          trialId,
          studyId: r.study_id,
          number: trialIds.length,
          state,
          values: r.values ?? (r.value === null || r.value === undefined ? null : [r.value]),
          params,
          distributions,
          userAttrs: { ...r.user_attrs },
          systemAttrs: { ...r.system_attrs },
          intermediate: new Map(Object.entries(r.intermediate_values ?? {}).map(([step, value]) => [Number(step), value])),
          datetimeStart: r.datetime_start,
          datetimeComplete: r.datetime_complete ?? null,
          owner: state === 'RUNNING' ? r.worker_id : null,
          ownerLog: state === 'RUNNING' ? log : null,
          createdLog: log,
          stateLog: log,
          countedBefore: study.counted,
        };
        if (!isVoid(trial)) study.counted++;
        this.trialList.push(trial);
        trialIds.push(trialId);
        return { applied: true, trialId };
      }
      default:
        return this.applyTrialOp(raw, log, where);
    }
  }

  private applyTrialOp(raw: Extract<JournalRecord, { trial_id: number }>, log: number, where: string): RecordOutcome {
    needField(raw, 'trial_id', where);
    const trial = Number.isInteger(raw.trial_id) ? this.trialList[raw.trial_id] : undefined;
    if (!trial || isFinishedState(trial.state)) return { applied: false };
    const r = checkRecord(raw, where);
    switch (r.op_code) {
      case OP.SET_TRIAL_PARAM: {
        let distribution: OptunaDistribution;
        try {
          distribution = this.distribution(r.distribution);
        } catch (error) {
          throw new JournalFormatError(where, (error as Error).message);
        }
        for (const otherId of this.trialIdsOf.get(trial.studyId) ?? []) {
          const earlier = this.trialList[otherId]!.distributions[r.param_name];
          if (earlier) {
            if (!compatibleDistributions(earlier, distribution)) return { applied: false };
            break;
          }
        }
        trial.params[r.param_name] = r.param_value_internal;
        trial.distributions[r.param_name] = distribution;
        return { applied: true };
      }
      case OP.SET_TRIAL_STATE_VALUES: {
        const state = TRIAL_STATES[r.state]!;
        if (state === 'RUNNING' && trial.state === 'RUNNING') return { applied: false };
        if (state === 'RUNNING') {
          if (r.datetime_start === undefined) throw new JournalFormatError(where, 'a RUNNING state needs datetime_start');
          trial.datetimeStart = r.datetime_start;
          trial.owner = r.worker_id;
          trial.ownerLog = log;
        }
        if (isFinishedState(state)) {
          if (r.datetime_complete === undefined) throw new JournalFormatError(where, `state ${state} needs datetime_complete`);
          trial.datetimeComplete = r.datetime_complete;
        }
        const wasVoid = isVoid(trial);
        trial.state = state;
        trial.stateLog = log;
        if (r.values !== null) trial.values = r.values;
        const study = this.studyById.get(trial.studyId);
        if (study && !wasVoid && isVoid(trial)) study.counted--;
        return { applied: true };
      }
      case OP.SET_TRIAL_INTERMEDIATE_VALUE:
        trial.intermediate.set(r.step, r.intermediate_value);
        return { applied: true };
      case OP.SET_TRIAL_USER_ATTR:
        Object.assign(trial.userAttrs, r.user_attr);
        return { applied: true };
      case OP.SET_TRIAL_SYSTEM_ATTR:
        Object.assign(trial.systemAttrs, r.system_attr);
        return { applied: true };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Lines

/**
 * Records from complete journal lines (each without its newline), numbered from `firstLine` (1-based)
 * in errors. As Optuna reads a file: a line that does not parse is an error when more lines follow
 * it, and is left unread when it is the last (a write in progress or torn): `read` says how many
 * lines were consumed.
 */
export function parseJournalLines(lines: readonly string[], firstLine: number, source: string): { records: JournalRecord[]; read: number } {
  const records: JournalRecord[] = [];
  for (let i = 0; i < lines.length; i++) {
    try {
      records.push(decodeRecord(lines[i]!, `${source} line ${firstLine + i}`));
    } catch (error) {
      if (i === lines.length - 1 && error instanceof JournalFormatError && error.kind === 'json') return { records, read: i };
      throw error;
    }
  }
  return { records, read: lines.length };
}

/** Every record of a whole journal's text (a file read at once, e.g. uploaded to the app); a torn last line is skipped. */
export function parseJournalText(text: string, source = 'journal'): JournalRecord[] {
  const end = text.lastIndexOf('\n');
  if (end < 0) return [];
  return parseJournalLines(text.slice(0, end).split('\n'), 1, source).records;
}
