// One Dawn device per test worker (SwiftShader here), shared by the tests in that worker.
import { afterAll } from 'vitest';
import type { GpuContext } from '../../src/gpu/device.ts';
import { acquireNodeGpu } from '../../src/gpu/node-gpu.ts';

let context: Promise<GpuContext> | null = null;

export function gpu(): Promise<GpuContext> {
  if (!context) {
    context = acquireNodeGpu();
    afterAll(async () => (await context!).memory.destroyAll());
  }
  return context;
}

/** Uploads `data` as a storage buffer that can also be copied to and from. */
export function storage(ctx: GpuContext, label: string, data: Float32Array | Uint32Array | Int32Array): GPUBuffer {
  return ctx.memory.upload(label, data, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
}

/** Runs `encode` in one compute pass, submits, and waits for the queue. */
export async function runPass(ctx: GpuContext, encode: (pass: GPUComputePassEncoder) => void): Promise<void> {
  const encoder = ctx.device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  encode(pass);
  pass.end();
  ctx.device.queue.submit([encoder.finish()]);
  await ctx.device.queue.onSubmittedWorkDone();
}
