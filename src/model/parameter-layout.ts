// Where each layer's weights and biases sit inside one trial's parameters: shared by kernels, engine, store and references.

/**
 * Offsets of every layer's W and b inside one trial's parameters: all weights first, then all
 * biases, then zeros up to a multiple of 4 floats (the optimizer updates vec4s).
 */
export function parameterLayout(widths: readonly number[]): { wBase: number[]; bBase: number[]; P: number; nWeights: number } {
  const wBase: number[] = [];
  const bBase: number[] = [];
  let offset = 0;
  for (let l = 0; l + 1 < widths.length; l++) {
    wBase.push(offset);
    offset += widths[l]! * widths[l + 1]!;
  }
  const nWeights = offset;
  for (let l = 0; l + 1 < widths.length; l++) {
    bBase.push(offset);
    offset += widths[l + 1]!;
  }
  return { wBase, bBase, P: Math.ceil(offset / 4) * 4, nWeights };
}

/** One dense layer of T trials: the shape key, and where W and b sit in each trial's P floats. */
export interface DenseShape {
  T: number;
  /** Rows (batch). */
  B: number;
  /** Inputs. */
  I: number;
  /** Outputs. */
  O: number;
  /** Floats per trial in the params buffer. */
  P: number;
  /** Offsets (in floats) of W [I][O] and b [O] inside one trial's parameters. */
  wBase: number;
  bBase: number;
}
