// First-run set-up in Node: on Linux with no WebGPU adapter, put SwiftShader (Debian's chromium) in place before the CLI starts.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromiumLibDir, swiftShaderIcd } from './node-gpu.ts';

/** The commands that open a GPU device. NOTE: keep in step with the commands of src/cli/main.ts. */
const GPU_COMMANDS = new Set(['run', 'train', 'predict', 'check', 'bench', 'device']);

/** `--verbose` is accepted by every command: returns it apart from the command's own arguments. */
export function splitVerbose(argv: readonly string[]): { verbose: boolean; args: string[] } {
  return { verbose: argv.includes('--verbose'), args: argv.filter((arg) => arg !== '--verbose') };
}

/** Whether these arguments (verbose flag removed) make the CLI open a GPU device; help text does not. */
export function opensGpu(args: readonly string[]): boolean {
  return GPU_COMMANDS.has(args[0] ?? '') && !args.includes('--help') && !args.includes('-h');
}

export type SetupResult = { ok: true } | { ok: false; message: string };

export interface SetupOptions {
  /** Also report what was found and show Dawn's and apt's own output. */
  verbose?: boolean;
  /** Where the set-up's lines go (the launcher's stderr, so stdout stays clean for --json). */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

/** What Dawn answered when asked for an adapter in a process of its own. */
interface AdapterProbe {
  /** The adapter's description, or null when Dawn found none. */
  adapter: string | null;
  /** Set when Dawn could not be asked at all (not loadable, crashed): set-up cannot help then. */
  failure?: string;
  /** What Dawn and the Vulkan loader wrote to stderr while looking. */
  nativeOutput: string;
}

/**
 * Asks Dawn for an adapter in a child process, so its native warnings (e.g. "Couldn't load
 * Vulkan") are captured instead of printed, and the adapter it opens is not kept in this one.
 */
function probeAdapter(env: NodeJS.ProcessEnv): AdapterProbe {
  const dawnUrl = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  const source = [
    `const { create, globals } = await import(${JSON.stringify(dawnUrl)});`,
    'Object.assign(globalThis, globals);',
    'const adapter = await create([]).requestAdapter();',
    "console.log(JSON.stringify({ adapter: adapter ? adapter.info.description || adapter.info.vendor || 'unnamed adapter' : null }));",
    // NOTE: Dawn's GPU object keeps Node alive; leave once the answer is out.
    'process.exit(0);',
  ].join('\n');
  const probe = spawnSync(process.execPath, ['--input-type=module', '-e', source], {
    env: { XDG_RUNTIME_DIR: tmpdir(), ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const nativeOutput = probe.stderr ?? '';
  if (probe.error || probe.status !== 0) {
    const reason = probe.error?.message ?? nativeOutput.trim().split('\n').at(-1) ?? `exit ${probe.status}`;
    return { adapter: null, failure: reason, nativeOutput };
  }
  try {
    const answer = JSON.parse(probe.stdout.trim().split('\n').at(-1) ?? '') as { adapter: string | null };
    return { adapter: answer.adapter, nativeOutput };
  } catch {
    return { adapter: null, failure: `unexpected answer from Dawn: ${probe.stdout.trim()}`, nativeOutput };
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, name)));
}

/** Debian and its derivatives ship chromium with SwiftShader in /usr/lib/chromium; Ubuntu's chromium is a snap without it. */
function isDebianLike(): boolean {
  let release = '';
  try {
    release = readFileSync('/etc/os-release', 'utf8');
  } catch {
    return false;
  }
  const field = (key: string) => (release.match(new RegExp(`^${key}="?([^"\\n]*)"?$`, 'm'))?.[1] ?? '').split(/\s+/);
  const family = [...field('ID'), ...field('ID_LIKE')];
  return family.includes('debian') && !family.includes('ubuntu');
}

/** Whether this process may run apt-get itself. NOTE: FUSETUNE_SETUP_NOT_ROOT exists for the set-up tests' sandbox (a root CI as a user without root). */
function isRoot(env: NodeJS.ProcessEnv): boolean {
  return process.getuid?.() === 0 && env.FUSETUNE_SETUP_NOT_ROOT !== '1';
}

/** Root runs apt-get itself; otherwise sudo, if it asks for no password. */
function installRoute(env: NodeJS.ProcessEnv): 'root' | 'sudo' | null {
  if (isRoot(env)) return 'root';
  if (onPath('sudo', env) && spawnSync('sudo', ['-n', 'true'], { env, stdio: 'ignore' }).status === 0) return 'sudo';
  return null;
}

/** Runs one apt-get command as root or through sudo; its output is shown when verbose, else kept for the error message. */
function aptGet(args: string[], route: 'root' | 'sudo', env: NodeJS.ProcessEnv, verbose: boolean): { status: number | null; output: string } {
  const options: SpawnSyncOptions = { env: { ...env, DEBIAN_FRONTEND: 'noninteractive' }, encoding: 'utf8', maxBuffer: 64 << 20, stdio: verbose ? ['ignore', 2, 2] : 'pipe' };
  const result =
    route === 'root'
      ? spawnSync('apt-get', args, options)
      : spawnSync('sudo', ['-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args], options);
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? result.error.message : ''}`;
  return { status: result.error ? null : result.status, output };
}

/**
 * Makes sure Dawn will find a WebGPU adapter. Only on Linux, and only when chromium's SwiftShader
 * is absent and Dawn itself finds no adapter (so a machine with a GPU driver never gets chromium):
 * installs Debian's chromium through apt-get as root or with password-less sudo, saying so once;
 * otherwise (or with FUSETUNE_NO_SETUP=1) fails with the one command to run.
 */
export function setUpWebGpu(options: SetupOptions = {}): SetupResult {
  const { env = process.env, platform = process.platform, verbose = false } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const say = (line: string) => log(`fusetune: ${line}`);
  // Dawn uses Metal or D3D12 there; SwiftShader from chromium is a Linux (Vulkan) fallback.
  if (platform !== 'linux') return { ok: true };
  const icd = swiftShaderIcd(env);
  if (existsSync(icd)) {
    if (verbose) say(`SwiftShader is in place (${icd})`);
    return { ok: true };
  }
  // The user named the Vulkan driver to use: SwiftShader would not be picked up anyway.
  if (env.VK_ICD_FILENAMES) return { ok: true };

  const probe = probeAdapter(env);
  if (verbose && probe.nativeOutput.trim()) log(probe.nativeOutput.trimEnd());
  if (probe.adapter !== null) {
    if (verbose) say(`Dawn found an adapter (${probe.adapter}); nothing to set up`);
    return { ok: true };
  }
  if (probe.failure !== undefined) {
    // Set-up cannot fix a Dawn that does not load: the command itself reports why.
    if (verbose) say(`could not ask Dawn for an adapter: ${probe.failure}`);
    return { ok: true };
  }

  const dir = chromiumLibDir(env);
  if (!isDebianLike() || !onPath('apt-get', env)) {
    return {
      ok: false,
      message:
        'fusetune: Dawn found no WebGPU adapter on this machine. Install the Vulkan driver for your GPU with the Vulkan ' +
        `loader (libvulkan.so.1). Without a GPU, fusetune runs on SwiftShader (WebGPU on the CPU) from Debian's chromium package, in ${dir}.`,
    };
  }
  const command = `${isRoot(env) ? '' : 'sudo '}apt-get install chromium`;
  const optedOut = Boolean(env.FUSETUNE_NO_SETUP) && env.FUSETUNE_NO_SETUP !== '0';
  const route = optedOut ? null : installRoute(env);
  if (route === null) {
    const why = optedOut ? 'Set-up is off (FUSETUNE_NO_SETUP)' : 'Installing it needs root or password-less sudo';
    return {
      ok: false,
      message:
        "fusetune: no WebGPU adapter: Dawn found no GPU driver, and SwiftShader (WebGPU on the CPU, from Debian's chromium " +
        `package) is not installed. ${why}; run this, then this command again:\n  ${command}`,
    };
  }

  say(`no WebGPU adapter: Dawn found no GPU driver. Installing Debian's chromium for its SwiftShader, WebGPU on the CPU (${command}; once, about a minute)`);
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', 'chromium']]) {
    const { status, output } = aptGet(args, route, env, verbose);
    if (status !== 0) {
      const tail = output.trim().split('\n').slice(-15).join('\n');
      return { ok: false, message: `fusetune: apt-get ${args[0]} failed (${status === null ? 'could not start' : `exit ${status}`})${tail ? `:\n${tail}` : ''}\nRun it yourself, then this command again:\n  ${command}` };
    }
  }
  if (!existsSync(icd)) {
    return { ok: false, message: `fusetune: chromium is installed but SwiftShader is not at ${icd}; install the Vulkan driver for your GPU instead.` };
  }
  say('chromium installed; continuing on SwiftShader');
  return { ok: true };
}
