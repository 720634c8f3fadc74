// The app's study journal in IndexedDB (via idb): studies with their records, trial weights and uploaded data files.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { StudyInput } from '../search/study.ts';
import { FINISHED_STATES } from '../model/states.ts';
import type { ObjectiveMetric } from '../model/objectives.ts';
import { objectivesOf } from '../search/specs.ts';
import { metricValue, type StudyRecord } from './records.ts';

/**
 * Where a saved study stands. `interrupted`: the page closed (or reloaded) while it ran;
 * `lost`: the GPU device was lost during the run. Both, like `paused` and `stopped`, can resume.
 */
export type SavedStatus = 'running' | 'paused' | 'stopped' | 'interrupted' | 'lost' | 'done' | 'failed';

export interface SavedStudy {
  /** Random id (crypto.randomUUID). */
  id: string;
  name: string;
  /** The study as validated and written out (studyToJson), so it parses again on resume. */
  study: StudyInput;
  status: SavedStatus;
  /** Why it failed, was lost or stopped. */
  reason?: string;
  /** The latest record: every trial, finished ones with their metrics. Null until the run is planned. */
  record: StudyRecord | null;
  createdAt: string;
  updatedAt: string;
}

/** What the saved-studies list shows without reading every curve. */
export interface SavedStudySummary {
  id: string;
  name: string;
  status: SavedStatus;
  data: string;
  trialsFinished: number;
  trialsTotal: number;
  /** What the study optimizes (its first objective), and the best trial's value of it, when one finished (RMSE and MAE in the target's units). */
  objective: ObjectiveMetric;
  bestValue: number | null;
  /** Regression: the target column, whose units RMSE and MAE are in. */
  target?: string;
  updatedAt: string;
}

/** One finished trial's final parameters (kernel layout) and layer widths, input to output. */
export interface SavedWeights {
  studyId: string;
  trial: number;
  params: Float32Array;
  widths: number[];
}

/** An uploaded file: `text` for CSV, TSV and JSON, `bytes` for Arrow and Parquet (records saved before tables hold text only). */
interface SavedFile {
  studyId: string;
  name: string;
  text?: string;
  bytes?: Uint8Array;
}

interface FusetuneDb extends DBSchema {
  studies: { key: string; value: SavedStudy; indexes: { updatedAt: string } };
  weights: { key: [string, number]; value: SavedWeights; indexes: { studyId: string } };
  files: { key: [string, string]; value: SavedFile; indexes: { studyId: string } };
  meta: { key: string; value: string };
}

export const DB_NAME = 'fusetune';
const DB_VERSION = 1;
const LAST_STUDY = 'lastStudyId';
/** The files store's owner of an upload no study has run yet (study ids are UUIDs, so none collides). */
const UPLOAD = 'upload:last';

/** A trial that needs no more training: kept as is when a study resumes. */

export function summarize(saved: SavedStudy): SavedStudySummary {
  const trials = saved.record?.trials ?? [];
  const best = saved.record?.best ?? null;
  const objective = objectivesOf(saved.record?.study.objective ?? saved.study.objective, saved.record?.dataset.task)[0]!.metric;
  return {
    id: saved.id,
    name: saved.name,
    status: saved.status,
    data: saved.record?.dataset.description ?? describeData(saved.study),
    trialsFinished: trials.filter((t) => FINISHED_STATES.has(t.state)).length,
    trialsTotal: trials.length,
    objective,
    bestValue: best === null || !trials[best] ? null : metricValue(trials[best], objective),
    ...(saved.record?.dataset.target ? { target: saved.record.dataset.target } : {}),
    updatedAt: saved.updatedAt,
  };
}

function describeData(study: StudyInput): string {
  const data = study.data as { kind: string; path?: string };
  return data.kind === 'csv' || data.kind === 'table' ? `${data.kind}:${data.path ?? ''}` : data.kind;
}

export class BrowserStore {
  private constructor(private readonly db: IDBPDatabase<FusetuneDb>) {}

  static async open(name: string = DB_NAME): Promise<BrowserStore> {
    const db = await openDB<FusetuneDb>(name, DB_VERSION, {
      upgrade(database) {
        database.createObjectStore('studies', { keyPath: 'id' }).createIndex('updatedAt', 'updatedAt');
        database.createObjectStore('weights', { keyPath: ['studyId', 'trial'] }).createIndex('studyId', 'studyId');
        database.createObjectStore('files', { keyPath: ['studyId', 'name'] }).createIndex('studyId', 'studyId');
        database.createObjectStore('meta');
      },
    });
    return new BrowserStore(db);
  }

  /** Every saved study, most recently updated first. */
  async listStudies(): Promise<SavedStudySummary[]> {
    const all = await this.db.getAllFromIndex('studies', 'updatedAt');
    return all.reverse().map(summarize);
  }

  getStudy(id: string): Promise<SavedStudy | undefined> {
    return this.db.get('studies', id);
  }

  /** Saves the study and its record as they are now (IndexedDB copies them, so the run may go on mutating). */
  async putStudy(saved: SavedStudy): Promise<void> {
    await this.db.put('studies', { ...saved, updatedAt: new Date().toISOString() });
  }

  /** Deletes a study with its weights and files in one transaction. */
  async deleteStudy(id: string): Promise<void> {
    const tx = this.db.transaction(['studies', 'weights', 'files', 'meta'], 'readwrite');
    const range = IDBKeyRange.only(id);
    const removals: Promise<unknown>[] = [tx.objectStore('studies').delete(id)];
    for (const key of await tx.objectStore('weights').index('studyId').getAllKeys(range)) removals.push(tx.objectStore('weights').delete(key));
    for (const key of await tx.objectStore('files').index('studyId').getAllKeys(range)) removals.push(tx.objectStore('files').delete(key));
    if ((await tx.objectStore('meta').get(LAST_STUDY)) === id) removals.push(tx.objectStore('meta').delete(LAST_STUDY));
    await Promise.all([...removals, tx.done]);
  }

  async putWeights(weights: SavedWeights[]): Promise<void> {
    const tx = this.db.transaction('weights', 'readwrite');
    await Promise.all([...weights.map((w) => tx.store.put(w)), tx.done]);
  }

  getWeights(studyId: string, trial: number): Promise<SavedWeights | undefined> {
    return this.db.get('weights', [studyId, trial]);
  }

  /** Keeps the uploaded files a study reads, so it can resume after a reload. */
  async putFiles(studyId: string, files: ReadonlyMap<string, string | Uint8Array>): Promise<void> {
    const tx = this.db.transaction('files', 'readwrite');
    const record = (name: string, contents: string | Uint8Array): SavedFile => (typeof contents === 'string' ? { studyId, name, text: contents } : { studyId, name, bytes: contents });
    await Promise.all([...[...files].map(([name, contents]) => tx.store.put(record(name, contents))), tx.done]);
  }

  async getFiles(studyId: string): Promise<Map<string, string | Uint8Array>> {
    const files = await this.db.getAllFromIndex('files', 'studyId', IDBKeyRange.only(studyId));
    return new Map(files.map((f) => [f.name, f.bytes ?? f.text ?? '']));
  }

  /**
   * Keeps the file uploaded last, before any study runs on it, so a reload of the page being edited
   * finds it. Only the last one: each upload replaces the one before.
   */
  async putUpload(name: string, contents: string | Uint8Array): Promise<void> {
    const tx = this.db.transaction('files', 'readwrite');
    const removals = (await tx.store.index('studyId').getAllKeys(IDBKeyRange.only(UPLOAD))).map((key) => tx.store.delete(key));
    const record: SavedFile = typeof contents === 'string' ? { studyId: UPLOAD, name, text: contents } : { studyId: UPLOAD, name, bytes: contents };
    await Promise.all([...removals, tx.store.put(record), tx.done]);
  }

  /** The file putUpload kept, if any, by name. */
  getUpload(): Promise<Map<string, string | Uint8Array>> {
    return this.getFiles(UPLOAD);
  }

  async getLastStudyId(): Promise<string | undefined> {
    return this.db.get('meta', LAST_STUDY);
  }

  async setLastStudyId(id: string): Promise<void> {
    await this.db.put('meta', id, LAST_STUDY);
  }

  close(): void {
    this.db.close();
  }
}
