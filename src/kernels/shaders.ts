// The single source of WGSL for the app, the CLI and the tests: shaders/*.wgsl, loaded as text.
// NOTE: shared helpers are prepended here, visibly, in the order a kernel needs them.
import copy from '../../shaders/copy.wgsl?raw';

export const SHADERS = {
  copy: [copy],
} as const satisfies Record<string, readonly string[]>;

export type KernelId = keyof typeof SHADERS;

/** The full WGSL of a kernel: its shared helpers, then its own file. */
export function shaderSource(id: KernelId): string {
  return SHADERS[id].join('\n');
}
