// The cohorts a study trains at once, and which trial holds each slot: carries out the slot planner's
// start, refill, compact and close on the engine, and keeps the occupancy of the cohorts it freed.
import { Cohort, type SlotRowsInit } from '../engine/cohort.ts';
import type { DeviceDataset } from '../engine/device-dataset.ts';
import type { SlotRows } from '../engine/rows.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { CohortShape, SlotBuffers } from '../model/cohort-layout.ts';
import type { RegressionLoss } from '../model/loss.ts';
import { shapeKey, type TrialConfig } from '../model/trial-config.ts';
import type { CohortView } from '../schedule/slots.ts';
import type { StudyRecord } from '../store/records.ts';

/** Cross-validation: the rows each member (a trial's fold) trains and validates on. */
export interface PoolFolds {
  rows(member: number): SlotRows;
  maxValidationRows: number;
}

/** A cohort while it trains: which trial holds each slot. */
export interface RunningCohort {
  cohort: Cohort;
  key: string;
  shape: CohortShape;
  bytes: number;
  /** Trial number (with cross-validation: the fold's run number) per slot; null while the slot idles. */
  members: (number | null)[];
  /** Every trial that trained in it. */
  history: number[];
}

export class CohortPool {
  readonly running: RunningCohort[] = [];
  /** Samples trained by cohorts already freed (busy trial-steps × batch). */
  private closedSamples = 0;
  private count = 0;

  constructor(
    private readonly ctx: GpuContext,
    private readonly data: DeviceDataset,
    private readonly evalBatch: number,
    private readonly record: StudyRecord,
    /** Cross-validation's rows per member, and regression's loss (default squared error). */
    private readonly options: { folds?: PoolFolds; loss?: RegressionLoss } = {},
  ) {}

  private get folds(): PoolFolds | undefined {
    return this.options.folds;
  }

  /** Cross-validation cohorts: every slot's own rows (`members` for the first slots). */
  private slotRows(members: readonly number[]): SlotRowsInit | undefined {
    return this.folds && { rows: members.map((m) => this.folds!.rows(m)), maxValidationRows: this.folds.maxValidationRows };
  }

  /** The running cohorts as the slot planner sees them. */
  views(): CohortView[] {
    return this.running.map((r) => ({ key: r.key, members: r.members, bytes: r.bytes, holds: r.cohort.holds }));
  }

  /** Trials training in a slot now. */
  get training(): number {
    return this.running.reduce((n, r) => n + r.members.filter((m) => m !== null).length, 0);
  }

  /** The id the next cohort gets. */
  nextId(): string {
    return `cohort-${this.count++}`;
  }

  /** A new cohort whose first slots hold `members`; on failure nothing stays allocated. */
  async start(id: string, shape: CohortShape, members: readonly { index: number; config: TrialConfig }[], reserve?: SlotBuffers): Promise<RunningCohort> {
    const configs = members.map((t) => t.config);
    const indexes = members.map((t) => t.index);
    const cohort = await Cohort.create(this.ctx, { id, shape, trials: configs, data: this.data, evalBatch: this.evalBatch, reserve, slotRows: this.slotRows(indexes), loss: this.options.loss });
    const r: RunningCohort = { cohort, key: shapeKey(configs[0]!), shape, bytes: cohort.bytesHeld, members: [...indexes], history: [...indexes] };
    this.running.push(r);
    return r;
  }

  /** Puts trial `index` in free slot `t` of `r`, on the device (fresh weights and state). */
  refill(r: RunningCohort, t: number, index: number, config: TrialConfig): void {
    r.cohort.assign(t, config, undefined, this.folds?.rows(index));
    r.members[t] = index;
    r.history.push(index);
  }

  /** Slot `t` stops training (pruned, diverged); it keeps its weights until refilled. */
  freeze(r: RunningCohort, t: number): void {
    r.cohort.freeze(t);
    r.members[t] = null;
  }

  /** Slot `t`'s trial trained its budget: the slot idles. */
  release(r: RunningCohort, t: number): void {
    r.cohort.release(t);
    r.members[t] = null;
  }

  /**
   * Moves the trials of `r`'s `slots` into a new cohort of their own size, on the device (buffer to
   * buffer), and frees `r`. Null, and `r` trains on as it is, when the smaller cohort finds no room.
   */
  async compact(r: RunningCohort, slots: readonly number[], configs: readonly TrialConfig[]): Promise<RunningCohort | null> {
    const id = this.nextId();
    const { state, dropout } = r.cohort.layout;
    let cohort: Cohort;
    try {
      // The moving trials bring their own rows (adopt), as they bring their weights.
      cohort = await Cohort.create(this.ctx, { id, shape: r.shape, trials: [...configs], data: this.data, evalBatch: this.evalBatch, reserve: { m: state.m, v: state.v, dropout }, slotRows: this.slotRows([]), loss: this.options.loss });
    } catch {
      this.count--;
      return null;
    }
    slots.forEach((t, i) => cohort.adopt(r.cohort, t, i));
    const members = slots.map((t) => r.members[t]!);
    r.members.fill(null);
    this.close(r);
    const moved: RunningCohort = { cohort, key: r.key, shape: r.shape, bytes: cohort.bytesHeld, members: [...members], history: [...members] };
    this.running.push(moved);
    return moved;
  }

  /** Frees `r` on the device; its occupancy goes into the study record. */
  close(r: RunningCohort): void {
    const { busy, dispatched } = r.cohort.occupancy;
    this.closedSamples += busy * r.shape.batchSize;
    this.record.cohorts!.push({ id: r.cohort.id, shape: r.key, slots: r.cohort.T, trials: r.history, occupancy: { busy, dispatched } });
    this.record.occupancy!.busy += busy;
    this.record.occupancy!.dispatched += dispatched;
    r.cohort.destroy();
    this.running.splice(this.running.indexOf(r), 1);
  }

  /** Busy and dispatched trial-steps and samples trained so far, from the cohorts' own counts. */
  work(): { busy: number; dispatched: number; samples: number } {
    let { busy, dispatched } = this.record.occupancy!;
    let samples = this.closedSamples;
    for (const r of this.running) {
      busy += r.cohort.occupancy.busy;
      dispatched += r.cohort.occupancy.dispatched;
      samples += r.cohort.occupancy.busy * r.shape.batchSize;
    }
    return { busy, dispatched, samples };
  }
}
