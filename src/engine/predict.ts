// A trained network's forward pass on new rows, on the GPU with the training's own dense-forward kernel.
import type { GpuContext } from '../gpu/device.ts';
import { scoped } from '../gpu/errors.ts';
import { createDenseForward } from '../kernels/dense-forward.ts';
import { encodeBound, type BoundKernel } from '../kernels/kernel.ts';
import { preferredMatmulVariant, type MatmulVariant } from '../kernels/shaders.ts';
import type { CohortShape } from '../model/cohort-layout.ts';
import { parameterLayout } from '../model/parameter-layout.ts';

export interface PredictOptions {
  /** Rows per pass (default 4096, fewer where a layer's outputs would pass the binding limit). */
  chunkRows?: number;
  matmul?: MatmulVariant;
  /** Prefix of the buffer labels (freed when done). */
  owner?: string;
}

/**
 * The network's outputs for every row of `x` ([N][F], encoded as in training), [N][O]: the logits
 * (classification: softmax them for probabilities, argmax for the class) or the one regression
 * output in the standardized target's units (× targetScale.std + mean for the target's own).
 * `params` is one trial's parameters in the kernels' layout (a cohort slot, or best.safetensors
 * through mlpParams). Hidden layers use `shape.activation`; the output layer is linear, and
 * dropout is off, as in evaluation.
 */
export async function predictRows(ctx: GpuContext, shape: Pick<CohortShape, 'widths' | 'activation'>, params: Float32Array, x: Float32Array, options: PredictOptions = {}): Promise<Float32Array> {
  const { widths, activation } = shape;
  const layout = parameterLayout(widths);
  const F = widths[0]!;
  const O = widths.at(-1)!;
  const L = widths.length - 1;
  if (params.length !== layout.P) throw new Error(`predict: ${params.length} parameters given, the ${widths.join('-')} network has ${layout.P}`);
  if (x.length % F !== 0) throw new Error(`predict: ${x.length} input values are not whole rows of ${F} features`);
  const N = x.length / F;
  const out = new Float32Array(N * O);
  if (N === 0) return out;
  const widest = Math.max(...widths);
  const chunk = Math.max(1, Math.min(N, options.chunkRows ?? 4096, Math.floor(ctx.limits.maxStorageBufferBindingSize / (4 * widest))));
  const owner = options.owner ?? 'predict';
  const variant = options.matmul ?? preferredMatmulVariant(ctx.report);
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  try {
    const [hidden, output] = await Promise.all([createDenseForward(ctx, activation, variant), createDenseForward(ctx, 'linear', variant)]);
    const weights = ctx.memory.upload(`${owner}/weights`, params, usage);
    const input = ctx.memory.create(`${owner}/x`, chunk * F * 4, usage);
    const acts = widths.slice(1).map((w, l) => ctx.memory.create(`${owner}/act-${l}`, chunk * w * 4, usage));
    // Kernels bound for a full chunk and, where N is not a multiple, for the last one.
    const bound = new Map<number, BoundKernel[]>();
    const forwards = (rows: number) => {
      let list = bound.get(rows);
      if (!list) {
        list = Array.from({ length: L }, (_, l) =>
          (l === L - 1 ? output : hidden).bind(
            `${owner}/uniform`,
            { x: l === 0 ? input : acts[l - 1]!, params: weights, y: acts[l]! },
            { T: 1, B: rows, I: widths[l]!, O: widths[l + 1]!, P: layout.P, wBase: layout.wBase[l]!, bBase: layout.bBase[l]! },
          ),
        );
        bound.set(rows, list);
      }
      return list;
    };
    for (let first = 0; first < N; first += chunk) {
      const rows = Math.min(chunk, N - first);
      ctx.device.queue.writeBuffer(input, 0, x, first * F, rows * F);
      const encoder = ctx.device.createCommandEncoder({ label: `${owner}.forward` });
      const pass = encoder.beginComputePass({ label: `${owner}.forward` });
      for (const kernel of forwards(rows)) encodeBound(pass, kernel);
      pass.end();
      const { errors } = scoped(ctx.device, `predict rows ${first}..${first + rows - 1}`, () => ctx.device.queue.submit([encoder.finish()]));
      await errors;
      out.set(await ctx.memory.readF32(acts[L - 1]!, rows * O), first * O);
    }
    return out;
  } finally {
    ctx.memory.freePrefix(`${owner}/`);
  }
}
