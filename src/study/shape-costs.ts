// What a shape costs trained alone (T = 1): the basis of the speed and memory objectives, measured once per shape.
import { Cohort } from '../engine/cohort.ts';
import type { DeviceDataset } from '../engine/device-dataset.ts';
import { advance } from '../engine/train.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { GpuTimer } from '../gpu/timing.ts';
import { cohortLayout, totalBytes, type CohortShape } from '../model/cohort-layout.ts';
import { shapeKey, type TrialConfig } from '../model/trial-config.ts';
import type { ShapeCost } from '../store/records.ts';

/** Timed steps of a shape alone, for speed objectives (after two warm-up steps). */
const PROBE_STEPS = 16;

export class ShapeCosts {
  private readonly costs = new Map<string, ShapeCost>();

  /** `timed`: whether speed is an objective (then each shape trains alone briefly, timed). */
  constructor(
    private readonly ctx: GpuContext,
    private readonly data: DeviceDataset,
    private readonly evalBatch: number,
    private readonly timer: GpuTimer,
    readonly timed: boolean,
  ) {}

  /** The cost of `config`'s shape, if it was measured. */
  of(config: TrialConfig): ShapeCost | undefined {
    return this.costs.get(shapeKey(config));
  }

  async measure(shape: CohortShape, config: TrialConfig): Promise<ShapeCost> {
    const key = shapeKey(config);
    const known = this.costs.get(key);
    if (known) return known;
    const { ctx, data, evalBatch, timer } = this;
    const layout = cohortLayout({ shape, trials: [config], trainRows: data.source.split.train, evalBatch, offsetAlignment: ctx.limits.minStorageBufferOffsetAlignment });
    let stepMs = NaN;
    if (this.timed) {
      const probe = await Cohort.create(ctx, { id: `probe-${this.costs.size}`, shape, trials: [config], data, evalBatch });
      try {
        await advance(ctx, probe, 2, { timer });
        const timed = await advance(ctx, probe, PROBE_STEPS, { timer, targetSubmitMs: Infinity });
        stepMs = timed.gpuMs / timed.steps;
      } finally {
        probe.destroy();
      }
    }
    const cost = { stepMs, samplesPerSec: (shape.batchSize / stepMs) * 1000, bytes: totalBytes(layout.buffers) };
    this.costs.set(key, cost);
    return cost;
  }
}
