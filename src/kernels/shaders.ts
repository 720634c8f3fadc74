// The single source of WGSL for the app, the CLI and the tests: shaders/*.wgsl, loaded as text.
// NOTE: a kernel's source is its shared helpers, then its own file, concatenated in the order listed.
import activation from '../../shaders/common/activation.wgsl?raw';
import dropoutMask from '../../shaders/common/dropout-mask.wgsl?raw';
import matmulDims from '../../shaders/common/matmul-dims.wgsl?raw';
import padLabel from '../../shaders/common/pad-label.wgsl?raw';
import trial from '../../shaders/common/trial.wgsl?raw';
import copy from '../../shaders/copy.wgsl?raw';
import fmaPeak from '../../shaders/fma-peak.wgsl?raw';
import denseBackwardInput from '../../shaders/dense-backward-input.wgsl?raw';
import denseBackwardWeights from '../../shaders/dense-backward-weights.wgsl?raw';
import denseForward from '../../shaders/dense-forward.wgsl?raw';
import dropout from '../../shaders/dropout.wgsl?raw';
import gather from '../../shaders/gather.wgsl?raw';
import optimizer from '../../shaders/optimizer.wgsl?raw';
import regressionLoss from '../../shaders/regression-loss.wgsl?raw';
import softmaxXent from '../../shaders/softmax-xent.wgsl?raw';
import matmul from '../../shaders/common/matmul.wgsl?raw';
import matmulNaive from '../../shaders/variants/matmul-naive.wgsl?raw';
import matmulReg4x4 from '../../shaders/variants/matmul-reg4x4.wgsl?raw';
import matmulReg8x8 from '../../shaders/variants/matmul-reg8x8.wgsl?raw';
import matmulSplitk from '../../shaders/variants/matmul-splitk.wgsl?raw';
import matmulSubgroup from '../../shaders/variants/matmul-subgroup.wgsl?raw';
import matmulTile128 from '../../shaders/variants/matmul-tile128.wgsl?raw';
import subgroups from '../../shaders/common/subgroups.wgsl?raw';

/**
 * Matmul cores: the one the engine trains with on GPUs (`shared`, shaders/common/matmul.wgsl) and the
 * variants in shaders/variants/: `reg8x8`, what it trains with on software adapters (SwiftShader),
 * and those kept for the benchmark, numbered in docs/kernels.md in the order tried (1 naive … 7 subgroup).
 */
export const MATMUL_CORES = {
  reg8x8: matmulReg8x8,
  reg4x4: matmulReg4x4,
  naive: matmulNaive,
  shared: matmul,
  tile128: matmulTile128,
  splitk: matmulSplitk,
  subgroup: matmulSubgroup,
} as const;
export type MatmulVariant = keyof typeof MATMUL_CORES;
export const MATMUL_VARIANTS = Object.keys(MATMUL_CORES) as MatmulVariant[];
/** The core in shaders/common/matmul.wgsl: its dense kernels keep the plain ids (`dense-forward`). */
export const MAIN_MATMUL = 'shared' satisfies MatmulVariant;

/** The device feature a core needs; its kernels are compiled only where the device has it. */
export const MATMUL_FEATURES: Partial<Record<MatmulVariant, GPUFeatureName>> = { subgroup: 'subgroups' };

/** The cores a device with `features` can compile, in the order of MATMUL_VARIANTS. */
export function availableMatmulVariants(features: { has(name: string): boolean }): MatmulVariant[] {
  return MATMUL_VARIANTS.filter((v) => {
    const needs = MATMUL_FEATURES[v];
    return needs === undefined || features.has(needs);
  });
}

/** Directives a core's kernels must open with (WGSL wants them before any declaration). */
function directives(variant: MatmulVariant): string[] {
  return MATMUL_FEATURES[variant] === 'subgroups' ? [subgroups] : [];
}

/** The dense kernels, each assembled with every matmul core: `dense-forward` (the main core), `dense-forward@reg8x8`, … */
const DENSE = {
  'dense-forward': (core: string) => [matmulDims, activation, core, denseForward],
  'dense-backward-input': (core: string) => [trial, matmulDims, activation, dropoutMask, core, denseBackwardInput],
  'dense-backward-weights': (core: string) => [matmulDims, core, denseBackwardWeights],
} as const;
export type DenseKernel = keyof typeof DENSE;

type DenseId = DenseKernel | `${DenseKernel}@${Exclude<MatmulVariant, typeof MAIN_MATMUL>}`;

function denseEntries(): Record<DenseId, readonly string[]> {
  const entries: Record<string, readonly string[]> = {};
  for (const [kernel, assemble] of Object.entries(DENSE)) {
    for (const variant of MATMUL_VARIANTS) entries[denseKernelId(kernel as DenseKernel, variant)] = [...directives(variant), ...assemble(MATMUL_CORES[variant])];
  }
  return entries as Record<DenseId, readonly string[]>;
}

/** The device features kernel `id` needs (its matmul core's, for a dense kernel). */
export function kernelFeatures(id: KernelId): GPUFeatureName[] {
  const variant = id.split('@')[1] as MatmulVariant | undefined;
  const needs = variant ? MATMUL_FEATURES[variant] : undefined;
  return needs ? [needs] : [];
}

export const SHADERS: Record<DenseId | 'copy' | 'fma-peak' | 'gather' | 'dropout' | 'softmax-xent' | 'regression-loss' | 'optimizer', readonly string[]> = {
  copy: [copy],
  'fma-peak': [fmaPeak],
  gather: [trial, gather],
  dropout: [trial, dropoutMask, dropout],
  'softmax-xent': [trial, padLabel, softmaxXent],
  'regression-loss': [trial, padLabel, regressionLoss],
  optimizer: [trial, optimizer],
  ...denseEntries(),
};

export type KernelId = keyof typeof SHADERS;

/** The full WGSL of a kernel: its shared helpers, then its own file. */
export function shaderSource(id: KernelId): string {
  return SHADERS[id].join('\n');
}

/** The kernel id of a dense kernel with a given matmul core (the main core keeps the plain name). */
export function denseKernelId(kernel: DenseKernel, variant: MatmulVariant): DenseId {
  return variant === MAIN_MATMUL ? kernel : `${kernel}@${variant as Exclude<MatmulVariant, typeof MAIN_MATMUL>}`;
}

/**
 * The matmul core to use on an adapter. Measured (docs/kernels.md): on SwiftShader the register-only
 * reg8x8 is 9× faster than workgroup-memory tiling (barriers are costly on a CPU); on an NVIDIA
 * H100 the tiled `shared` core is 2–3× faster than reg8x8 at every size from 128³ to 1024³ and on the
 * fused T=32 training shape.
 */
export function preferredMatmulVariant(adapter: { isSoftware: boolean }): MatmulVariant {
  return adapter.isSoftware ? 'reg8x8' : 'shared';
}

export function denseForwardId(variant: MatmulVariant): DenseId {
  return denseKernelId('dense-forward', variant);
}

/** Tile constants of a matmul core, read from its WGSL so the grid always matches the shader. */
export function matmulTile(variant: MatmulVariant): { tileM: number; tileN: number; wgX: number; wgY: number } {
  const source = MATMUL_CORES[variant];
  const read = (name: string) => {
    const match = new RegExp(`const ${name}: u32 = (\\d+)u;`).exec(source);
    if (!match) throw new Error(`matmul core ${variant} does not declare ${name}`);
    return Number(match[1]);
  };
  return { tileM: read('MM_TILE_M'), tileN: read('MM_TILE_N'), wgX: read('MM_WG_X'), wgY: read('MM_WG_Y') };
}
