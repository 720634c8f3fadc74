// Owns the running study: loads its data, runs it on the page's GPU, journals it in IndexedDB as it runs, resumes it, exports it.
import { ContextProvider } from '@lit/context';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { loadDatasetBrowser, type UploadedFile } from '../../data/browser.ts';
import { objectivesOf } from '../../search/specs.ts';
import { parseStudy, studyToJson, type Study } from '../../search/study.ts';
import { FINISHED_STATES } from '../../model/states.ts';
import { BrowserStore, type SavedStudy, type SavedStudySummary } from '../../store/browser-store.ts';
import { trialsCsv } from '../../store/export.ts';
import { encodeSafetensors, mlpTensors } from '../../store/safetensors.ts';
import { encodeOnnx } from '../../store/onnx.ts';
import { serializePreprocess } from '../../data/transform.ts';
import { fileBase } from '../download.ts';
import type { DeviceLostError } from '../../gpu/errors.ts';
import { rawMetricValue, type StudyRecord, type TrialRecord } from '../../store/records.ts';
import { studyJournalText } from '../../store/journal-text.ts';
import { runStudy, type StudyEvent } from '../../study/run-study.ts';
import { bestTrial } from '../analysis/study-params.ts';
import { sessionContext, type RunProgress, type RunStatus, type Session } from '../context.ts';
import { viewOfRecord, withRecord } from '../viewer/from-record.ts';
import { fusetuneRecord } from '../viewer/fusetune-journal.ts';
import { JournalViewer, type JournalStudyChoice } from '../viewer/journal-viewer.ts';
import type { ViewStudy } from '../viewer/model.ts';
import type { GpuController } from './gpu-controller.ts';

/** NOTE: the running study fires events per chunk and per trial; consumers re-render at most this often. */
const PUBLISH_MS = 200;

/** A journal is read this many characters at a time (about 300 trials of an ordinary study), a task each. */
const READ_SLICE_CHARS = 400_000;

/** Saved statuses a study can resume from: it stopped with trials left, for whatever reason. */
const RESUMABLE = new Set<SavedStudy['status']>(['paused', 'stopped', 'interrupted', 'lost']);

export type ExportKind = 'csv' | 'json' | 'weights' | 'journal' | 'onnx' | 'preprocess';

export interface ExportedFile {
  fileName: string;
  blob: Blob;
}

/** The lock a tab holds while it runs a study, so another tab does not take it for interrupted. */
function lockName(studyId: string): string {
  return `fusetune-run-${studyId}`;
}

/** A results file or journal study opened in this page: as the views see it, and as fusetune's record when it has one. */
interface Opened {
  id: string;
  name: string;
  view: ViewStudy;
  saved: SavedStudy | null;
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

/** How a saved study reads when it came from a results file: the run's own state. */
function fileStatus(record: StudyRecord): SavedStudy['status'] {
  return record.state === 'running' ? 'interrupted' : record.state;
}

/** Why `json` is not a results file (study.json from `fusetune run` or the app's Results JSON), or null when it is one. */
export function resultsFileProblem(json: unknown): string | null {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return 'a results file is a JSON object';
  const record = json as Partial<StudyRecord>;
  if (!Array.isArray(record.trials)) return 'it has no "trials" list: is it a study file rather than the results of a run? (Import it on the Study tab)';
  if (record.study === null || typeof record.study !== 'object') return 'it has no "study" object';
  const broken = record.trials.findIndex((t) => t === null || typeof t !== 'object' || typeof t.index !== 'number' || typeof t.state !== 'string' || t.params === undefined || t.config === undefined);
  if (broken >= 0) return `trials[${broken}] lacks its index, state, params or config`;
  return null;
}

/** The study's own data file, when it reads an uploaded CSV or table. */
function dataFiles(study: Study, files: ReadonlyMap<string, UploadedFile>): Map<string, UploadedFile> {
  if (study.data.kind !== 'csv' && study.data.kind !== 'table') return new Map();
  const name = study.data.path;
  const contents = files.get(name) ?? files.get(name.split(/[\\/]/).pop() ?? name);
  return contents === undefined ? new Map() : new Map([[name, contents]]);
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
  /**
   * Results files and journal studies opened in this page (read-only), by id `file:<name>` or
   * `file:<name>#<study>`: each as the views see it, and as fusetune's record when it has one.
   */
  private opened: Opened[] = [];
  /** The journal opened last, replayed (and still growing when it is followed), with its studies. */
  private journal: { fileName: string; viewer: JournalViewer; studies: JournalStudyChoice[]; shown: number | null } | null = null;
  /** The opened study on show (null while a saved or running study shows, or nothing does). */
  private shown: Opened | null = null;
  private readonly notes = new Map<string, string[]>();
  /** The journal being read now (a newer open supersedes it), and how far along it is. */
  private reading: symbol | null = null;
  private readingNote = '';
  /**
   * Copies of the trials, reused across snapshots while a trial does not change, so views can skip
   * what did not change. While a study runs its events say which trials changed (`changed`);
   * otherwise every trial is copied afresh.
   */
  private trialCopies = new Map<number, TrialRecord>();
  private copiesOf: string | null = null;
  private lastTrials: TrialRecord[] = [];
  private changed: Set<number> | 'all' = 'all';
  private outcomeRevision = 0;
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

  /**
   * Runs a new study; it is saved once planned, with the uploaded file it reads. With `replace`, a
   * saved study that is the very same (same JSON: a seeded study run again gives the same trials)
   * is replaced once the new run is planned rather than kept as a duplicate; without, it stays.
   */
  async start(study: Study, files: ReadonlyMap<string, UploadedFile>, options: { replace?: boolean } = {}): Promise<void> {
    if (this.busy) return;
    const now = new Date().toISOString();
    const saved: SavedStudy = { id: crypto.randomUUID(), name: study.name, study: studyToJson(study), status: 'running', record: null, createdAt: now, updatedAt: now };
    const replaced = options.replace === false ? [] : (await this.identicalSaved(study)).map((s) => s.id);
    await this.execute(saved, study, dataFiles(study, files), [], replaced);
  }

  /**
   * Saved studies whose study is the very same as `study`: Run would replace them. The app asks
   * first when one of them could resume with finished trials (a paused run), so none is lost unasked.
   */
  async identicalSaved(study: Study): Promise<SavedStudySummary[]> {
    if (!this.store) return [];
    const text = JSON.stringify(studyToJson(study));
    const same: SavedStudySummary[] = [];
    for (const summary of this.studies.filter((s) => s.name === study.name)) {
      const saved = await this.store.getStudy(summary.id);
      if (saved && JSON.stringify(saved.study) === text) same.push(summary);
    }
    return same;
  }

  /** Whether a saved study's status lets it resume (paused, stopped, interrupted, lost). */
  static canResume(status: SavedStudy['status']): boolean {
    return RESUMABLE.has(status);
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
    if (this.busy) return;
    if (id.startsWith('file:')) {
      const opened = this.opened.find((s) => s.id === id);
      if (opened) this.showOpened(opened);
      return;
    }
    const saved = await this.store?.getStudy(id);
    if (!saved || !this.store) return;
    this.saved = saved;
    this.shown = null;
    this.progress = null;
    this.error = null;
    await this.store.setLastStudyId(id);
    await this.checkBestWeights();
    this.publish(true);
  }

  /**
   * Shows a results file read-only: not saved, not resumable, no weights. Returns why it cannot
   * be read, or null; then the study that was on show is cleared, not left standing beside the
   * error. Works without WebGPU.
   */
  openResults(fileName: string, json: unknown): string | null {
    if (this.busy) return 'a study is running: open the file when it ends';
    const problem = resultsFileProblem(json);
    if (problem) return this.refuse(`${fileName} is not a results file: ${problem}`);
    const record = json as StudyRecord;
    const name = typeof record.study.name === 'string' && record.study.name ? record.study.name : fileName;
    const now = new Date().toISOString();
    const saved: SavedStudy = { id: `file:${fileName}`, name, study: record.study, status: fileStatus(record), record, createdAt: record.startedAt ?? now, updatedAt: record.finishedAt ?? now };
    if (record.reason) saved.reason = record.reason;
    this.journal = null;
    this.notes.delete(saved.id);
    this.addOpened({ id: saved.id, name, view: viewOfRecord(saved.id, name, record.study, record, record.trials), saved });
    return null;
  }

  /**
   * Opens an Optuna journal read-only, as openResults does, whoever wrote it and whatever its
   * parameters: with one study it is shown at once; with several the user picks one
   * (openJournalStudy). Returns why it cannot be read, or null. A torn last line is skipped; a
   * malformed line is named. More of the same journal can follow (appendJournal): with `follow`, a
   * journal that holds no study yet is kept open for them instead of refused.
   */
  async openJournal(fileName: string, text: string, follow = false): Promise<string | null> {
    if (this.busy) return 'a study is running: open the file when it ends';
    const viewer = new JournalViewer(fileName);
    const reading = (this.reading = Symbol(fileName));
    // A new file: the study on show goes at once, rather than standing beside the new one's progress.
    this.saved = null;
    this.shown = null;
    this.journal = null;
    this.publish(true);
    try {
      // NOTE: read in slices with a task between them, so a journal of 10,000 trials never blocks the page for the whole read.
      for (let at = 0; at < text.length; ) {
        const cut = text.indexOf('\n', Math.min(text.length, at + READ_SLICE_CHARS));
        const end = cut < 0 ? text.length : cut + 1;
        const started = performance.now();
        viewer.appendText(text.slice(at, end));
        performance.measure('read journal slice', { start: started });
        at = end;
        if (at < text.length) {
          this.readingNote = `Reading ${fileName}: ${Math.round((100 * at) / text.length)}%…`;
          this.publish();
          await new Promise((resolve) => setTimeout(resolve, 0));
          if (this.reading !== reading) return null;
        }
      }
    } catch (error) {
      return this.refuse(`${fileName} is not a journal Optuna reads: ${message(error)}`);
    } finally {
      if (this.reading === reading) this.readingNote = '';
    }
    const studies = viewer.choices();
    if (studies.length === 0 && !follow) return this.refuse(`${fileName} holds no study${text.includes('\n') ? '' : ' (its only line is incomplete)'}`);
    this.journal = { fileName, viewer, studies, shown: null };
    this.saved = null;
    this.shown = null;
    if (studies.length === 1) return this.openJournalStudy(studies[0]!.studyId);
    // Several studies (or none yet, for a journal followed live): nothing shows until one is picked.
    this.publish(true);
    return null;
  }

  /**
   * More of the journal opened last, as it grows (what `fusetune app` streams): its records are
   * replayed on top of what was read, and the study on show is shown again with them. Returns why
   * they cannot be read, or null.
   */
  appendJournal(text: string): string | null {
    const journal = this.journal;
    if (!journal) return 'no journal is open to append to';
    let touched: Set<number>;
    try {
      touched = journal.viewer.appendText(text);
    } catch (error) {
      return `${journal.fileName}: ${message(error)}`;
    }
    journal.studies = journal.viewer.choices();
    if (journal.shown === null && journal.studies.length === 1) return this.openJournalStudy(journal.studies[0]!.studyId);
    if (journal.shown !== null && touched.has(journal.shown) && this.shown?.id.startsWith(`file:${journal.fileName}`) && !this.busy) {
      const opened = this.journalStudy(journal.shown);
      if (opened) {
        this.addOpened(opened, false);
        // Records may have finished trials: the views of finished results are computed again.
        this.outcomeRevision++;
        this.publish();
        return null;
      }
    }
    this.publish();
    return null;
  }

  /** Shows one study of the journal opened last. Returns why it cannot be shown, or null. */
  openJournalStudy(studyId: number): string | null {
    const journal = this.journal;
    if (!journal || !journal.studies.some((s) => s.studyId === studyId)) return 'no journal holds that study any more: open the file again';
    if (this.busy) return 'a study is running: open the file when it ends';
    const opened = this.journalStudy(studyId);
    if (!opened) return 'no journal holds that study any more: open the file again';
    journal.shown = studyId;
    this.addOpened(opened);
    return null;
  }

  /**
   * A journal study as the views see it: its records alone, plus fusetune's record of it when
   * fusetune wrote it (a record that cannot be read leaves a note, never a refusal).
   */
  private journalStudy(studyId: number): Opened | null {
    const start = performance.now();
    try {
      return this.readJournalStudy(studyId);
    } finally {
      performance.measure('journal study view', { start });
    }
  }

  private readJournalStudy(studyId: number): Opened | null {
    const journal = this.journal!;
    const choice = journal.studies.find((s) => s.studyId === studyId);
    const replayed = journal.viewer.journalStudy(studyId);
    if (!choice || !replayed) return null;
    const id = journal.studies.length === 1 ? `file:${journal.fileName}` : `file:${journal.fileName}#${choice.name}`;
    let view = journal.viewer.study(studyId, id)!;
    const notes: string[] = [];
    let saved: SavedStudy | null = null;
    try {
      const record = fusetuneRecord(replayed.study, replayed.trials);
      if (record) {
        view = withRecord(view, record);
        saved = { id, name: choice.name, study: record.study, status: record.state === 'running' ? 'running' : 'done', record, createdAt: record.startedAt, updatedAt: record.finishedAt ?? record.startedAt };
        if (record.reason) saved.reason = record.reason;
      }
    } catch (error) {
      notes.push(`fusetune wrote this study, but its own record of it cannot be read (${message(error)}): the views show what Optuna's records hold.`);
    }
    this.notes.set(id, notes);
    return { id, name: choice.name, view, saved };
  }

  /** Keeps an opened study (replacing one of the same id) and shows it. */
  private addOpened(opened: Opened, reset = true): void {
    this.opened = [...this.opened.filter((s) => s.id !== opened.id), opened];
    if (reset) this.showOpened(opened);
    else {
      this.shown = opened;
      this.saved = opened.saved;
    }
  }

  /** A file that could not be opened: the study that was on show goes, so its summary and charts do not stand beside the error. */
  private refuse(reason: string): string {
    this.saved = null;
    this.shown = null;
    this.journal = null;
    this.bestWeights = false;
    this.publish(true);
    return reason;
  }

  /** Saved studies and opened files, as the views see them, for comparing them. */
  async load(ids: readonly string[]): Promise<ViewStudy[]> {
    const out: ViewStudy[] = [];
    for (const id of ids) {
      if (id.startsWith('file:')) {
        const opened = this.opened.find((s) => s.id === id);
        if (opened) out.push(opened.view);
        continue;
      }
      const saved = await this.store?.getStudy(id);
      if (saved?.record) out.push(viewOfRecord(saved.id, saved.name, saved.study, saved.record, saved.record.trials));
    }
    return out;
  }

  private showOpened(opened: Opened): void {
    this.shown = opened;
    this.saved = opened.saved;
    this.progress = null;
    this.error = null;
    this.bestWeights = false;
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

  /** Keeps an upload in IndexedDB before any run, so a reload of the edited study finds it (the last upload only). */
  async keepUpload(name: string, contents: UploadedFile): Promise<void> {
    try {
      await this.store?.putUpload(name, contents);
    } catch (error) {
      this.error = `keeping ${name} in IndexedDB failed: ${message(error)}`;
      this.publish(true);
    }
  }

  /** The upload keepUpload kept, by name (empty when none, or without IndexedDB). */
  async lastUpload(): Promise<Map<string, UploadedFile>> {
    return this.store ? this.store.getUpload() : new Map();
  }

  /** The uploaded files a saved study reads (its CSV or table), by name. */
  async files(id: string): Promise<Map<string, UploadedFile>> {
    return this.store ? this.store.getFiles(id) : new Map();
  }

  /**
   * A download of the study on show: its trials as CSV, its whole record as JSON, the study in
   * Optuna's journal format (also while it runs), or the best trial's weights.
   */
  async exportFile(kind: ExportKind): Promise<ExportedFile> {
    const saved = this.saved;
    const record = saved?.record;
    if (!saved || !record) throw new Error('no study results to export yet');
    const base = fileBase(saved.name);
    if (kind === 'journal') {
      let study: Study;
      try {
        study = parseStudy(record.study);
      } catch (error) {
        throw new Error(`the study does not parse, so it cannot be written as a journal: ${message(error)}`);
      }
      // A copy taken at once: a running study goes on changing its trials while the journal is written.
      const trials = structuredClone(record.trials);
      return { fileName: `${base}-journal.log`, blob: new Blob([await studyJournalText(study, { trials })], { type: 'text/plain' }) };
    }
    if (kind === 'csv') return { fileName: `${base}-trials.csv`, blob: new Blob([trialsCsv(record)], { type: 'text/csv' }) };
    if (kind === 'json') return { fileName: `${base}-study.json`, blob: new Blob([JSON.stringify(record, null, 1) + '\n'], { type: 'application/json' }) };
    if (kind === 'preprocess' || kind === 'onnx') return this.exportModel(kind, saved, record, base);
    const { index, weights, trial } = await this.bestWeightsOf(saved, record);
    const metric = objectivesOf(record.study.objective, record.dataset.task)[0]!.metric;
    const bytes = encodeSafetensors(mlpTensors(weights.params, weights.widths), {
      widths: weights.widths.join(','),
      trial: String(index),
      activation: trial.config.activation,
      // As `fusetune run` writes best.safetensors: the task and the best value of the study's objective.
      task: record.dataset.task ?? 'classification', [metric]: String(rawMetricValue(trial, metric)),
      study: saved.name,
    });
    return { fileName: `${base}-best.safetensors`, blob: new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }) };
  }

  /** The best trial and its kept weights, or why there are none. */
  private async bestWeightsOf(saved: SavedStudy, record: StudyRecord) {
    const index = bestTrial(record);
    if (index === null) throw new Error('no trial has finished, so there are no best weights');
    if (saved.id.startsWith('file:')) throw new Error('a results file holds no weights');
    const weights = await this.store?.getWeights(saved.id, index);
    if (!weights) throw new Error(`the weights of trial ${index} were not kept: it finished in a run that was cut off before it returned`);
    return { index, weights, trial: record.trials[index]! };
  }

  /**
   * A table study's transform (preprocess.json) or its best trial as ONNX. The transform is fitted
   * again from the study's kept file: the same file, spec and seed give the same one the run used.
   */
  private async exportModel(kind: 'onnx' | 'preprocess', saved: SavedStudy, record: StudyRecord, base: string): Promise<ExportedFile> {
    const dataset = await loadDatasetBrowser(parseStudy(saved.study).data, await this.files(saved.id));
    const preprocess = dataset.preprocess;
    if (!preprocess) throw new Error(`${dataset.name} has no fitted transform: only table studies export a model`);
    if (kind === 'preprocess') return { fileName: `${base}-preprocess.json`, blob: new Blob([serializePreprocess(preprocess)], { type: 'application/json' }) };
    const { index, weights, trial } = await this.bestWeightsOf(saved, record);
    const bytes = encodeOnnx({ widths: weights.widths, activation: trial.config.activation, params: weights.params, preprocess, metadata: { study: saved.name, trial: String(index) } });
    return { fileName: `${base}-best.onnx`, blob: new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }) };
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

  private async execute(saved: SavedStudy, study: Study, files: Map<string, UploadedFile>, previous: TrialRecord[], replaces: readonly string[] = []): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    this.intent = null;
    this.status = 'loading';
    this.error = null;
    this.progress = null;
    this.saved = saved;
    this.shown = null;
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
        this.noteChange(event);
        if (event.type === 'planned') {
          planned = true;
          for (const id of replaces) void this.store?.deleteStudy(id);
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
          const { stepsDone, stepsTotal, samplesPerSec, elapsedMs, occupancy, trialsDone, trialsTotal } = event;
          const etaMs = stepsDone > 0 ? (elapsedMs * (stepsTotal - stepsDone)) / stepsDone : null;
          this.progress = { stepsDone, stepsTotal, samplesPerSec, elapsedMs, etaMs, occupancy, trialsDone, trialsTotal };
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

  /** NOTE: the best trial is found from the trials, not `record.best`, which a run cut off (a reload) never wrote. */
  private async checkBestWeights(): Promise<void> {
    const saved = this.saved;
    const best = saved?.record ? bestTrial(saved.record) : null;
    this.bestWeights = best !== null && this.store !== null && saved !== null && !saved.id.startsWith('file:') && (await this.store.getWeights(saved.id, best)) !== undefined;
  }

  /**
   * Which trials a runner event changed, and whether finished results did (outcomeRevision: a trial
   * finished). New trials, starts, curves, epochs, reports and exploits change only their trials.
   */
  private noteChange(event: StudyEvent): void {
    const touch = (...indices: number[]) => {
      if (this.changed !== 'all') for (const index of indices) this.changed.add(index);
    };
    switch (event.type) {
      case 'planned':
      case 'done':
        this.changed = 'all';
        this.outcomeRevision++;
        return;
      case 'trial-finished':
        touch(event.trial.index);
        this.outcomeRevision++;
        return;
      case 'asked':
        touch(...event.trials.map((t) => t.index));
        return;
      case 'cohort-started':
        touch(...event.trials);
        return;
      case 'slot-refilled':
      case 'curve':
      case 'epoch':
      case 'report':
      case 'exploit':
      case 'weights':
        touch(event.index);
        return;
      case 'progress':
        return;
    }
  }

  /**
   * The trials as copies: while a study runs, only those its events changed are copied again
   * (the same array when none did); otherwise all of them.
   */
  private trialSnapshot(record: StudyRecord | null, id: string | null): TrialRecord[] {
    if (!record) return [];
    const changed = this.changed;
    this.changed = new Set();
    if (this.status !== 'idle' && this.copiesOf === id && changed !== 'all') {
      if (changed.size === 0 && this.lastTrials.length === record.trials.length) return this.lastTrials;
      for (const index of changed) this.trialCopies.delete(index);
    } else {
      this.copiesOf = id;
      this.trialCopies = new Map(record.trials.map((t) => [t.index, { ...t }]));
    }
    this.lastTrials = record.trials.map((t) => {
      let copy = this.trialCopies.get(t.index);
      if (!copy) this.trialCopies.set(t.index, (copy = { ...t }));
      return copy;
    });
    return this.lastTrials;
  }

  private snapshot(): Session {
    const saved = this.saved;
    const record = saved?.record ?? null;
    const shown = this.shown;
    // An opened file keeps its view; a saved or running study's view is built from the trials' copies (unchanged ones keep their views).
    const trials = shown ? [] : this.trialSnapshot(record, saved?.id ?? null);
    return {
      status: this.status,
      saved: saved ? { ...saved } : null,
      view: shown ? shown.view : saved ? viewOfRecord(saved.id, saved.name, saved.study, record, trials) : null,
      progress: this.progress,
      error: this.error,
      resumable: this.status === 'idle' && saved !== null && !saved.id.startsWith('file:') && RESUMABLE.has(saved.status) && unfinished(record),
      readOnly: shown !== null,
      files: this.opened.map((s) => ({ id: s.id, name: s.name })),
      journal: this.journal ? { fileName: this.journal.fileName, studies: this.journal.studies, shown: shown?.id.startsWith(`file:${this.journal.fileName}`) ? this.journal.shown : null } : null,
      notes: (shown && this.notes.get(shown.id)) ?? [],
      reading: this.readingNote,
      outcomeRevision: this.outcomeRevision,
      bestWeights: this.bestWeights && this.status === 'idle',
      studies: this.studies,
      loaded: this.loaded,
    };
  }

  /**
   * Hands consumers a new snapshot now (taken afresh: the study on show or its status changed), or
   * within PUBLISH_MS with what the runner's events changed, when events come fast.
   */
  private publish(now = false): void {
    if (!now) {
      this.publishTimer ??= setTimeout(() => this.flush(), PUBLISH_MS);
      return;
    }
    this.changed = 'all';
    this.outcomeRevision++;
    this.flush();
  }

  private flush(): void {
    if (this.publishTimer !== null) clearTimeout(this.publishTimer);
    this.publishTimer = null;
    const start = performance.now();
    this.provider.setValue(this.snapshot());
    this.host.requestUpdate();
    // Consumers update in this task's microtasks; the measure is the snapshot and what they did synchronously.
    void Promise.resolve().then(() => performance.measure('publish session', { start }));
  }
}
