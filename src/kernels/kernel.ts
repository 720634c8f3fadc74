// What every kernel wrapper shares: explicit layouts from a binding list, typed uniform structs, grids.
import type { GpuContext } from '../gpu/device.ts';
import type { Constants } from '../gpu/pipelines.ts';
import { DeviceLimitError } from '../gpu/errors.ts';
import { kernelFeatures, shaderSource, type KernelId } from './shaders.ts';
import type { ScalarStruct } from '../model/struct.ts';

export type Access = 'read' | 'read_write' | 'uniform';

/** A kernel that needs a device feature (e.g. `subgroups`) was asked for on a device without it. */
export class MissingFeatureError extends Error {
  constructor(
    readonly kernel: string,
    readonly features: string[],
  ) {
    super(`kernel ${kernel} needs the device feature${features.length > 1 ? 's' : ''} ${features.join(', ')}, which this device does not have`);
    this.name = 'MissingFeatureError';
  }
}

/** One binding of a kernel: the same name as the WGSL variable it binds. */
export interface BindingSpec {
  readonly name: string;
  readonly access: Access;
  /** Bound with a dynamic offset (per-step data). */
  readonly dynamic?: boolean;
}

/** A kernel's bindings: group 0 is its own buffers; further groups are shared ones (e.g. per-step data). */
export type BindingGroups = readonly (readonly BindingSpec[])[];

export interface CompiledKernel {
  readonly id: KernelId;
  readonly pipeline: GPUComputePipeline;
  readonly groupLayouts: GPUBindGroupLayout[];
  readonly groups: BindingGroups;
  readonly constants: Constants;
}

function layoutEntry(spec: BindingSpec, binding: number): GPUBindGroupLayoutEntry {
  const type: GPUBufferBindingType = spec.access === 'uniform' ? 'uniform' : spec.access === 'read' ? 'read-only-storage' : 'storage';
  return { binding, visibility: GPUShaderStage.COMPUTE, buffer: { type, hasDynamicOffset: spec.dynamic ?? false } };
}

/** Compiles `id` with `constants` against explicit layouts built from `groups` (cached by the context). */
export async function compileKernel(ctx: GpuContext, id: KernelId, groups: BindingGroups, constants: Constants = {}): Promise<CompiledKernel> {
  const missing = kernelFeatures(id).filter((f) => !ctx.device.features.has(f));
  if (missing.length > 0) throw new MissingFeatureError(id, missing);
  const layout = ctx.pipelines.layout(
    id,
    groups.map((g) => g.map(layoutEntry)),
  );
  const pipeline = await ctx.pipelines.compute(id, shaderSource(id), layout.pipeline, constants);
  return { id, pipeline, groupLayouts: layout.groups, groups, constants };
}

export type BufferRef = GPUBuffer | { buffer: GPUBuffer; offset?: number; size?: number };

/** A bind group for group `group` of `kernel`, buffers given by their WGSL names. */
export function bindGroup(ctx: GpuContext, kernel: CompiledKernel, buffers: Record<string, BufferRef>, group = 0): GPUBindGroup {
  const specs = kernel.groups[group]!;
  const entries = specs.map((spec, binding): GPUBindGroupEntry => {
    const ref = buffers[spec.name];
    if (!ref) throw new Error(`${kernel.id}: no buffer given for binding "${spec.name}"`);
    return { binding, resource: 'buffer' in ref ? ref : { buffer: ref } };
  });
  return ctx.device.createBindGroup({ label: `${kernel.id}.bindGroup${group || ''}`, layout: kernel.groupLayouts[group]!, entries });
}

export type Grid = readonly [number, number, number];

/**
 * Workgroup counts covering `count` workgroups along x, folded into y when x would pass
 * maxComputeWorkgroupsPerDimension; z is the trial axis. Kernels recover the flat index as
 * wg.y * groups_x + wg.x.
 */
export function foldGrid(ctx: GpuContext, count: number, z = 1): Grid {
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (z > max) throw new DeviceLimitError('maxComputeWorkgroupsPerDimension', z, max, 'the trial axis of a dispatch');
  if (count <= max) return [Math.max(1, count), 1, z];
  const y = Math.ceil(count / max);
  if (y > max) throw new DeviceLimitError('maxComputeWorkgroupsPerDimension', y, max, `a dispatch of ${count} workgroups`);
  return [Math.ceil(count / y), y, z];
}

export function dispatch(pass: GPUComputePassEncoder, kernel: CompiledKernel, bindGroups: GPUBindGroup[], grid: Grid, dynamicOffsets?: number[]): void {
  pass.setPipeline(kernel.pipeline);
  bindGroups.forEach((group, i) => {
    if (i === bindGroups.length - 1 && dynamicOffsets) pass.setBindGroup(i, group, dynamicOffsets);
    else pass.setBindGroup(i, group);
  });
  pass.dispatchWorkgroups(grid[0], grid[1], grid[2]);
}

/**
 * What one dispatch must do at least, for the profile's rates: FLOPs of its products (2·M·N·K per
 * trial; elementwise work is not counted) and the bytes it must read and write once.
 */
export interface KernelWork {
  readonly flops: number;
  readonly bytes: number;
}

/** A kernel bound to its buffers: its own bind group, the grid, and whether it reads per-step data. */
export interface BoundKernel {
  readonly kernel: CompiledKernel;
  readonly bindGroup: GPUBindGroup;
  readonly grid: Grid;
  /** The step ring's bind group (group 1), for kernels that read StepData. */
  readonly stepGroup?: GPUBindGroup;
  readonly work: KernelWork;
}

/** Records one dispatch of a bound kernel; `stepOffset` is the step ring offset for kernels that read StepData. */
export function encodeBound(pass: GPUComputePassEncoder, bound: BoundKernel, stepOffset = 0): void {
  if (bound.stepGroup) dispatch(pass, bound.kernel, [bound.bindGroup, bound.stepGroup], bound.grid, [stepOffset]);
  else dispatch(pass, bound.kernel, [bound.bindGroup], bound.grid);
}

/** A uniform buffer holding `values` of `struct`, labelled under `owner` so the owner frees it with its other buffers. */
export function uniformBuffer<F extends string>(ctx: GpuContext, owner: string, struct: ScalarStruct<F>, values: Partial<Record<F, number>>): GPUBuffer {
  return ctx.memory.upload(`${owner}/${struct.name}`, new Uint8Array(struct.pack(values)), GPUBufferUsage.UNIFORM);
}
