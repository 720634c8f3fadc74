// `fusetune app [path]`: serves the built app on this machine and, given a study, follows its journal live, read-only.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fileTail, RedisJournalReader } from '../store/journal-follow.ts';
import { parseStorageSpec } from '../store/journal-node.ts';
import { InputError } from '../util/input-error.ts';
import { startAppServer, type ServedStudy } from './app-server.ts';
import { numberFlag } from './flags.ts';

export const APP_USAGE = `Usage: fusetune app [path] [--port P] [--host H] [--open] [--prefix X]

Serves the app (the package's prebuilt copy) on this machine and prints its address. With a path,
the page opens that study read-only and follows it live: each record a worker appends shows as it
is written, as optuna-dashboard does.

  path        a results folder (its journal.log), an Optuna journal file, or redis://HOST:PORT/DB
  --port P    the port (default 4173; 0: any free one)
  --host H    the address to listen on (default 127.0.0.1: this machine only)
  --open      also open the address in the default browser
  --prefix X  the Redis key prefix of the journal (default "", as Optuna's)

It serves the app's files and that one journal, nothing else. Ctrl-C stops it.
In a checkout, build the app first: npm run build (or npx vite build).`;

const DEFAULT_PORT = 4173;
/** How long a redis:// path may take to answer before it is refused. */
const REDIS_WAIT_MS = 5_000;

interface OpenedStudy extends ServedStudy {
  label: string;
  close(): Promise<void>;
}

export async function appCommand(argv: string[]): Promise<number> {
  const options = { port: { type: 'string' }, host: { type: 'string' }, prefix: { type: 'string' }, open: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
  if (values.help) {
    console.log(APP_USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new InputError(`app takes one path (got ${positionals.length}: ${positionals.join(' ')})`);
  const port = values.port === undefined ? DEFAULT_PORT : numberFlag('port', values.port, { integer: true, min: 0, max: 65535 });
  const host = checkHost(values.host ?? '127.0.0.1');
  const appDir = builtApp();
  const study = positionals[0] === undefined ? noStudy(values.prefix) : await openStudy(positionals[0], values.prefix);
  try {
    const server = await startAppServer({ appDir, host, port, study, log: (line) => console.error(line) });
    console.log(`fusetune app: ${study ? `${study.label}, read-only and followed live, ` : ''}at ${server.url}`);
    console.log('Ctrl-C stops it.');
    if (values.open) openInBrowser(server.url);
    await untilStopped();
    await server.close();
  } finally {
    await study?.close();
  }
  return 0;
}

function checkHost(host: string): string {
  if (isIP(host) || /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(host)) return host;
  throw new InputError(`--host: must be an IP address or a host name (got ${JSON.stringify(host)})`);
}

/**
 * The app's files: dist/app beside the code (two folders below the package root in a checkout and
 * in the package alike), or FUSETUNE_APP_DIR. A checkout has none until it is built: say how.
 */
function builtApp(): string {
  const dir = process.env.FUSETUNE_APP_DIR || fileURLToPath(new URL('../../dist/app/', import.meta.url));
  if (existsSync(join(dir, 'index.html'))) return dir;
  const checkout = existsSync(fileURLToPath(new URL('../../src/cli/app-command.ts', import.meta.url)));
  throw new Error(`no built app at ${dir}${checkout ? ': build it in this checkout with npm run build (or npx vite build, the app alone), then run fusetune app again' : ': the package is incomplete; install it again'}`);
}

function noStudy(prefix: string | undefined): undefined {
  if (prefix !== undefined) throw new InputError('--prefix applies to a redis:// path (none was given)');
  return undefined;
}

async function openStudy(path: string, prefix: string | undefined): Promise<OpenedStudy> {
  if (/^rediss?:\/\//.test(path)) return openRedisStudy(path, prefix ?? '');
  if (prefix !== undefined) throw new InputError(`--prefix applies to a redis:// path, not to ${path}`);
  const journal = await journalFile(path);
  // Readable now, or refused now: an unreadable journal found later would be a stream that stays empty.
  await open(journal, 'r')
    .then((handle) => handle.close())
    .catch((error: NodeJS.ErrnoException) => {
      throw new InputError(`${journal}: cannot be read (${error.code ?? error.message})`);
    });
  return { name: basename(journal), label: journal, tail: () => fileTail(journal), close: async () => undefined };
}

/** A results folder's journal.log, or the journal file itself. */
async function journalFile(path: string): Promise<string> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new InputError(`${path}: ${error.code === 'ENOENT' ? 'no such file or folder' : `cannot be read (${error.code ?? error.message})`}`);
  });
  if (info.isFile()) return path;
  if (!info.isDirectory()) throw new InputError(`${path}: not a file or a folder`);
  const inside = join(path, 'journal.log');
  if (!(await stat(inside).catch(() => null))?.isFile()) throw new InputError(`${path}: no journal.log in this folder (a results folder of fusetune run holds one)`);
  return inside;
}

async function openRedisStudy(url: string, prefix: string): Promise<OpenedStudy> {
  try {
    parseStorageSpec(url, prefix);
  } catch (error) {
    // Its messages name --storage, the flag of fusetune run; here the URL is the path.
    throw new InputError((error as Error).message.replace(/^--storage /, ''));
  }
  const reader = await RedisJournalReader.connect(url, prefix, REDIS_WAIT_MS);
  const label = `${url}${prefix ? ` prefix "${prefix}"` : ''}`;
  if ((await reader.records()) === 0) console.error(`fusetune app: ${label} holds no journal records yet; the page shows them as they come`);
  return { name: prefix ? `redis-${prefix}` : 'redis', label, tail: () => reader.tail(), close: () => reader.close() };
}

/** Resolves on Ctrl-C (SIGINT) or SIGTERM: the normal way to stop a server, so the command still exits 0. */
function untilStopped(): Promise<void> {
  return new Promise((done) => {
    const stop = () => {
      process.off('SIGINT', stop).off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop).on('SIGTERM', stop);
  });
}

function openInBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', (error) => console.error(`fusetune app: --open: cannot start ${command} (${error.message}): open ${url} yourself`));
  child.unref();
}
