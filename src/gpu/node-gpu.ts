// WebGPU in Node through Dawn (the `webgpu` package), falling back to Debian chromium's SwiftShader on the CPU.
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { acquireGpu, type AcquireOptions, type GpuContext } from './device.ts';
import { NoAdapterError } from './errors.ts';

/** Debian's chromium ships SwiftShader (a Vulkan driver on the CPU) and its own Vulkan loader here. */
export const CHROMIUM_LIB_DIR = '/usr/lib/chromium';

/** Where fusetune looks for chromium's SwiftShader and loader. NOTE: FUSETUNE_CHROMIUM_DIR exists for the set-up tests' sandbox. */
export function chromiumLibDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FUSETUNE_CHROMIUM_DIR || CHROMIUM_LIB_DIR;
}

/** SwiftShader's Vulkan driver manifest in chromium's folder. */
export function swiftShaderIcd(env: NodeJS.ProcessEnv = process.env): string {
  return join(chromiumLibDir(env), 'vk_swiftshader_icd.json');
}

const ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/local/etc/vulkan/icd.d'];
const LIB_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/lib64', '/usr/lib', '/lib', '/usr/local/lib'];

function libraryPathDirs(env: NodeJS.ProcessEnv): string[] {
  return (env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean);
}

/** Whether the dynamic linker can find a Vulkan loader (libvulkan.so.1), which Dawn loads at run time. */
export function hasVulkanLoader(env: NodeJS.ProcessEnv = process.env): boolean {
  return [...libraryPathDirs(env), ...LIB_DIRS].some((dir) => existsSync(join(dir, 'libvulkan.so.1')));
}

/** Whether any Vulkan driver manifest is installed or named by the environment. */
export function hasVulkanDriver(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.VK_ICD_FILENAMES || env.VK_DRIVER_FILES) return true;
  return ICD_DIRS.some((dir) => {
    try {
      return readdirSync(dir).some((f) => f.endsWith('.json'));
    } catch {
      return false;
    }
  });
}

/**
 * Environment a Node process must be *started* with so Dawn can load Vulkan: on Linux without a
 * system Vulkan loader, chromium's copy through LD_LIBRARY_PATH (read by the linker at start-up,
 * so launchers re-exec or fork with it). Empty when nothing is needed.
 */
export function vulkanLaunchEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (process.platform !== 'linux' || hasVulkanLoader(env)) return {};
  const dir = chromiumLibDir(env);
  if (!existsSync(join(dir, 'libvulkan.so.1'))) return {};
  return { LD_LIBRARY_PATH: [...libraryPathDirs(env), dir].join(delimiter) };
}

async function loadDawn(): Promise<{ create: (flags: string[]) => GPU }> {
  try {
    const dawn = await import('webgpu');
    Object.assign(globalThis, dawn.globals);
    return dawn;
  } catch (error) {
    throw new NoAdapterError(
      `Could not load Dawn from the "webgpu" package (${error instanceof Error ? error.message : error}). ` +
        'Run npm install; Dawn ships prebuilt for linux-x64/arm64, macOS and Windows.',
    );
  }
}

/** Where the SwiftShader fallback came from, for the report and logs. */
export type NodeBackend = 'system' | 'swiftshader-fallback';

/**
 * Returns a GPU object from Dawn. When the system offers no adapter and Debian's SwiftShader ICD is
 * present, points the Vulkan loader at it (no user setting needed) and tries again.
 */
export async function nodeGpu(): Promise<{ gpu: GPU; backend: NodeBackend }> {
  if (process.platform === 'linux' && !process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = tmpdir();
  const dawn = await loadDawn();
  const icd = swiftShaderIcd();
  const canFallBack = process.platform === 'linux' && existsSync(icd) && !process.env.VK_ICD_FILENAMES;
  if (!canFallBack || hasVulkanDriver()) {
    const gpu = dawn.create([]);
    if (!canFallBack || (await gpu.requestAdapter())) return { gpu, backend: 'system' };
  }
  // Newer Vulkan loaders read VK_DRIVER_FILES before VK_ICD_FILENAMES: name SwiftShader in both.
  process.env.VK_ICD_FILENAMES = icd;
  process.env.VK_DRIVER_FILES = icd;
  return { gpu: dawn.create([]), backend: 'swiftshader-fallback' };
}

/** A ready GpuContext in Node, with a message that says what to install when there is no adapter. */
export async function acquireNodeGpu(options: AcquireOptions = {}): Promise<GpuContext> {
  const { gpu } = await nodeGpu();
  try {
    return await acquireGpu(gpu, 'node', options);
  } catch (error) {
    if (error instanceof NoAdapterError && process.platform === 'linux' && !hasVulkanLoader()) {
      throw new NoAdapterError(
        'No WebGPU adapter: the Vulkan loader libvulkan.so.1 is missing. Install it (Debian: apt-get install libvulkan1) ' +
          `with a Vulkan driver for your GPU, or install Debian's chromium package and start fusetune through ` +
          `"npx fusetune", which uses chromium's loader and SwiftShader (or set LD_LIBRARY_PATH=${chromiumLibDir()}).`,
      );
    }
    throw error;
  }
}
