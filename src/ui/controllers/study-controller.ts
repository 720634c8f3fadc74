// Owns the running study: loads its data, runs it on the page's GPU, journals it in IndexedDB as it runs, resumes it, exports it.
import { ContextProvider } from '@lit/context';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { loadDatasetBrowser } from '../../data/browser.ts';
import { parseStudy, studyToJson, type Study } from '../../search/study.ts';
import { FINISHED_STATES } from '../../model/states.ts';
import { BrowserStore, type SavedStudy, type SavedStudySummary } from '../../store/browser-store.ts';
import { trialsCsv } from '../../store/export.ts';
import { encodeSafetensors, mlpTensors } from '../../store/safetensors.ts';
import type { DeviceLostError } from '../../gpu/errors.ts';
import type { StudyRecord, TrialRecord } from '../../store/records.ts';
import { runStudy, type StudyEvent } from '../../study/run-study.ts';
import { sessionContext, type RunProgress, type RunStatus, type Session } from '../context.ts';
import type { GpuController } from './gpu-controller.ts';

/** NOTE: the running study fires events per chunk and per trial; consumers re-render at most this often. */
const PUBLISH_MS = 200;

/** Saved statuses a study can resume from: it stopped with trials left, for whatever reason. */
const RESUMABLE = new Set<SavedStudy['status']>(['paused', 'stopped', 'interrupted', 'lost']);

export type ExportKind = 'csv' | 'json' | 'weights';

export interface ExportedFile {
  fileName: string;
  blob: Blob;
}

/** The lock a tab holds while it runs a study, so another tab does not take it for interrupted. */
function lockName(studyId: string): string {
  return `fusetune-run-${studyId}`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Trials cut off mid-training become `stopped`, so that resuming trains them again. */
function settleRunning(record: StudyRecord, reason: string): void {
  for (const trial of record.trials) if (trial.state === 'running') Object.assign(trial, { state: 'stopped', reason });
  record.state = 'stopped';
  record.reason = reason;
}

function unfinished(record: StudyRecord | null): boolean {
  return record !== null && record.trials.some((t) => !FINISHED_STATES.has(t.state));
}

/** The study's own data file, when it reads an uploaded CSV. */
function dataFiles(study: Study, files: ReadonlyMap<string, string>): Map<string, string> {
  if (study.data.kind !== 'csv') return new Map();
  const name = study.data.path;
  const text = files.get(name) ?? files.get(name.split(/[\\/]/).pop() ?? name);
  return text === undefined ? new Map() : new Map([[name, text]]);
}

export class StudyController implements ReactiveController {
  private readonly provider: ContextProvider<typeof sessionContext>;
  private store: BrowserStore | null = null;
  private saved: SavedStudy | null = null;
  private status: RunStatus = 'idle';
  private progress: RunProgress | null = null;
  private error: string | null = null;
  private studies: SavedStudySummary[] = [];
  private loaded = false;
  private bestWeights = false;
  private abort: AbortController | null = null;
  private intent: 'pause' | 'stop' | null = null;
  private publishTimer: ReturnType<typeof setTimeout> | null = null;
  private saving: Promise<void> = Promise.resolve();
  private readonly queuedSaves = new Set<string>();
  /** Resolves once IndexedDB has been read (or found unusable). */
  readonly ready: Promise<void>;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly gpu: GpuController,
  ) {
    this.provider = new ContextProvider(host, { context: sessionContext, initialValue: this.snapshot() });
    host.addController(this);
    this.ready = this.init();
  }

  hostConnected(): void {}

  hostDisconnected(): void {
    this.abort?.abort();
  }

  /** The current snapshot (also what the context provides). */
  get session(): Session {
    return this.provider.value;
  }

  get busy(): boolean {
    return this.status !== 'idle';
  }

  /** Runs a new study; it is saved once planned, with the uploaded file it reads. */
  async start(study: Study, files: ReadonlyMap<string, string>): Promise<void> {
    if (this.busy) return;
    const now = new Date().toISOString();
    const saved: SavedStudy = { id: crypto.randomUUID(), name: study.name, study: studyToJson(study), status: 'running', record: null, createdAt: now, updatedAt: now };
    await this.execute(saved, study, dataFiles(study, files), []);
  }

  /** Continues the study on show: its finished trials are kept, the others train (again). */
  async resume(): Promise<void> {
    const saved = this.saved;
    const store = this.store;
    if (this.busy || !saved || !store || !this.session.resumable) return;
    let study: Study;
    try {
      study = parseStudy(saved.study);
    } catch (error) {
      this.error = `the saved study no longer parses: ${message(error)}`;
      this.publish(true);
      return;
    }
    const previous = (saved.record?.trials ?? []).filter((t) => FINISHED_STATES.has(t.state));
    await this.execute(saved, study, await store.getFiles(saved.id), previous);
  }

  /** Stops after the current chunk; the study stays resumable. */
  pause(): void {
    this.halt('pause');
  }

  /** Stops after the current chunk; the finished trials stay. */
  stop(): void {
    this.halt('stop');
  }

  async open(id: string): Promise<void> {
    if (this.busy || !this.store) return;
    const saved = await this.store.getStudy(id);
    if (!saved) return;
    this.saved = saved;
    this.progress = null;
    this.error = null;
    await this.store.setLastStudyId(id);
    await this.checkBestWeights();
    this.publish(true);
  }

  async remove(id: string): Promise<void> {
    if (!this.store || (this.busy && this.saved?.id === id)) return;
    await this.store.deleteStudy(id);
    if (this.saved?.id === id) {
      this.saved = null;
      this.bestWeights = false;
    }
    this.studies = await this.store.listStudies();
    this.publish(true);
  }

  /** The uploaded files a saved study reads (its CSV), by name. */
  async files(id: string): Promise<Map<string, string>> {
    return this.store ? this.store.getFiles(id) : new Map();
  }

  /** A download of the study on show: its trials as CSV, its whole record as JSON, or the best trial's weights. */
  async exportFile(kind: ExportKind): Promise<ExportedFile> {
    const saved = this.saved;
    const record = saved?.record;
    if (!saved || !record) throw new Error('no study results to export yet');
    const base = saved.name.replace(/[^\w.-]+/g, '_') || 'study';
    if (kind === 'csv') return { fileName: `${base}-trials.csv`, blob: new Blob([trialsCsv(record)], { type: 'text/csv' }) };
    if (kind === 'json') return { fileName: `${base}-study.json`, blob: new Blob([JSON.stringify(record, null, 1) + '\n'], { type: 'application/json' }) };
    if (record.best === null) throw new Error('no trial has finished, so there are no best weights');
    const weights = await this.store?.getWeights(saved.id, record.best);
    if (!weights) throw new Error(`the weights of trial ${record.best} were not kept: it finished in a run that was cut off before it returned`);
    const best = record.trials[record.best]!;
    const bytes = encodeSafetensors(mlpTensors(weights.params, weights.widths), {
      widths: weights.widths.join(','),
      trial: String(record.best),
      activation: best.config.activation,
      val_accuracy: String(best.valAccuracy),
      study: saved.name,
    });
    return { fileName: `${base}-best.safetensors`, blob: new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }) };
  }

  private halt(intent: 'pause' | 'stop'): void {
    if (!this.abort || this.status === 'idle' || this.abort.signal.aborted) return;
    this.intent = intent;
    this.status = intent === 'pause' ? 'pausing' : 'stopping';
    this.abort.abort();
    this.publish(true);
  }

  private async init(): Promise<void> {
    try {
      const store = await BrowserStore.open();
      this.store = store;
      const held = new Set((await navigator.locks?.query())?.held?.map((lock) => lock.name) ?? []);
      // A study still marked running that no tab holds was cut off by a reload or a closed tab.
      for (const summary of await store.listStudies()) {
        if (summary.status !== 'running' || held.has(lockName(summary.id))) continue;
        const saved = await store.getStudy(summary.id);
        if (!saved) continue;
        saved.status = 'interrupted';
        saved.reason = 'the page closed while the study ran';
        if (saved.record) settleRunning(saved.record, saved.reason);
        await store.putStudy(saved);
      }
      const last = await store.getLastStudyId();
      if (last) this.saved = (await store.getStudy(last)) ?? null;
      this.studies = await store.listStudies();
      await this.checkBestWeights();
    } catch (error) {
      this.error = `cannot open the study journal in IndexedDB: ${message(error)}`;
    }
    this.loaded = true;
    this.publish(true);
  }

  private async execute(saved: SavedStudy, study: Study, files: Map<string, string>, previous: TrialRecord[]): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    this.intent = null;
    this.status = 'loading';
    this.error = null;
    this.progress = null;
    this.saved = saved;
    this.publish(true);
    let planned = false;
    let lostCtx: { lost: DeviceLostError | null } | null = null;
    try {
      const ctx = await this.gpu.live();
      if (!ctx) throw new Error('no WebGPU device: see the message above');
      lostCtx = ctx;
      const dataset = await loadDatasetBrowser(study.data, files);
      if (abort.signal.aborted) return;
      this.status = 'running';
      this.publish(true);
      const onEvent = (event: StudyEvent) => {
        if (event.type === 'planned') {
          planned = true;
          saved.record = event.record;
          saved.status = 'running';
          delete saved.reason;
          void this.store?.putFiles(saved.id, files);
          void this.store?.setLastStudyId(saved.id);
          this.save(saved);
        } else if (event.type === 'trial-finished') {
          if (planned) this.save(saved);
        } else if (event.type === 'weights') {
          // Kept as each cohort finishes, so a run cut off later still has them.
          void this.store?.putWeights([{ studyId: saved.id, trial: event.index, params: event.params, widths: event.widths }]);
        } else if (event.type === 'progress') {
          const { stepsDone, stepsTotal, samplesPerSec, elapsedMs } = event;
          const etaMs = stepsDone > 0 ? (elapsedMs * (stepsTotal - stepsDone)) / stepsDone : null;
          this.progress = { stepsDone, stepsTotal, samplesPerSec, elapsedMs, etaMs };
          this.gpu.refresh();
        }
        this.publish();
      };
      const run = () => runStudy({ ctx, study, dataset, signal: abort.signal, previous, onEvent });
      const { record } = navigator.locks ? await navigator.locks.request(lockName(saved.id), run) : await run();
      saved.record = record;
      if (ctx.lost) {
        this.settleLoss(saved, ctx.lost);
      } else if (record.state === 'done') {
        saved.status = 'done';
        delete saved.reason;
      } else if (record.state === 'stopped') {
        saved.status = this.intent === 'pause' ? 'paused' : 'stopped';
        delete saved.reason;
      } else {
        Object.assign(saved, { status: 'failed', reason: record.reason ?? 'failed' });
      }
    } catch (error) {
      const lost = lostCtx?.lost ?? null;
      if (lost && planned) this.settleLoss(saved, lost);
      else {
        this.error = message(error);
        if (planned && saved.record) {
          // The record holds what finished before the throw; keep it and let the study resume.
          settleRunning(saved.record, `run failed: ${this.error}`);
          Object.assign(saved, { status: 'interrupted', reason: saved.record.reason });
        }
      }
    } finally {
      this.abort = null;
      if (planned) {
        this.save(saved);
        await this.saving;
      } else if (saved.status === 'running') {
        // A new study that never reached training (bad data, stopped while loading) is shown, not saved.
        Object.assign(saved, { status: this.error ? 'failed' : 'stopped', reason: this.error ?? 'stopped before training began' });
      }
      this.status = 'idle';
      if (this.store) this.studies = await this.store.listStudies();
      await this.checkBestWeights();
      this.gpu.refresh();
      this.publish(true);
    }
  }

  /**
   * After a device loss runStudy has stopped the trials it cut off (and left the rest pending):
   * the study is resumable on a new device.
   */
  private settleLoss(saved: SavedStudy, lost: DeviceLostError): void {
    settleRunning(saved.record!, lost.message);
    Object.assign(saved, { status: 'lost', reason: lost.message });
  }

  /** Queues a write of the study; writes run one at a time, and one queued write covers later changes. */
  private save(saved: SavedStudy): void {
    const store = this.store;
    if (!store || this.queuedSaves.has(saved.id)) return;
    this.queuedSaves.add(saved.id);
    this.saving = this.saving
      .then(() => {
        this.queuedSaves.delete(saved.id);
        return store.putStudy(saved);
      })
      .catch((error: unknown) => {
        this.error = `saving the study to IndexedDB failed: ${message(error)}`;
        this.publish();
      });
  }

  private async checkBestWeights(): Promise<void> {
    const best = this.saved?.record?.best ?? null;
    this.bestWeights = best !== null && this.store !== null && this.saved !== null && (await this.store.getWeights(this.saved.id, best)) !== undefined;
  }

  private snapshot(): Session {
    const saved = this.saved;
    const record = saved?.record ?? null;
    return {
      status: this.status,
      saved: saved ? { ...saved } : null,
      trials: record ? record.trials.map((t) => ({ ...t })) : [],
      progress: this.progress,
      error: this.error,
      resumable: this.status === 'idle' && saved !== null && RESUMABLE.has(saved.status) && unfinished(record),
      bestWeights: this.bestWeights && this.status === 'idle',
      studies: this.studies,
      loaded: this.loaded,
    };
  }

  /** Hands consumers a new snapshot now, or within PUBLISH_MS when events come fast. */
  private publish(now = false): void {
    if (!now) {
      this.publishTimer ??= setTimeout(() => this.publish(true), PUBLISH_MS);
      return;
    }
    if (this.publishTimer !== null) clearTimeout(this.publishTimer);
    this.publishTimer = null;
    this.provider.setValue(this.snapshot());
    this.host.requestUpdate();
  }
}
