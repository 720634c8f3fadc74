// The launcher behind bin/fusetune.js: sets up WebGPU on a bare Linux machine, then runs the CLI in a
// child started with the Vulkan loader Dawn needs and with Dawn's native warnings filtered out.
import { adoptParentStderr, runCliChild } from '../gpu/node-launch.ts';
import { opensGpu, setUpWebGpu, splitVerbose } from '../gpu/node-setup.ts';

/** Runs `fusetune ...argv` as the script `bin` (which the child re-runs); resolves to the exit code. */
export async function launch(bin: string, argv: string[]): Promise<number> {
  if (process.env.FUSETUNE_RELAUNCHED) {
    adoptParentStderr();
  } else {
    const { verbose, args } = splitVerbose(argv);
    if (opensGpu(args)) {
      const setup = setUpWebGpu({ verbose });
      if (!setup.ok) {
        process.stderr.write(`${setup.message}\n`);
        return 1;
      }
      if (process.platform === 'linux') {
        // The dynamic linker reads LD_LIBRARY_PATH only at start-up, and Dawn's native warnings can only be
        // filtered from outside the process: run the CLI in a child (vulkanLaunchEnv is read after set-up).
        const { vulkanLaunchEnv } = await import('../gpu/node-gpu.ts');
        return runCliChild(bin, argv, vulkanLaunchEnv(), verbose);
      }
    }
  }
  const { main } = await import('./main.ts');
  return main(argv);
}
