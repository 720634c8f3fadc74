#!/usr/bin/env node
// Launcher: sets up WebGPU on a bare Linux machine, then runs the TypeScript CLI (tsx, WGSL text imports)
// in a child started with the Vulkan loader Dawn needs and with Dawn's native warnings filtered out.
import { fileURLToPath } from 'node:url';
import './register.js';

const { adoptParentStderr, runCliChild } = await import('../src/gpu/node-launch.ts');
const argv = process.argv.slice(2);

if (process.env.FUSETUNE_RELAUNCHED) {
  adoptParentStderr();
} else {
  const { opensGpu, setUpWebGpu, splitVerbose } = await import('../src/gpu/node-setup.ts');
  const { verbose, args } = splitVerbose(argv);
  if (opensGpu(args)) {
    const setup = setUpWebGpu({ verbose });
    if (!setup.ok) {
      process.stderr.write(`${setup.message}\n`);
      process.exit(1);
    }
    if (process.platform === 'linux') {
      // The dynamic linker reads LD_LIBRARY_PATH only at start-up, and Dawn's native warnings can only be
      // filtered from outside the process: run the CLI in a child (vulkanLaunchEnv is read after set-up).
      const { vulkanLaunchEnv } = await import('../src/gpu/node-gpu.ts');
      process.exit(await runCliChild(fileURLToPath(import.meta.url), argv, vulkanLaunchEnv(), verbose));
    }
  }
}

const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(argv);
