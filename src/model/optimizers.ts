// Which optimizer reads which setting and keeps which state: the one table that the search space's
// checks, the engine's per-trial parameters, the cohort layout and the float64 reference all read.
import type { OptimizerConfig, OptimizerKind } from './trial-config.ts';

/** An optimizer setting a study may name (torch.optim's argument names), with the OptimizerConfig field it sets. */
export const OPTIMIZER_SETTINGS = {
  momentum: { field: 'momentum', readBy: ['sgd', 'momentum', 'rmsprop'] },
  dampening: { field: 'dampening', readBy: ['sgd', 'momentum'] },
  nesterov: { field: 'nesterov', readBy: ['sgd', 'momentum'] },
  beta1: { field: 'beta1', readBy: ['adam', 'adamw'] },
  beta2: { field: 'beta2', readBy: ['adam', 'adamw'] },
  eps: { field: 'eps', readBy: ['rmsprop', 'adam', 'adamw'] },
  alpha: { field: 'alpha', readBy: ['rmsprop'] },
  weight_decay: { field: 'weightDecay', readBy: ['adamw'] },
} as const satisfies Record<string, { field: keyof OptimizerConfig; readBy: readonly OptimizerKind[] }>;

export type OptimizerSetting = keyof typeof OPTIMIZER_SETTINGS;

export function isOptimizerSetting(name: string): name is OptimizerSetting {
  return Object.hasOwn(OPTIMIZER_SETTINGS, name);
}

/** Whether `kind` reads `setting` (the others ignore it). */
export function reads(kind: OptimizerKind, setting: OptimizerSetting): boolean {
  return (OPTIMIZER_SETTINGS[setting].readBy as readonly OptimizerKind[]).includes(kind);
}

/**
 * What each optimizer keeps beside the weights: m, the momentum buffer (only while momentum > 0)
 * or Adam's first moment, and v, the second moment.
 */
const STATE: Record<OptimizerKind, { m: boolean | 'with momentum'; v: boolean }> = {
  sgd: { m: 'with momentum', v: false },
  momentum: { m: 'with momentum', v: false },
  rmsprop: { m: 'with momentum', v: true },
  adam: { m: true, v: true },
  adamw: { m: true, v: true },
};

/** Optimizer state buffers a trial needs: momentum buffer or first moment (m), second moment (v). */
export function optimizerState(kind: OptimizerKind, momentum: number): { m: boolean; v: boolean } {
  const { m, v } = STATE[kind];
  return { m: m === 'with momentum' ? momentum > 0 : m, v };
}
