// WebGPU in the browser: navigator.gpu, or a clear NoAdapterError saying what the browser lacks.
import { acquireGpu, type AcquireOptions, type GpuContext } from './device.ts';
import { NoAdapterError } from './errors.ts';

export const NO_WEBGPU_MESSAGE =
  'This browser has no WebGPU (navigator.gpu is missing). fusetune needs Chrome or Edge 113+ (or another browser ' +
  'with WebGPU enabled) on a secure origin (https or localhost). On Linux, Chrome may need ' +
  'chrome://flags/#enable-unsafe-webgpu and chrome://flags/#enable-vulkan.';

export async function acquireBrowserGpu(options: AcquireOptions = {}): Promise<GpuContext> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new NoAdapterError(NO_WEBGPU_MESSAGE);
  return acquireGpu(gpu, 'browser', options);
}
