// JSON into columns: an array of records (vega-datasets' penguins.json, cars.json), each key a column.
import { DataError } from './errors.ts';
import { ColumnBuilder, type RawTable, tableSource } from './table.ts';

/**
 * `text` is `[{…}, {…}, …]`. Columns appear in the order their keys are first met; a record without a
 * key has a missing cell there. Values are numbers, strings, booleans or null; a nested object or array
 * is refused at its row and key.
 */
export function readJson(text: string, options: { name: string; missing: ReadonlySet<string> }): RawTable {
  const source = tableSource(options.name);
  let records: unknown;
  try {
    records = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new DataError(source, `not valid JSON: ${error instanceof Error ? error.message : String(error)}`, undefined, undefined, { cause: error });
  }
  if (!Array.isArray(records)) throw new DataError(source, `expected an array of records ([{…}, …]), got ${records === null ? 'null' : typeof records}`);
  const builders = new Map<string, ColumnBuilder>();
  const rows = records.length;
  for (let r = 0; r < rows; r++) {
    const record: unknown = records[r];
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new DataError(source, `expected a record ({"column": value, …}), got ${Array.isArray(record) ? 'an array' : JSON.stringify(record)}`, undefined, undefined, { row: r + 1 });
    }
    const fields = record as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (builders.has(key)) continue;
      const builder = new ColumnBuilder(key, options.missing, rows);
      for (let before = 0; before < r; before++) builder.push(null, () => new DataError(source, 'unreachable'));
      builders.set(key, builder);
    }
    for (const [key, builder] of builders) {
      const value = Object.hasOwn(fields, key) ? fields[key] : null;
      builder.push(value, () => new DataError(source, `a nested ${Array.isArray(value) ? 'array' : 'object'} is not a table cell`, undefined, key, { row: r + 1 }));
    }
  }
  if (builders.size === 0) throw new DataError(source, rows === 0 ? 'the file has no records' : 'the records have no keys');
  return { name: options.name, format: 'json', rows, columns: [...builders.values()].map((b) => b.finish()) };
}
