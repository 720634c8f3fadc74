// The app's shared state, provided by <ft-app> through @lit/context: the study session and the page's GPU.
import { createContext } from '@lit/context';
import type { SavedStudy, SavedStudySummary } from '../store/browser-store.ts';
import type { GpuController } from './controllers/gpu-controller.ts';
import type { JournalStudyChoice } from './viewer/journal-viewer.ts';
import type { ViewStudy } from './viewer/model.ts';

/** What the study controller is doing. `loading`: reading data or acquiring the device before training. */
export type RunStatus = 'idle' | 'loading' | 'running' | 'pausing' | 'stopping';

export interface RunProgress {
  stepsDone: number;
  stepsTotal: number;
  /** Samples per second of the latest chunk, all of its cohort's trials together. */
  samplesPerSec: number;
  elapsedMs: number;
  /** Time left at the pace so far; null until the first steps are timed. */
  etaMs: number | null;
  /** Busy trial-steps over dispatched ones (how full the fused dispatches are). */
  occupancy: number;
  /** Trials finished, and the trials the study will have trained by the end (its budget as it stands). */
  trialsDone: number;
  trialsTotal: number;
}

/** An Optuna journal opened in this page: its studies, and the one on show (null until one is picked). */
export interface OpenedJournal {
  fileName: string;
  studies: readonly JournalStudyChoice[];
  shown: number | null;
}

/**
 * One immutable snapshot of the session; a new object (and new trial objects) on every change,
 * so consumers re-render by identity.
 */
export interface Session {
  status: RunStatus;
  /** fusetune's study on show (the one running, or the last one opened), when it is fusetune's: what runs, resumes and exports. */
  saved: SavedStudy | null;
  /**
   * The study on show as every view sees it (any Optuna study, or fusetune's with its record):
   * its trials as of this snapshot (a running study's are copies of those that changed).
   */
  view: ViewStudy | null;
  progress: RunProgress | null;
  /** Why the last start or resume failed before or while training. */
  error: string | null;
  /** Whether the study on show has trials left to train and can resume. */
  resumable: boolean;
  /** Whether the best trial's weights are saved, so they can be downloaded. */
  bestWeights: boolean;
  /** Whether the study on show was opened from a results file or a journal: shown, never saved or resumed. */
  readOnly: boolean;
  /** Results files and journal studies opened in this page (ids `file:…`), to show again or compare. */
  files: readonly { id: string; name: string }[];
  /** The journal opened last, with its studies to pick from. */
  journal: OpenedJournal | null;
  /** What the study on show could not carry over from where it was read. */
  notes: readonly string[];
  /** How far reading a journal has come (`Reading journal.log: 40%…`), while one is read. */
  reading: string;
  /**
   * Bumped when a trial finishes and when the study on show (or its status) changes; not while
   * trials only train on. The views of finished results are computed and redrawn only then.
   */
  outcomeRevision: number;
  /** Every saved study, most recent first. */
  studies: readonly SavedStudySummary[];
  /** False until IndexedDB has been read. */
  loaded: boolean;
}

export const sessionContext = createContext<Session>(Symbol('fusetune-session'));

/**
 * The page's one GPU, for views that run their own work on it (the hardware lab): acquiring a
 * second device would split the adapter's memory and hide the first one's loss.
 */
export const gpuContext = createContext<GpuController>(Symbol('fusetune-gpu'));
