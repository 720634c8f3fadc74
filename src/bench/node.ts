// Node sources for the benchmark: MNIST from the package cache, TF.js on the same Dawn instance as fusetune.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { loadDatasetNode } from '../data/node.ts';
import { acquireNodeGpu } from '../gpu/node-gpu.ts';
import { parseStudyText } from '../search/study.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { BenchSources } from './sources.ts';
import type { Tf } from './tfjs-mlp.ts';

/**
 * TF.js's WebGPU backend looks for navigator.gpu; in Node we hand it Dawn's GPU object, so it
 * requests the same adapter fusetune uses.
 */
export async function loadTfNode(gpu: GPU): Promise<Tf> {
  const existing = (globalThis as { navigator?: object }).navigator;
  if (existing) Object.defineProperty(existing, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: `Node.js ${process.version}` }, configurable: true });
  const module = await import('@tensorflow/tfjs');
  // Node hands a CommonJS module's exports over as `default` too; a bundler may hand them over only so.
  const tf = (module as { default?: Tf }).default ?? module;
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js could not start its WebGPU backend on Dawn');
  await tf.ready();
  return tf;
}

/** What the peer suite needs that the installed package leaves out (optional peer dependencies: TF.js is large). */
export const PEER_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu'] as const;

export function missingPeerPackages(): string[] {
  const require = createRequire(import.meta.url);
  return PEER_PACKAGES.filter((name) => {
    try {
      require.resolve(name);
      return false;
    } catch {
      return true;
    }
  });
}

/** The page the peer suite's browser half serves with Vite: a checkout has it, the installed package not. */
export function hasBenchPage(): boolean {
  return existsSync(fileURLToPath(new URL('../../bench.html', import.meta.url)));
}

/** The study `fusetune run` runs without a file. */
export const DEFAULT_STUDY_FILE = fileURLToPath(new URL('../../studies/default.json', import.meta.url));

export function nodeBenchSources(ctx: GpuContext): BenchSources {
  return {
    loadMnist: () => loadDatasetNode({ kind: 'mnist', pixels: 784 }),
    loadTf: () => loadTfNode(ctx.gpu),
    acquireGpu: () => acquireNodeGpu(),
    defaultStudy: async () => parseStudyText(await readFile(DEFAULT_STUDY_FILE, 'utf8')),
    loadData: (study) => loadDatasetNode(study.data),
    timeCommand: (args) => timeCommand(args),
  };
}

const BIN = fileURLToPath(new URL('../../bin/fusetune.js', import.meta.url));

/** Runs `fusetune <args>` in a new Node process and resolves to its wall time; rejects if it fails. */
function timeCommand(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, FUSETUNE_RELAUNCHED: '' } }, (error) => {
      if (error) reject(new Error(`fusetune ${args.join(' ')}: ${error.message}`));
      else resolve(performance.now() - started);
    });
  });
}
