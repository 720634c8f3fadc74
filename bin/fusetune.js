#!/usr/bin/env node
// Launcher: runs the TypeScript CLI through tsx, with WGSL text imports, and the Vulkan loader Dawn needs.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import './register.js';

const { vulkanLaunchEnv } = await import('../src/gpu/node-gpu.ts');
const launchEnv = vulkanLaunchEnv();
if (Object.keys(launchEnv).length > 0 && !process.env.FUSETUNE_RELAUNCHED) {
  // The dynamic linker reads LD_LIBRARY_PATH only at start-up: start again with chromium's Vulkan loader.
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, ...launchEnv, FUSETUNE_RELAUNCHED: '1' },
  });
  // Ctrl-C reaches the child through the terminal's process group: wait while it saves and exits.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  const [code, signal] = await new Promise((done) => child.on('exit', (c, s) => done([c, s])));
  process.exit(signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : (code ?? 1));
}

const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
