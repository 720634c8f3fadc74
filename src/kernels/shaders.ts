// The single source of WGSL for the app, the CLI and the tests: shaders/*.wgsl, loaded as text.
// NOTE: a kernel's source is its shared helpers, then its own file, concatenated in the order listed.
import activation from '../../shaders/common/activation.wgsl?raw';
import dropoutMask from '../../shaders/common/dropout-mask.wgsl?raw';
import matmul from '../../shaders/common/matmul.wgsl?raw';
import matmulDims from '../../shaders/common/matmul-dims.wgsl?raw';
import trial from '../../shaders/common/trial.wgsl?raw';
import copy from '../../shaders/copy.wgsl?raw';
import denseBackwardInput from '../../shaders/dense-backward-input.wgsl?raw';
import denseBackwardWeights from '../../shaders/dense-backward-weights.wgsl?raw';
import denseForward from '../../shaders/dense-forward.wgsl?raw';
import dropout from '../../shaders/dropout.wgsl?raw';
import gather from '../../shaders/gather.wgsl?raw';
import optimizer from '../../shaders/optimizer.wgsl?raw';
import softmaxXent from '../../shaders/softmax-xent.wgsl?raw';
import matmulNaive from '../../shaders/variants/matmul-naive.wgsl?raw';
import matmulReg4x4 from '../../shaders/variants/matmul-reg4x4.wgsl?raw';
import matmulShared from '../../shaders/variants/matmul-shared.wgsl?raw';

/** Matmul cores: the promoted one (`reg8x8`, shaders/common/matmul.wgsl) and the variants kept for the benchmark. */
export const MATMUL_CORES = {
  reg8x8: matmul,
  reg4x4: matmulReg4x4,
  naive: matmulNaive,
  shared: matmulShared,
} as const;
export type MatmulVariant = keyof typeof MATMUL_CORES;
export const MATMUL_VARIANTS = Object.keys(MATMUL_CORES) as MatmulVariant[];

export const SHADERS = {
  copy: [copy],
  gather: [trial, gather],
  'dense-forward': [matmulDims, activation, matmul, denseForward],
  'dense-forward@naive': [matmulDims, activation, matmulNaive, denseForward],
  'dense-forward@reg4x4': [matmulDims, activation, matmulReg4x4, denseForward],
  'dense-forward@shared': [matmulDims, activation, matmulShared, denseForward],
  dropout: [trial, dropoutMask, dropout],
  'softmax-xent': [trial, softmaxXent],
  'dense-backward-input': [trial, matmulDims, activation, dropoutMask, matmul, denseBackwardInput],
  'dense-backward-weights': [matmulDims, matmul, denseBackwardWeights],
  optimizer: [trial, optimizer],
} as const satisfies Record<string, readonly string[]>;

export type KernelId = keyof typeof SHADERS;

/** The full WGSL of a kernel: its shared helpers, then its own file. */
export function shaderSource(id: KernelId): string {
  return SHADERS[id].join('\n');
}

/** The kernel id of dense-forward with a given matmul core. */
export function denseForwardId(variant: MatmulVariant): KernelId {
  return variant === 'reg8x8' ? 'dense-forward' : `dense-forward@${variant}`;
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
