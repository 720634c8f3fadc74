// The run headers of Parquet's RLE / bit-packed hybrid encoding (definition levels, dictionary indices), walked before hyparquet decodes a page.
import type { DataPageHeader } from 'hyparquet';

/** The fields of a version 2 page header the levels' bounds need. */
interface LevelsV2 {
  repetition_levels_byte_length: number;
  definition_levels_byte_length: number;
  num_values: number;
  encoding: string;
}

/**
 * Why the runs in bytes [at, end) cannot hold `values` values of `width` bits, or null when they can.
 * Values (not levels) are at most `values` (`mayEndEarly`): a page's nulls have none, and the levels say how many.
 * NOTE: hyparquet 1.33's readRleBitPackedHybrid trusts each run's count: a corrupt RLE run of 2^30
 * values writes that far past its output array, and a bit-packed run of width 0 spins through its
 * count without reading a byte (the fuzz suite found both: minutes, then an exhausted heap). A run
 * must fit in the values still expected (a bit-packed run may pad to a multiple of 8) and its bytes.
 */
export function runsProblem(bytes: Uint8Array, at: number, end: number, width: number, values: number, mayEndEarly = false): string | null {
  let seen = 0;
  let offset = at;
  while (seen < values) {
    let header = 0;
    for (let shift = 0; ; shift += 7) {
      if (offset >= end && shift === 0 && mayEndEarly) return null;
      if (offset >= end || shift > 28) return `the level or index runs end after ${seen} of ${values} values`;
      const byte = bytes[offset++]!;
      header += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
    }
    const bitPacked = header % 2 === 1;
    const count = bitPacked ? Math.floor(header / 2) * 8 : Math.floor(header / 2);
    if (count > values - seen + (bitPacked ? 7 : 0)) return `a run of ${count} values where ${values - seen} remain`;
    offset += bitPacked ? Math.ceil((count * width) / 8) : (width + 7) >> 3;
    if (offset > end) return `a run of ${count} values runs past its ${end - at} bytes`;
    seen += count;
  }
  return null;
}

/** Encodings whose values are runs: dictionary indices (a bit width, then runs), or booleans (an int32 length, then runs of 1 bit). */
const RUN_ENCODINGS = new Set(['PLAIN_DICTIONARY', 'RLE_DICTIONARY', 'RLE']);

function valuesProblem(page: Uint8Array, at: number, booleans: boolean, values: number): string | null {
  if (at >= page.length) return null;
  if (booleans) {
    if (at + 4 > page.length) return 'the page is too short for its boolean runs';
    const length = new DataView(page.buffer, page.byteOffset, page.byteLength).getUint32(at, true);
    if (at + 4 + length > page.length) return `boolean runs of ${length} bytes in a ${page.length}-byte page`;
    return runsProblem(page, at + 4, at + 4 + length, 1, values, true);
  }
  const width = page[at]!;
  if (width > 32) return `dictionary indices of ${width} bits`;
  return width === 0 ? null : runsProblem(page, at + 1, page.length, width, values, true);
}

/** A version 1 data page, decompressed: [definition levels: int32 length, runs][values]. hyparquet reads RLE values of a BOOLEAN column as booleans, of any other as indices. */
export function pageV1Problem(page: Uint8Array, header: DataPageHeader, maxDefinition: number, boolean: boolean): string | null {
  let at = 0;
  if (maxDefinition > 0) {
    if (page.length < 4) return 'the page is too short for its definition levels';
    const length = new DataView(page.buffer, page.byteOffset, page.byteLength).getUint32(0, true);
    if (4 + length > page.length) return `definition levels of ${length} bytes in a ${page.length}-byte page`;
    const problem = runsProblem(page, 4, 4 + length, 32 - Math.clz32(maxDefinition), header.num_values);
    if (problem) return problem;
    at = 4 + length;
  }
  return RUN_ENCODINGS.has(header.encoding) ? valuesProblem(page, at, boolean, header.num_values) : null;
}

/**
 * A version 2 data page, as stored: [repetition levels][definition levels, runs of known length][values,
 * compressed unless is_compressed is false]. hyparquet reads RLE values as booleans whatever the type.
 * `decompress` gives the values' bytes; it runs only for run-encoded values.
 */
export function pageV2Problem(page: Uint8Array, header: LevelsV2, maxDefinition: number, decompress: (values: Uint8Array) => Uint8Array): string | null {
  const start = header.repetition_levels_byte_length;
  const length = header.definition_levels_byte_length;
  if (!(start >= 0 && length >= 0 && start + length <= page.length)) return `levels of ${start} + ${length} bytes in a ${page.length}-byte page`;
  const levels = maxDefinition === 0 ? null : runsProblem(page, start, start + length, 32 - Math.clz32(maxDefinition), header.num_values);
  if (levels || !RUN_ENCODINGS.has(header.encoding)) return levels;
  return valuesProblem(decompress(page.subarray(start + length)), 0, header.encoding === 'RLE', header.num_values);
}
