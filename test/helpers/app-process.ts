// `fusetune app` as a user starts it, in a child process: waits for the address it prints, and stops it as Ctrl-C does.
import { spawn } from 'node:child_process';

export interface RunningApp {
  url: string;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  /** SIGINT to its process group, as Ctrl-C in a terminal sends it; resolves to the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `command ...args` (which runs `fusetune app`) and resolves once it prints its http:// address. */
export function startApp(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunningApp> {
  const env = { ...process.env, ...options.env };
  delete env.FUSETUNE_RELAUNCHED;
  // NOTE: a process group of its own, as a terminal gives a command: npx runs fusetune under a shell that
  // passes no signal on, and Ctrl-C reaches every process of the group, not npx alone.
  const child = spawn(command, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, name);
  };
  let output = '';
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return new Promise((done, fail) => {
    const timer = setTimeout(() => (signal('SIGKILL'), fail(new Error(`fusetune app printed no address in ${options.timeoutMs ?? 60_000} ms:\n${output}`))), options.timeoutMs ?? 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /http:\/\/\S+/.exec(output)?.[0];
      if (!url) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stdout.on('data', (c: Buffer) => (output += c.toString()));
      done({ url, output: () => output, stop: () => (signal('SIGINT'), exited) });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    void exited.then((code) => fail(new Error(`fusetune app exited (${code}) before printing an address:\n${output}`)));
  });
}
