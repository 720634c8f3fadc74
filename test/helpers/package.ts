// The npm package as a user gets it: packs a copy of this working tree (`npm pack`, which builds it) and
// installs the tarball into an empty folder, where the tests run `npx fusetune` and import 'fusetune'.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..', '..');

export interface InstalledPackage {
  /** The folder the tarball was installed into (it holds node_modules/fusetune). */
  dir: string;
  tarball: string;
  /** Removes everything this made. */
  remove(): void;
}

export function sh(command: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string }): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 300_000,
    input: options.input,
    maxBuffer: 64 * 1024 * 1024,
  });
}

function check(result: SpawnSyncReturns<string>, what: string): SpawnSyncReturns<string> {
  if (result.status !== 0) throw new Error(`${what} exited with ${result.status ?? result.signal}: ${result.error?.message ?? ''}\n${result.stdout}\n${result.stderr}`);
  return result;
}

/**
 * Copies the files git would see (tracked and new, ignored ones left out: no dist/, no .cache/) to a
 * temporary folder, packs it there and installs the tarball into an empty project. NOTE: packing a copy
 * keeps this checkout's dist/ (which `vite preview` serves to the other e2e tests) untouched.
 */
export function packAndInstall(): InstalledPackage {
  const root = mkdtempSync(join(tmpdir(), 'fusetune-package-'));
  const tree = join(root, 'tree');
  const files = check(sh('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO }), 'git ls-files').stdout.split('\0').filter(Boolean);
  for (const file of files) {
    const from = join(REPO, file);
    if (!existsSync(from)) continue; // deleted in the working tree
    mkdirSync(dirname(join(tree, file)), { recursive: true });
    cpSync(from, join(tree, file));
  }
  symlinkSync(join(REPO, 'node_modules'), join(tree, 'node_modules'));
  check(sh('npm', ['pack', '--pack-destination', root], { cwd: tree, timeoutMs: 600_000 }), 'npm pack');
  const tarball = join(root, readdirSync(root).find((name) => name.endsWith('.tgz'))!);
  const dir = join(root, 'user');
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'fusetune-user', private: true, type: 'module' }));
  // The dependencies come from npm's cache where `npm ci` left them (a fresh CI machine has just filled it).
  check(sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: dir, timeoutMs: 600_000 }), 'npm install');
  return { dir, tarball, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** `npx fusetune ...args` in the installed folder, as a user would type it. */
export function npxFusetune(pkg: InstalledPackage, args: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  const env = { ...process.env, ...options.env };
  delete env.FUSETUNE_RELAUNCHED;
  return sh('npx', ['--no-install', 'fusetune', ...args], { cwd: pkg.dir, env, timeoutMs: options.timeoutMs });
}
