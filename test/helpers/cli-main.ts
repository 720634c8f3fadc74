// The CLI's main() in this process (no process start per case): its exit code and what it printed.
import { vi } from 'vitest';
import { main } from '../../src/cli/main.ts';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `fusetune ...argv` through main() with console and process output captured. With `cwd`, it runs
 * in that folder (a study's data.path is relative to the working folder). NOTE: chdir is process-wide,
 * so tests using `cwd` must not run concurrently within one file (vitest runs a file's tests in order).
 */
export async function cliInProcess(argv: string[], options: { cwd?: string } = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (stdout += `${a.join(' ')}\n`));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (stderr += `${a.join(' ')}\n`));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  const cwd = process.cwd();
  if (options.cwd) process.chdir(options.cwd);
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    process.chdir(cwd);
    vi.restoreAllMocks();
  }
}
