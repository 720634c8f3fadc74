// The study being edited: presets, validation with the study file's own schema, issue lookup by field, and the URL form.
import batchLrSweep from '../../studies/batch-lr-sweep.json';
import defaultStudy from '../../studies/default.json';
import quickSynthetic from '../../studies/quick-synthetic.json';
import type { UploadedFile } from '../data/browser.ts';
import { csvDataset } from '../data/csv.ts';
import { StudyError, type StudyIssue } from '../search/errors.ts';
import { createSampler } from '../search/sampler-factory.ts';
import { trialCount } from '../search/study.ts';
import { parseStudy, type Study, type StudyInput } from '../search/study.ts';

/**
 * A study as the editor holds it: plain JSON that may be invalid (a string where a number belongs,
 * a missing field), so that parseStudy, not the editor, says what is wrong.
 */
export type Draft = Record<string, unknown>;

/** A copy of `object` with `key` set to `value`, or without `key` where `value` is undefined (a field left empty). */
export function withKey<T extends Record<string, unknown>>(object: T, key: string, value: unknown): T {
  const next: Record<string, unknown> = { ...object };
  if (value === undefined) delete next[key];
  else next[key] = value;
  return next as T;
}

export interface Preset {
  id: string;
  label: string;
  study: StudyInput;
}

export const PRESETS: readonly Preset[] = [
  { id: 'default', label: 'Default: random search on MNIST', study: defaultStudy as StudyInput },
  { id: 'batch-lr-sweep', label: 'Batch size × learning rate sweep (grid, MNIST)', study: batchLrSweep as StudyInput },
  { id: 'quick-synthetic', label: 'Quick synthetic demo (circles, seconds)', study: quickSynthetic as StudyInput },
];

export function presetDraft(id: string): Draft {
  const preset = PRESETS.find((p) => p.id === id);
  if (!preset) throw new Error(`unknown preset "${id}" (known: ${PRESETS.map((p) => p.id).join(', ')})`);
  return structuredClone(preset.study) as Draft;
}

export interface DraftCheck {
  /** The parsed study with defaults filled in, or null while the draft has problems. */
  study: Study | null;
  issues: StudyIssue[];
  /** Trials a valid draft runs; Infinity when only budget.samples or budget.seconds end it. */
  trials: number | null;
  /** For a grid: how many combinations it has (trials may be fewer when budget.trials caps it). */
  gridSize: number | null;
}

/** Validates a draft exactly as a study file is validated; the issues carry the file's paths and messages. */
export function checkDraft(draft: Draft): DraftCheck {
  try {
    const study = parseStudy(draft);
    const sampler = createSampler(study);
    return { study, issues: [], trials: trialCount(study, sampler), gridSize: study.sampler.type === 'grid' ? (sampler.size ?? null) : null };
  } catch (error) {
    if (error instanceof StudyError) return { study: null, issues: error.issues, trials: null, gridSize: null };
    return { study: null, issues: [{ path: '(root)', message: error instanceof Error ? error.message : String(error) }], trials: null, gridSize: null };
  }
}

/**
 * The issues a field at `path` shows: its own, and its elements' (`space.lr.values` shows
 * `space.lr.values[2]`). With `exact`, only its own: a parameter row shows `space.lr` itself.
 */
export function issuesAt(issues: readonly StudyIssue[], path: string, exact = false): StudyIssue[] {
  return issues.filter((i) => i.path === path || (!exact && i.path.startsWith(`${path}[`)));
}

/** Issues under `prefix` (`space.lr` → `space.lr`, `space.lr.low`, ...), for a child editor. */
export function issuesUnder(issues: readonly StudyIssue[], prefix: string): StudyIssue[] {
  return issues.filter((i) => i.path === prefix || i.path.startsWith(`${prefix}.`) || i.path.startsWith(`${prefix}[`));
}

const HASH_KEY = 'study';

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** `study=<base64url of the JSON>`: a link that reproduces the draft, even an invalid one. */
export function draftToHash(draft: Draft): string {
  return `${HASH_KEY}=${toBase64Url(new TextEncoder().encode(JSON.stringify(draft)))}`;
}

/** The draft in a location hash, null when the hash holds none, or the reason it cannot be read. */
export function draftFromHash(hash: string): { draft: Draft } | { error: string } | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const encoded = params.get(HASH_KEY);
  if (encoded === null) return null;
  try {
    const json: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(encoded)));
    if (json === null || typeof json !== 'object' || Array.isArray(json)) return { error: 'the link’s study is not a JSON object' };
    return { draft: json as Draft };
  } catch (error) {
    return { error: `the link’s study could not be read: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** A starting distribution for a parameter just added to the space: a typical range for its name. */
export function newParameter(name: string): Record<string, unknown> {
  switch (name) {
    case 'lr':
      return { type: 'float', low: 0.001, high: 0.1, log: true };
    case 'batch_size':
      return { type: 'categorical', choices: [16, 32, 64] };
    case 'layers':
      return { type: 'int', low: 1, high: 2 };
    case 'activation':
      return { type: 'categorical', choices: ['relu', 'tanh'] };
    case 'optimizer':
      return { type: 'categorical', choices: ['momentum', 'adam'] };
    case 'nesterov':
      return { type: 'categorical', choices: [false, true] };
    case 'epochs':
      return { type: 'int', low: 1, high: 3 };
    case 'dropout':
      return { type: 'float', low: 0, high: 0.3 };
    case 'l1':
    case 'l2':
    case 'weight_decay':
      return { type: 'float', low: 1e-6, high: 1e-3, log: true };
    case 'momentum':
    case 'beta1':
      return { type: 'float', low: 0.8, high: 0.95 };
    case 'beta2':
      return { type: 'float', low: 0.99, high: 0.999 };
    case 'eps':
      return { type: 'float', low: 1e-8, high: 1e-6, log: true };
    case 'alpha':
      return { type: 'float', low: 0.9, high: 0.99 };
    case 'dampening':
      return { type: 'float', low: 0, high: 0.5 };
    default:
      // units, units_1 … units_8
      return { type: 'categorical', choices: [16, 32, 64] };
  }
}

export interface CsvPreview {
  rows: number;
  features: number;
  featureNames: string[];
  classes: number;
  classNames: string[] | null;
  train: number;
  validation: number;
}

/** What an uploaded CSV gives under the draft's data settings: its preview, or why it cannot train. */
export interface CsvCheck {
  name: string;
  error: string | null;
  preview: CsvPreview | null;
}

let lastCsv: { key: string; check: CsvCheck } | null = null;

/**
 * Reads the draft's CSV (when its data is an uploaded CSV) exactly as a run will: the same parser,
 * label column, validation split and checks, so a broken file shows on upload, not after Run.
 * Null when the draft reads no CSV or the file is not uploaded. The last answer is kept, so
 * edits elsewhere in the study do not parse the file again.
 */
export function checkCsv(data: unknown, files: ReadonlyMap<string, UploadedFile>): CsvCheck | null {
  const spec = data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : {};
  if (spec.kind !== 'csv' || typeof spec.path !== 'string') return null;
  const file = files.get(spec.path);
  if (file === undefined) return null;
  const text = typeof file === 'string' ? file : new TextDecoder().decode(file);
  const options = {
    name: spec.path,
    labelColumn: typeof spec.labelColumn === 'string' && spec.labelColumn ? spec.labelColumn : 'label',
    validation: typeof spec.validation === 'number' ? spec.validation : 0,
    standardize: spec.standardize === true,
  };
  const key = JSON.stringify(options);
  if (lastCsv && lastCsv.key === key && lastCsvText === text) return lastCsv.check;
  let check: CsvCheck;
  try {
    const d = csvDataset(text, options);
    const rows = d.split.train + d.split.validation;
    check = { name: spec.path, error: null, preview: { rows, features: d.features, featureNames: d.featureNames ?? [], classes: d.classes, classNames: d.classNames ?? null, train: d.split.train, validation: d.split.validation } };
  } catch (error) {
    check = { name: spec.path, error: error instanceof Error ? error.message : String(error), preview: null };
  }
  lastCsv = { key, check };
  lastCsvText = text;
  return check;
}
let lastCsvText: string | null = null;
