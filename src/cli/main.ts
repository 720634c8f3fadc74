// The `fusetune` command line: a thin shell over the library (see `fusetune help`).
import { parseArgs } from 'node:util';
import { BENCH_SUITES } from '../bench/record.ts';
import { splitVerbose } from '../gpu/node-setup.ts';
import { InputError } from '../util/input-error.ts';
import { printable } from './flags.ts';

type Command = (argv: string[]) => Promise<number>;

/**
 * Each command's module, loaded when that command runs: `fusetune app` or `help` does not load the
 * engine, the samplers or the ONNX encoder, and a command never fails on another one's dependency.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run-command.ts')).runCommand,
  ask: async () => (await import('./ask-tell-command.ts')).askCommand,
  tell: async () => (await import('./ask-tell-command.ts')).tellCommand,
  train: async () => (await import('./train-command.ts')).trainCommand,
  predict: async () => (await import('./predict-command.ts')).predictCommand,
  export: async () => (await import('./export-command.ts')).exportCommand,
  bench: async () => (await import('./bench-command.ts')).benchCommand,
  check: async () => (await import('./check-command.ts')).checkCommand,
  app: async () => (await import('./app-command.ts')).appCommand,
  device: async () => deviceCommand,
};

const USAGE = `fusetune — WebGPU benchmark and hyperparameter tuner for small dense networks

Usage: fusetune <command> [options]

Commands:
  run [study.json]     Run a study (default: the built-in MNIST random search) as an ask/tell
                       loop (random, grid, TPE, MOTPE, NSGA-II or PBT; pruners), print the
                       ranked trials (and the Pareto front), record it in Optuna's journal
                       (or --storage journal:PATH | redis://...), write study.json, trials.csv
                       and the best weights.
  ask study.json       Ask an Optuna journal's study (--storage) for trials to train elsewhere;
  tell study.json      record their results (--trial N --value V, or --state pruned|failed).
  train [options]      Train one network from flags (--data, --layers, --optimizer, --lr, ...);
                       load and save weights as .safetensors.
  predict --model DIR --data FILE --out FILE
                       Apply a table study's model (its preprocess.json and best or --trial N
                       weights) to new rows on the GPU: class and probabilities, or the value.
  export --onnx --model DIR
                       Write a table study's trial as an ONNX model (onnxruntime), with its
                       preprocess.json beside it.
  check [--json]       Run every kernel on this adapter against its float64 reference.
  bench [suite ...]    Benchmark kernels, batch sizes, fused trials, TF.js, the samplers and
                       table ingestion on this adapter (--quick, --json, --out FILE); suites:
                       ${BENCH_SUITES.join(', ')}.
  app [path]           Serve the app on this machine (--port, --host, --open); with a results
                       folder, a journal file or redis://... (--prefix), open that study
                       read-only and follow it live as workers append to it.
  device [--json]      Print the WebGPU adapter: vendor, architecture, limits, features,
                       and whether it is a software (CPU) adapter.
  help [command]       This text, or a command's options.

Every command also takes --verbose: show what Dawn writes from native code (e.g. the Vulkan
drivers it skipped, hidden otherwise) and the details of the first-run set-up.

First run on Linux: when Dawn finds no WebGPU adapter and chromium's SwiftShader is missing,
a command that needs the GPU installs Debian's chromium (apt-get, as root or with password-less
sudo) and goes on, on the CPU; otherwise it prints the command to run. FUSETUNE_NO_SETUP=1
turns the install off. A machine with a GPU driver is left as it is.

Run "fusetune <command> --help" for a command's options.`;

const DEVICE_USAGE = `Usage: fusetune device [--json]

Prints the adapter fusetune would use. In Node, fusetune uses Dawn (the "webgpu" package);
with no hardware Vulkan driver it falls back to Debian chromium's SwiftShader on the CPU.

  --json      one JSON object instead of the table
  --verbose   also show what Dawn writes from native code while it looks for adapters`;

/** Runs one CLI invocation; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  // --verbose is read by the launcher (bin/fusetune.js); the commands ignore it.
  const [command, ...rest] = splitVerbose(argv).args;
  try {
    const load = command !== undefined && Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (load) return await (await load())(rest);
    switch (command) {
      case 'help':
        if (rest[0] !== undefined) return await main([rest[0], '--help']);
        console.log(USAGE);
        return 0;
      case undefined:
      case '--help':
      case '-h':
        console.log(USAGE);
        return command === undefined ? 1 : 0;
      default:
        console.error(`fusetune: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    // Escaped: a message may quote a key or file name that holds terminal escape sequences.
    console.error(printable(`fusetune ${command}: ${error instanceof Error ? error.message : String(error)}`));
    // Bad input (flags, study, data and weights files, folders) is exit 2; failures while running are 1.
    return error instanceof InputError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) ? 2 : 1;
  }
}

async function deviceCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(DEVICE_USAGE);
    return 0;
  }
  const [{ acquireNodeGpu }, { formatAdapterReport }] = await Promise.all([import('../gpu/node-gpu.ts'), import('../gpu/adapter-report.ts')]);
  const ctx = await acquireNodeGpu();
  try {
    console.log(values.json ? JSON.stringify(ctx.report, null, 2) : formatAdapterReport(ctx.report));
  } finally {
    ctx.destroy();
  }
  return 0;
}
