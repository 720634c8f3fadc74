// .safetensors: byte format, the nn.Linear layout round trip, clear errors, and training resumed from a file.
import { describe, expect, it } from 'vitest';
import { initialParameters } from '../../src/engine/init.ts';
import { decodeSafetensors, encodeSafetensors, mlpParams, mlpTensors, SafetensorsError } from '../../src/store/safetensors.ts';

describe('safetensors', () => {
  it('writes the documented format: u64 header length, JSON header, 8-byte aligned F32 data', () => {
    const bytes = encodeSafetensors({ a: { shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) } }, { note: 'x' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(header).toEqual({ __metadata__: { note: 'x' }, a: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] } });
    expect(Array.from(new Float32Array(bytes.slice(8 + headerLength).buffer))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('round-trips an MLP in torch nn.Linear layout (weight [out, in])', () => {
    const widths = [5, 4, 3];
    const params = initialParameters(widths, 42);
    const tensors = mlpTensors(params, widths);
    expect(Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, t.shape]))).toEqual({
      'layers.0.weight': [4, 5],
      'layers.0.bias': [4],
      'layers.1.weight': [3, 4],
      'layers.1.bias': [3],
    });
    // Kernel layout W [in][out]: element (i=2, o=1) of layer 0 is weight[1][2] in torch's layout.
    expect(tensors['layers.0.weight']!.data[1 * 5 + 2]).toBe(params[2 * 4 + 1]);
    const back = mlpParams(decodeSafetensors(encodeSafetensors(tensors)).tensors, widths);
    expect(Array.from(back)).toEqual(Array.from(params));
  });

  it('says what is wrong with a mismatching or broken file', () => {
    const file = encodeSafetensors(mlpTensors(initialParameters([5, 4, 3], 1), [5, 4, 3]));
    expect(() => mlpParams(decodeSafetensors(file).tensors, [5, 8, 3])).toThrow(/layers\.0\.weight has shape \[4,5\], expected \[8,5\]/);
    expect(() => mlpParams(decodeSafetensors(file).tensors, [5, 4, 3, 2])).toThrow(/missing tensor layers\.2\.weight/);
    expect(() => mlpParams(decodeSafetensors(file).tensors, [5, 3])).toThrow(SafetensorsError);
    expect(() => decodeSafetensors(file.subarray(0, 20))).toThrow(/header length/);
    expect(() => decodeSafetensors(new Uint8Array(4))).toThrow(/too short/);
  });
});
