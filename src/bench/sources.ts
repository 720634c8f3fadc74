// What the suites load through the platform: data and TF.js, a fresh device, the default study, a timed command.
import type { Dataset } from '../data/dataset.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { Study } from '../search/study.ts';
import type { Tf } from './tfjs-mlp.ts';

/** Where the platform's data and TF.js come from (Node: files and Dawn; browser: fetch and navigator.gpu). */
export interface BenchSources {
  loadMnist(): Promise<Dataset>;
  /** TF.js with its WebGPU backend ready; only the peer suite asks for it. */
  loadTf?(): Promise<Tf>;
  /** A fresh device on the same adapter, and the default study with its data: the fixed-cost suite (Node). */
  acquireGpu?(): Promise<GpuContext>;
  defaultStudy?(): Promise<Study>;
  loadData?(study: Study): Promise<Dataset>;
  /** Wall milliseconds of one `fusetune <args>` in a new process (start-up included). */
  timeCommand?(args: string[]): Promise<number>;
}
