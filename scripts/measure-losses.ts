// Time of one training dispatch of each loss kernel (softmax-xent for 10 and 3 classes, regression-loss
// with MSE and Huber) at batch 64 for T trials, from interleaved passes of many dispatches (docs/kernels.md).
// Usage: node --import ./bin/register.js scripts/measure-losses.ts [--trials 1,32] [--batch 64] [--dispatches 400]
import { parseArgs } from 'node:util';
import { adapterName } from '../src/gpu/adapter-report.ts';
import { acquireNodeGpu } from '../src/gpu/node-gpu.ts';
import { GpuTimer, singlePassWrites } from '../src/gpu/timing.ts';
import { encodeBound, type BoundKernel } from '../src/kernels/kernel.ts';
import { createRegressionLoss } from '../src/kernels/regression-loss.ts';
import { createSoftmaxXent } from '../src/kernels/softmax-xent.ts';
import { freshStatus, StepRing } from '../src/kernels/trial-buffers.ts';
import { METRIC_FLOATS } from '../src/model/structs.ts';
import { Rng } from '../src/util/random.ts';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '1,32' }, batch: { type: 'string', default: '64' }, dispatches: { type: 'string', default: '400' } } });
const B = Number(values.batch);
const dispatches = Number(values.dispatches);
const ctx = await acquireNodeGpu();
const timer = new GpuTimer(ctx);
const rng = new Rng(1);
const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
console.log(`adapter: ${adapterName(ctx.report)}; timing: ${timer.source}; batch ${B}; ${dispatches} dispatches per pass, median of 7 interleaved passes`);

for (const T of values.trials.split(',').map(Number)) {
  const owner = `measure-losses-${T}`;
  const buffer = (data: Float32Array | Uint32Array) => ctx.memory.upload(`${owner}/b`, data, usage);
  const ring = new StepRing(ctx, owner, T, 1);
  ring.set(0, { slot: 0 }, Array.from({ length: T }, () => ({ count: 1 })));
  ring.upload();
  const common = () => ({ metrics: buffer(new Float32Array(T * METRIC_FLOATS)), history: buffer(new Float32Array(T)), status: buffer(freshStatus(T)), stepGroup: ring.bindGroup });
  const kernels: [string, BoundKernel][] = [];
  for (const C of [10, 3]) {
    const xent = await createSoftmaxXent(ctx, true);
    const labels = Uint32Array.from({ length: T * B }, () => rng.int(C));
    kernels.push([`softmax-xent C=${C}`, xent.bind(owner, { logits: buffer(rng.floats(T * B * C)), labels: buffer(labels), dlogits: buffer(new Float32Array(T * B * C)), ...common() }, { T, B, C })]);
  }
  for (const loss of [{ kind: 'mse' }, { kind: 'huber', delta: 1 }] as const) {
    const kernel = await createRegressionLoss(ctx, true, loss);
    kernels.push([`regression-loss ${loss.kind}`, kernel.bind(owner, { outputs: buffer(rng.floats(T * B)), targets: buffer(rng.floats(T * B)), doutputs: buffer(new Float32Array(T * B)), ...common() }, { T, B })]);
  }
  // Passes of the kernels interleave (A B C D A B C D …), so a busy machine slows them alike.
  const times = kernels.map((): number[] => []);
  for (let pass = 0; pass < 8; pass++) {
    for (const [k, [name, bound]] of kernels.entries()) {
      const ms = await timer.measure(name, (encoder, span) => {
        const compute = encoder.beginComputePass({ timestampWrites: singlePassWrites(span) });
        for (let i = 0; i < dispatches; i++) encodeBound(compute, bound, 0);
        compute.end();
      });
      if (pass > 0) times[k]!.push(ms);
    }
  }
  for (const [k, [name]] of kernels.entries()) {
    const sorted = times[k]!.sort((a, b) => a - b);
    console.log(`T=${String(T).padStart(3)}  ${name.padEnd(22)} ${((sorted[3]! / dispatches) * 1000).toFixed(1).padStart(8)} µs per dispatch`);
  }
  ctx.memory.freePrefix(`${owner}/`);
}
ctx.device.destroy();
