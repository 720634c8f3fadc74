// Every GPU buffer goes through GpuMemory, which counts the bytes it holds by label and in total.
import { checked, DeviceLimitError } from './errors.ts';

interface Allocation {
  label: string;
  bytes: number;
}

/** Creates, tracks and frees buffers; `bytes()` is what the current work holds on the device. */
export class GpuMemory {
  private readonly live = new Map<GPUBuffer, Allocation>();
  private readonly byLabel = new Map<string, number>();
  private total = 0;
  private peak = 0;

  constructor(private readonly device: GPUDevice) {}

  /**
   * A buffer of `bytes` (rounded up to 4) with `usage`. Refuses sizes over the device's
   * maxBufferSize with a DeviceLimitError naming the label, instead of a late validation error.
   */
  create(label: string, bytes: number, usage: GPUBufferUsageFlags, mappedAtCreation = false): GPUBuffer {
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const maxBufferSize = this.device.limits.maxBufferSize;
    if (size > maxBufferSize) throw new DeviceLimitError('maxBufferSize', size, maxBufferSize, `buffer "${label}"`);
    const buffer = this.device.createBuffer({ label, size, usage, mappedAtCreation });
    this.live.set(buffer, { label, bytes: size });
    this.byLabel.set(label, (this.byLabel.get(label) ?? 0) + size);
    this.total += size;
    this.peak = Math.max(this.peak, this.total);
    return buffer;
  }

  /** A storage buffer filled with `data` (created mapped, so no extra copy). */
  upload(label: string, data: ArrayBufferView, usage: GPUBufferUsageFlags = GPUBufferUsage.STORAGE): GPUBuffer {
    const buffer = this.create(label, data.byteLength, usage | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, true);
    new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    buffer.unmap();
    return buffer;
  }

  /** Destroys a buffer created here and takes its bytes off the counts. Unknown buffers are ignored. */
  free(buffer: GPUBuffer): void {
    const allocation = this.live.get(buffer);
    if (!allocation) return;
    this.live.delete(buffer);
    const left = (this.byLabel.get(allocation.label) ?? 0) - allocation.bytes;
    if (left > 0) this.byLabel.set(allocation.label, left);
    else this.byLabel.delete(allocation.label);
    this.total -= allocation.bytes;
    buffer.destroy();
  }

  /** Frees every buffer whose label starts with `prefix` (an owner such as a cohort frees all it made). */
  freePrefix(prefix: string): void {
    for (const [buffer, allocation] of [...this.live]) if (allocation.label.startsWith(prefix)) this.free(buffer);
  }

  destroyAll(): void {
    for (const buffer of [...this.live.keys()]) this.free(buffer);
  }

  /** Bytes held now: all of them, or those whose label starts with `prefix`. */
  bytes(prefix?: string): number {
    if (prefix === undefined) return this.total;
    let sum = 0;
    for (const [label, bytes] of this.byLabel) if (label.startsWith(prefix)) sum += bytes;
    return sum;
  }

  /** The most bytes held at once since this GpuMemory was made. */
  get peakBytes(): number {
    return this.peak;
  }

  /** Bytes held now by label, largest first. */
  byLabelSnapshot(): Array<{ label: string; bytes: number }> {
    return [...this.byLabel].map(([label, bytes]) => ({ label, bytes })).sort((a, b) => b.bytes - a.bytes);
  }

  /** Copies `bytes` of `source` (from `offset`) back to the CPU; the operation name goes into any error. */
  async read(source: GPUBuffer, bytes = source.size, offset = 0, operation = `read ${source.label}`): Promise<ArrayBuffer> {
    const size = Math.ceil(bytes / 4) * 4;
    const staging = this.create(`staging/${source.label}`, size, GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ);
    try {
      await checked(this.device, operation, () => {
        const encoder = this.device.createCommandEncoder({ label: operation });
        encoder.copyBufferToBuffer(source, offset, staging, 0, size);
        this.device.queue.submit([encoder.finish()]);
      });
      await staging.mapAsync(GPUMapMode.READ);
      return staging.getMappedRange().slice(0, bytes);
    } finally {
      this.free(staging);
    }
  }

  async readF32(source: GPUBuffer, count?: number, offsetElements = 0): Promise<Float32Array> {
    const n = count ?? source.size / 4 - offsetElements;
    return new Float32Array(await this.read(source, n * 4, offsetElements * 4));
  }

  async readU32(source: GPUBuffer, count?: number, offsetElements = 0): Promise<Uint32Array> {
    const n = count ?? source.size / 4 - offsetElements;
    return new Uint32Array(await this.read(source, n * 4, offsetElements * 4));
  }
}
