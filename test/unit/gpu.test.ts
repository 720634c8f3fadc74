// The gpu/ layer: adapter report, byte accounting, pipeline cache, error capture and timing, on Dawn.
import { describe, expect, it } from 'vitest';
import { GpuOperationError, checked } from '../../src/gpu/errors.ts';
import { pipelineKey } from '../../src/gpu/pipelines.ts';
import { GpuTimer } from '../../src/gpu/timing.ts';
import { createCopy } from '../../src/kernels/copy.ts';
import { gpu, runPass, storage } from '../helpers/gpu.ts';

describe('adapter', () => {
  it('reports the adapter with its limits and features', async () => {
    const ctx = await gpu();
    expect(ctx.report.runtime).toBe('node');
    expect(ctx.report.limits.maxBufferSize).toBeGreaterThan(0);
    expect(ctx.report.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
    // The device is created with the adapter's own limits, not the spec defaults.
    expect(ctx.device.limits.maxStorageBufferBindingSize).toBe(ctx.report.limits.maxStorageBufferBindingSize);
    // Here the adapter is SwiftShader; a hardware adapter would report false.
    expect(ctx.report.isSoftware).toBe(/swiftshader/i.test(ctx.report.description + ctx.report.architecture));
  });
});

describe('GpuMemory', () => {
  it('counts bytes by label and in total, and gives them back on free', async () => {
    const ctx = await gpu();
    const before = ctx.memory.bytes();
    const a = ctx.memory.create('count-test/a', 1000, GPUBufferUsage.STORAGE);
    const b = ctx.memory.create('count-test/b', 4096, GPUBufferUsage.STORAGE);
    expect(ctx.memory.bytes('count-test/a')).toBe(1000);
    expect(ctx.memory.bytes('count-test/')).toBe(5096);
    expect(ctx.memory.bytes()).toBe(before + 5096);
    expect(ctx.memory.peakBytes).toBeGreaterThanOrEqual(before + 5096);
    ctx.memory.free(a);
    expect(ctx.memory.bytes()).toBe(before + 4096);
    ctx.memory.freePrefix('count-test/');
    expect(ctx.memory.bytes('count-test/')).toBe(0);
    expect(ctx.memory.bytes()).toBe(before);
    expect(b.size).toBe(4096);
  });

  it('refuses a buffer larger than maxBufferSize, naming the limit', async () => {
    const ctx = await gpu();
    expect(() => ctx.memory.create('too-big', ctx.limits.maxBufferSize + 4, GPUBufferUsage.STORAGE)).toThrow(/maxBufferSize/);
  });
});

describe('errors', () => {
  it('turns an invalid dispatch into a thrown error naming the operation', async () => {
    const ctx = await gpu();
    const copy = await createCopy(ctx);
    const src = storage(ctx, 'invalid/src', new Float32Array(64));
    // A destination without STORAGE usage cannot be bound as a storage buffer: a validation error.
    const dst = ctx.memory.create('invalid/dst', 256, GPUBufferUsage.COPY_DST);
    const attempt = checked(ctx.device, 'dispatch copy into a non-storage buffer', async () => {
      const binding = copy.bind('invalid', src, dst, 64);
      await runPass(ctx, (pass) => copy.encode(pass, binding));
    });
    await expect(attempt).rejects.toBeInstanceOf(GpuOperationError);
    await expect(attempt).rejects.toThrow(/^dispatch copy into a non-storage buffer: WebGPU validation error/);
    ctx.memory.freePrefix('invalid');
  });

  it('names the kernel and line of a WGSL compile error', async () => {
    const ctx = await gpu();
    const layout = ctx.device.createPipelineLayout({ bindGroupLayouts: [] });
    const broken = '@compute @workgroup_size(1)\nfn main() {\n  let x: f32 = undefined_thing;\n}\n';
    await expect(ctx.pipelines.compute('broken-kernel', broken, layout)).rejects.toThrow(/broken-kernel\.wgsl:3:/);
  });
});

describe('pipeline cache', () => {
  it('keys pipelines by kernel id and constants, in any order', async () => {
    expect(pipelineKey('k', { B: 2, A: 1 })).toBe(pipelineKey('k', { A: 1, B: 2 }));
    expect(pipelineKey('k', { A: 1 })).not.toBe(pipelineKey('k', { A: 2 }));
    const ctx = await gpu();
    const first = await createCopy(ctx);
    const size = ctx.pipelines.size;
    await createCopy(ctx);
    expect(ctx.pipelines.size).toBe(size);
    expect(first).toBeTruthy();
  });
});

describe('GpuTimer', () => {
  for (const forceWallClock of [false, true]) {
    it(`times a pass (${forceWallClock ? 'wall clock' : 'timestamp-query when present'})`, async () => {
      const ctx = await gpu();
      const timer = new GpuTimer(ctx, forceWallClock);
      expect(timer.source).toBe(!forceWallClock && ctx.hasTimestamps ? 'timestamp-query' : 'wall-clock');
      const copy = await createCopy(ctx);
      const n = 1 << 16;
      const src = storage(ctx, 'timer/src', new Float32Array(n).fill(1));
      const dst = storage(ctx, 'timer/dst', new Float32Array(n));
      const binding = copy.bind('timer', src, dst, n);
      const ms = await timer.measure('copy', (encoder, span) => {
        const pass = encoder.beginComputePass({ timestampWrites: span.beginWrites && { ...span.beginWrites, ...span.endWrites } });
        for (let i = 0; i < 4; i++) copy.encode(pass, binding);
        pass.end();
      });
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThan(60_000);
      ctx.memory.freePrefix('timer');
    });
  }
});
