// The HTTP server behind `fusetune app`: the built app's files, and at most one study's journal streamed live; nothing else.
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIPv6 } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { JournalGoneError, type JournalTail } from '../store/journal-follow.ts';
import { InputError } from '../util/input-error.ts';

/** The one study a server shows: `name` is the file name the app shows it under; each reader gets its own tail. */
export interface ServedStudy {
  name: string;
  tail(): JournalTail;
}

export interface AppServerOptions {
  /** The built app (a folder holding index.html). */
  appDir: string;
  host: string;
  /** 0: any free port. */
  port: number;
  study?: ServedStudy;
  /** How often a stream looks for new records. Default 100 ms. */
  pollMs?: number;
  /** Where a stream's read errors are reported. */
  log?: (line: string) => void;
}

export interface AppServer {
  /** The address the app opens at: with a study, the page that follows it. */
  url: string;
  port: number;
  /** Stops listening, ends every stream and closes every connection. */
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

const COMMON_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cross-origin-resource-policy': 'same-origin', 'cache-control': 'no-cache' };

const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
const inUrl = (host: string) => (isIPv6(host) ? `[${host}]` : host);

/** Starts listening; a port in use, a host that is not this machine's and the like are InputErrors naming --port or --host. */
export async function startAppServer(options: AppServerOptions): Promise<AppServer> {
  const root = await realpath(options.appDir);
  const journalPath = options.study ? `/journal/${encodeURIComponent(options.study.name)}` : null;
  const streams = new Set<Promise<void>>();
  const closing = new AbortController();
  let allowedHosts: Set<string> | null = null;
  const server = createServer((req, res) => {
    const refused = refusal(req, allowedHosts);
    if (refused) return void reply(res, refused[0], refused[1]);
    const path = req.url!.split('?')[0]!;
    if (path === journalPath) {
      const stream = streamJournal(res, options.study!, req.method === 'HEAD', closing.signal, options).finally(() => streams.delete(stream));
      streams.add(stream);
    } else void serveFile(root, path, req.method === 'HEAD', res);
  });
  const port = await listen(server, options.host, options.port);
  // NOTE: bound to loopback, the server answers only requests that name it: a page elsewhere whose
  // name a DNS rebinding points at 127.0.0.1 sends its own host name, and is refused (403).
  if (isLoopback(options.host)) allowedHosts = new Set(['localhost', '127.0.0.1', '[::1]', inUrl(options.host)].map((h) => `${h}:${port}`));
  const shown = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : inUrl(options.host);
  const url = `http://${shown}:${port}/${journalPath ? `?journal=${journalPath}` : ''}`;
  return {
    url,
    port,
    close: async () => {
      closing.abort();
      const closed = new Promise((done) => server.close(done));
      server.closeAllConnections();
      await Promise.all([closed, ...streams]);
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) => fail(listenError(error, host, port)));
    server.listen(port, host, () => done((server.address() as { port: number }).port));
  });
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new InputError(`--port: ${port} is in use (pick another, or --port 0 for any free one)`);
    case 'EACCES':
      return new InputError(`--port: ${port} needs privileges this user lacks (pick one above 1023)`);
    case 'EADDRNOTAVAIL':
      return new InputError(`--host: ${host} is not an address of this machine`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new InputError(`--host: ${host} not found`);
    default:
      return error;
  }
}

/** Why a request is refused, as [status, text], or null: only GET and HEAD, from a page that names this server. */
function refusal(req: IncomingMessage, allowedHosts: Set<string> | null): [number, string] | null {
  if (req.method !== 'GET' && req.method !== 'HEAD') return [405, 'only GET and HEAD'];
  if (allowedHosts && !allowedHosts.has(req.headers.host ?? '')) return [403, 'this server answers only to its own address'];
  if (!req.url?.startsWith('/')) return [400, 'bad request'];
  return null;
}

function reply(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...COMMON_HEADERS, 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
}

/**
 * A file of the app, or 403/404. NOTE: the path is decoded once, and any `..` segment, backslash or
 * NUL refused before it is joined to the app's folder; the file's real path (symbolic links
 * followed) must still lie inside that folder.
 */
async function serveFile(root: string, rawPath: string, head: boolean, res: ServerResponse): Promise<void> {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return reply(res, 400, 'bad request');
  }
  if (/[\\\0]/.test(path) || path.split('/').includes('..')) return reply(res, 403, 'forbidden');
  const file = await realpath(resolve(root, `.${path === '/' ? '/index.html' : path}`)).catch(() => null);
  const info = file ? await stat(file).catch(() => null) : null;
  if (!file || !file.startsWith(root + sep) || !info?.isFile()) return reply(res, 404, 'not found');
  res.writeHead(200, { ...COMMON_HEADERS, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': info.size });
  if (head) return void res.end();
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

/**
 * The study's journal: its whole text, then each record appended after, for as long as the reader
 * keeps the response open (chunked). A read that fails is reported and tried again; a journal that
 * was replaced ends the response.
 */
async function streamJournal(res: ServerResponse, study: ServedStudy, head: boolean, closing: AbortSignal, options: AppServerOptions): Promise<void> {
  res.writeHead(200, { ...COMMON_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  if (head) return void res.end();
  res.flushHeaders();
  const gone = new AbortController();
  res.on('close', () => gone.abort());
  const stop = AbortSignal.any([gone.signal, closing]);
  const tail = study.tail();
  let failing = false;
  while (!stop.aborted) {
    let text = '';
    try {
      text = await tail.next();
      failing = false;
    } catch (error) {
      if (error instanceof JournalGoneError) return void res.end();
      // One line per streak of failures (a Redis server restarting), not one per poll.
      if (!failing) options.log?.(`fusetune app: cannot read ${study.name}: ${(error as Error).message} (trying again)`);
      failing = true;
    }
    if (text && !res.write(text)) await new Promise((done) => (stop.aborted ? done(null) : res.once('drain', done).once('close', done)));
    else if (!text) await sleep(options.pollMs ?? 100, stop);
  }
  res.end();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const wake = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      done();
    };
    const timer = setTimeout(wake, ms);
    signal.addEventListener('abort', wake);
  });
}
