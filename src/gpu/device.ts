// One way to turn a `GPU` (navigator.gpu in the browser, Dawn in Node) into a ready GpuContext.
import { adapterReport, type AdapterReport } from './adapter-report.ts';
import { GpuMemory } from './buffers.ts';
import { DeviceLostError, NoAdapterError } from './errors.ts';
import { PipelineCache } from './pipelines.ts';

/** Optional features we use when the adapter has them. */
const WANTED_FEATURES: GPUFeatureName[] = ['timestamp-query', 'subgroups', 'shader-f16'];

export interface AcquireOptions {
  powerPreference?: GPUPowerPreference;
  /** Skip features even when present (e.g. to test the wall-clock timing path). */
  withoutFeatures?: GPUFeatureName[];
  /** Called once if the device is lost; the context is unusable afterwards. */
  onLost?: (error: DeviceLostError) => void;
  /** Called for every WebGPU error that escaped an error scope. */
  onUncapturedError?: (message: string) => void;
}

/** Everything the rest of fusetune needs from WebGPU: the device, its report, memory and pipelines. */
export class GpuContext {
  readonly memory: GpuMemory;
  readonly pipelines: PipelineCache;
  /** Set once the device is lost; every later submit is pointless. */
  lost: DeviceLostError | null = null;
  /** Errors that escaped every error scope, newest last. */
  readonly uncapturedErrors: string[] = [];

  constructor(
    readonly device: GPUDevice,
    readonly report: AdapterReport,
    // NOTE: Dawn's GPU object owns the instance that processes the device's events; if it is
    // garbage-collected while the device lives, async pipeline creation crashes the process.
    readonly gpu: GPU,
  ) {
    this.memory = new GpuMemory(device);
    this.pipelines = new PipelineCache(device);
  }

  get hasTimestamps(): boolean {
    return this.device.features.has('timestamp-query');
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /** Throws the loss error if the device is gone, so callers fail with the reason instead of hanging. */
  assertAlive(): void {
    if (this.lost) throw this.lost;
  }

  destroy(): void {
    this.memory.destroyAll();
    this.device.destroy();
  }
}

/**
 * Requests an adapter and a device with the adapter's own limits (a device otherwise gets the
 * spec's small defaults: 128 MiB per storage binding, 16 KiB workgroup memory) and the optional
 * features we can use.
 */
export async function acquireGpu(
  gpu: GPU,
  runtime: AdapterReport['runtime'],
  options: AcquireOptions = {},
): Promise<GpuContext> {
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) {
    throw new NoAdapterError(
      runtime === 'browser'
        ? 'This browser exposes WebGPU but returned no adapter. Update the GPU driver, or enable WebGPU ' +
            '(chrome://flags/#enable-unsafe-webgpu), or use Chrome/Edge 113+ on a supported GPU.'
        : 'No WebGPU adapter found. Install a Vulkan driver for your GPU with the Vulkan loader (Debian: libvulkan1), ' +
            "or Debian's chromium package, whose SwiftShader fusetune then uses on the CPU (apt-get install chromium).",
    );
  }
  const report = adapterReport(adapter, runtime);
  const skip = new Set(options.withoutFeatures ?? []);
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f) && !skip.has(f));
  const requiredLimits: Record<string, number> = { ...report.limits };
  const device = await adapter.requestDevice({ label: 'fusetune', requiredFeatures, requiredLimits });
  const context = new GpuContext(device, report, gpu);
  void device.lost.then((info) => {
    context.lost = new DeviceLostError(info.reason ?? 'unknown', info.message);
    if (info.reason !== 'destroyed') options.onLost?.(context.lost);
  });
  device.addEventListener('uncapturederror', (event) => {
    const message = (event as GPUUncapturedErrorEvent).error.message;
    context.uncapturedErrors.push(message);
    options.onUncapturedError?.(message);
  });
  return context;
}
