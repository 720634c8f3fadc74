// Opens a study storage (Node) from a --storage value: `journal:PATH` (an Optuna journal file) or `redis://HOST:PORT/DB`.
import { dirname, resolve } from 'node:path';
import { InputError } from '../util/input-error.ts';
import { JournalFileBackend, type JournalFileOptions } from './journal-file.ts';
import { JournalRedisBackend, type JournalRedisOptions } from './journal-redis.ts';
import { JournalStorage, type JournalBackend, type JournalStorageOptions } from './journal-storage.ts';
import { pathKind } from './node-store.ts';

/** Where a study is recorded; `label` names it in messages (`--storage journal:x.log`), default the path or URL. */
export type StorageSpec = ({ kind: 'journal'; path: string } | { kind: 'redis'; url: string; prefix: string }) & { label?: string };

const REDIS_URL = /^(rediss?):\/\/(?:([^@/]*)@)?(\[[^\]]*\]|[^:/?#]*)(?::([^/?#]*))?(?:\/([^?#]*))?([?#].*)?$/;

/**
 * Parses a --storage value, refusing (InputError, naming --storage) what is neither `journal:PATH`
 * nor `redis[s]://[user:password@]HOST[:PORT][/DB]` with a port 1 … 65535 and a database ≥ 0;
 * `prefix` applies to Redis only (Optuna's default: the empty prefix).
 */
export function parseStorageSpec(value: string, prefix?: string): StorageSpec {
  const label = `--storage ${value}`;
  if (value.startsWith('journal:') && value.length > 'journal:'.length) {
    if (prefix !== undefined) throw new InputError(`--prefix applies to redis:// storage, not to ${value}`);
    return { kind: 'journal', path: value.slice('journal:'.length), label };
  }
  const url = REDIS_URL.exec(value);
  if (url) {
    const [, , , host, port, db] = url;
    if (!host) throw new InputError(`${label}: no host (redis://HOST:PORT/DB)`);
    if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) throw new InputError(`${label}: the port must be an integer 1 … 65535 (got "${port}")`);
    if (db !== undefined && db !== '' && !/^\d+$/.test(db)) throw new InputError(`${label}: the database must be an integer ≥ 0 (got "${db}")`);
    return { kind: 'redis', url: value, prefix: prefix ?? '', label };
  }
  throw new InputError(`--storage must be journal:PATH or redis://HOST:PORT/DB (got "${value}")`);
}

/**
 * Checks, before any work and without creating anything, that a journal file can be at `spec.path`:
 * an existing regular file, or a new one in an existing folder. Refuses the rest naming the spec
 * (never a raw ENOENT, EISDIR, ENOTDIR or ELOOP). Redis specs are checked when they connect.
 */
export function checkStorageSpec(spec: StorageSpec): void {
  if (spec.kind !== 'journal') return;
  const label = spec.label ?? `journal ${spec.path}`;
  const path = resolve(spec.path);
  const what = label.slice(0, label.length - spec.path.length);
  const kind = pathKind(path, what, spec.path);
  if (kind === 'none') {
    const folder = pathKind(dirname(path), what, spec.path);
    if (folder === 'none') throw new InputError(`${label}: folder ${dirname(path)} does not exist`);
    if (!folder.isDirectory()) throw new InputError(`${label}: ${dirname(path)} is a file, not a folder`);
    return;
  }
  if (kind.isDirectory()) throw new InputError(`${label}: is a folder; name a file inside it`);
  if (!kind.isFile()) throw new InputError(`${label}: not a regular file (a journal must be one)`);
}

export async function openJournalBackend(spec: StorageSpec, options: Pick<JournalRedisOptions, 'retryForMs' | 'connectForMs'> & Pick<JournalFileOptions, 'staleLockMs' | 'onTornTail'> = {}): Promise<JournalBackend> {
  if (spec.kind === 'journal') {
    checkStorageSpec(spec);
    return JournalFileBackend.open(spec.path, { staleLockMs: options.staleLockMs, onTornTail: options.onTornTail });
  }
  return JournalRedisBackend.connect(spec.url, { prefix: spec.prefix, retryForMs: options.retryForMs, connectForMs: options.connectForMs, label: spec.label });
}

/** The storage with everything recorded so far replayed. */
export async function openJournalStorage(spec: StorageSpec, options: JournalStorageOptions & Parameters<typeof openJournalBackend>[1] = {}): Promise<JournalStorage> {
  const backend = await openJournalBackend(spec, options);
  try {
    return await JournalStorage.open(backend, options);
  } catch (error) {
    await backend.close().catch(() => undefined);
    throw error;
  }
}
