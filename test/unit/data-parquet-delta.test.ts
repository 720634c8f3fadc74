// Parquet's delta encodings (DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY): files written
// with each read as hyparquet reads them, and corrupt delta streams refused by name before hyparquet decodes
// them (hyparquet 1.33 would loop forever, allocate gigabytes, or read past the page into the rest of the file).
import { parquetReadObjects, type DataPageHeader } from 'hyparquet';
import { parquetWriteBuffer, type ColumnSource } from 'hyparquet-writer';
import { ByteWriter } from 'hyparquet-writer/src/bytewriter.js';
import { deltaBinaryPack } from 'hyparquet-writer/src/delta.js';
import { describe, expect, it } from 'vitest';
import { deltaPackedEnd, pageV1Problem, pageV2Problem } from '../../src/data/parquet-runs.ts';
import { readTable } from '../../src/data/read-table.ts';
import type { RawColumn } from '../../src/data/table.ts';
import { dataErrorOf } from '../helpers/tables.ts';

const N = 300;
const ints = Array.from({ length: N }, (_, i) => i * 3);
const words = Array.from({ length: N }, (_, i) => `item-${i}`);

/** Uncompressed column y of N cells in one version 2 page (hyparquet-writer writes no others), and any `after` it in the file. */
function deltaFile(column: Omit<ColumnSource, 'name'>, after: ColumnSource[] = []): Uint8Array {
  return new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'y', ...column }, ...after], codec: 'UNCOMPRESSED', statistics: false }));
}

/** The offset of the only occurrence of `pattern` in `bytes`. */
function find(bytes: Uint8Array, pattern: number[]): number {
  const hits: number[] = [];
  for (let i = 0; i + pattern.length <= bytes.length; i++) if (pattern.every((b, j) => bytes[i + j] === b)) hits.push(i);
  if (hits.length !== 1) throw new Error(`pattern found ${hits.length} times`);
  return hits[0]!;
}

/** `bytes` with `patch` written at `at` (same length: page sizes stay right). */
function patched(bytes: Uint8Array, at: number, patch: number[]): Uint8Array {
  const copy = bytes.slice();
  copy.set(patch, at);
  return copy;
}

function cells(column: RawColumn): (number | string | null)[] {
  return column.type === 'number' ? Array.from(column.values, (v) => (Number.isNaN(v) ? null : v)) : Array.from(column.codes, (c) => (c < 0 ? null : column.levels[c]!));
}

const read = (bytes: Uint8Array) => readTable(bytes, { name: 'd.parquet', format: 'parquet' });

/** A DELTA_BINARY_PACKED stream of `values` (hyparquet-writer's: blocks of 128 values, 4 miniblocks). */
function packed(...streams: number[][]): number[] {
  const writer = new ByteWriter();
  for (const values of streams) deltaBinaryPack(writer, values, 'INT32');
  return Array.from(writer.getBytes());
}

const varint = (n: number) => {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
  return [...out, n];
};

const v2 = (encoding: string, values: number, nulls = 0) => ({ repetition_levels_byte_length: 0, definition_levels_byte_length: 0, num_values: values, num_nulls: nulls, encoding });

describe('Parquet delta encodings', () => {
  it('reads each encoding as hyparquet does, over row groups and pages, nulls as missing (pages of nulls only too)', async () => {
    const withNulls = <T>(values: T[]) => values.map((v, i) => (i % 7 === 3 ? null : v));
    const bytes = new Uint8Array(
      parquetWriteBuffer({
        columnData: [
          { name: 'i32', data: Int32Array.from(ints, (v, i) => (i % 2 ? -v : v)), type: 'INT32', encoding: 'DELTA_BINARY_PACKED' },
          { name: 'i64', data: withNulls(ints.map((v) => BigInt(v) * 10_000_000_000n)), type: 'INT64', encoding: 'DELTA_BINARY_PACKED' },
          { name: 'lengths', data: withNulls(words), type: 'STRING', encoding: 'DELTA_LENGTH_BYTE_ARRAY' },
          { name: 'prefixes', data: withNulls(words.map((w) => `a-shared-prefix/${w}`)), type: 'STRING', encoding: 'DELTA_BYTE_ARRAY' },
          // Row groups of nulls only: delta streams of no values.
          { name: 'sparse', data: ints.map((v, i) => (i === N - 1 ? v : null)), type: 'INT32', encoding: 'DELTA_BINARY_PACKED' },
        ],
        pageSize: 500,
        rowGroupSize: 100,
      }),
    );
    const table = await read(bytes);
    const rows = await parquetReadObjects({ file: bytes.buffer as ArrayBuffer });
    for (const column of table.columns) {
      const want = rows.map((row) => (typeof row[column.name] === 'bigint' ? Number(row[column.name]) : (row[column.name] ?? null)));
      expect(cells(column), column.name).toEqual(want);
    }
    expect(cells(table.columns[2]!)[3]).toBeNull();
    expect(cells(table.columns[3]!)[4]).toBe('a-shared-prefix/item-4');
    expect(cells(table.columns[4]!).filter((v) => v !== null)).toEqual([ints[N - 1]]);
  });

  it('refuses a block of −1 miniblocks, on which hyparquet rereads one byte forever', async () => {
    const bytes = deltaFile({ data: Int32Array.from(ints), type: 'INT32', encoding: 'DELTA_BINARY_PACKED' });
    // blockSize 128, 4 miniblocks, 300 values, first value 0; then the miniblock count as a 5-byte varint, −1 to hyparquet.
    const at = find(bytes, [0x80, 0x01, 0x04, 0xac, 0x02, 0x00]);
    const error = await dataErrorOf(() => read(patched(bytes, at, [0x80, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xac, 0x02, 0x00])));
    expect(error.message).toBe('table:d.parquet, column "y": corrupt or truncated Parquet file: row group 1: a delta block of 128 values in 4294967295 miniblocks');
  });

  it('refuses string lengths past the page, which hyparquet reads from the rest of the file', async () => {
    // Column z's 45 kB follow y's page: unguarded, hyparquet read y's strings from them, without an error.
    const bytes = deltaFile({ data: words, type: 'STRING', encoding: 'DELTA_LENGTH_BYTE_ARRAY' }, [{ name: 'z', data: words.map((w) => w.repeat(15)), type: 'STRING' }]);
    // The lengths' first value: 6 ("item-0", zigzag 12); 63 instead makes every length 57 bytes longer.
    const at = find(bytes, [0x80, 0x01, 0x04, 0xac, 0x02, 0x0c]);
    const error = await dataErrorOf(() => read(patched(bytes, at + 5, [0x7e])));
    expect(error.message).toMatch(/^table:d\.parquet, column "y": corrupt or truncated Parquet file: row group 1: delta strings of \d+ bytes where the page holds \d+$/);
  });

  it('refuses a first string that shares a prefix with none (hyparquet: a TypeError), and prefixes longer than the string before', async () => {
    const bytes = deltaFile({ data: words, type: 'STRING', encoding: 'DELTA_BYTE_ARRAY' });
    // The prefixes' first value: 0; 1 (zigzag 2) instead.
    const at = find(bytes, [0x80, 0x01, 0x04, 0xac, 0x02, 0x00]);
    const error = await dataErrorOf(() => read(patched(bytes, at + 5, [0x02])));
    expect(error.message).toMatch(/row group 1: a delta string of 1 bytes shared with a 0-byte one and 6 of its own$/);
    // 20 strings of one byte, each claiming to share 10^8 bytes with the one before: hyparquet allocated 1.8 GB in 13 s.
    const bomb = Uint8Array.from([...packed([0, ...new Array(19).fill(1e8)], [1, ...new Array(19).fill(0)]), 65]);
    expect(pageV2Problem(bomb, v2('DELTA_BYTE_ARRAY', 20), 0, 'BYTE_ARRAY', (v) => v)).toBe('a delta string of 100000000 bytes shared with a 1-byte one and 0 of its own');
  });

  it('refuses strings that decode to more than a page may hold, however few bytes store them', () => {
    // One string of 2^20 bytes, then 1,100 that repeat it: 1.15 GB from a 1 MB page.
    const count = 1101;
    const page = Uint8Array.from([...packed([0, ...new Array(count - 1).fill(2 ** 20)], [2 ** 20, ...new Array(count - 1).fill(0)]), ...new Uint8Array(2 ** 20)]);
    expect(pageV2Problem(page, v2('DELTA_BYTE_ARRAY', count), 0, 'BYTE_ARRAY', (v) => v)).toBe(`delta strings that decode to ${count * 2 ** 20} bytes, past ${2 ** 30}`);
    expect(pageV2Problem(page, v2('DELTA_BYTE_ARRAY', 1000), 0, 'BYTE_ARRAY', (v) => v)).toMatch(/^a delta header counts 1101 values where the page holds 1000$/);
  });

  it('walks a stream’s blocks to its end, refusing widths past the type, blocks past the page and varints past 64 bits', () => {
    const stream = packed(ints);
    expect(deltaPackedEnd(Uint8Array.from(stream), 0, stream.length, N, 32)).toBe(stream.length);
    expect(deltaPackedEnd(Uint8Array.from(stream), 0, stream.length - 1, N, 32)).toMatch(/^the delta blocks run past the page after \d+ of 300 values$/);
    expect(deltaPackedEnd(Uint8Array.from(stream), 0, stream.length, N + 1, 32)).toBe('a delta header counts 300 values where the page holds 301');
    // hyparquet-writer's bit widths follow the block's min delta and 4 widths; 33 bits is past INT32.
    const wide = Uint8Array.from(stream);
    wide[find(wide, [0x80, 0x01, 0x04, 0xac, 0x02, 0x00]) + 7] = 33;
    expect(deltaPackedEnd(wide, 0, wide.length, N, 32)).toBe('a delta miniblock of 33-bit values (at most 32)');
    for (const [blockSize, miniblocks] of [[0, 4], [100, 4], [128, 0], [128, 3], [128, 8], [2 ** 31, 4]] as const) {
      const header = Uint8Array.from([...varint(blockSize), ...varint(miniblocks), 2, 0, 0, 0, 0, 0, 0]);
      expect(deltaPackedEnd(header, 0, header.length, 2, 32), `${blockSize}/${miniblocks}`).toBe(`a delta block of ${blockSize} values in ${miniblocks} miniblocks`);
    }
    // An INT64 min delta of 80,000 continuation bytes took hyparquet a second (its BigInt grows with each byte).
    const long = Uint8Array.from([0x80, 0x01, 0x04, 0x04, 0x00, ...new Array(80_000).fill(0xff), 0x00]);
    const v1: DataPageHeader = { num_values: 4, encoding: 'DELTA_BINARY_PACKED', definition_level_encoding: 'RLE', repetition_level_encoding: 'RLE' };
    expect(pageV1Problem(long, v1, 0, 'INT64')).toBe('the delta blocks run past the page after 1 of 4 values');
  });

  it('counts a version 1 page’s present cells from its levels: the delta stream holds those, no more', () => {
    // Definition levels: their length (2 bytes), then one bit-packed run of 8 (header 0x03), LSB first: cells 1 and 5 missing, so 6 values.
    const page = (values: number[]) => Uint8Array.from([2, 0, 0, 0, 0x03, 0b1101_1101, ...packed(values)]);
    const v1: DataPageHeader = { num_values: 8, encoding: 'DELTA_BINARY_PACKED', definition_level_encoding: 'RLE', repetition_level_encoding: 'RLE' };
    expect(pageV1Problem(page([1, 2, 3, 4, 5, 6]), v1, 1, 'INT32')).toBeNull();
    expect(pageV1Problem(page([1, 2, 3, 4, 5, 6, 7, 8]), v1, 1, 'INT32')).toBe('a delta header counts 8 values where the page holds 6');
    expect(pageV2Problem(Uint8Array.from(packed([1])), v2('DELTA_BINARY_PACKED', 2, 3), 0, 'INT32', (v) => v)).toBe('3 nulls in a page of 2 values');
  });
});
