// Initial weights and batch orders: pure functions of a trial's seed, so a trial trains the same in any cohort.
import { parameterLayout } from '../model/parameter-layout.ts';
import { Rng, deriveSeed } from '../util/random.ts';

/**
 * torch.nn.Linear's default initialization: W and b uniform in ±1/√fan_in, drawn from the trial's
 * seed. Layout as the kernels expect: every layer's W [in][out] first, then every bias.
 */
export function initialParameters(widths: readonly number[], seed: number): Float32Array {
  const { wBase, bBase, P } = parameterLayout(widths);
  const params = new Float32Array(P);
  const rng = new Rng(deriveSeed(seed, 'init'));
  for (let l = 0; l + 1 < widths.length; l++) {
    const fanIn = widths[l]!;
    const fanOut = widths[l + 1]!;
    const bound = 1 / Math.sqrt(fanIn);
    for (let i = 0; i < fanIn * fanOut; i++) params[wBase[l]! + i] = rng.uniform(-bound, bound);
    for (let o = 0; o < fanOut; o++) params[bBase[l]! + o] = rng.uniform(-bound, bound);
  }
  return params;
}

/**
 * The training rows a trial visits in `epoch`, `stepsPerEpoch · batch` of them (the last partial
 * batch is dropped). Shuffled from (seed, epoch), or the data set's order when `shuffle` is false
 * (then batch i is rows i·B … i·B + B − 1, replayable in another framework).
 */
export function epochOrder(seed: number, epoch: number, trainRows: number, batch: number, shuffle: boolean): Uint32Array {
  const count = Math.floor(trainRows / batch) * batch;
  const rows = Uint32Array.from({ length: trainRows }, (_, i) => i);
  if (shuffle) new Rng(deriveSeed(seed, 'epoch', epoch)).shuffle(rows);
  return rows.subarray(0, count);
}
