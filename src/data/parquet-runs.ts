// A page's run headers (RLE / bit-packed hybrid: definition levels, dictionary indices) and delta streams, walked before hyparquet decodes it.
import type { DataPageHeader } from 'hyparquet';
import { deltaBinaryUnpack } from 'hyparquet/src/delta.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';

/** A page may not claim more than this once decompressed, nor its strings decode to more (a corrupt header would otherwise allocate it). */
export const MAX_PAGE_BYTES = 1 << 30;

/** The fields of a version 2 page header the levels' and values' bounds need. */
interface LevelsV2 {
  repetition_levels_byte_length: number;
  definition_levels_byte_length: number;
  num_values: number;
  num_nulls: number;
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
    if (offset >= end && mayEndEarly) return null;
    const run = varint(bytes, offset, end, 5);
    if (!run) return `the level or index runs end after ${seen} of ${values} values`;
    const header = run.value;
    offset = run.next;
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

/** A varint's value and where it ends, or null when it runs past `end` or past `maxBytes`. */
function varint(bytes: Uint8Array, offset: number, end: number, maxBytes: number): { value: number; next: number } | null {
  let value = 0;
  for (let shift = 0; offset < end && shift < 7 * maxBytes; shift += 7) {
    const byte = bytes[offset++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: offset };
  }
  return null;
}

/**
 * Where a DELTA_BINARY_PACKED stream of `values` values (bit widths up to `maxWidth`) from `at` ends as
 * hyparquet reads it, or why it does not fit before `end`. NOTE: hyparquet 1.33's deltaBinaryUnpack
 * trusts it: it reads a 5-byte varint as a negative int32 (a block of −1 miniblocks rereads one byte
 * forever), and an INT64 varint of 80,000 bytes took it a second (a BigInt grown byte by byte).
 */
export function deltaPackedEnd(bytes: Uint8Array, at: number, end: number, values: number, maxWidth: number): number | string {
  const header: number[] = [];
  let offset = at;
  for (let i = 0; i < 4; i++) {
    const field = varint(bytes, offset, end, 10);
    if (!field) return 'a delta header runs past the page';
    header.push(field.value);
    offset = field.next;
  }
  const [blockSize, miniblocks, total] = header as [number, number, number];
  if (!(blockSize > 0 && blockSize < 2 ** 31 && blockSize % 128 === 0 && miniblocks > 0 && blockSize % (miniblocks * 32) === 0)) return `a delta block of ${blockSize} values in ${miniblocks} miniblocks`;
  if (total !== values) return `a delta header counts ${total} values where the page holds ${values}`;
  const perMiniblock = blockSize / miniblocks;
  for (let left = values - 1; left > 0; ) {
    const pastEnd = `the delta blocks run past the page after ${values - left} of ${values} values`;
    const minDelta = varint(bytes, offset, end, 10);
    if (!minDelta || minDelta.next + miniblocks > end) return pastEnd;
    offset = minDelta.next + miniblocks;
    for (let i = 0; i < miniblocks && left > 0; i++, left -= perMiniblock) {
      const width = bytes[minDelta.next + i]!;
      if (width > maxWidth) return `a delta miniblock of ${width}-bit values (at most ${maxWidth})`;
      offset += (perMiniblock * width) / 8;
    }
    if (offset > end) return pastEnd;
  }
  return offset;
}

/**
 * Why `values` delta-encoded values from `at` would take hyparquet past the page, or null. Byte arrays
 * are lengths (DELTA_BYTE_ARRAY: the prefix each shares with the one before, then the rest's), then
 * bytes: hyparquet 1.33 allocates each prefix as claimed (10^8 bytes: 1.8 GB in 13 s for 20 values)
 * and takes lengths past the page from the rest of the file.
 */
function deltaProblem(page: Uint8Array, at: number, encoding: string, type: string, values: number): string | null {
  if (encoding === 'DELTA_BINARY_PACKED') {
    const end = deltaPackedEnd(page, at, page.length, values, type === 'INT32' ? 32 : 64);
    return typeof end === 'string' ? end : null;
  }
  const streams = encoding === 'DELTA_BYTE_ARRAY' ? 2 : 1;
  let offset = at;
  for (let s = 0; s < streams; s++) {
    const end = deltaPackedEnd(page, offset, page.length, values, 32);
    if (typeof end === 'string') return end;
    offset = end;
  }
  const reader = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: at };
  const prefixes = new Int32Array(values);
  if (streams === 2) deltaBinaryUnpack(reader, values, prefixes);
  const suffixes = new Int32Array(values);
  deltaBinaryUnpack(reader, values, suffixes);
  let stored = 0;
  let decoded = 0;
  let previous = 0;
  for (let i = 0; i < values; i++) {
    const prefix = prefixes[i]!;
    const suffix = suffixes[i]!;
    if (prefix < 0 || suffix < 0 || prefix > previous) return `a delta string of ${prefix} bytes shared with a ${previous}-byte one and ${suffix} of its own`;
    stored += suffix;
    previous = prefix + suffix;
    decoded += previous;
  }
  if (stored > page.length - offset) return `delta strings of ${stored} bytes where the page holds ${page.length - offset}`;
  if (decoded > MAX_PAGE_BYTES) return `delta strings that decode to ${decoded} bytes, past ${MAX_PAGE_BYTES}`;
  return null;
}

const DELTA_ENCODINGS = new Set(['DELTA_BINARY_PACKED', 'DELTA_LENGTH_BYTE_ARRAY', 'DELTA_BYTE_ARRAY']);

/**
 * A version 1 data page, decompressed: [definition levels: int32 length, runs][values]. hyparquet reads RLE
 * values of a BOOLEAN column as booleans, of any other as indices; delta values count the present cells.
 */
export function pageV1Problem(page: Uint8Array, header: DataPageHeader, maxDefinition: number, type: string): string | null {
  let at = 0;
  let present = header.num_values;
  if (maxDefinition > 0) {
    if (page.length < 4) return 'the page is too short for its definition levels';
    const length = new DataView(page.buffer, page.byteOffset, page.byteLength).getUint32(0, true);
    if (4 + length > page.length) return `definition levels of ${length} bytes in a ${page.length}-byte page`;
    const width = 32 - Math.clz32(maxDefinition);
    const problem = runsProblem(page, 4, 4 + length, width, header.num_values);
    if (problem) return problem;
    at = 4 + length;
    if (DELTA_ENCODINGS.has(header.encoding)) {
      const levels = new Uint8Array(header.num_values);
      readRleBitPackedHybrid({ view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 4 }, width, levels, length);
      present = levels.reduce((n, level) => n + (level === maxDefinition ? 1 : 0), 0);
    }
  }
  if (DELTA_ENCODINGS.has(header.encoding)) return deltaProblem(page, at, header.encoding, type, present);
  return RUN_ENCODINGS.has(header.encoding) ? valuesProblem(page, at, type === 'BOOLEAN', header.num_values) : null;
}

/**
 * A version 2 data page, as stored: [repetition levels][definition levels, runs of known length][values,
 * compressed unless is_compressed is false]. hyparquet reads RLE values as booleans whatever the type,
 * and the values after the definition levels only where the column has them.
 * `decompress` gives the values' bytes; it runs only for run- and delta-encoded values.
 */
export function pageV2Problem(page: Uint8Array, header: LevelsV2, maxDefinition: number, type: string, decompress: (values: Uint8Array) => Uint8Array): string | null {
  const start = header.repetition_levels_byte_length;
  const length = header.definition_levels_byte_length;
  if (!(start >= 0 && length >= 0 && start + length <= page.length)) return `levels of ${start} + ${length} bytes in a ${page.length}-byte page`;
  if (!(header.num_nulls >= 0 && header.num_nulls <= header.num_values)) return `${header.num_nulls} nulls in a page of ${header.num_values} values`;
  const levels = maxDefinition === 0 ? null : runsProblem(page, start, start + length, 32 - Math.clz32(maxDefinition), header.num_values);
  if (levels) return levels;
  const values = () => decompress(page.subarray(start + (maxDefinition === 0 ? 0 : length)));
  if (DELTA_ENCODINGS.has(header.encoding)) return deltaProblem(values(), 0, header.encoding, type, header.num_values - header.num_nulls);
  return RUN_ENCODINGS.has(header.encoding) ? valuesProblem(values(), 0, header.encoding === 'RLE', header.num_values) : null;
}
