// .safetensors read and write (float32 only), and the PyTorch nn.Linear layout of an MLP's weights.
import { parameterLayout } from '../model/parameter-layout.ts';
import { InputError } from '../util/input-error.ts';

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/** A malformed or mismatching .safetensors file, with what is wrong and, where it is one tensor, its name. */
export class SafetensorsError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

/** NOTE: the format's own limit on the JSON header (huggingface/safetensors refuses larger ones too). */
const MAX_HEADER_BYTES = 100_000_000;

/** Serializes tensors (F32) with string metadata: u64 header length, JSON header, then the data. */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  // NOTE: no prototype, so a tensor named "__proto__" is written like any other name.
  const header: Record<string, unknown> = Object.create(null);
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    if (count !== tensor.data.length) throw new SafetensorsError(`tensor ${name}: shape [${tensor.shape}] holds ${count} values, data has ${tensor.data.length}`);
    header[name] = { dtype: 'F32', shape: tensor.shape, data_offsets: [offset, offset + tensor.data.byteLength] };
    offset += tensor.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned.
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const tensor of Object.values(tensors)) {
    out.set(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength), at);
    at += tensor.data.byteLength;
  }
  return out;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/** One header entry checked against the data's size: a tensor's shape and byte range, or the problem with it. */
function tensorEntry(name: string, entry: unknown, dataBytes: number): { shape: number[]; start: number; end: number } {
  const fail = (problem: string) => new SafetensorsError(`tensor ${JSON.stringify(name)}: ${problem}`);
  if (!isObject(entry)) throw fail('its header entry must be an object with dtype, shape and data_offsets');
  const { dtype, shape, data_offsets: offsets } = entry;
  const unknown = Object.keys(entry).filter((key) => key !== 'dtype' && key !== 'shape' && key !== 'data_offsets');
  if (unknown.length > 0) throw fail(`unknown field ${unknown.map((key) => JSON.stringify(key)).join(', ')}`);
  if (dtype !== 'F32') throw fail(`dtype is ${JSON.stringify(dtype)}; fusetune reads F32 only`);
  if (!Array.isArray(shape) || !shape.every(isCount)) throw fail('shape must be an array of integers ≥ 0');
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) throw fail('data_offsets must be [start, end], two integers ≥ 0');
  const [start, end] = offsets as [number, number];
  if (start > end || end > dataBytes) throw fail(`data_offsets [${start}, ${end}] lie outside the ${dataBytes} bytes of data`);
  let count = 1;
  for (const size of shape) count *= size;
  if (end - start !== count * 4) throw fail(`data_offsets [${start}, ${end}] hold ${end - start} bytes; shape [${shape.join(', ')}] needs ${count * 4}`);
  return { shape, start, end };
}

/**
 * Reads a .safetensors file, checking every header entry: F32, integer shape, a byte range inside the
 * data, and, as the format requires, ranges that neither overlap nor leave holes. Throws a
 * SafetensorsError naming the tensor.
 */
export function decodeSafetensors(bytes: Uint8Array, options: { expect?: readonly string[] } = {}): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new SafetensorsError(`file too short (${bytes.length} bytes) for a safetensors header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(Math.min(bytes.length - 8, MAX_HEADER_BYTES))) {
    throw new SafetensorsError(`header length ${headerLength} exceeds the file (${bytes.length} bytes) or the format's ${MAX_HEADER_BYTES}-byte limit`);
  }
  const dataStart = 8 + Number(headerLength);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (error) {
    throw new SafetensorsError(`header is not valid JSON: ${error instanceof Error ? error.message : error}`);
  }
  if (!isObject(header)) throw new SafetensorsError('header must be a JSON object of tensors');
  const dataBytes = bytes.length - dataStart;
  // NOTE: no prototype, so a tensor named "__proto__" or "constructor" is a plain (unexpected) name.
  const tensors: Record<string, Tensor> = Object.create(null);
  let metadata: Record<string, string> = {};
  const ranges: { name: string; start: number; end: number }[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isObject(entry) || !Object.values(entry).every((value) => typeof value === 'string')) {
        throw new SafetensorsError('__metadata__ must be an object of strings');
      }
      metadata = entry as Record<string, string>;
      continue;
    }
    const { shape, start, end } = tensorEntry(name, entry, dataBytes);
    ranges.push({ name, start, end });
    // Copy: the data may not be 4-byte aligned inside `bytes`.
    const data = new Float32Array((end - start) / 4);
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart + start, dataStart + end));
    tensors[name] = { shape, data };
  }
  ranges.sort((a, b) => a.start - b.start || a.end - b.end);
  // Bytes no entry claims are most often a tensor whose entry was removed: name the tensors missing.
  const missing = (options.expect ?? []).filter((name) => !Object.hasOwn(tensors, name));
  const hole = (text: string) => new SafetensorsError(missing.length > 0 ? `missing tensor ${missing.map((name) => JSON.stringify(name)).join(', ')}: ${text}` : text);
  let covered = 0;
  for (const range of ranges) {
    if (range.start < covered) {
      const other = ranges.find((r) => r !== range && r.start < range.end && range.start < r.end)!;
      throw new SafetensorsError(`tensor ${JSON.stringify(range.name)}: data_offsets [${range.start}, ${range.end}] overlap those of ${JSON.stringify(other.name)}`);
    }
    if (range.start > covered) throw hole(`bytes ${covered} … ${range.start} of the data belong to no tensor (before ${JSON.stringify(range.name)})`);
    covered = range.end;
  }
  if (covered !== dataBytes) throw hole(`bytes ${covered} … ${dataBytes} of the data belong to no tensor`);
  return { tensors, metadata };
}

/** The tensor names of an MLP with `layers` weight layers (hidden layers + 1), as mlpTensors writes them. */
export function mlpTensorNames(layers: number): string[] {
  return Array.from({ length: layers }, (_, l) => [`layers.${l}.weight`, `layers.${l}.bias`]).flat();
}

/** One trial's parameters (kernel layout: W [in][out]) as nn.Linear tensors: layers.{i}.weight [out, in], layers.{i}.bias [out]. */
export function mlpTensors(params: Float32Array, widths: readonly number[]): Record<string, Tensor> {
  const { wBase, bBase } = parameterLayout(widths);
  const tensors: Record<string, Tensor> = {};
  for (let l = 0; l + 1 < widths.length; l++) {
    const I = widths[l]!;
    const O = widths[l + 1]!;
    const weight = new Float32Array(O * I);
    for (let i = 0; i < I; i++) for (let o = 0; o < O; o++) weight[o * I + i] = params[wBase[l]! + i * O + o]!;
    tensors[`layers.${l}.weight`] = { shape: [O, I], data: weight };
    tensors[`layers.${l}.bias`] = { shape: [O], data: params.slice(bBase[l]!, bBase[l]! + O) };
  }
  return tensors;
}

/** The inverse of mlpTensors; every tensor must exist with the shape `widths` implies. */
export function mlpParams(tensors: Record<string, Tensor>, widths: readonly number[]): Float32Array {
  const { wBase, bBase, P } = parameterLayout(widths);
  const params = new Float32Array(P);
  const expectedNames = new Set<string>();
  for (let l = 0; l + 1 < widths.length; l++) {
    const I = widths[l]!;
    const O = widths[l + 1]!;
    const get = (name: string, shape: number[]) => {
      expectedNames.add(name);
      const tensor = Object.hasOwn(tensors, name) ? tensors[name] : undefined;
      if (!tensor) throw new SafetensorsError(`missing tensor ${name} (shape [${shape}]) for layer widths ${widths.join('-')}`);
      if (tensor.shape.join(',') !== shape.join(',')) throw new SafetensorsError(`tensor ${name} has shape [${tensor.shape}], expected [${shape}] for layer widths ${widths.join('-')}`);
      const bad = tensor.data.findIndex((x) => !Number.isFinite(x));
      if (bad >= 0) throw new SafetensorsError(`tensor ${name} holds ${tensor.data[bad]} at index ${bad}: weights must be finite`);
      return tensor.data;
    };
    const weight = get(`layers.${l}.weight`, [O, I]);
    for (let i = 0; i < I; i++) for (let o = 0; o < O; o++) params[wBase[l]! + i * O + o] = weight[o * I + i]!;
    params.set(get(`layers.${l}.bias`, [O]), bBase[l]!);
  }
  const extra = Object.keys(tensors).filter((name) => !expectedNames.has(name));
  if (extra.length > 0) throw new SafetensorsError(`unexpected tensors ${extra.join(', ')}: the file has more layers than widths ${widths.join('-')}`);
  return params;
}
