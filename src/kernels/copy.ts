// Wrapper for shaders/copy.wgsl: dst = src, vec4 at a time (the bandwidth probe).
import type { GpuContext } from '../gpu/device.ts';
import { ScalarStruct } from '../model/struct.ts';
import { bindGroup, compileKernel, dispatch, foldGrid, uniformBuffer, type Grid } from './kernel.ts';

export const CopyDims = new ScalarStruct('CopyDims', [
  ['n4', 'u32'],
  ['groups_x', 'u32'],
  ['pad0', 'u32'],
  ['pad1', 'u32'],
] as const);

const WG = 256;

export interface CopyBinding {
  bindGroup: GPUBindGroup;
  grid: Grid;
}

export async function createCopy(ctx: GpuContext) {
  const kernel = await compileKernel(ctx, 'copy', [
    [
      { name: 'src', access: 'read' },
      { name: 'dst', access: 'read_write' },
      { name: 'dims', access: 'uniform' },
    ],
  ], { WG });
  return {
    /** Binds src → dst for `floats` elements (a multiple of 4). */
    bind(owner: string, src: GPUBuffer, dst: GPUBuffer, floats: number): CopyBinding {
      if (floats % 4 !== 0) throw new Error(`copy: ${floats} floats is not a multiple of 4`);
      const n4 = floats / 4;
      const grid = foldGrid(ctx, Math.ceil(n4 / WG));
      const dims = uniformBuffer(ctx, owner, CopyDims, { n4, groups_x: grid[0] });
      return { bindGroup: bindGroup(ctx, kernel, { src, dst, dims }), grid };
    },
    encode(pass: GPUComputePassEncoder, binding: CopyBinding): void {
      dispatch(pass, kernel, [binding.bindGroup], binding.grid);
    },
  };
}
