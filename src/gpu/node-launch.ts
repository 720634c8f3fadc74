// Runs the CLI in a child process started with the Vulkan loader Dawn needs, keeping Dawn's native warnings out of normal output.
import { spawn, type StdioOptions } from 'node:child_process';
import { constants } from 'node:os';
import tty from 'node:tty';

const WARNING = 'Warning: ';
/** Lines that continue a Dawn warning: its context (" - While initializing adapter …") and source ("    at …"). */
const CONTINUATIONS = [' - ', '    at '];

/**
 * Drops the warnings Dawn's native code writes to fd 2 while it looks at Vulkan drivers, e.g.
 * "Warning: Vulkan shaderUniform*ArrayDynamicIndexing required." with its " - While …" and
 * "    at …" lines and the blank line that ends it. Everything else passes unchanged, and a line
 * that cannot start a warning passes as soon as it arrives, before its newline.
 */
export class DawnWarningFilter {
  /** The start of the current line, held while it might still begin a dropped line. */
  private held = '';
  /** What happens to the rest of the current line once decided. */
  private current: 'undecided' | 'pass' | 'drop' = 'undecided';
  /** Inside a warning: continuation lines and one blank line are dropped too. */
  private inWarning = false;

  constructor(private readonly write: (text: string) => void) {}

  push(chunk: string): void {
    let out = '';
    let rest = chunk;
    while (rest.length > 0) {
      const newline = rest.indexOf('\n');
      const piece = newline < 0 ? rest : rest.slice(0, newline);
      rest = newline < 0 ? '' : rest.slice(newline + 1);
      if (this.current === 'undecided') this.decide(this.held + piece, newline >= 0);
      else this.held += piece;
      if (this.current === 'pass') out += this.held;
      if (this.current !== 'undecided') this.held = '';
      if (newline >= 0) {
        if (this.current === 'pass') out += '\n';
        this.current = 'undecided';
      }
    }
    if (out) this.write(out);
  }

  /** Writes what is held (the stream ended mid-line). */
  end(): void {
    if (this.current === 'undecided' && this.held) this.write(this.held);
    this.held = '';
  }

  private decide(line: string, complete: boolean): void {
    this.held = line;
    if (line.startsWith(WARNING)) {
      this.current = 'drop';
      this.inWarning = true;
      return;
    }
    if (this.inWarning) {
      if (CONTINUATIONS.some((prefix) => line.startsWith(prefix))) return void (this.current = 'drop');
      if (complete && line === '') {
        this.inWarning = false;
        return void (this.current = 'drop');
      }
    }
    const mightDrop = [WARNING, ...(this.inWarning ? CONTINUATIONS : [])].some((prefix) => prefix.startsWith(line));
    if (complete || !mightDrop) {
      this.inWarning = false;
      this.current = 'pass';
    }
  }
}

/**
 * In the child: ends this process when the launcher that started it dies (a SIGKILL to the pid a user
 * sees must not leave a worker training on as an orphan). Linux re-parents an orphan, so a changed
 * ppid says the launcher is gone; checked every half second.
 */
function watchParent(): void {
  const parent = process.ppid;
  if (parent <= 1) return;
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL');
  }, 500).unref();
}

/**
 * In the child: takes the parent's stderr (passed as fd FUSETUNE_STDERR_FD when it is a terminal)
 * as process.stderr, so progress bars still see a TTY while fd 2, where native code writes, goes
 * through the parent's filter. Call before anything writes to stderr.
 */
export function adoptParentStderr(env: NodeJS.ProcessEnv = process.env): void {
  watchParent();
  const fd = Number(env.FUSETUNE_STDERR_FD);
  delete env.FUSETUNE_STDERR_FD;
  if (!Number.isInteger(fd) || fd < 3 || !tty.isatty(fd)) return;
  const stream = new tty.WriteStream(fd);
  Object.defineProperty(process, 'stderr', { configurable: true, enumerable: true, get: () => stream });
}

/**
 * Runs `node script ...argv` with `launchEnv` added and resolves with its exit code. Unless
 * verbose, the child's fd 2 comes back through a DawnWarningFilter: all of it when stderr is not
 * a terminal, only native output when it is (see adoptParentStderr).
 */
export function runCliChild(script: string, argv: string[], launchEnv: Record<string, string>, verbose: boolean): Promise<number> {
  const splitStderr = !verbose && process.stderr.isTTY === true;
  const stdio: StdioOptions = verbose ? 'inherit' : ['inherit', 'inherit', 'pipe', ...(splitStderr ? [2] : [])];
  const child = spawn(process.execPath, [...process.execArgv, script, ...argv], {
    stdio,
    env: { ...process.env, ...launchEnv, FUSETUNE_RELAUNCHED: '1', ...(splitStderr ? { FUSETUNE_STDERR_FD: '3' } : {}) },
  });
  if (child.stderr) {
    const filter = new DawnWarningFilter((text) => process.stderr.write(text));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => filter.push(chunk));
    child.stderr.on('end', () => filter.end());
  }
  // A terminal's Ctrl-C reaches the child itself (same process group); forwarding it too would
  // count as a second Ctrl-C ("quit now"). Without a terminal, a SIGINT sent to us is passed on.
  const terminal = process.stdin.isTTY || process.stdout.isTTY || process.stderr.isTTY;
  process.on('SIGINT', () => {
    if (!terminal) child.kill('SIGINT');
  });
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  return new Promise((done) => {
    child.on('close', (code, signal) => done(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1)));
  });
}
