// The ask/tell loop's record of a study in Optuna's journal (a file, or Redis shared by many workers):
// trial numbers and budget claims come from the journal, every trial's params, reports and outcome go
// into it, other workers' trials come back out as the sampler's history, and dead workers' trials
// are failed so the budget asks for them again.
import type { Params } from '../search/space.ts';
import type { PastTrial } from '../search/samplers.ts';
import { MAX_TRIALS } from '../search/specs.ts';
import type { Study } from '../search/study.ts';
import { OVER_BUDGET, type JournalBatch, type JournalStorage } from '../store/journal-storage.ts';
import { FUSETUNE_ATTR, type JournalStudy, type JournalTrial } from '../store/optuna-journal.ts';
import { checkVocabulary, openFusetuneStudy, pastTrialsFromOptuna, studyChanges, toOptunaDistribution, trialFromOptuna, trialOutcome } from '../store/optuna-mapping.ts';
import type { TrialRecord } from '../store/records.ts';
import { InputError } from '../util/input-error.ts';

/** A trial number the journal gave this worker, and for a retried or enqueued trial its fixed params. */
export interface LedgerClaim {
  number: number;
  /** Fixed parameters (a WAITING trial: Optuna's enqueue_trial, or a retry of an interrupted trial). */
  params?: Params;
  /** The number the trial is sampled and seeded as: its place in the study (a retry: its first attempt's). */
  seedNumber?: number;
}

export interface LedgerOptions {
  /** Several processes share the journal: beat every `heartbeatMs` and fail others' trials silent for `graceMs`. */
  shared?: { heartbeatMs: number; graceMs: number };
  /** Called when this worker fails another worker's trials (stale) — for the log. */
  onStale?: (trials: JournalTrial[]) => void;
}

/** The study's journal stopped working (a storage that is gone, a full disk): what the run knows is only its own. */
export class StudyStorageError extends Error {
  constructor(cause: unknown) {
    super(`the study's storage failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StudyStorageError';
  }
}

export class StudyChangedError extends InputError {
  constructor(readonly changes: string[]) {
    super(`the study file differs from the study recorded in the journal:\n${changes.map((c) => `  ${c}`).join('\n')}\nrun it under another name, or in another results folder`);
    this.name = 'StudyChangedError';
  }
}

export class JournalLedger {
  private readonly ids = new Map<number, number>();
  private heartbeat: { stop(): Promise<void> } | null = null;
  private pending: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly storage: JournalStorage,
    readonly stored: JournalStudy,
    readonly study: Study,
    private readonly options: LedgerOptions,
  ) {}

  /**
   * Opens (or creates) the study in the journal. Refuses a study file that differs from the one
   * recorded, and parameters outside fusetune's vocabulary (a study Optuna wrote), naming them.
   */
  static async open(storage: JournalStorage, study: Study, options: LedgerOptions = {}): Promise<JournalLedger> {
    const { study: stored } = await openFusetuneStudy(storage, study);
    const changes = studyChanges(stored, study);
    if (changes.length > 0) throw new StudyChangedError(changes);
    checkVocabulary(storage.trials(stored.studyId));
    const ledger = new JournalLedger(storage, stored, study, options);
    if (options.shared) ledger.heartbeat = storage.startHeartbeat(stored.studyId, options.shared.heartbeatMs);
    return ledger;
  }

  get studyId(): number {
    return this.stored.studyId;
  }

  /** Whether several processes share the journal (heartbeats, stale trials, waiting for others). */
  get shared(): boolean {
    return this.options.shared !== undefined;
  }

  /** How long a worker with nothing to do waits before looking at the journal again. */
  get pollMs(): number {
    return Math.max(100, Math.min(2000, (this.options.shared?.heartbeatMs ?? 2000) / 2));
  }

  /** Every trial of the study as recorded, as fusetune records. */
  records(): TrialRecord[] {
    return this.storage.trials(this.studyId).map((t) => trialFromOptuna(t, this.study));
  }

  /**
   * Trials an earlier run in this results folder left unfinished (RUNNING after a kill, or stopped
   * by Ctrl-C and not yet retried): each is failed for retry and enqueued again with its params, so
   * a resumed run trains it again as the same trial (its seed). Only for a journal one process owns.
   */
  async retryInterrupted(): Promise<number> {
    await this.storage.sync();
    const trials = this.storage.trials(this.studyId);
    const retried = new Set(trials.flatMap((t) => (Array.isArray(t.systemAttrs.retry_history) ? (t.systemAttrs.retry_history as number[]) : [])));
    const running = trials.filter((t) => t.state === 'RUNNING');
    if (running.length > 0) await this.storage.failTrials(running.map((t) => t.trialId), 'the run that trained it was interrupted');
    const retry = this.storage.trials(this.studyId).filter((t) => {
      const reason = t.systemAttrs[FUSETUNE_ATTR.retry];
      const overBudget = typeof reason === 'string' && reason.startsWith(OVER_BUDGET);
      return t.state === 'FAIL' && reason !== undefined && !overBudget && !retried.has(t.number);
    });
    await this.storage.enqueueRetries(retry.map((t) => t.trialId));
    return retry.length;
  }

  /** A call to the storage; its failure (not bad input in the journal) is a StudyStorageError. */
  private async io<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw error instanceof InputError || error instanceof StudyStorageError ? error : new StudyStorageError(error);
    }
  }

  /** The study's trials as the sampler's history, after replaying what other workers appended. */
  async history(): Promise<PastTrial[]> {
    await this.flush();
    await this.io(() => this.storage.sync());
    if (this.options.shared) {
      const { graceMs } = this.options.shared;
      const stale = await this.io(() => this.storage.failStaleTrials(this.studyId, graceMs));
      if (stale.length > 0) this.options.onStale?.(stale);
    }
    return pastTrialsFromOptuna(this.storage.trials(this.studyId).filter((t) => t.state !== 'WAITING'));
  }

  /**
   * Up to `count` trials for this worker: WAITING ones first (enqueued by Optuna or retries), then
   * new ones within `budget` trials across every worker (the study's trial count, capped by a grid's
   * size). Each comes back RUNNING and owned.
   */
  async claim(count: number, budget: number): Promise<LedgerClaim[]> {
    await this.flush();
    const claims: LedgerClaim[] = [];
    while (claims.length < count) {
      const waiting = await this.io(() => this.storage.claimWaitingTrial(this.studyId));
      if (!waiting) break;
      this.ids.set(waiting.number, waiting.trialId);
      // A retry holds its params; Optuna's enqueue_trial holds them as the `fixed_params` attr. A
      // retry of a trial cut off before its params were recorded holds none: it is asked again as
      // that trial, never trained with the defaults.
      const [past] = pastTrialsFromOptuna([waiting]);
      const first = waiting.systemAttrs.failed_trial;
      const params = Object.keys(past!.params).length > 0 ? { ...past!.params } : undefined;
      const root = typeof first === 'number' ? this.storage.trials(this.studyId).find((t) => t.number === first) : undefined;
      claims.push({ number: waiting.number, params, seedNumber: root ? this.place(root) : undefined });
    }
    if (claims.length < count) {
      const created = await this.io(() => this.storage.createTrialsInBudget(this.studyId, Math.min(budget, MAX_TRIALS), Array.from({ length: count - claims.length }, () => undefined)));
      for (const trial of created) {
        this.ids.set(trial.number, trial.trialId);
        claims.push({ number: trial.number, seedNumber: this.place(trial) });
      }
    }
    return claims;
  }

  /**
   * A trial's place in the study: how many counted trials came before it when it was created
   * (countedBefore). NOTE: in a run nothing interrupted, place and number agree; interrupted
   * attempts take numbers but no place (they are failed for retry and their retries take their
   * place), so a trial sampled and seeded by its place, and a retry by its first attempt's, gives
   * a resumed study the trials of an uninterrupted one.
   */
  private place(trial: JournalTrial): number {
    return trial.countedBefore;
  }

  /**
   * Whether other fusetune workers (those that beat) still train trials, or trials wait to be
   * claimed: then a worker with nothing left to claim waits, since one of those may fail and be
   * asked again. Trials of owners that never beat (Optuna's workers, `fusetune ask`) hold no one.
   */
  async unfinished(): Promise<boolean> {
    await this.flush();
    await this.io(() => this.storage.sync());
    const study = this.storage.study(this.studyId);
    return this.storage.trials(this.studyId).some((t) => t.state === 'WAITING' || (t.state === 'RUNNING' && t.owner !== null && t.owner !== this.storage.workerId && study.heartbeats.has(t.owner)));
  }

  private trialId(index: number): number {
    const id = this.ids.get(index);
    if (id === undefined) throw new Error(`trial ${index} was not claimed from the journal by this worker`);
    return id;
  }

  /**
   * Changes gather in one batch per round (commit) and go into the journal as one append: a record
   * per event would cost an append each (a lock and an fsync for a file, a round trip for Redis).
   * NOTE: appends queue behind each other and the loop never waits for them between events; a failed
   * append fails every later one and flush(), so a run never ends believing it recorded what it did not.
   */
  private batch: JournalBatch | null = null;

  private get changes(): JournalBatch {
    this.batch ??= this.storage.batch();
    return this.batch;
  }

  /** Appends what gathered since the last commit (queued behind earlier appends). */
  commit(): void {
    const batch = this.batch;
    this.batch = null;
    if (!batch || batch.size === 0) return;
    this.pending = this.pending.then(async () => {
      const started = performance.now();
      await batch.commit();
      this.writes.count++;
      this.writes.ms += performance.now() - started;
    });
    // Handled here for Node (an unhandled rejection would end the process before flush reports it, locks left behind); flush still throws it.
    this.pending.catch(() => undefined);
  }

  /** Journal appends so far and the milliseconds they took (locks and fsyncs, or Redis round trips). */
  readonly writes = { count: 0, ms: 0 };

  /** A trial's params (with their distributions) and its config, as it starts. */
  started(trial: Pick<TrialRecord, 'index' | 'params' | 'config'>): void {
    const distributions = Object.fromEntries(Object.keys(trial.params).map((name) => [name, toOptunaDistribution(this.study.space[name]!)]));
    this.changes.update(this.trialId(trial.index), { params: trial.params, distributions, userAttrs: { config: trial.config as never } });
  }

  reported(index: number, step: number, value: number): void {
    this.changes.setIntermediate(this.trialId(index), step, value);
  }

  /** A trial's outcome: state, values and everything Optuna has no place for (user attrs). */
  finished(trial: TrialRecord): void {
    if (!this.ids.has(trial.index)) return;
    this.changes.update(this.trialId(trial.index), trialOutcome(trial, this.study));
  }

  /** Commits and waits for every queued append; a failed one is a StudyStorageError. */
  async flush(): Promise<void> {
    this.commit();
    await this.io(() => this.pending);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.heartbeat?.stop();
  }
}
