// Fuzz: generated table files (TSV, JSON records, Arrow IPC, Parquet), mutated as text (ragged rows, wrong
// types, cut-off ends) or as bytes (flipped, zeroed, truncated, spliced), read and encoded end to end: each
// is either refused with a DataError naming the file, or gives a data set the engine can train on.
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/data/dataset.ts';
import { DataError } from '../../src/data/errors.ts';
import { readTable } from '../../src/data/read-table.ts';
import { tableSpecSchema } from '../../src/data/spec.ts';
import { tableDataset } from '../../src/data/table-dataset.ts';
import type { TableFormat } from '../../src/data/table.ts';
import { describeTally, Fuzz, FUZZ_SEED, fuzzCount, newTally, type FuzzTally } from '../helpers/fuzz.ts';

type Cell = number | string | boolean | null;
interface Table {
  names: string[];
  /** Column-major: cells[c][r]. */
  cells: Cell[][];
}

const WORDS = ['red', 'green', 'blue', 'NA', '', '.', 'true', 'false', '1', '2.5', '日本', 'a\tb', 'a"b', '__proto__'];
const NASTY: Cell[] = [null, '', 'NaN', 'Infinity', '1e999', -1e300, 1e39, 0, -0, 'x'.repeat(300), true, '\u0000', '\ud800', 3.5e38, 2 ** 53 + 1];

/** A valid table: a target `y` (classes or numbers) and 1-4 features of mixed kinds, 4-40 rows. */
function baseTable(f: Fuzz): Table {
  const rows = 4 + f.int(37);
  const names = ['y'];
  const regression = f.chance(0.4);
  const cells: Cell[][] = [Array.from({ length: rows }, (_, r) => (regression ? Math.round(f.rng.normal() * 1000) / 100 : ['a', 'b', 'c'][r % (2 + f.int(2))]!))];
  for (let c = 0, n = 1 + f.int(4); c < n; c++) {
    names.push(`x${c}`);
    const kind = f.int(4);
    cells.push(
      Array.from({ length: rows }, (_, r) => {
        if (f.chance(0.08)) return null;
        if (kind === 0) return Math.round(f.rng.normal() * 10 ** (f.int(5) - 1) * 1000) / 1000;
        if (kind === 1) return f.pick(['north', 'south', 'east']);
        if (kind === 2) return r % 2 === 0;
        return r % 5;
      }),
    );
  }
  return { names, cells };
}

/** Edits the table's cells: wrong types, nasty values, columns of one value or none. */
function mutateCells(f: Fuzz, t: Table): void {
  const c = f.int(t.names.length);
  const column = t.cells[c]!;
  const r = f.int(column.length);
  switch (f.int(6)) {
    case 0:
    case 1:
      column[r] = f.pick(NASTY);
      return;
    case 2:
      column[r] = f.pick(WORDS);
      return;
    case 3:
      column.fill(f.pick<Cell>([null, 'same', 1]));
      return;
    case 4:
      t.names[c] = f.pick(['y', 'x0', '', '__proto__', 'constructor', ' y ']);
      return;
    default:
      for (const col of t.cells) col.splice(r, 1);
  }
}

/** The table as TSV text, with text-level damage: ragged rows, cut-off ends, stray quotes and bytes. */
function tsv(f: Fuzz, t: Table): string {
  const rows = [t.names, ...t.cells[0]!.map((_, r) => t.cells.map((col) => (col[r] === null ? '' : String(col[r]))))];
  if (f.chance(0.3)) {
    const row = rows[1 + f.int(rows.length - 1)]!;
    if (f.chance(0.5)) row.pop();
    else row.push(f.pick(['1', '', 'extra']));
  }
  return damageText(f, rows.map((row) => row.join('\t')).join(f.pick(['\n', '\r\n'])));
}

/** The table as an array of JSON records, with record-level damage: missing keys, nested values, a non-array. */
function json(f: Fuzz, t: Table): string {
  const records: Record<string, unknown>[] = t.cells[0]!.map((_, r) => {
    const record: Record<string, unknown> = {};
    // NOTE: defineProperty, so a "__proto__" name is a key as JSON.parse makes it, not the prototype.
    t.names.forEach((name, c) => Object.defineProperty(record, name, { value: t.cells[c]![r], enumerable: true, writable: true, configurable: true }));
    return record;
  });
  const record = records[f.int(records.length)]!;
  switch (f.int(6)) {
    case 0:
      delete record[t.names[f.int(t.names.length)]!];
      break;
    case 1:
      record[t.names[f.int(t.names.length)]!] = f.pick<unknown>([{ a: 1 }, [1, 2], [], {}, '1e999']);
      break;
    case 2:
      records[f.int(records.length)] = f.pick<unknown>([null, 1, 'row', [1, 2]]) as Record<string, unknown>;
      break;
    default:
  }
  let text = JSON.stringify(records);
  if (f.chance(0.05)) text = JSON.stringify(f.pick<unknown>([{ y: [1, 2] }, [], 'table', null, [[1, 2]]]));
  return damageText(f, text);
}

function damageText(f: Fuzz, text: string): string {
  let out = text;
  if (f.chance(0.1)) out = out.slice(0, f.int(out.length + 1));
  if (f.chance(0.05)) {
    const at = f.int(out.length + 1);
    out = out.slice(0, at) + f.pick(['"', '\u0000', '\ud800', '\t\t', '{', ']']) + out.slice(at);
  }
  if (f.chance(0.03)) out = `\uFEFF${out}`;
  return out;
}

/** A typed column for the binary writers: numbers (and null) as doubles, anything else as text. */
function typed(column: Cell[]): { numbers: boolean; data: (number | string | null)[] } {
  const numbers = column.every((v) => v === null || typeof v === 'number');
  return { numbers, data: column.map((v) => (v === null ? null : numbers ? (v as number) : String(v))) };
}

function arrow(t: Table): Uint8Array {
  const columns: Record<string, Float64Array | string[]> = {};
  t.names.forEach((name, c) => {
    const { numbers, data } = typed(t.cells[c]!);
    columns[name || `_${c}`] = numbers ? Float64Array.from(data as (number | null)[], (v) => v ?? NaN) : data.map((v) => (v === null ? '' : String(v)));
  });
  return tableToIPC(tableFromArrays(columns), 'file');
}

function parquet(f: Fuzz, t: Table): Uint8Array {
  // hyparquet-writer cannot write two columns of one name (Arrow can: the Arrow cases keep repeats).
  const columnData = t.names.map((name, c) => {
    const { numbers, data } = typed(t.cells[c]!);
    // Whole numbers as INT32 and text in the delta encodings too, so that damage reaches their decoders.
    const int32 = numbers && data.every((v) => v === null || (v as number) === ((v as number) | 0)) && f.chance(0.5);
    const encoding = int32 ? ('DELTA_BINARY_PACKED' as const) : numbers ? undefined : f.pick([undefined, 'DELTA_LENGTH_BYTE_ARRAY', 'DELTA_BYTE_ARRAY'] as const);
    return { name: t.names.indexOf(name) === c && name ? name : `_${c}`, data, type: int32 ? ('INT32' as const) : numbers ? ('DOUBLE' as const) : ('STRING' as const), encoding };
  });
  return new Uint8Array(parquetWriteBuffer({ columnData, rowGroupSize: f.pick([3, 1000]), pageSize: f.pick([64, 100_000]) }));
}

/** Byte-level damage: flipped bits, zeroed or random runs, a cut-off end, a spliced copy of a slice. */
function damageBytes(f: Fuzz, input: Uint8Array): Uint8Array {
  let bytes = input.slice();
  for (let e = 0, n = 1 + f.int(3); e < n; e++) {
    switch (f.int(5)) {
      case 0:
        for (let i = 0, k = 1 + f.int(8); i < k; i++) bytes[f.int(bytes.length)]! ^= 1 << f.int(8);
        break;
      case 1: {
        const at = f.int(bytes.length);
        bytes.fill(f.pick([0, 0xff]), at, at + 1 + f.int(16));
        break;
      }
      case 2:
        bytes = bytes.subarray(0, f.int(bytes.length + 1));
        break;
      case 3: {
        const at = f.int(bytes.length);
        for (let i = at; i < Math.min(bytes.length, at + 8); i++) bytes[i] = f.int(256);
        break;
      }
      default: {
        const from = f.int(bytes.length);
        const slice = bytes.slice(from, from + f.int(64));
        const at = f.int(bytes.length + 1);
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...slice, ...bytes.subarray(at)]);
      }
    }
  }
  return bytes;
}

/** What the engine relies on: finite float32 features, labels below the class count (or finite targets), splits that add up. */
function usable(data: Dataset): string | null {
  const n = data.split.train + data.split.validation + data.split.test;
  if (data.x.length !== n * data.features || data.y.length !== n) return 'sizes do not match the splits';
  if (!data.x.every(Number.isFinite)) return 'a feature is not finite';
  if (data.task === 'classification' && !data.y.every((y) => y < data.classes)) return 'a label is past the classes';
  if (data.task === 'regression' && !data.target?.every(Number.isFinite)) return 'a target is not finite';
  if (data.split.train < 1 || data.features < 1) return `train ${data.split.train}, features ${data.features}`;
  return null;
}

const FILES: Record<'tsv' | 'json' | 'arrow' | 'parquet', (f: Fuzz, t: Table) => string | Uint8Array> = {
  tsv,
  json,
  arrow: (f, t) => (f.chance(0.85) ? damageBytes(f, arrow(t)) : arrow(t)),
  parquet: (f, t) => (f.chance(0.85) ? damageBytes(f, parquet(f, t)) : parquet(f, t)),
};

/** One case: a file of `format`, its study options drawn too (a task, kinds declared, a split), read and encoded. */
async function runCase(format: keyof typeof FILES, c: number, tally: FuzzTally): Promise<void> {
  const f = new Fuzz(FUZZ_SEED * 7919 + c);
  const table = baseTable(f);
  for (let e = 0, n = f.chance(0.2) ? 0 : 1 + f.int(2); e < n; e++) mutateCells(f, table);
  const file = FILES[format](f, table);
  const name = `fuzz.${format}`;
  const spec = tableSpecSchema.parse({
    kind: 'table',
    path: name,
    target: f.chance(0.95) ? 'y' : 'x0',
    ...(f.chance(0.3) ? { task: f.pick(['classification', 'regression']) } : {}),
    ...(f.chance(0.3) ? { columns: { [f.pick(['x0', 'x1', 'x9'])]: f.pick(['numeric', 'categorical', 'ignore']) } } : {}),
    ...(f.chance(0.2) ? { cv: { folds: f.pick([2, 5]) } } : {}),
    missing: f.chance(0.2) ? ['.'] : [],
  });
  tally.tried++;
  const started = performance.now();
  const where = () => `case ${c} (${format}): ${JSON.stringify(typeof file === 'string' ? file.slice(0, 200) : `${file.length} bytes`)}`;
  try {
    const raw = await readTable(file, { name, format: format as TableFormat, missing: spec.missing });
    const problem = usable(tableDataset(raw, spec).dataset);
    if (problem) tally.crashes.push(`${where()} accepted: ${problem}`);
    else tally.accepted++;
  } catch (error) {
    if (!(error instanceof DataError) || !error.message.startsWith(`table:${name}`)) {
      tally.crashes.push(`${where()}: ${error instanceof Error ? `${error.name}: ${error.message.slice(0, 300)}` : String(error)}`);
    } else if (error.line !== undefined || error.row !== undefined || error.column !== undefined) tally.refusedNamed++;
    else tally.refusedWhole++;
  }
  // A case is a few rows: seconds mean a loop or an allocation a corrupt length drove (the bound leaves room for a loaded machine).
  const ms = performance.now() - started;
  if (ms > 10_000) tally.crashes.push(`${where()}: took ${ms.toFixed(0)} ms`);
}

describe('table fuzz', () => {
  it.each(['tsv', 'json', 'arrow', 'parquet'] as const)('%s: every mutated file is refused by a DataError naming the file, or encodes to a usable data set', async (format) => {
    const count = fuzzCount(500);
    const tally = newTally();
    for (let c = 0; c < count; c++) await runCase(format, c, tally);
    console.log(describeTally(format, tally, FUZZ_SEED));
    expect(tally.crashes.slice(0, 5)).toEqual([]);
    expect(tally.accepted).toBeGreaterThan(count / 20);
    expect(tally.refusedNamed + tally.refusedWhole).toBeGreaterThan(count / 10);
  });
});
