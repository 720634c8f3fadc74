// CSV and TSV into columns: papaparse splits the rows, each field goes straight into its column's builder.
import Papa from 'papaparse';
import { DataError } from './errors.ts';
import { checkUniqueNames, ColumnBuilder, type RawTable, tableSource } from './table.ts';

/**
 * Calls `onRow` with each non-blank row's fields and the 1-based line it starts on (a quoted field
 * may span lines). A parse error (an unterminated quote) is a DataError at its line.
 * NOTE: the delimiter is fixed: guessing it can split a file wrongly and then blame a "ragged row".
 */
export function forEachCsvRow(text: string, delimiter: ',' | '\t', source: string, onRow: (fields: string[], line: number) => void): void {
  let rowStart = 0;
  let line = 1;
  Papa.parse<string[]>(text, {
    delimiter,
    step: (result) => {
      const error = result.errors[0];
      if (error) throw new DataError(source, `${error.message} (${error.code})`, line);
      const fields = result.data;
      if (!(fields.length === 1 && fields[0].trim() === '')) onRow(fields, line);
      const rowEnd = result.meta.cursor;
      const linebreak = result.meta.linebreak || '\n';
      for (let at = text.indexOf(linebreak, rowStart); at !== -1 && at < rowEnd; at = text.indexOf(linebreak, at + 1)) line++;
      rowStart = rowEnd;
    },
  });
}

/** A header row naming the columns, then one row per record; every row must have the header's field count. */
export function readCsv(text: string, options: { name: string; format: 'csv' | 'tsv'; missing: ReadonlySet<string> }): RawTable {
  const source = tableSource(options.name);
  let builders: ColumnBuilder[] | null = null;
  let lines = new Uint32Array(1024);
  let rows = 0;
  // A byte-order mark would otherwise become part of the first column's name.
  forEachCsvRow(text.replace(/^\uFEFF/, ''), options.format === 'tsv' ? '\t' : ',', source, (fields, line) => {
    if (!builders) {
      const names = fields.map((name) => name.trim());
      checkUniqueNames(names, source, line);
      builders = names.map((name) => new ColumnBuilder(name, options.missing));
      return;
    }
    if (fields.length !== builders.length) throw new DataError(source, `expected ${builders.length} fields, got ${fields.length} (a ragged row)`, line);
    for (let c = 0; c < fields.length; c++) builders[c]!.push(fields[c], () => new DataError(source, 'unreadable cell', line));
    if (rows === lines.length) {
      const next = new Uint32Array(lines.length * 2);
      next.set(lines);
      lines = next;
    }
    lines[rows++] = line;
  });
  if (!builders) throw new DataError(source, 'the file is empty; expected a header row naming the columns');
  return { name: options.name, format: options.format, rows, columns: (builders as ColumnBuilder[]).map((b) => b.finish()), lines: lines.slice(0, rows) };
}
