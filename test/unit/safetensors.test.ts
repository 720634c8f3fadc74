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

/** A file with `header` as its JSON header and `dataBytes` bytes of data (zeros unless given). */
function withHeader(header: unknown, data: Uint8Array | number = 0): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const bytes = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + json.length + bytes.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes, 8 + json.length);
  return out;
}

describe('damaged safetensors files are refused by name, never with a raw JavaScript error', () => {
  const bias = (offsets: unknown, shape: unknown = [2]) => ({ dtype: 'F32', shape, data_offsets: offsets });
  const cases: { what: string; file: Uint8Array; message: string }[] = [
    { what: 'a null header', file: withHeader('null'), message: 'header must be a JSON object of tensors' },
    { what: 'an array header', file: withHeader([1, 2]), message: 'header must be a JSON object of tensors' },
    { what: 'a null entry', file: withHeader({ 'layers.0.bias': null }), message: 'tensor "layers.0.bias": its header entry must be an object with dtype, shape and data_offsets' },
    { what: 'a number as shape', file: withHeader({ b: bias([0, 8], 8) }, 8), message: 'tensor "b": shape must be an array of integers ≥ 0' },
    { what: 'a negative dimension', file: withHeader({ b: bias([0, 8], [-2]) }, 8), message: 'tensor "b": shape must be an array of integers ≥ 0' },
    { what: 'missing data_offsets', file: withHeader({ b: { dtype: 'F32', shape: [2] } }, 8), message: 'tensor "b": data_offsets must be [start, end], two integers ≥ 0' },
    { what: 'offsets into the header', file: withHeader({ b: bias([-16, 0], [4]) }, 16), message: 'tensor "b": data_offsets must be [start, end], two integers ≥ 0' },
    { what: 'offsets past the data', file: withHeader({ b: bias([8, 16]) }, 8), message: 'tensor "b": data_offsets [8, 16] lie outside the 8 bytes of data' },
    { what: 'reversed offsets', file: withHeader({ b: bias([8, 0]) }, 8), message: 'tensor "b": data_offsets [8, 0] lie outside the 8 bytes of data' },
    { what: 'offsets that do not match the shape', file: withHeader({ b: bias([0, 8], [3]) }, 8), message: 'tensor "b": data_offsets [0, 8] hold 8 bytes; shape [3] needs 12' },
    { what: 'overlapping tensors', file: withHeader({ a: bias([0, 8]), b: bias([4, 12]) }, 12), message: 'tensor "b": data_offsets [4, 12] overlap those of "a"' },
    { what: 'a hole in the data', file: withHeader({ a: bias([0, 8]), b: bias([12, 20]) }, 20), message: 'bytes 8 … 12 of the data belong to no tensor (before "b")' },
    { what: 'trailing bytes', file: withHeader({ a: bias([0, 8]) }, 12), message: 'bytes 8 … 12 of the data belong to no tensor' },
    { what: 'another dtype', file: withHeader({ a: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, 4), message: 'tensor "a": dtype is "F16"; fusetune reads F32 only' },
    { what: 'an unknown field', file: withHeader({ a: { ...bias([0, 8]), offset: 3 } }, 8), message: 'tensor "a": unknown field "offset"' },
    { what: 'metadata that is not strings', file: withHeader({ __metadata__: { n: 1 } }), message: '__metadata__ must be an object of strings' },
    { what: 'a header that is not UTF-8', file: withHeader('{}').map((b, i) => (i === 8 ? 0xff : b)), message: 'header is not valid JSON' },
  ];
  it.each(cases)('$what', ({ file, message }) => {
    expect(() => decodeSafetensors(file)).toThrow(SafetensorsError);
    expect(() => decodeSafetensors(file)).toThrow(message);
  });

  it('a header length past the file or past 100 MB', () => {
    const file = withHeader({}, 0);
    new DataView(file.buffer).setBigUint64(0, 2n ** 63n, true);
    expect(() => decodeSafetensors(file)).toThrow(/header length 9223372036854775808 exceeds the file \(10 bytes\)/);
  });

  it('a tensor named __proto__ is a plain name, refused by mlpParams as unexpected', () => {
    const file = encodeSafetensors({ ...mlpTensors(initialParameters([2, 2], 1), [2, 2]), ['__proto__']: { shape: [1], data: Float32Array.of(1) } });
    const { tensors } = decodeSafetensors(file);
    expect(Object.keys(tensors)).toContain('__proto__');
    expect(() => mlpParams(tensors, [2, 2])).toThrow('unexpected tensors __proto__');
  });

  it('weights that are not finite', () => {
    const tensors = mlpTensors(initialParameters([2, 2], 1), [2, 2]);
    tensors['layers.0.weight']!.data[3] = NaN;
    expect(() => mlpParams(decodeSafetensors(encodeSafetensors(tensors)).tensors, [2, 2])).toThrow('tensor layers.0.weight holds NaN at index 3: weights must be finite');
  });
});
