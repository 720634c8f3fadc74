// The table readers: CSV/TSV, JSON records, Arrow IPC and Parquet into typed columns, checked against the files' own readers, and their refusals.
import { tableFromIPC } from 'apache-arrow';
import { parquetReadObjects } from 'hyparquet';
import { runsProblem } from '../../src/data/parquet-runs.ts';
import { describe, expect, it } from 'vitest';
import { formatOf, readTable } from '../../src/data/read-table.ts';
import { type RawColumn, type RawTable, ColumnBuilder, missingSet } from '../../src/data/table.ts';
import { DataError } from '../../src/data/errors.ts';
import { dataErrorOf, sampleArrow, sampleParquet, vegaFile, vegaText } from '../helpers/tables.ts';

/** A column's cell as the reader kept it: a number, a level, or null for missing. */
function cell(column: RawColumn, row: number): number | string | null {
  if (column.type === 'number') return Number.isNaN(column.values[row]!) ? null : column.values[row]!;
  const code = column.codes[row]!;
  return code < 0 ? null : column.levels[code]!;
}

function columnOf(table: RawTable, name: string): RawColumn {
  const column = table.columns.find((c) => c.name === name);
  if (!column) throw new Error(`no column ${name}`);
  return column;
}

describe('ColumnBuilder', () => {
  it('stays numeric until a word; then every number is its shortest spelling, before the word and after', () => {
    const b = new ColumnBuilder('c', missingSet(), 2);
    for (const v of ['01', ' 2.50 ', 'NA', 3, 'seven', '08', null, true]) b.push(v, () => new DataError('t', 'bad'));
    const column = b.finish();
    expect(column.type).toBe('text');
    expect(Array.from({ length: 8 }, (_, r) => cell(column, r))).toEqual(['1', '2.5', null, '3', 'seven', '8', null, 'true']);
  });

  it('reads NaN, null, undefined and the missing tokens as missing, and keeps Infinity as a number', () => {
    const b = new ColumnBuilder('c', missingSet(['?']), 1);
    for (const v of [NaN, null, undefined, '', ' NaN ', 'null', 'None', '?', Infinity, '1e999', -0.5]) b.push(v, () => new DataError('t', 'bad'));
    const column = b.finish();
    expect(column.type).toBe('number');
    expect(Array.from({ length: 11 }, (_, r) => cell(column, r))).toEqual([null, null, null, null, null, null, null, null, Infinity, Infinity, -0.5]);
  });

  it('refuses an object or an array as a cell through the caller’s error', () => {
    const b = new ColumnBuilder('c', missingSet());
    expect(() => b.push({ a: 1 }, () => new DataError('t', 'nested', undefined, 'c', { row: 4 }))).toThrow('t row 4, column "c": nested');
  });
});

describe('formatOf', () => {
  it('reads the extension, case-insensitively, and asks for format when it cannot', async () => {
    expect(['a.CSV', 'b.tsv', 'c.json', 'd.arrow', 'e.feather', 'f.parquet'].map((n) => formatOf(n))).toEqual(['csv', 'tsv', 'json', 'arrow', 'arrow', 'parquet']);
    expect(formatOf('data.txt', 'tsv')).toBe('tsv');
    const error = await dataErrorOf(() => formatOf('data.txt'));
    expect(error.message).toBe('table:data.txt: cannot tell the format from the file name: set data.format to one of csv, tsv, json, arrow, parquet');
  });
});

describe('CSV and TSV', () => {
  it('reads columns by kind with the line of every row, quoted fields spanning lines counted', async () => {
    const text = 'name,"note",size\n"Ann","two\nlines",1.5\n\nBob,,NA\n';
    const table = await readTable(text, { name: 'a.csv', format: 'csv' });
    expect(table.rows).toBe(2);
    expect(Array.from(table.lines!)).toEqual([2, 5]);
    expect(table.columns.map((c) => [c.name, c.type])).toEqual([
      ['name', 'text'],
      ['note', 'text'],
      ['size', 'number'],
    ]);
    expect(cell(columnOf(table, 'note'), 0)).toBe('two\nlines');
    expect(cell(columnOf(table, 'note'), 1)).toBeNull();
    expect(cell(columnOf(table, 'size'), 1)).toBeNull();
  });

  it('splits TSV on tabs only and decodes bytes as UTF-8 without the byte-order mark', async () => {
    const bytes = new TextEncoder().encode('\uFEFFcity\tpop, k\nZürich\t421,9\n');
    const table = await readTable(bytes, { name: 'a.tsv', format: 'tsv' });
    expect(table.columns.map((c) => c.name)).toEqual(['city', 'pop, k']);
    expect(cell(columnOf(table, 'city'), 0)).toBe('Zürich');
    expect(cell(columnOf(table, 'pop, k'), 0)).toBe('421,9');
  });

  it('names the line of a ragged row and of an unterminated quote, and a repeated column', async () => {
    expect((await dataErrorOf(() => readTable('a,b\n1,2\n3\n', { name: 'r.csv', format: 'csv' }))).message).toBe('table:r.csv line 3: expected 2 fields, got 1 (a ragged row)');
    expect((await dataErrorOf(() => readTable('a,b\n1,2\n"3,4\n', { name: 'q.csv', format: 'csv' }))).line).toBe(3);
    expect((await dataErrorOf(() => readTable('a,a\n1,2\n', { name: 'd.csv', format: 'csv' }))).message).toBe('table:d.csv line 1, column "a": the file names column "a" twice');
    expect((await dataErrorOf(() => readTable('\n\n', { name: 'e.csv', format: 'csv' }))).message).toBe('table:e.csv: the file is empty; expected a header row naming the columns');
  });

  it('reads seattle-weather.csv: a date column as text, numbers, and the weather words', async () => {
    const table = await readTable(vegaText('seattle-weather.csv'), { name: 'seattle-weather.csv', format: 'csv' });
    expect(table.rows).toBe(1461);
    expect(table.columns.map((c) => `${c.name}:${c.type}`)).toEqual(['date:text', 'precipitation:number', 'temp_max:number', 'temp_min:number', 'wind:number', 'weather:text']);
    expect(cell(columnOf(table, 'date'), 0)).toBe('2012-01-01');
  });
});

describe('JSON records', () => {
  it('reads penguins.json: 344 rows, the nulls as missing, Sex’s "." as a value unless listed as missing', async () => {
    const bytes = vegaFile('penguins.json');
    const table = await readTable(bytes, { name: 'penguins.json', format: 'json' });
    expect(table.rows).toBe(344);
    expect(table.columns.map((c) => `${c.name}:${c.type}`)).toEqual([
      'Species:text',
      'Island:text',
      'Beak Length (mm):number',
      'Beak Depth (mm):number',
      'Flipper Length (mm):number',
      'Body Mass (g):number',
      'Sex:text',
    ]);
    const sex = columnOf(table, 'Sex');
    const missing = (t: RawTable) => Array.from({ length: t.rows }, (_, r) => cell(columnOf(t, 'Sex'), r)).filter((v) => v === null).length;
    expect(sex.type === 'text' && [...sex.levels].sort()).toEqual(['.', 'FEMALE', 'MALE']);
    expect(missing(table)).toBe(10);
    const dotted = await readTable(bytes, { name: 'penguins.json', format: 'json', missing: ['.'] });
    expect(missing(dotted)).toBe(11);
    const beak = columnOf(table, 'Beak Length (mm)');
    expect(beak.type === 'number' && beak.values.filter(Number.isNaN).length).toBe(2);
  });

  it('gives a key first met late its missing cells before, and a record without a key a missing cell', async () => {
    const table = await readTable('[{"a": 1}, {"a": 2, "b": "x"}, {"b": true}]', { name: 'j.json', format: 'json' });
    expect(table.columns.map((c) => c.name)).toEqual(['a', 'b']);
    expect([0, 1, 2].map((r) => cell(columnOf(table, 'a'), r))).toEqual([1, 2, null]);
    expect([0, 1, 2].map((r) => cell(columnOf(table, 'b'), r))).toEqual([null, 'x', 'true']);
  });

  it('keeps __proto__ and constructor as ordinary column names', async () => {
    const table = await readTable('[{"__proto__": 1, "constructor": "c"}, {"x": 2}]', { name: 'p.json', format: 'json' });
    expect(table.columns.map((c) => c.name)).toEqual(['__proto__', 'constructor', 'x']);
    expect(cell(columnOf(table, 'constructor'), 1)).toBeNull();
  });

  it.each([
    ['{"a": 1}', 'table:o.json: expected an array of records ([{…}, …]), got object'],
    ['[{"a": 1}, 5]', 'table:o.json row 2: expected a record ({"column": value, …}), got 5'],
    ['[{"a": 1}, {"a": [1, 2]}]', 'table:o.json row 2, column "a": a nested array is not a table cell'],
    ['[{"a": {"b": 1}}]', 'table:o.json row 1, column "a": a nested object is not a table cell'],
    ['[]', 'table:o.json: the file has no records'],
  ])('refuses %s', async (text, message) => {
    expect((await dataErrorOf(() => readTable(text, { name: 'o.json', format: 'json' }))).message).toBe(message);
  });

  it('names the problem in invalid JSON', async () => {
    expect((await dataErrorOf(() => readTable('[{"a": 1},', { name: 'o.json', format: 'json' }))).message).toMatch(/^table:o\.json: not valid JSON: /);
  });
});

describe('Arrow IPC', () => {
  it('reads flights-200k.arrow column for column as apache-arrow does', async () => {
    const bytes = vegaFile('flights-200k.arrow');
    const table = await readTable(bytes, { name: 'flights-200k.arrow', format: 'arrow' });
    const arrow = tableFromIPC(bytes);
    expect(table.rows).toBe(200_000);
    for (const name of ['delay', 'distance', 'time']) {
      const column = columnOf(table, name);
      const vector = arrow.getChild(name)!;
      expect(column.type).toBe('number');
      const values = column.type === 'number' ? column.values : new Float64Array();
      let mismatches = 0;
      for (let r = 0; r < table.rows; r++) if (values[r] !== Number(vector.get(r))) mismatches++;
      expect(mismatches, name).toBe(0);
    }
  });

  it.each(['file', 'stream'] as const)('reads every supported type, nulls as missing, timestamps as temporal numbers (%s format)', async (format) => {
    const table = await readTable(sampleArrow(50, format), { name: 's.arrow', format: 'arrow' });
    expect(table.columns.map((c) => `${c.name}:${c.type}${c.type === 'number' && c.temporal ? ' (temporal)' : ''}`)).toEqual([
      'id:number',
      'count:number',
      'value:number',
      'word:text',
      'coded:text',
      'flag:text',
      'when:number (temporal)',
    ]);
    expect([0, 3, 9].map((r) => cell(columnOf(table, 'count'), r))).toEqual([0, null, 90]);
    expect([0, 1, 2].map((r) => cell(columnOf(table, 'value'), r))).toEqual([0, null, 0.5]);
    expect([0, 1, 2].map((r) => cell(columnOf(table, 'word'), r))).toEqual(['red', 'green', null]);
    expect([0, 1].map((r) => cell(columnOf(table, 'coded'), r))).toEqual(['x', 'y']);
    expect([0, 1, 4].map((r) => cell(columnOf(table, 'flag'), r))).toEqual(['true', 'false', null]);
    expect(cell(columnOf(table, 'when'), 1)).toBe(Date.UTC(2020, 0, 2));
  });

  it('leaves unwanted columns unread and lists them as skipped', async () => {
    const table = await readTable(sampleArrow(), { name: 's.arrow', format: 'arrow', want: (name, temporal) => !temporal && name !== 'word' });
    expect(table.columns.map((c) => c.name)).toEqual(['id', 'count', 'value', 'coded', 'flag']);
    expect(table.skipped).toEqual(['word', 'when']);
  });

  it('refuses truncated files at every length, and a corrupt footer or message, quickly and by name', async () => {
    const bytes = sampleArrow(40);
    for (const length of [0, 4, 8, 30, 200, bytes.length >> 1, bytes.length - 11, bytes.length - 1]) {
      const error = await dataErrorOf(() => readTable(bytes.subarray(0, length), { name: 't.arrow', format: 'arrow' }));
      expect(error.message).toMatch(/^table:t\.arrow: corrupt or truncated Arrow file: /);
    }
    // Bytes 300..400 of flights-200k.arrow are its first record batch's metadata: apache-arrow alone looped forever on this.
    const flights = vegaFile('flights-200k.arrow');
    flights.fill(7, 300, 400);
    expect((await dataErrorOf(() => readTable(flights, { name: 'f.arrow', format: 'arrow' }))).message).toMatch(/^table:f\.arrow: corrupt or truncated Arrow file: /);
  });

  it('refuses a text file handed over as Arrow', async () => {
    expect((await dataErrorOf(() => readTable(new TextEncoder().encode('a,b\n1,2\n'), { name: 'x.arrow', format: 'arrow' }))).message).toMatch(/corrupt or truncated Arrow file/);
    expect((await dataErrorOf(() => readTable('text', { name: 'x.arrow', format: 'arrow' }))).message).toBe('table:x.arrow: a arrow file is binary; it was handed over as text');
  });
});

describe('Parquet', () => {
  it('reads every cell as hyparquet’s own row reader does, across row groups and pages, nulls as missing', async () => {
    const bytes = sampleParquet(2500);
    const table = await readTable(bytes, { name: 's.parquet', format: 'parquet' });
    const rows = await parquetReadObjects({ file: bytes.buffer as ArrayBuffer });
    expect(table.rows).toBe(2500);
    expect(table.columns.map((c) => `${c.name}:${c.type}${c.type === 'number' && c.temporal ? ' (temporal)' : ''}`)).toEqual(['i:number', 'big:number', 'f:number', 's:text', 'b:text', 't:number (temporal)']);
    const expected = (value: unknown) =>
      value === null || value === 'NA' ? null : value instanceof Date ? value.getTime() : typeof value === 'bigint' ? Number(value) : typeof value === 'boolean' ? String(value) : value;
    const mismatches: string[] = [];
    for (const column of table.columns) {
      for (let r = 0; r < table.rows; r++) {
        const want = expected(rows[r]![column.name]);
        if (cell(column, r) !== want) mismatches.push(`${column.name} row ${r}: ${cell(column, r)} ≠ ${want}`);
      }
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it('reads ZSTD dictionary pages: flights-3m.parquet’s distance and origin columns, checked against hyparquet over the first 20,000 rows', async () => {
    const bytes = vegaFile('flights-3m.parquet');
    const table = await readTable(bytes, { name: 'flights-3m.parquet', format: 'parquet', want: (name) => name === 'distance' || name === 'origin' });
    expect(table.rows).toBe(3_000_000);
    expect(table.skipped).toEqual(['date', 'delay', 'destination']);
    const rows = await parquetReadObjects({ file: bytes.buffer as ArrayBuffer, columns: ['distance', 'origin'], rowEnd: 20_000, compressors: (await import('hyparquet-compressors')).compressors });
    const distance = columnOf(table, 'distance');
    const origin = columnOf(table, 'origin');
    let mismatches = 0;
    for (let r = 0; r < 20_000; r++) if (cell(distance, r) !== Number(rows[r]!.distance) || cell(origin, r) !== rows[r]!.origin) mismatches++;
    expect(mismatches).toBe(0);
    // Levels are the values cells hold, in the order they first appear, as a cell-by-cell read gives them.
    if (origin.type !== 'text') throw new Error('origin should be text');
    const firstSeen: number[] = [];
    const seen = new Set<number>();
    for (const code of origin.codes) if (!seen.has(code)) (seen.add(code), firstSeen.push(code));
    expect(firstSeen).toEqual(origin.levels.map((_, code) => code));
  });

  it('refuses truncated and corrupt files by name', async () => {
    const bytes = sampleParquet(300, { rowGroupSize: 100 });
    for (const length of [0, 3, 8, 100, bytes.length >> 1, bytes.length - 9, bytes.length - 1]) {
      const error = await dataErrorOf(() => readTable(bytes.subarray(0, length), { name: 't.parquet', format: 'parquet' }));
      expect(error.message).toMatch(/^table:t\.parquet(, column "\w+")?: corrupt or truncated Parquet file: /);
    }
    const corrupt = bytes.slice();
    corrupt.fill(0xff, 4, 60);
    expect((await dataErrorOf(() => readTable(corrupt, { name: 'c.parquet', format: 'parquet' }))).message).toMatch(/^table:c\.parquet, column "i": corrupt or truncated Parquet file: row group 1: /);
  });
});

describe('Parquet run headers, checked before hyparquet decodes them', () => {
  // A varint run header: count << 1 for an RLE run, (groups of 8) << 1 | 1 for a bit-packed one.
  const varint = (n: number) => {
    const out: number[] = [];
    for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
    return [...out, n];
  };
  it('passes runs that hold the values, refuses one past them, a bit-packed run of width 0 that never ends, and runs past their bytes', () => {
    const ok = Uint8Array.from([...varint(3 << 1), 1, ...varint((1 << 1) | 1), 0xff]);
    expect(runsProblem(ok, 0, ok.length, 1, 11)).toBeNull();
    const huge = Uint8Array.from([...varint(2 ** 30 * 2), 1]);
    expect(runsProblem(huge, 0, huge.length, 1, 8)).toBe('a run of 1073741824 values where 8 remain');
    const spin = Uint8Array.from(varint(2 ** 27 * 2 + 1));
    expect(runsProblem(spin, 0, spin.length, 0, 8)).toBe('a run of 1073741824 values where 8 remain');
    const short = Uint8Array.from([...varint((4 << 1) | 1), 0xff]);
    expect(runsProblem(short, 0, short.length, 8, 32)).toBe('a run of 32 values runs past its 2 bytes');
    expect(runsProblem(Uint8Array.from([2, 1]), 0, 2, 1, 4)).toBe('the level or index runs end after 1 of 4 values');
    // Values may end early (a page's nulls have none); levels may not.
    expect(runsProblem(Uint8Array.from([2, 1]), 0, 2, 1, 4, true)).toBeNull();
  });
});
