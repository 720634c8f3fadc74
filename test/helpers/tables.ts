// Table files for the data tests: vega-datasets' real files, and small Arrow and Parquet files written on the spot.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromArrays, tableToIPC, vectorFromArray, Bool, Dictionary, Float64, Int32, Int64, TimestampMillisecond, Utf8, Table } from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { DataError } from '../../src/data/errors.ts';

export const VEGA = join(import.meta.dirname, '../../node_modules/vega-datasets/data');

export function vegaFile(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(VEGA, name)));
}

export function vegaText(name: string): string {
  return readFileSync(join(VEGA, name), 'utf8');
}

/** The error `fn` throws (sync or async), which must be a DataError. */
export async function dataErrorOf(fn: () => unknown): Promise<DataError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof DataError) return error;
    throw new Error(`expected a DataError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
  throw new Error('expected a DataError, nothing was thrown');
}

/** A small Arrow file of every type the reader takes: ints with nulls, 64-bit ints, doubles, strings, dictionary strings, booleans, timestamps. */
export function sampleArrow(n = 50, format: 'file' | 'stream' = 'file'): Uint8Array {
  const table = new Table({
    id: vectorFromArray(Array.from({ length: n }, (_, i) => i), new Int32()),
    count: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 7 === 3 ? null : BigInt(i * 10))), new Int64()),
    value: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 5 === 1 ? null : i / 4)), new Float64()),
    word: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 6 === 2 ? null : ['red', 'green', 'blue'][i % 3]!)), new Utf8()),
    coded: vectorFromArray(Array.from({ length: n }, (_, i) => ['x', 'y'][i % 2]!), new Dictionary(new Utf8(), new Int32())),
    flag: vectorFromArray(Array.from({ length: n }, (_, i) => (i % 9 === 4 ? null : i % 2 === 0)), new Bool()),
    when: vectorFromArray(Array.from({ length: n }, (_, i) => new Date(Date.UTC(2020, 0, 1 + i))), new TimestampMillisecond()),
  });
  return tableToIPC(table, format);
}

/** An Arrow file of plain number columns, one per entry of `columns`. */
export function numbersArrow(columns: Record<string, number[]>): Uint8Array {
  return tableToIPC(tableFromArrays(Object.fromEntries(Object.entries(columns).map(([k, v]) => [k, Float64Array.from(v)]))), 'file');
}

/** A Parquet file (Snappy, small pages, several row groups) with nulls in every column but `i`. */
export function sampleParquet(n = 2500, options: { rowGroupSize?: number; pageSize?: number } = {}): Uint8Array {
  const buffer = parquetWriteBuffer({
    columnData: [
      { name: 'i', data: Int32Array.from({ length: n }, (_, i) => i * 3), type: 'INT32' },
      { name: 'big', data: Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : BigInt(i) * 1000n)), type: 'INT64' },
      { name: 'f', data: Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : i / 8)), type: 'DOUBLE' },
      { name: 's', data: Array.from({ length: n }, (_, i) => (i % 11 === 0 ? null : ['a', 'b', 'NA', 'c'][i % 4]!)), type: 'STRING' },
      { name: 'b', data: Array.from({ length: n }, (_, i) => (i % 13 === 0 ? null : i % 2 === 0)), type: 'BOOLEAN' },
      { name: 't', data: Array.from({ length: n }, (_, i) => new Date(Date.UTC(2020, 0, 1 + i))), type: 'TIMESTAMP' },
    ],
    rowGroupSize: options.rowGroupSize ?? 1000,
    pageSize: options.pageSize ?? 2000,
  });
  return new Uint8Array(buffer);
}

/** A Parquet file of the given plain columns (numbers as DOUBLE, strings as STRING, null for missing). */
export function columnsParquet(columns: Record<string, (number | string | null)[]>, rowGroupSize = 1000): Uint8Array {
  const columnData = Object.entries(columns).map(([name, data]) => ({
    name,
    data,
    type: data.some((v) => typeof v === 'string') ? ('STRING' as const) : ('DOUBLE' as const),
  }));
  return new Uint8Array(parquetWriteBuffer({ columnData, rowGroupSize }));
}
