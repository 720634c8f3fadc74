// The first command on a bare machine: the real launcher in a sandbox that hides chromium (an empty
// FUSETUNE_CHROMIUM_DIR, no Vulkan driver, fake apt-get and sudo on PATH), and Dawn's native warnings.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DawnWarningFilter } from '../../src/gpu/node-launch.ts';
import { CHROMIUM_LIB_DIR } from '../../src/gpu/node-gpu.ts';
import { setUpWebGpu } from '../../src/gpu/node-setup.ts';

const BIN = join(import.meta.dirname, '../../bin/fusetune.js');
const INSTALLING = /Installing Debian's chromium/g;

const tinyStudy = {
  name: 'setup-tiny',
  seed: 3,
  data: { kind: 'circles', n: 120, noise: 0.05, seed: 2 },
  space: { lr: { type: 'float', low: 0.01, high: 0.1, log: true } },
  defaults: { batch_size: 8, units: 8, epochs: 2 },
  budget: { trials: 2 },
};

interface Sandbox {
  root: string;
  /** Stands in for /usr/lib/chromium: empty until the fake apt-get "installs" chromium. */
  chromium: string;
  /** Every call of the fake apt-get and sudo, one line each. */
  log: string;
  env: NodeJS.ProcessEnv;
}

/**
 * A machine without chromium or any Vulkan driver. The fake apt-get records its arguments and, on
 * install, links the real chromium's files into the sandbox; the fake sudo either runs its command
 * (password-less) or refuses as sudo does without a password.
 */
function bareMachine(sudo: 'password-less' | 'password', apt: 'works' | 'fails' = 'works'): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'fusetune-setup-'));
  chmodSync(root, 0o777); // open to any user that runs the launcher here
  const chromium = join(root, 'chromium');
  const bin = join(root, 'bin');
  mkdirSync(chromium, { mode: 0o755 });
  mkdirSync(bin, { mode: 0o755 });
  const log = join(root, 'calls.log');
  writeFileSync(
    join(bin, 'apt-get'),
    `#!/bin/sh\necho "apt-get $* (DEBIAN_FRONTEND=$DEBIAN_FRONTEND)" >> '${log}'\n` +
      (apt === 'works'
        ? `case " $* " in *" install "*) ln -s '${CHROMIUM_LIB_DIR}'/* '${chromium}/' ;; esac\n`
        : `case " $* " in *" install "*) echo "E: Unable to locate package chromium" >&2; exit 100 ;; esac\n`),
    { mode: 0o755 },
  );
  writeFileSync(
    join(bin, 'sudo'),
    sudo === 'password-less'
      ? `#!/bin/sh\necho "sudo $*" >> '${log}'\n[ "$1" = "-n" ] && shift\nexec "$@"\n`
      : `#!/bin/sh\necho "sudo $*" >> '${log}'\necho "sudo: a password is required" >&2\nexit 1\n`,
    { mode: 0o755 },
  );
  const env: NodeJS.ProcessEnv = { ...process.env };
  // vitest's workers carry chromium's loader in LD_LIBRARY_PATH: a bare machine has none of these.
  for (const key of ['LD_LIBRARY_PATH', 'VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'FUSETUNE_RELAUNCHED', 'FUSETUNE_NO_SETUP', 'FUSETUNE_STDERR_FD']) delete env[key];
  return {
    root,
    chromium,
    log,
    env: {
      ...env,
      PATH: `${bin}${delimiter}${process.env.PATH}`,
      FUSETUNE_CHROMIUM_DIR: chromium,
      // Hides any Vulkan driver this machine has (a GPU's, Mesa's) from the loader, so Dawn finds no adapter.
      VK_DRIVER_FILES: join(root, 'no-vulkan-driver.json'),
    },
  };
}

function calls(box: Sandbox): string[] {
  return existsSync(box.log) ? readFileSync(box.log, 'utf8').trim().split('\n') : [];
}

function fusetune(args: string[], env: NodeJS.ProcessEnv, options: SpawnSyncOptions = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000, env, ...options });
  return { code: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('the first command on a machine without chromium', () => {
  it('installs chromium through apt-get, says so once, and runs the study in the same command', () => {
    const box = bareMachine('password-less');
    writeFileSync(join(box.root, 'study.json'), JSON.stringify(tinyStudy));
    const r = fusetune(['run', join(box.root, 'study.json'), '--out', join(box.root, 'out')], box.env);
    expect(r.code, r.stderr).toBe(0);
    const apt = calls(box).filter((line) => line.startsWith('apt-get'));
    expect(apt).toEqual(['apt-get update -qq (DEBIAN_FRONTEND=noninteractive)', 'apt-get install -y -qq chromium (DEBIAN_FRONTEND=noninteractive)']);
    expect(r.stderr.match(INSTALLING)).toHaveLength(1);
    expect(r.stderr).toMatch(/^fusetune: no WebGPU adapter: Dawn found no GPU driver\. Installing Debian's chromium for its SwiftShader, WebGPU on the CPU/m);
    // No system Vulkan loader here: this ran on the loader the launcher found in the fresh install.
    expect(r.stderr).toMatch(/adapter SwiftShader/);
    expect(r.stdout).toMatch(/rank\s+trial\s+state\s+val acc/);
    expect(r.stderr).not.toMatch(/^Warning: /m);
    expect(readdirSync(box.chromium)).toContain('vk_swiftshader_icd.json');

    // The next command finds SwiftShader in place: no apt-get, no message.
    const again = fusetune(['device'], box.env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^adapter\s+SwiftShader/m);
    expect(again.stderr).not.toMatch(INSTALLING);
    expect(calls(box).filter((line) => line.startsWith('apt-get'))).toHaveLength(2);
  });

  it('never installs chromium when Dawn finds an adapter', () => {
    const box = bareMachine('password-less');
    // A machine with a Vulkan driver of its own: the loader and a driver named the way a system names them.
    const env = { ...box.env, LD_LIBRARY_PATH: CHROMIUM_LIB_DIR, VK_DRIVER_FILES: join(CHROMIUM_LIB_DIR, 'vk_swiftshader_icd.json') };
    const r = fusetune(['device', '--verbose'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Dawn found an adapter \(SwiftShader[^)]*\); nothing to set up/);
    expect(r.stdout).toMatch(/^adapter\s+SwiftShader/m);
    expect(calls(box)).toEqual([]);
    expect(readdirSync(box.chromium)).toEqual([]);
  });

  it('without root or password-less sudo, prints the one command to run and exits 1', () => {
    const box = bareMachine('password');
    // As a user without root: the sandbox says so (switching to a real user needs a checkout that user can read).
    const r = fusetune(['device'], { ...box.env, HOME: box.root, FUSETUNE_SETUP_NOT_ROOT: '1' });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/is not installed\. Installing it needs root or password-less sudo; run this, then this command again:\n {2}sudo apt-get install chromium\n$/);
    expect(r.stdout).toBe('');
    expect(calls(box)).toEqual(['sudo -n true']);
  });

  it('reports a failing apt-get with its own words and the command to run', () => {
    const box = bareMachine('password-less', 'fails');
    const r = fusetune(['device'], box.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/apt-get install failed \(exit 100\):\nE: Unable to locate package chromium\nRun it yourself, then this command again:\n {2}(sudo )?apt-get install chromium\n$/);
    expect(r.stdout).toBe('');
  });

  it('FUSETUNE_NO_SETUP=1 only prints the command', () => {
    const box = bareMachine('password-less');
    const r = fusetune(['train', '--data', 'xor'], { ...box.env, FUSETUNE_NO_SETUP: '1' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not installed\. Set-up is off \(FUSETUNE_NO_SETUP\); run this, then this command again:\n {2}(sudo )?apt-get install chromium\n$/);
    expect(calls(box)).toEqual([]);
  });

  it('help needs no GPU and sets nothing up', () => {
    const box = bareMachine('password-less');
    const r = fusetune(['run', '--help'], box.env);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: fusetune run/);
    expect(calls(box)).toEqual([]);
  });

  it('macOS and Windows never run apt-get', () => {
    const box = bareMachine('password-less');
    const lines: string[] = [];
    for (const platform of ['darwin', 'win32'] as const) {
      expect(setUpWebGpu({ platform, env: box.env, log: (line) => lines.push(line) })).toEqual({ ok: true });
    }
    expect(lines).toEqual([]);
    expect(calls(box)).toEqual([]);
  });
});

describe("Dawn's native warnings", () => {
  // Chromium's Vulkan mock driver, which Dawn turns away with a native "Warning: Insufficient Vulkan
  // limits …" on every start, as it does Mesa's llvmpipe with "Vulkan shaderUniform*ArrayDynamicIndexing required".
  function withRejectedDriver(): NodeJS.ProcessEnv {
    const mock = join(CHROMIUM_LIB_DIR, 'libVkICD_mock_icd.so');
    expect(existsSync(mock), `${mock} (Debian's chromium)`).toBe(true);
    const manifest = join(mkdtempSync(join(tmpdir(), 'fusetune-mock-icd-')), 'mock_icd.json');
    writeFileSync(manifest, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: mock, api_version: '1.3.0' } }));
    const env: NodeJS.ProcessEnv = { ...process.env, LD_LIBRARY_PATH: CHROMIUM_LIB_DIR, VK_ICD_FILENAMES: [manifest, join(CHROMIUM_LIB_DIR, 'vk_swiftshader_icd.json')].join(delimiter) };
    delete env.FUSETUNE_RELAUNCHED;
    return env;
  }

  it('stay out of normal output and show with --verbose', () => {
    const env = withRejectedDriver();
    const quiet = fusetune(['device'], env);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toMatch(/^adapter\s+SwiftShader/m);
    expect(quiet.stderr).toBe('');
    const verbose = fusetune(['device', '--verbose'], env);
    expect(verbose.code, verbose.stderr).toBe(0);
    expect(verbose.stderr).toMatch(/^Warning: Insufficient Vulkan limits[^\n]*\n - While gathering supported limits for "Vulkan Mock Device"/m);
  });

  it('stay out of a terminal while the progress bar still draws', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fusetune-tty-'));
    writeFileSync(join(dir, 'study.json'), JSON.stringify(tinyStudy));
    // script(1) gives the command a pseudo-terminal, as a user's shell does.
    const command = `'${process.execPath}' '${BIN}' run '${join(dir, 'study.json')}' --out '${join(dir, 'out')}'`;
    const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: withRejectedDriver(), timeout: 300_000 });
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toContain('\x1b[?25l'); // cli-progress hides the cursor only on a TTY
    expect(r.stdout).toMatch(/rank\s+trial\s+state\s+val acc/);
    expect(r.stdout).not.toMatch(/Warning: |Vulkan Mock Device/);
  });

  it('are filtered line by line however the bytes arrive', () => {
    const stream = [
      'study x\n',
      'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.\n',
      ' - While initializing adapter (backend=BackendType::Vulkan)\n',
      '    at InitializeImpl (PhysicalDeviceVk.cpp:257)\n',
      '\n',
      '(node:12) Warning: a Node warning stays\n',
      'Warning: Couldn\'t load Vulkan\n    at operator() (BackendVk.cpp:368)\n\n',
      '  indented output stays\n',
      '\n',
      'progress 50%',
    ].join('');
    const expected = 'study x\n(node:12) Warning: a Node warning stays\n  indented output stays\n\nprogress 50%';
    for (const size of [1, 2, 7, stream.length]) {
      let out = '';
      const filter = new DawnWarningFilter((text) => (out += text));
      for (let i = 0; i < stream.length; i += size) filter.push(stream.slice(i, i + size));
      filter.end();
      expect(out, `chunks of ${size}`).toBe(expected);
    }
  });

  it('let a line that cannot be a warning through before its newline', () => {
    let out = '';
    const filter = new DawnWarningFilter((text) => (out += text));
    filter.push('progress 10%');
    expect(out).toBe('progress 10%');
    filter.push('\rprogress 20%');
    expect(out).toBe('progress 10%\rprogress 20%');
    filter.push('\nWarn');
    expect(out).toBe('progress 10%\rprogress 20%\n');
  });
});
