// A study storage in Optuna's terms over a journal backend (a file, Redis, memory): what the ask/tell loop records through.
//
// Liveness (Optuna's journal storages have none): a fusetune worker writes its heartbeat as the study
// system attr `fusetune:heartbeat:<worker_id>` = its UTC time stamp, once when it starts and then every
// few seconds (startHeartbeat). A RUNNING trial belongs to the worker_id of the record that made it
// RUNNING; it is stale when its owner has a heartbeat in the study and neither that heartbeat nor the
// trial's start is within the grace period of `now`. Trials of workers that never beat (Optuna's own
// Python workers) are never judged. NOTE: the time stamps are the writers' clocks: workers' clocks
// must agree to well within the grace period (NTP), and the grace period must be several intervals.
//
// Budgets across workers: the log's order is the same for every replayer, so replay gives each new
// trial `countedBefore`, the number of its study's trials that counted toward a budget when it was
// created. A worker keeps a trial it created only if countedBefore < budget and otherwise fails it
// with `fusetune:retry` (createTrialsInBudget does both). FAIL trials with `fusetune:retry` (stale,
// stopped, over budget) do not count, so the budget asks for them again.
import type { Direction } from '../model/objectives.ts';
import type { Scalar } from '../search/space.ts';
import {
  FUSETUNE_ATTR,
  METRIC_NAMES_ATTR,
  OP,
  STUDY_DIRECTIONS,
  JournalReplay,
  distributionToJson,
  formatOptunaDatetime,
  isFinishedState,
  parseOptunaDatetime,
  stateCode,
  toInternal,
  trialParams,
  type JournalOp,
  type JournalRecord,
  type JournalStudy,
  type JournalTrial,
  type OptunaDistribution,
  type OptunaTrialState,
  type RecordOutcome,
} from './optuna-journal.ts';
import type { JsonValue } from './python-json.ts';
import { InputError } from '../util/input-error.ts';

/** A worker's default heartbeat interval, and how long a silent worker's trials stay its own. */
export const LIVENESS_DEFAULTS = { heartbeatMs: 5_000, graceMs: 30_000 } as const;

/**
 * The worker id prefix of `fusetune ask`: a process that claims trials and exits. NOTE: a trial such
 * a worker holds is held by no live process, so any `fusetune tell` may finish it.
 */
export const ASK_WORKER_PREFIX = 'fusetune-ask-';

/** Where records live. Implementations: JournalFileBackend, JournalRedisBackend (Node), MemoryJournalBackend. */
export interface JournalBackend {
  /** Appends the records atomically, in order and contiguous; resolves to the log number of the first. */
  append(records: readonly JournalRecord[]): Promise<number>;
  /** Every complete record from log number `from` on. */
  read(from: number): Promise<JournalRecord[]>;
  close(): Promise<void>;
  /** The record at log number `log` as a user finds it (`journal.log line 12`, `redis key p:log:11`). */
  recordName?(log: number): string;
}

/** Records in memory: for tests, and for a journal loaded whole (parseJournalText) in the app. */
export class MemoryJournalBackend implements JournalBackend {
  constructor(
    readonly records: JournalRecord[] = [],
    /** Where the records came from, to name them in errors: a file read whole names its lines. */
    private readonly source?: string,
  ) {}

  recordName(log: number): string {
    return this.source === undefined ? `log record ${log}` : `${this.source} line ${log + 1}`;
  }

  async append(records: readonly JournalRecord[]): Promise<number> {
    const first = this.records.length;
    this.records.push(...records.map((r) => structuredClone(r)));
    return first;
  }

  async read(from: number): Promise<JournalRecord[]> {
    return this.records.slice(from).map((r) => structuredClone(r));
  }

  async close(): Promise<void> {}
}

/**
 * A trial's content, as Optuna's FrozenTrial holds it: written whole by createTrial (one CREATE_TRIAL
 * record) or as changes by update (params, intermediate values, attrs, then the state).
 */
export interface TrialData {
  state?: OptunaTrialState;
  /** One per objective, in the study's order. */
  values?: readonly number[] | null;
  /** Values as sampled (a categorical's choice); each needs its distribution. */
  params?: Readonly<Record<string, Scalar>>;
  distributions?: Readonly<Record<string, OptunaDistribution>>;
  intermediate?: readonly (readonly [step: number, value: number])[];
  userAttrs?: Readonly<Record<string, JsonValue>>;
  systemAttrs?: Readonly<Record<string, JsonValue>>;
  /** Optuna time stamps (formatOptunaDatetime); default: now where the state needs one. */
  datetimeStart?: string | null;
  datetimeComplete?: string | null;
}

export class StudyNotFoundError extends Error {
  constructor(readonly studyName: string) {
    super(`no study named "${studyName}" in the journal`);
    this.name = 'StudyNotFoundError';
  }
}

export class DuplicatedStudyError extends Error {
  constructor(readonly studyName: string) {
    super(`a study named "${studyName}" already exists in the journal`);
    this.name = 'DuplicatedStudyError';
  }
}

export interface JournalStorageOptions {
  /** Written into every record; default `<uuid4>-0`, Optuna's shape. One per process or worker. */
  workerId?: string;
  /** Epoch milliseconds; default Date.now. */
  clock?: () => number;
}

function directionCode(direction: Direction | 'not_set'): number {
  return STUDY_DIRECTIONS.indexOf(direction);
}

/** The op values: `value` for one objective, `values` for several; neither key without values (Optuna reads a missing key as None). */
function valueFields(values: readonly number[] | null | undefined): { value?: number; values?: number[] } {
  if (!values) return {};
  return values.length === 1 ? { value: values[0]! } : { values: [...values] };
}

function paramRecords(trialId: number, data: TrialData): JournalOp[] {
  return Object.entries(data.params ?? {}).map(([name, value]) => {
    const distribution = data.distributions?.[name];
    if (!distribution) throw new RangeError(`param ${name} of trial ${trialId} has no distribution`);
    return { op_code: OP.SET_TRIAL_PARAM, trial_id: trialId, param_name: name, param_value_internal: internal(name, distribution, value), distribution: distributionToJson(distribution) };
  });
}

function internal(name: string, distribution: OptunaDistribution, value: Scalar): number {
  try {
    return toInternal(distribution, value);
  } catch (error) {
    throw new RangeError(`param ${name}: ${(error as Error).message}`);
  }
}

/** How the reason of a trial failed for being created past a budget begins: it is no attempt to repeat. */
export const OVER_BUDGET = 'created past the budget';

export class JournalStorage {
  readonly workerId: string;
  private readonly replay: JournalReplay;
  private readonly clock: () => number;
  private syncing: Promise<unknown> = Promise.resolve();

  constructor(
    readonly backend: JournalBackend,
    options: JournalStorageOptions = {},
  ) {
    this.workerId = options.workerId ?? `${crypto.randomUUID()}-0`;
    this.clock = options.clock ?? Date.now;
    this.replay = new JournalReplay(this.workerId, (log) => backend.recordName?.(log) ?? `log record ${log}`);
  }

  /** A storage with every record so far replayed. */
  static async open(backend: JournalBackend, options?: JournalStorageOptions): Promise<JournalStorage> {
    const storage = new JournalStorage(backend, options);
    await storage.sync();
    return storage;
  }

  /** Replays records appended since the last sync (by any worker); resolves to how many. */
  sync(): Promise<number> {
    const run = this.syncing.then(async () => {
      const records = await this.backend.read(this.replay.logNumberRead);
      this.replay.apply(records);
      return records.length;
    });
    this.syncing = run.catch(() => undefined);
    return run;
  }

  /** Records replayed so far. */
  get logNumberRead(): number {
    return this.replay.logNumberRead;
  }

  close(): Promise<void> {
    return this.backend.close();
  }

  // -- studies --------------------------------------------------------------------------------

  studies(): JournalStudy[] {
    return this.replay.studies();
  }

  study(studyId: number): JournalStudy {
    const study = this.replay.study(studyId);
    if (!study) throw new RangeError(`no study with id ${studyId} in the journal`);
    return study;
  }

  /** Creates a study (Optuna's create_study); `metricNames` become the `study:metric_names` system attr. */
  async createStudy(name: string, directions: readonly Direction[], metricNames?: readonly string[]): Promise<JournalStudy> {
    if (directions.length === 0) throw new RangeError('a study needs at least one direction');
    const [created] = await this.commit([{ op_code: OP.CREATE_STUDY, study_name: name, directions: directions.map(directionCode) }]);
    if (!created!.applied) throw new DuplicatedStudyError(name);
    const studyId = created!.studyId!;
    if (metricNames) {
      if (metricNames.length !== directions.length) throw new RangeError(`${metricNames.length} metric names for ${directions.length} directions`);
      await this.commit([{ op_code: OP.SET_STUDY_SYSTEM_ATTR, study_id: studyId, system_attr: { [METRIC_NAMES_ATTR]: [...metricNames] } }]);
    }
    return this.study(studyId);
  }

  /** The study of this name, after replaying what is new; throws StudyNotFoundError. */
  async loadStudy(name: string): Promise<JournalStudy> {
    await this.sync();
    const study = this.replay.studyByName(name);
    if (!study) throw new StudyNotFoundError(name);
    return study;
  }

  /** Loads the study, or creates it when absent (also when another worker creates it at the same moment). */
  async createOrLoadStudy(name: string, directions: readonly Direction[], metricNames?: readonly string[]): Promise<{ study: JournalStudy; created: boolean }> {
    await this.sync();
    let study = this.replay.studyByName(name);
    let created = false;
    if (!study) {
      try {
        study = await this.createStudy(name, directions, metricNames);
        created = true;
      } catch (error) {
        if (!(error instanceof DuplicatedStudyError)) throw error;
        study = await this.loadStudy(name);
      }
    }
    const stored = study.directions.join(', ');
    if (stored !== directions.join(', ')) throw new InputError(`study "${name}" in the journal has directions [${stored}], not [${directions.join(', ')}]: its objectives differ from the study file's`);
    return { study, created };
  }

  async setStudyUserAttr(studyId: number, key: string, value: JsonValue): Promise<boolean> {
    return this.batch().setStudyUserAttr(studyId, key, value).commitAll();
  }

  async setStudySystemAttr(studyId: number, key: string, value: JsonValue): Promise<boolean> {
    return this.batch().setStudySystemAttr(studyId, key, value).commitAll();
  }

  // -- trials ---------------------------------------------------------------------------------

  /** A study's trials by number, as replayed so far (live objects: sync updates them). */
  trials(studyId: number): JournalTrial[] {
    return this.replay.trialsOf(studyId);
  }

  trial(trialId: number): JournalTrial {
    const trial = this.replay.trial(trialId);
    if (!trial) throw new RangeError(`no trial with id ${trialId} in the journal`);
    return trial;
  }

  /** Trials of the study that count toward a budget now (all but FAIL trials marked `fusetune:retry`). */
  countedTrials(studyId: number): number {
    return this.study(studyId).counted;
  }

  /** Creates one trial: RUNNING and owned by this worker unless `data.state` says otherwise. */
  async createTrial(studyId: number, data?: TrialData): Promise<JournalTrial> {
    return (await this.createTrials(studyId, [data]))[0]!;
  }

  /** Creates trials in one atomic append, so they get consecutive numbers. */
  async createTrials(studyId: number, data: readonly (TrialData | undefined)[]): Promise<JournalTrial[]> {
    this.study(studyId);
    const outcomes = await this.commit(data.map((d) => this.createOp(studyId, d)));
    return outcomes.map((o) => {
      if (!o.applied) throw new Error(`study ${studyId} was deleted while trials were being created in it`);
      return this.trial(o.trialId!);
    });
  }

  /**
   * Creates up to `data.length` trials that fit in a budget of `budget` counted trials across all
   * workers, and resolves to those this worker may run. NOTE: a trial that replay shows created past
   * the budget (another worker got there first) is failed with `fusetune:retry` at once.
   */
  async createTrialsInBudget(studyId: number, budget: number, data: readonly (TrialData | undefined)[]): Promise<JournalTrial[]> {
    await this.sync();
    const room = Math.min(data.length, budget - this.countedTrials(studyId));
    if (room <= 0) return [];
    const created = await this.createTrials(studyId, data.slice(0, room));
    const over = created.filter((t) => t.countedBefore >= budget);
    if (over.length > 0) await this.failTrials(over.map((t) => t.trialId), `${OVER_BUDGET} of ${budget} trials`);
    return created.filter((t) => t.countedBefore < budget);
  }

  /** Optuna's enqueue_trial: a WAITING trial with `fixed_params`, for any worker (fusetune or Optuna) to take. */
  async enqueueTrial(studyId: number, params: Readonly<Record<string, Scalar>>, attrs: { userAttrs?: Record<string, JsonValue>; systemAttrs?: Record<string, JsonValue> } = {}): Promise<JournalTrial> {
    return this.createTrial(studyId, { state: 'WAITING', userAttrs: attrs.userAttrs ?? {}, systemAttrs: { fixed_params: { ...params }, ...attrs.systemAttrs } });
  }

  /** Optuna's RetryFailedTrialCallback for one trial: see retryData. */
  async enqueueRetry(trialId: number): Promise<JournalTrial> {
    return this.createTrial(this.trial(trialId).studyId, this.retryData(trialId));
  }

  /** Retries of several trials in one append (see retryData). */
  async enqueueRetries(trialIds: readonly number[]): Promise<JournalTrial[]> {
    if (trialIds.length === 0) return [];
    return this.createTrials(this.trial(trialIds[0]!).studyId, trialIds.map((id) => this.retryData(id)));
  }

  /**
   * Optuna's RetryFailedTrialCallback: a WAITING copy of a trial (its params and distributions) with
   * system attrs `failed_trial` (the first trial of the chain), `retry_history` and `retried_from`
   * (the trial it repeats). A trial cut off before its params were recorded gets a retry without
   * params: it is asked again as the trial it repeats. NOTE: unlike Optuna it copies neither user
   * attrs (the results of the attempt) nor fusetune's own attrs.
   */
  private retryData(trialId: number): TrialData {
    const trial = this.trial(trialId);
    const { [FUSETUNE_ATTR.state]: _state, [FUSETUNE_ATTR.retry]: _retry, fixed_params: fixed, ...kept } = trial.systemAttrs;
    const history = Array.isArray(kept.retry_history) ? kept.retry_history : [];
    const systemAttrs = { ...kept, failed_trial: kept.failed_trial ?? trial.number, retry_history: [...history, trial.number], retried_from: trial.number };
    // A WAITING trial that was never taken keeps the params it was enqueued with.
    if (Object.keys(trial.params).length === 0 && fixed !== undefined) return { state: 'WAITING', systemAttrs: { ...systemAttrs, fixed_params: fixed } };
    return { state: 'WAITING', params: trialParams(trial), distributions: trial.distributions, systemAttrs };
  }

  /**
   * Takes the first WAITING trial of the study that this worker wins (the first RUNNING record in
   * the log wins; a loser tries the next one); null when none is left. Its `fixed_params` system
   * attr holds the parameters to run (set them with update once taken).
   */
  async claimWaitingTrial(studyId: number): Promise<JournalTrial | null> {
    await this.sync();
    for (const trial of this.trials(studyId)) {
      if (trial.state !== 'WAITING') continue;
      if (await this.setState(trial.trialId, 'RUNNING')) return trial;
    }
    return null;
  }

  async setParam(trialId: number, name: string, value: Scalar, distribution: OptunaDistribution): Promise<boolean> {
    return this.batch().setParam(trialId, name, value, distribution).commitAll();
  }

  async setIntermediate(trialId: number, step: number, value: number): Promise<boolean> {
    return this.batch().setIntermediate(trialId, step, value).commitAll();
  }

  async setUserAttr(trialId: number, key: string, value: JsonValue): Promise<boolean> {
    return this.batch().setUserAttr(trialId, key, value).commitAll();
  }

  async setSystemAttr(trialId: number, key: string, value: JsonValue): Promise<boolean> {
    return this.batch().setSystemAttr(trialId, key, value).commitAll();
  }

  /**
   * Sets a trial's state (and values). Resolves to whether it took effect: false when the trial had
   * already finished (e.g. another worker failed it as stale) or, for RUNNING, when another worker
   * claimed it first.
   */
  async setState(trialId: number, state: OptunaTrialState, values?: readonly number[] | null): Promise<boolean> {
    const applied = await this.batch().setState(trialId, state, values).commit();
    return applied.get(trialId) ?? false;
  }

  /**
   * Writes params, intermediate values, user and system attrs, then the state, in one append;
   * resolves as setState, or without a state to whether every change took (false once the trial
   * has finished, e.g. failed as stale by another worker).
   */
  async update(trialId: number, data: TrialData): Promise<boolean> {
    const batch = this.batch().update(trialId, data);
    if (data.state === undefined) return batch.commitAll();
    return (await batch.commit()).get(trialId) ?? false;
  }

  /** Several changes (any trials and studies) in one atomic append. */
  batch(): JournalBatch {
    return new JournalBatch(this, (ops) => this.commit(ops), () => this.clock());
  }

  // -- liveness -------------------------------------------------------------------------------

  /** Records that this worker is alive in the study (see the module header). */
  async heartbeat(studyId: number): Promise<boolean> {
    return this.batch().heartbeat(studyId).commitAll();
  }

  /**
   * Beats now and every `intervalMs` until stopped. A failed beat goes to `onError` and stops the
   * beating; stop() rejects with it when there was no onError.
   */
  startHeartbeat(studyId: number, intervalMs: number, onError?: (error: unknown) => void): { stop(): Promise<void> } {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let failure: unknown = null;
    let beating: Promise<unknown> = Promise.resolve();
    const beat = () => {
      beating = this.heartbeat(studyId).then(
        () => {
          if (stopped) return;
          timer = setTimeout(beat, intervalMs);
          (timer as { unref?: () => void }).unref?.();
        },
        (error: unknown) => {
          if (onError) onError(error);
          else failure = error;
        },
      );
    };
    beat();
    return {
      stop: async () => {
        stopped = true;
        clearTimeout(timer);
        await beating;
        if (failure !== null) throw failure;
      },
    };
  }

  /** Epoch ms when the trial's owner last showed life, or null when the owner never beats (an Optuna worker). */
  private lastAlive(study: JournalStudy, trial: JournalTrial): number | null {
    if (trial.owner === null) return null;
    const beat = study.heartbeats.get(trial.owner);
    if (beat === undefined) return null;
    const started = trial.datetimeStart === null ? -Infinity : parseOptunaDatetime(trial.datetimeStart);
    return Math.max(beat, Number.isNaN(started) ? -Infinity : started);
  }

  /**
   * RUNNING trials of other fusetune workers whose owner has shown no life for more than `graceMs`
   * before `now` (epoch ms), as replayed so far (sync first).
   */
  staleTrials(studyId: number, graceMs: number, now: number = this.clock()): JournalTrial[] {
    const study = this.study(studyId);
    return this.trials(studyId).filter((trial) => {
      if (trial.state !== 'RUNNING' || trial.owner === this.workerId) return false;
      const alive = this.lastAlive(study, trial);
      return alive !== null && now - alive > graceMs;
    });
  }

  /**
   * Fails the study's stale trials (sync, staleTrials, failTrials) and enqueues a retry of each this
   * worker failed (enqueueRetries: the same params and seed, `retried_from`), so the budget asks
   * for the trial again, not for a new one; resolves to those this worker failed. NOTE: the retries
   * are a second append, made only for failures that took effect: when two workers fail one trial,
   * only the one whose record came first enqueues its retry.
   */
  async failStaleTrials(studyId: number, graceMs: number, now: number = this.clock()): Promise<JournalTrial[]> {
    await this.sync();
    const stale = this.staleTrials(studyId, graceMs, now);
    if (stale.length === 0) return [];
    const study = this.study(studyId);
    const failed: JournalTrial[] = [];
    const batch = this.batch();
    for (const trial of stale) {
      const seen = formatOptunaDatetime(this.lastAlive(study, trial)!);
      batch.failForRetry(trial.trialId, `worker ${trial.owner} showed no life since ${seen}; failed by worker ${this.workerId}`);
    }
    const applied = await batch.commit();
    for (const trial of stale) if (applied.get(trial.trialId)) failed.push(trial);
    await this.enqueueRetries(failed.map((t) => t.trialId));
    return failed;
  }

  /** Fails trials with `fusetune:retry` = reason (they stop counting toward a budget); resolves to the ids that took effect. */
  async failTrials(trialIds: readonly number[], reason: string): Promise<number[]> {
    const batch = this.batch();
    for (const id of trialIds) batch.failForRetry(id, reason);
    const applied = await batch.commit();
    return trialIds.filter((id) => applied.get(id));
  }

  // -- writing --------------------------------------------------------------------------------

  private createOp(studyId: number, data: TrialData | undefined): JournalOp {
    const minimal = data === undefined || Object.keys(data).every((k) => k === 'state' && data.state === 'RUNNING');
    const now = formatOptunaDatetime(this.clock());
    if (minimal) return { op_code: OP.CREATE_TRIAL, study_id: studyId, datetime_start: now };
    const state = data.state ?? 'RUNNING';
    const params: Record<string, number> = {};
    const distributions: Record<string, string> = {};
    for (const [name, value] of Object.entries(data.params ?? {})) {
      const distribution = data.distributions?.[name];
      if (!distribution) throw new RangeError(`param ${name} of a new trial has no distribution`);
      params[name] = internal(name, distribution, value);
      distributions[name] = distributionToJson(distribution);
    }
    const complete = data.datetimeComplete ?? (isFinishedState(state) ? now : null);
    return {
      op_code: OP.CREATE_TRIAL,
      study_id: studyId,
      datetime_start: data.datetimeStart !== undefined ? data.datetimeStart : state === 'WAITING' ? null : now,
      state: stateCode(state),
      ...valueFields(data.values),
      ...(complete === null ? {} : { datetime_complete: complete }),
      distributions,
      params,
      user_attrs: { ...data.userAttrs },
      system_attrs: { ...data.systemAttrs },
      intermediate_values: Object.fromEntries((data.intermediate ?? []).map(([step, value]) => [String(step), value])),
    };
  }

  /** Appends ops as one batch and replays through them; resolves to each record's outcome. */
  private async commit(ops: readonly JournalOp[]): Promise<RecordOutcome[]> {
    if (ops.length === 0) return [];
    const records = ops.map((op) => ({ ...op, worker_id: this.workerId }) as JournalRecord);
    const first = await this.backend.append(records);
    const end = first + records.length;
    for (let attempt = 0; this.replay.logNumberRead < end; attempt++) {
      if ((await this.sync()) === 0 && attempt >= 3) {
        throw new Error(`the journal holds ${this.replay.logNumberRead} records after appending records ${first}…${end - 1}: it was changed under this worker`);
      }
    }
    return records.map((_, i) => this.replay.takeOutcome(first + i) ?? { applied: false });
  }
}

/** Changes gathered for one atomic append (JournalStorage.batch()); commit writes them. */
export class JournalBatch {
  private readonly ops: JournalOp[] = [];
  /** For each trial whose state the batch sets, the index of its last state op. */
  private readonly stateOps = new Map<number, number>();

  constructor(
    private readonly storage: JournalStorage,
    private readonly write: (ops: readonly JournalOp[]) => Promise<RecordOutcome[]>,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.ops.length;
  }

  setParam(trialId: number, name: string, value: Scalar, distribution: OptunaDistribution): this {
    this.ops.push(...paramRecords(this.checked(trialId), { params: { [name]: value }, distributions: { [name]: distribution } }));
    return this;
  }

  setIntermediate(trialId: number, step: number, value: number): this {
    if (!Number.isInteger(step)) throw new RangeError(`intermediate step ${step} of trial ${trialId} must be an integer`);
    this.ops.push({ op_code: OP.SET_TRIAL_INTERMEDIATE_VALUE, trial_id: this.checked(trialId), step, intermediate_value: value });
    return this;
  }

  setUserAttr(trialId: number, key: string, value: JsonValue): this {
    this.ops.push({ op_code: OP.SET_TRIAL_USER_ATTR, trial_id: this.checked(trialId), user_attr: { [key]: value } });
    return this;
  }

  setSystemAttr(trialId: number, key: string, value: JsonValue): this {
    this.ops.push({ op_code: OP.SET_TRIAL_SYSTEM_ATTR, trial_id: this.checked(trialId), system_attr: { [key]: value } });
    return this;
  }

  setState(trialId: number, state: OptunaTrialState, values?: readonly number[] | null, times: Pick<TrialData, 'datetimeStart' | 'datetimeComplete'> = {}): this {
    const now = formatOptunaDatetime(this.now());
    this.stateOps.set(this.checked(trialId), this.ops.length);
    this.ops.push({
      op_code: OP.SET_TRIAL_STATE_VALUES,
      trial_id: trialId,
      state: stateCode(state),
      values: values ? [...values] : null,
      // As Optuna writes it: datetime_start when the trial becomes RUNNING, datetime_complete when it finishes.
      ...(state === 'RUNNING' ? { datetime_start: times.datetimeStart ?? now } : {}),
      ...(isFinishedState(state) ? { datetime_complete: times.datetimeComplete ?? now } : {}),
    });
    return this;
  }

  /** Params, intermediate values, user attrs, system attrs, then the state: Optuna ignores changes to a finished trial. */
  update(trialId: number, data: TrialData): this {
    this.ops.push(...paramRecords(this.checked(trialId), data));
    for (const [step, value] of data.intermediate ?? []) this.setIntermediate(trialId, step, value);
    for (const [key, value] of Object.entries(data.userAttrs ?? {})) this.setUserAttr(trialId, key, value);
    for (const [key, value] of Object.entries(data.systemAttrs ?? {})) this.setSystemAttr(trialId, key, value);
    if (data.state !== undefined) this.setState(trialId, data.state, data.values, data);
    return this;
  }

  /** FAIL with `fusetune:retry` = reason: the trial stops counting toward a budget. */
  failForRetry(trialId: number, reason: string): this {
    return this.setSystemAttr(trialId, FUSETUNE_ATTR.retry, reason).setState(trialId, 'FAIL');
  }

  setStudyUserAttr(studyId: number, key: string, value: JsonValue): this {
    this.storage.study(studyId);
    this.ops.push({ op_code: OP.SET_STUDY_USER_ATTR, study_id: studyId, user_attr: { [key]: value } });
    return this;
  }

  setStudySystemAttr(studyId: number, key: string, value: JsonValue): this {
    this.storage.study(studyId);
    this.ops.push({ op_code: OP.SET_STUDY_SYSTEM_ATTR, study_id: studyId, system_attr: { [key]: value } });
    return this;
  }

  /**
   * The worker's heartbeat. NOTE: optuna-dashboard's browser reader takes a study's metric names from
   * its latest system attr record, so the beat says them again after itself.
   */
  heartbeat(studyId: number): this {
    this.setStudySystemAttr(studyId, `${FUSETUNE_ATTR.heartbeatPrefix}${this.storage.workerId}`, formatOptunaDatetime(this.now()));
    const names = this.storage.study(studyId).systemAttrs[METRIC_NAMES_ATTR];
    return names === undefined ? this : this.setStudySystemAttr(studyId, METRIC_NAMES_ATTR, names);
  }

  /** Appends everything at once; resolves, for each trial whose state the batch set, to whether that state took effect. */
  async commit(): Promise<Map<number, boolean>> {
    const outcomes = await this.write(this.ops);
    return new Map([...this.stateOps].map(([trialId, index]) => [trialId, outcomes[index]!.applied]));
  }

  /** Appends everything at once; resolves to whether every record took effect. */
  async commitAll(): Promise<boolean> {
    return (await this.write(this.ops)).every((o) => o.applied);
  }

  private checked(trialId: number): number {
    this.storage.trial(trialId);
    return trialId;
  }
}
