// Any supported table file, as bytes from disk or from an upload, into columns: picks the reader by format.
import { DataError } from './errors.ts';
import { readArrow } from './read-arrow.ts';
import { readCsv } from './read-csv.ts';
import { readJson } from './read-json.ts';
import { readParquet } from './read-parquet.ts';
import { missingSet, type RawTable, TABLE_FORMATS, type TableFormat, tableSource } from './table.ts';

const EXTENSIONS: Record<string, TableFormat> = {
  csv: 'csv',
  tsv: 'tsv',
  tab: 'tsv',
  json: 'json',
  arrow: 'arrow',
  feather: 'arrow',
  arrows: 'arrow',
  ipc: 'arrow',
  parquet: 'parquet',
  pq: 'parquet',
};

/** The format a study names, else the one its file name's extension says; anything else asks for `format`. */
export function formatOf(name: string, format?: TableFormat): TableFormat {
  if (format) return format;
  const extension = /\.([^./\\]+)$/.exec(name)?.[1]?.toLowerCase();
  const found = extension === undefined ? undefined : EXTENSIONS[extension];
  if (!found) throw new DataError(tableSource(name), `cannot tell the format from the file name: set data.format to one of ${TABLE_FORMATS.join(', ')}`);
  return found;
}

export interface ReadTableOptions {
  /** The file's name, for messages and the data set's name. */
  name: string;
  format: TableFormat;
  /** Cells read as missing besides DEFAULT_MISSING. */
  missing?: readonly string[];
  /** Arrow and Parquet: read only the columns this accepts (`temporal`: the file types it as a date or time). */
  want?: (name: string, temporal: boolean) => boolean;
}

/** The file's columns as typed arrays. Text formats take text, or bytes decoded as UTF-8; Arrow and Parquet take bytes. */
export async function readTable(contents: Uint8Array | string, options: ReadTableOptions): Promise<RawTable> {
  const missing = missingSet(options.missing);
  const text = () => (typeof contents === 'string' ? contents : new TextDecoder().decode(contents));
  const bytes = () => {
    if (typeof contents !== 'string') return contents;
    throw new DataError(tableSource(options.name), `a ${options.format} file is binary; it was handed over as text`);
  };
  switch (options.format) {
    case 'csv':
    case 'tsv':
      return readCsv(text(), { name: options.name, format: options.format, missing });
    case 'json':
      return readJson(text(), { name: options.name, missing });
    case 'arrow':
      return readArrow(bytes(), { name: options.name, missing, want: options.want });
    case 'parquet':
      return readParquet(bytes(), { name: options.name, missing, want: options.want });
  }
}
