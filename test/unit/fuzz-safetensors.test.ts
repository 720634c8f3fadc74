// Fuzz: damaged .safetensors files are either refused with a SafetensorsError (naming the tensor where one is at fault), or load as finite weights of the right shape.
import { describe, expect, it } from 'vitest';
import { initialParameters } from '../../src/engine/init.ts';
import { parameterLayout } from '../../src/model/parameter-layout.ts';
import { decodeSafetensors, encodeSafetensors, mlpParams, mlpTensors, SafetensorsError } from '../../src/store/safetensors.ts';
import { clone, describeTally, Fuzz, FUZZ_SEED, fuzzCount, newTally, setAt, type Json } from '../helpers/fuzz.ts';

/** The file's header and data, for editing. */
function split(bytes: Uint8Array): { header: Record<string, Json>; data: Uint8Array } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))), data: bytes.slice(8 + length) };
}

function join(headerText: string, data: Uint8Array, declaredLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function mutateHeader(f: Fuzz, header: Record<string, Json>, names: string[]): void {
  const name = f.pick(names);
  const paths = f.paths(header);
  const isEntry = (x: Json | undefined): x is Record<string, Json> => typeof x === 'object' && x !== null && !Array.isArray(x);
  const entry = header[name];
  if (!isEntry(entry)) {
    header[name] = f.nastyValue();
    return;
  }
  switch (f.int(9)) {
    case 0:
      return setAt(header, f.pick(paths)[0], f.nastyValue());
    case 1:
      return setAt(header, f.pick(paths)[0], undefined);
    case 2:
      header[name] = clone(f.pick<Json>([null, 8, 'F32', [], {}, { dtype: 'F32' }, { dtype: 'F32', shape: 8, data_offsets: entry.data_offsets ?? null }]));
      return;
    case 3: {
      const [start, end] = Array.isArray(entry.data_offsets) ? (entry.data_offsets as number[]) : [0, 4];
      entry.data_offsets = clone(f.pick<Json>([[-16, 0], [start! - 8, end! - 8], [end!, start!], [start!, end! + 4], [0, 2 ** 53], [start! + 0.5, end!], [String(start), end!], [start!], [start!, end!, 0], null]));
      return;
    }
    case 4: {
      // Overlap another tensor, or take the same bytes twice.
      const other = header[f.pick(names)];
      if (!isEntry(other)) return;
      entry.data_offsets = clone(other.data_offsets ?? null);
      if (f.chance(0.5)) entry.shape = clone(other.shape ?? null);
      return;
    }
    case 5:
      entry.shape = clone(f.pick<Json>([[], [0], [-1, 4], [1e15, 1e15], [2.5], ['4'], [2 ** 31, 2 ** 31], null]));
      return;
    case 6:
      entry.dtype = f.pick<Json>(['F16', 'BF16', 'F64', 'I32', 'f32', null, 32]);
      return;
    case 7: {
      // An extra tensor, named oddly.
      const extra = f.pick(['__proto__', 'constructor', 'layers.9.weight', '', 'layers.0.weight ', '\u001b[2J']);
      setAt(header, [extra], clone(f.pick<Json>([{ dtype: 'F32', shape: [1], data_offsets: [0, 4] }, null, { polluted: true }])));
      return;
    }
    default:
      header.__metadata__ = clone(f.pick<Json>([null, [], { a: 1 }, { a: 'b' }, 'meta', { widths: '2,3' }]));
  }
}

describe('safetensors fuzz', () => {
  it('refuses every damaged file with a named SafetensorsError, and every accepted one gives finite weights of the right shape', () => {
    const count = fuzzCount(2000);
    const tally = newTally();
    for (let c = 0; c < count; c++) {
      const f = new Fuzz(FUZZ_SEED * 15485863 + c);
      const widths = Array.from({ length: 2 + f.int(3) }, () => 1 + f.int(6));
      const file = encodeSafetensors(mlpTensors(initialParameters(widths, c), widths), { widths: widths.join(',') });
      let bytes = file;
      const kind = f.int(11);
      if (kind === 10) {
        // Left whole: the control that accepted files load.
      } else if (kind < 6) {
        const { header, data } = split(file);
        const names = Object.keys(header).filter((name) => name !== '__metadata__');
        for (let e = 0, edits = 1 + f.int(3); e < edits; e++) mutateHeader(f, header, names);
        let text = JSON.stringify(header);
        if (f.chance(0.05)) text = f.pick(['null', '[]', '8', '"x"', '', '{', text.slice(0, -1), `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`]);
        bytes = join(text, data, f.chance(0.05) ? f.pick([0n, 1n, 2n ** 64n - 1n, 2n ** 53n, BigInt(text.length + 1)]) : undefined);
      } else if (kind < 8) {
        bytes = file.slice();
        for (let e = 0, flips = 1 + f.int(8); e < flips; e++) bytes[f.int(bytes.length)] = f.int(256);
      } else if (kind < 9) {
        bytes = file.slice(0, f.int(file.length + 1));
      } else if (kind === 9) {
        bytes = new Uint8Array([...file, ...Array.from({ length: 1 + f.int(16) }, () => f.int(256))]);
      }
      // Sometimes the network the weights are loaded into has other widths.
      const loadWidths = f.chance(0.1) ? widths.map((w, i) => (i === 1 ? w + 1 : w)) : widths;
      tally.tried++;
      try {
        const params = mlpParams(decodeSafetensors(bytes).tensors, loadWidths);
        if (params.length !== parameterLayout(loadWidths).P || !params.every(Number.isFinite)) tally.crashes.push(`case ${c} (accepted): weights not usable`);
        else tally.accepted++;
      } catch (error) {
        if (!(error instanceof SafetensorsError)) tally.crashes.push(`case ${c}: ${error instanceof Error ? `${error.name}: ${error.message.slice(0, 300)}` : String(error)}`);
        else if (/tensors? ["\w]/.test(error.message)) tally.refusedNamed++;
        else tally.refusedWhole++;
      }
    }
    console.log(describeTally('safetensors', tally, FUZZ_SEED));
    expect(tally.crashes.slice(0, 5)).toEqual([]);
    expect(tally.accepted).toBeGreaterThan(count / 50);
    expect(tally.refusedNamed).toBeGreaterThan(count / 4);
  });
});
