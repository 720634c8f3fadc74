// Opens a study storage (Node) from a --storage value: `journal:PATH` (an Optuna journal file) or `redis://HOST:PORT/DB`.
import { JournalFileBackend } from './journal-file.ts';
import { JournalRedisBackend } from './journal-redis.ts';
import { JournalStorage, type JournalBackend, type JournalStorageOptions } from './journal-storage.ts';

export type StorageSpec = { kind: 'journal'; path: string } | { kind: 'redis'; url: string; prefix: string };

/** Parses a --storage value; `prefix` applies to Redis only (Optuna's default: the empty prefix). */
export function parseStorageSpec(value: string, prefix?: string): StorageSpec {
  if (value.startsWith('journal:') && value.length > 'journal:'.length) {
    if (prefix !== undefined) throw new RangeError(`--prefix applies to redis:// storage, not to ${value}`);
    return { kind: 'journal', path: value.slice('journal:'.length) };
  }
  if (/^rediss?:\/\//.test(value)) return { kind: 'redis', url: value, prefix: prefix ?? '' };
  throw new RangeError(`--storage must be journal:PATH or redis://HOST:PORT/DB (got "${value}")`);
}

export async function openJournalBackend(spec: StorageSpec, options: { retryForMs?: number; staleLockMs?: number } = {}): Promise<JournalBackend> {
  return spec.kind === 'journal'
    ? JournalFileBackend.open(spec.path, { staleLockMs: options.staleLockMs })
    : JournalRedisBackend.connect(spec.url, { prefix: spec.prefix, retryForMs: options.retryForMs });
}

/** The storage with everything recorded so far replayed. */
export async function openJournalStorage(spec: StorageSpec, options: JournalStorageOptions & { retryForMs?: number; staleLockMs?: number } = {}): Promise<JournalStorage> {
  return JournalStorage.open(await openJournalBackend(spec, options), options);
}
