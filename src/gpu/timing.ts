// GPU time of a span of passes: timestamp-query where the device has it, otherwise wall time to queue completion.
import type { GpuContext } from './device.ts';

export type TimingSource = 'timestamp-query' | 'wall-clock';

export interface TimedSpan {
  /** Put into the first and last compute pass of the span (the same object works for a single pass). */
  readonly beginWrites: GPUComputePassTimestampWrites | undefined;
  readonly endWrites: GPUComputePassTimestampWrites | undefined;
  /** Call after the span's last pass, before finishing the encoder. */
  resolve(encoder: GPUCommandEncoder): void;
  /** Call right after submitting the command buffer that holds the span. */
  submitted(): void;
  /** Milliseconds the span took on the GPU (or from submit to completion), once it has run. */
  readonly ms: Promise<number>;
}

/**
 * Hands out timed spans. A wall-clock span starts at submit or when the previous span finished,
 * whichever is later, so queued work ahead of it is not counted twice.
 */
export class GpuTimer {
  readonly source: TimingSource;
  private lastCompletedMs = 0;

  constructor(private readonly ctx: GpuContext, forceWallClock = false) {
    this.source = ctx.hasTimestamps && !forceWallClock ? 'timestamp-query' : 'wall-clock';
  }

  span(label = 'span'): TimedSpan {
    return this.source === 'timestamp-query' ? this.timestampSpan(label) : this.wallSpan();
  }

  /** Encodes with `encode` (one command buffer), submits it and returns its time. */
  async measure(label: string, encode: (encoder: GPUCommandEncoder, span: TimedSpan) => void): Promise<number> {
    const device = this.ctx.device;
    const span = this.span(label);
    const encoder = device.createCommandEncoder({ label });
    encode(encoder, span);
    span.resolve(encoder);
    device.queue.submit([encoder.finish()]);
    span.submitted();
    return span.ms;
  }

  private timestampSpan(label: string): TimedSpan {
    const { device, memory } = this.ctx;
    const querySet = device.createQuerySet({ label: `${label}.timestamps`, type: 'timestamp', count: 2 });
    const resolveBuffer = memory.create(`timing/${label}.resolve`, 16, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC);
    const readBuffer = memory.create(`timing/${label}.read`, 16, GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ);
    let resolveDone!: () => void;
    const ready = new Promise<void>((r) => (resolveDone = r));
    const ms = ready.then(async () => {
      try {
        await readBuffer.mapAsync(GPUMapMode.READ);
        const [begin, end] = new BigInt64Array(readBuffer.getMappedRange());
        readBuffer.unmap();
        return Number(end! - begin!) / 1e6;
      } finally {
        memory.free(resolveBuffer);
        memory.free(readBuffer);
        querySet.destroy();
      }
    });
    return {
      beginWrites: { querySet, beginningOfPassWriteIndex: 0 },
      endWrites: { querySet, endOfPassWriteIndex: 1 },
      resolve(encoder) {
        encoder.resolveQuerySet(querySet, 0, 2, resolveBuffer, 0);
        encoder.copyBufferToBuffer(resolveBuffer, 0, readBuffer, 0, 16);
      },
      submitted: () => resolveDone(),
      ms,
    };
  }

  private wallSpan(): TimedSpan {
    const queue = this.ctx.device.queue;
    let submittedAt = 0;
    let resolveDone!: () => void;
    const ready = new Promise<void>((r) => (resolveDone = r));
    const ms = ready.then(async () => {
      await queue.onSubmittedWorkDone();
      const now = performance.now();
      const start = Math.max(submittedAt, this.lastCompletedMs);
      this.lastCompletedMs = now;
      return now - start;
    });
    return {
      beginWrites: undefined,
      endWrites: undefined,
      resolve() {},
      submitted: () => {
        submittedAt = performance.now();
        resolveDone();
      },
      ms,
    };
  }
}

/** Timestamp writes for a single pass that is both the first and the last of its span. */
export function singlePassWrites(span: TimedSpan): GPUComputePassTimestampWrites | undefined {
  if (!span.beginWrites || !span.endWrites) return undefined;
  return { ...span.beginWrites, ...span.endWrites };
}
