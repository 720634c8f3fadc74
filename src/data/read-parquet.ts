// Parquet into columns with hyparquet's page decoders (pure JS, browser and Node) and hyparquet-compressors (ZSTD, gzip, Brotli, LZ4, Snappy).
import { parquetMetadata, type ColumnChunk, type DecodedArray, type FileMetaData, type SchemaElement } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
// NOTE: hyparquet's page-level functions (exported under src/*.js; the version is pinned in package.json).
// Its row API assembles every value into a JS array with nulls and keeps all row groups' arrays until the
// end: flights-3m.parquet took 2× the time and 3× the decoded size in memory that way. Here each page's
// values go straight into the typed columns, and a dictionary's entries are resolved once, not per row.
import { parquetHeader } from 'hyparquet/src/column.js';
import { convert, DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import { decompressPage, readDataPage, readDataPageV2 } from 'hyparquet/src/datapage.js';
import { readRleBitPackedHybrid } from 'hyparquet/src/encoding.js';
import { readPlain } from 'hyparquet/src/plain.js';
import { getMaxDefinitionLevel, getSchemaPath } from 'hyparquet/src/schema.js';
import { DataError } from './errors.ts';
import { MAX_PAGE_BYTES, pageV1Problem, pageV2Problem } from './parquet-runs.ts';
import { checkUniqueNames, ColumnBuilder, resolveCell, type RawTable, type Resolved, tableSource } from './table.ts';

const TEMPORAL_LOGICAL = new Set(['TIMESTAMP', 'DATE', 'TIME']);
const TEMPORAL_CONVERTED = new Set(['DATE', 'TIME_MILLIS', 'TIME_MICROS', 'TIMESTAMP_MILLIS', 'TIMESTAMP_MICROS']);

function isTemporal(element: SchemaElement): boolean {
  const logical = (element.logical_type as { type?: string } | undefined)?.type;
  return element.type === 'INT96' || (logical !== undefined && TEMPORAL_LOGICAL.has(logical)) || (element.converted_type !== undefined && TEMPORAL_CONVERTED.has(element.converted_type));
}

/** Dates and times arrive as milliseconds since 1970, numbers like any other (not Date objects). */
const PARSERS = {
  ...DEFAULT_PARSERS,
  timestampFromMilliseconds: (millis: bigint) => Number(millis),
  timestampFromMicroseconds: (micros: bigint) => Number(micros) / 1e3,
  timestampFromNanoseconds: (nanos: bigint) => Number(nanos) / 1e6,
  dateFromDays: (days: number) => days * 86_400_000,
};

/** Thrown inside the page loop; becomes a DataError naming the file, the column and the row group. */
class CorruptPage extends Error {}

function check(condition: boolean, problem: string): asserts condition {
  if (!condition) throw new CorruptPage(problem);
}

type Decoder = Parameters<typeof convert>[1];

/**
 * The dictionary indices of a v1 data page of a flat column whose cells are all present, as a typed array;
 * null when a cell is missing (hyparquet's readDataPage places those). hyparquet decodes levels and
 * indices into plain JS arrays, which was most of the time reading flights-3m.parquet took.
 */
function presentDictionaryIndices(page: Uint8Array, rows: number, maxDefinition: number): Int32Array | null {
  const reader = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 };
  if (maxDefinition > 0) {
    const levels = new Uint8Array(rows);
    readRleBitPackedHybrid(reader, 32 - Math.clz32(maxDefinition), levels);
    for (let i = 0; i < rows; i++) if (levels[i] !== maxDefinition) return null;
  }
  const width = reader.view.getUint8(reader.offset++);
  check(width <= 32, `a dictionary index ${width} bits wide`);
  const indices = new Int32Array(rows);
  if (width > 0) readRleBitPackedHybrid(reader, width, indices, reader.view.byteLength - reader.offset);
  return indices;
}

/**
 * Reads one column chunk (the column's pages in one row group) into `builder`: `rows` cells exactly.
 * Dictionary pages are resolved once per entry; data pages place nulls by their definition levels.
 */
function readChunk(file: ArrayBuffer, chunk: ColumnChunk, decoder: Decoder, rows: number, builder: ColumnBuilder, missing: ReadonlySet<string>): void {
  const meta = chunk.meta_data;
  check(meta !== undefined, 'a column chunk has no metadata');
  const dictionaryOffset = meta.dictionary_page_offset === undefined ? undefined : Number(meta.dictionary_page_offset);
  const start = dictionaryOffset !== undefined && dictionaryOffset > 0 ? dictionaryOffset : Number(meta.data_page_offset);
  const length = Number(meta.total_compressed_size);
  check(Number.isSafeInteger(start) && Number.isSafeInteger(length) && start >= 0 && length >= 0 && start + length <= file.byteLength, `a column chunk [${start}, +${length}) lies outside the ${file.byteLength}-byte file`);
  const reader = { view: new DataView(file, start, length), offset: 0 };
  const maxDefinition = getMaxDefinitionLevel(decoder.schemaPath);
  const resolve = (cell: unknown): Resolved => {
    const value = resolveCell(cell, missing);
    check(value !== undefined, 'a nested or binary value is not a table cell');
    return value;
  };
  let dictionary: Resolved[] | null = null;
  let done = 0;
  while (done < rows) {
    check(reader.offset < length, `the pages end after ${done} of ${rows} rows`);
    const header = parquetHeader(reader);
    const size = header.compressed_page_size;
    check(Number.isSafeInteger(size) && size >= 0 && reader.offset + size <= length, `a page of ${size} bytes runs past its column chunk`);
    check(Number.isSafeInteger(header.uncompressed_page_size) && header.uncompressed_page_size >= 0 && header.uncompressed_page_size <= MAX_PAGE_BYTES, `a page claims ${header.uncompressed_page_size} bytes decompressed`);
    const compressed = new Uint8Array(file, start + reader.offset, size);
    reader.offset += size;
    if (header.type === 'DICTIONARY_PAGE') {
      const count = header.dictionary_page_header?.num_values ?? -1;
      check(count >= 0 && count <= header.uncompressed_page_size * 8 + 1, `a dictionary of ${count} entries`);
      const page = decompressPage(compressed, header.uncompressed_page_size, meta.codec, compressors);
      const entries = convert(readPlain({ view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 }, meta.type, count, decoder.element.type_length), decoder);
      dictionary = Array.from(entries as ArrayLike<unknown>, resolve);
      continue;
    }
    let page;
    let pageRows: number;
    if (header.type === 'DATA_PAGE') {
      const daph = header.data_page_header;
      check(daph !== undefined, 'a data page has no header');
      pageRows = daph.num_values;
      check(Number.isSafeInteger(pageRows) && pageRows >= 0 && pageRows <= rows - done, `a page of ${pageRows} rows past the row group's ${rows}`);
      const raw = decompressPage(compressed, header.uncompressed_page_size, meta.codec, compressors);
      const runs = pageV1Problem(raw, daph, maxDefinition, meta.type);
      check(runs === null, runs!);
      const dictionaryPage = daph.encoding === 'PLAIN_DICTIONARY' || daph.encoding === 'RLE_DICTIONARY';
      const indices = dictionaryPage && dictionary !== null && decoder.schemaPath.length === 2 && maxDefinition <= 1 ? presentDictionaryIndices(raw, pageRows, maxDefinition) : null;
      if (indices) {
        const size = dictionary!.length;
        for (let i = 0; i < pageRows; i++) check(indices[i]! >>> 0 < size, 'a dictionary index past the dictionary');
        builder.addIndexed(dictionary!, indices, pageRows);
        done += pageRows;
        continue;
      }
      page = readDataPage(raw, daph, decoder);
    } else if (header.type === 'DATA_PAGE_V2') {
      const daph = header.data_page_header_v2;
      check(daph !== undefined, 'a data page has no header');
      pageRows = daph.num_rows;
      check(Number.isSafeInteger(pageRows) && pageRows >= 0 && pageRows <= rows - done && daph.num_values === pageRows, `a page of ${pageRows} rows past the row group's ${rows}`);
      const valuesSize = header.uncompressed_page_size - daph.definition_levels_byte_length - daph.repetition_levels_byte_length;
      const runs = pageV2Problem(compressed, daph, maxDefinition, meta.type, (v) => (daph.is_compressed !== false && valuesSize ? decompressPage(v, valuesSize, meta.codec, compressors) : v));
      check(runs === null, runs!);
      page = readDataPageV2(compressed, header, decoder);
    } else if (header.type === 'INDEX_PAGE') {
      continue;
    } else {
      throw new CorruptPage(`unknown page type ${String(header.type)}`);
    }
    const encoding = header.type === 'DATA_PAGE' ? header.data_page_header!.encoding : header.data_page_header_v2!.encoding;
    const dictionaryEncoded = encoding === 'PLAIN_DICTIONARY' || encoding === 'RLE_DICTIONARY';
    check(!dictionaryEncoded || dictionary !== null, 'a dictionary-encoded page comes before any dictionary');
    const values: DecodedArray = page.dataPage;
    const plain = dictionaryEncoded ? null : (convert(values, decoder) as ArrayLike<unknown>);
    const levels = page.definitionLevels ?? [];
    const present = levels.length === 0 ? pageRows : levels.reduce((n, level) => n + (level === maxDefinition ? 1 : 0), 0);
    check(values.length >= present, `a page has ${values.length} values for ${present} present cells`);
    if (dictionaryEncoded && levels.length === 0) {
      // No nulls on the page (hyparquet drops the levels then): every cell is a dictionary entry.
      for (let i = 0; i < pageRows; i++) check(values[i]! < dictionary!.length, 'a dictionary index past the dictionary');
      builder.addIndexed(dictionary!, values as ArrayLike<number>, pageRows);
      done += pageRows;
      continue;
    }
    let next = 0;
    const value = dictionaryEncoded
      ? () => {
          const entry = dictionary![values[next++] as number];
          check(entry !== undefined, 'a dictionary index past the dictionary');
          return entry;
        }
      : () => resolve(plain![next++]);
    if (levels.length === 0) for (let i = 0; i < pageRows; i++) builder.add(value());
    else for (let i = 0; i < pageRows; i++) builder.add(levels[i] === maxDefinition ? value() : null);
    done += pageRows;
  }
}

/**
 * Parquet bytes into columns, row group by row group, page by page. `want` skips columns the study does
 * not read (their pages are never decompressed). Nested columns (lists, maps, structs) are refused by name.
 */
export async function readParquet(bytes: Uint8Array, options: { name: string; missing: ReadonlySet<string>; want?: (name: string, temporal: boolean) => boolean }): Promise<RawTable> {
  const source = tableSource(options.name);
  const file = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : (bytes.slice().buffer as ArrayBuffer);
  const corrupt = (error: unknown, column?: string) =>
    error instanceof DataError ? error : new DataError(source, `corrupt or truncated Parquet file: ${error instanceof Error ? error.message : String(error)}`, undefined, column, { cause: error });
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(file, { parsers: PARSERS });
  } catch (error) {
    throw corrupt(error);
  }
  const rows = Number(metadata.num_rows);
  // Top-level fields follow the root; a field with children is a nested column.
  const fields: { element: SchemaElement; temporal: boolean }[] = [];
  const rootChildren = metadata.schema[0]?.num_children ?? 0;
  for (let at = 1; at <= rootChildren && at < metadata.schema.length; at++) {
    const element = metadata.schema[at]!;
    if (element.num_children) throw new DataError(source, 'a nested column (list, map or struct) is not a table cell fusetune reads', undefined, element.name);
    fields.push({ element, temporal: isTemporal(element) });
  }
  if (!Number.isSafeInteger(rows) || rows < 0 || fields.length !== rootChildren || metadata.schema.length !== rootChildren + 1) {
    throw corrupt(new Error(`the schema (${metadata.schema.length - 1} elements for ${rootChildren} fields) or the row count (${metadata.num_rows}) is broken`));
  }
  checkUniqueNames(
    fields.map((f) => f.element.name),
    source,
  );
  const read = fields.filter((f) => !options.want || options.want(f.element.name, f.temporal));
  const columns = read.map((f) => {
    let schemaPath;
    try {
      schemaPath = getSchemaPath(metadata.schema, [f.element.name]);
    } catch (error) {
      throw corrupt(error, f.element.name);
    }
    const decoder = { pathInSchema: [f.element.name], type: f.element.type!, element: f.element, schemaPath, codec: 'UNCOMPRESSED' as const, parsers: PARSERS, compressors, utf8: true };
    return { name: f.element.name, decoder, builder: new ColumnBuilder(f.element.name, options.missing, rows, f.temporal) };
  });
  let groupStart = 0;
  for (const [g, group] of metadata.row_groups.entries()) {
    const groupRows = Number(group.num_rows);
    if (!Number.isSafeInteger(groupRows) || groupRows < 0 || groupStart + groupRows > rows) throw corrupt(new Error(`row group ${g + 1} holds ${group.num_rows} rows past the file's ${rows}`));
    for (const column of columns) {
      const chunk = group.columns.find((c) => c.meta_data?.path_in_schema.length === 1 && c.meta_data.path_in_schema[0] === column.name);
      try {
        if (!chunk) throw new CorruptPage(`row group ${g + 1} has no chunk for it`);
        readChunk(file, chunk, { ...column.decoder, type: chunk.meta_data!.type, codec: chunk.meta_data!.codec }, groupRows, column.builder, options.missing);
      } catch (error) {
        throw corrupt(error instanceof DataError ? error : new Error(`row group ${g + 1}: ${error instanceof Error ? error.message : String(error)}`), column.name);
      }
    }
    groupStart += groupRows;
    // Yield between row groups, so the app can paint while a large file loads.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  if (groupStart !== rows) throw corrupt(new Error(`the row groups hold ${groupStart} rows, the footer says ${rows}`));
  const skipped = fields.filter((f) => !read.includes(f)).map((f) => f.element.name);
  return { name: options.name, format: 'parquet', rows, columns: columns.map((c) => c.builder.finish()), ...(skipped.length ? { skipped } : {}) };
}
