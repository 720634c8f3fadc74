// Typed errors for everything that can go wrong between us and the GPU, each naming the operation.

/** A WebGPU validation, out-of-memory or internal error caught around one named operation. */
export class GpuOperationError extends Error {
  constructor(
    /** What we were doing, e.g. `pipeline dense-forward` or `dispatch gather`. */
    readonly operation: string,
    /** The WebGPU error class: `validation`, `out-of-memory` or `internal`. */
    readonly kind: 'validation' | 'out-of-memory' | 'internal',
    readonly gpuMessage: string,
  ) {
    super(`${operation}: WebGPU ${kind} error: ${gpuMessage.trim()}`);
    this.name = 'GpuOperationError';
  }
}

/** No usable WebGPU adapter: the message says what to install or enable. */
export class NoAdapterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoAdapterError';
  }
}

/** The device was lost (driver reset, destroy(), tab backgrounded...). Work in flight is gone. */
export class DeviceLostError extends Error {
  constructor(
    readonly reason: string,
    readonly lostMessage: string,
  ) {
    super(`GPU device lost (${reason}): ${lostMessage || 'no message'}`);
    this.name = 'DeviceLostError';
  }
}

/** A request that exceeds a device limit, naming the limit and both numbers. */
export class DeviceLimitError extends Error {
  constructor(
    readonly limit: string,
    readonly requested: number,
    readonly allowed: number,
    what: string,
  ) {
    super(`${what} needs ${limit} = ${requested}, but this device allows ${allowed}`);
    this.name = 'DeviceLimitError';
  }
}

function errorKind(error: GPUError): GpuOperationError['kind'] {
  if (error.constructor.name === 'GPUOutOfMemoryError' || /out of memory/i.test(error.message)) return 'out-of-memory';
  if (error.constructor.name === 'GPUInternalError') return 'internal';
  return 'validation';
}

function pushScopes(device: GPUDevice): void {
  device.pushErrorScope('internal');
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
}

/** Pops the three scopes pushed by pushScopes and rejects with the first error they caught. */
async function popScopes(device: GPUDevice, operation: string): Promise<void> {
  const errors = [await device.popErrorScope(), await device.popErrorScope(), await device.popErrorScope()];
  const first = errors.find((e): e is GPUError => e !== null);
  if (first) throw new GpuOperationError(operation, errorKind(first), first.message);
}

/**
 * Runs `fn` inside validation, out-of-memory and internal error scopes and throws the first
 * error any of them caught as a GpuOperationError naming `operation`.
 */
export async function checked<R>(device: GPUDevice, operation: string, fn: () => R): Promise<Awaited<R>> {
  pushScopes(device);
  let result: Awaited<R>;
  try {
    result = await fn();
  } catch (error) {
    await popScopes(device, operation).catch(() => undefined);
    throw error;
  }
  await popScopes(device, operation);
  return result;
}

/**
 * Synchronous twin of `checked` for hot paths: runs `fn` inside the scopes and returns at once
 * with a promise that rejects with a GpuOperationError if the work recorded inside was invalid.
 * The caller awaits that promise at its next sync point instead of stalling here.
 */
export function scoped<R>(device: GPUDevice, operation: string, fn: () => R): { result: R; errors: Promise<void> } {
  pushScopes(device);
  let result: R;
  try {
    result = fn();
  } catch (error) {
    void popScopes(device, operation).catch(() => undefined);
    throw error;
  }
  return { result, errors: popScopes(device, operation) };
}
