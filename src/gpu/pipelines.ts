// Shader modules, bind group layouts and compute pipelines, each created once per (kernel id, constants).
import { GpuOperationError, checked, scoped } from './errors.ts';

export type Constants = Record<string, number>;

/** The cache key of a pipeline: derived from the kernel id and its override constants, never written by hand. */
export function pipelineKey(kernelId: string, constants: Constants): string {
  const sorted = Object.keys(constants)
    .sort()
    .map((k) => `${k}=${constants[k]}`);
  return `${kernelId}{${sorted.join(',')}}`;
}

export class PipelineCache {
  /** NOTE: promises, so pipelines of one kernel built at once (two activations, say) share one module. */
  private readonly modules = new Map<string, Promise<GPUShaderModule>>();
  private readonly layouts = new Map<string, { groups: GPUBindGroupLayout[]; pipeline: GPUPipelineLayout }>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();

  constructor(private readonly device: GPUDevice) {}

  /** Explicit bind group layouts for a kernel, created once: one entry list per bind group. */
  layout(kernelId: string, groups: GPUBindGroupLayoutEntry[][]): { groups: GPUBindGroupLayout[]; pipeline: GPUPipelineLayout } {
    let layout = this.layouts.get(kernelId);
    if (!layout) {
      const bindGroupLayouts = groups.map((entries, i) =>
        this.device.createBindGroupLayout({ label: `${kernelId}.bindGroupLayout${i === 0 ? '' : i}`, entries }),
      );
      layout = {
        groups: bindGroupLayouts,
        pipeline: this.device.createPipelineLayout({ label: `${kernelId}.pipelineLayout`, bindGroupLayouts }),
      };
      this.layouts.set(kernelId, layout);
    }
    return layout;
  }

  /** The compute pipeline for `kernelId` with `constants`; compile errors throw naming the kernel and line. */
  compute(kernelId: string, source: string, layout: GPUPipelineLayout, constants: Constants = {}): Promise<GPUComputePipeline> {
    const key = pipelineKey(kernelId, constants);
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      pipeline = this.build(kernelId, key, source, layout, constants);
      this.pipelines.set(key, pipeline);
      pipeline.catch(() => this.pipelines.delete(key));
    }
    return pipeline;
  }

  get size(): number {
    return this.pipelines.size;
  }

  private async createModule(kernelId: string, source: string): Promise<GPUShaderModule> {
    const created = scoped(this.device, `shader ${kernelId}`, () => this.device.createShaderModule({ label: kernelId, code: source }));
    const module = created.result;
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      await created.errors.catch(() => undefined);
      const text = errors.map((m) => `${kernelId}.wgsl:${m.lineNum}:${m.linePos}: ${m.message}`).join('\n');
      throw new GpuOperationError(`shader ${kernelId}`, 'validation', text);
    }
    await created.errors;
    return module;
  }

  private async build(
    kernelId: string,
    key: string,
    source: string,
    layout: GPUPipelineLayout,
    constants: Constants,
  ): Promise<GPUComputePipeline> {
    const operation = `pipeline ${key}`;
    let module = this.modules.get(kernelId);
    if (!module) {
      module = this.createModule(kernelId, source);
      this.modules.set(kernelId, module);
      module.catch(() => this.modules.delete(kernelId));
    }
    const compiled = await module;
    try {
      return await checked(this.device, operation, () =>
        this.device.createComputePipelineAsync({ label: kernelId, layout, compute: { module: compiled, entryPoint: 'main', constants } }),
      );
    } catch (error) {
      if (error instanceof GpuOperationError) throw error;
      // createComputePipelineAsync rejects with a GPUPipelineError rather than raising into the scope.
      throw new GpuOperationError(operation, 'validation', error instanceof Error ? error.message : String(error));
    }
  }
}
