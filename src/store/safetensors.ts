// .safetensors read and write (float32 only), and the PyTorch nn.Linear layout of an MLP's weights.
import { parameterLayout } from '../model/parameter-layout.ts';

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/** A malformed or mismatching .safetensors file, with what is wrong. */
export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

/** Serializes tensors (F32) with string metadata: u64 header length, JSON header, then the data. */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
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

export function decodeSafetensors(bytes: Uint8Array): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new SafetensorsError(`file too short (${bytes.length} bytes) for a safetensors header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) throw new SafetensorsError(`header length ${headerLength} exceeds the file (${bytes.length} bytes)`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw new SafetensorsError(`header is not valid JSON: ${error instanceof Error ? error.message : error}`);
  }
  const dataStart = 8 + headerLength;
  const tensors: Record<string, Tensor> = {};
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (dtype !== 'F32') throw new SafetensorsError(`tensor ${name} is ${dtype}; fusetune reads F32 only`);
    const [start, end] = offsets;
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - start !== count * 4 || dataStart + end > bytes.length) {
      throw new SafetensorsError(`tensor ${name}: offsets [${start}, ${end}] do not match shape [${shape}] or the file size`);
    }
    // Copy: the data may not be 4-byte aligned inside `bytes`.
    const data = new Float32Array(count);
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart + start, dataStart + end));
    tensors[name] = { shape, data };
  }
  return { tensors, metadata };
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
      const tensor = tensors[name];
      if (!tensor) throw new SafetensorsError(`missing tensor ${name} (shape [${shape}]) for layer widths ${widths.join('-')}`);
      if (tensor.shape.join(',') !== shape.join(',')) throw new SafetensorsError(`tensor ${name} has shape [${tensor.shape}], expected [${shape}] for layer widths ${widths.join('-')}`);
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
