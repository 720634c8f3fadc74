// Arrow IPC (file or stream) into columns, with apache-arrow; every message is checked against the bytes first.
import { MessageHeader, MessageReader, RecordBatchReader, tableFromIPC, Type, type Data, type DataType, type RecordBatchFileReader, type Vector } from 'apache-arrow';
import { checkFooterMetadata, checkMessageMetadata } from './arrow-metadata.ts';
import { DataError } from './errors.ts';
import { checkUniqueNames, ColumnBuilder, type RawTable, tableSource } from './table.ts';

const FILE_MAGIC = 'ARROW1';

function magicAt(bytes: Uint8Array, at: number): boolean {
  if (at < 0 || at + FILE_MAGIC.length > bytes.length) return false;
  for (let i = 0; i < FILE_MAGIC.length; i++) if (bytes[at + i] !== FILE_MAGIC.charCodeAt(i)) return false;
  return true;
}

type Corrupt = (problem: string) => DataError;

/** The record batch (or dictionary batch) metadata apache-arrow decoded from a message header. */
interface BatchHeader {
  length: number | bigint;
  nodes: { length: number | bigint; nullCount: number | bigint }[];
  buffers: { offset: number | bigint; length: number | bigint }[];
}

/**
 * Checks one message's claims against the bytes it came with: a body within the file, buffers within
 * the body, and row counts the body could hold (each value of a column takes at least one bit).
 */
function checkMessage(reader: MessageReader, label: string, corrupt: Corrupt, expect: 'schema' | 'batch' | MessageHeader): boolean {
  let message;
  try {
    message = reader.readMessage();
  } catch (error) {
    throw corrupt(`${label} is unreadable (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!message) return false;
  const type = message.headerType;
  const batch = type === MessageHeader.RecordBatch || type === MessageHeader.DictionaryBatch;
  if (expect === 'schema' ? type !== MessageHeader.Schema : expect === 'batch' ? !batch : type !== expect) {
    throw corrupt(`${label} is a message of type ${MessageHeader[type] ?? type}, where ${typeof expect === 'string' ? `a ${expect}` : MessageHeader[expect]} belongs`);
  }
  const bodyLength = message.bodyLength;
  if (!Number.isSafeInteger(bodyLength) || bodyLength < 0) throw corrupt(`${label} declares a body of ${bodyLength} bytes`);
  const body = reader.readMessageBody(bodyLength);
  if (body.byteLength < bodyLength) throw corrupt(`${label} declares ${bodyLength} body bytes, the file has ${body.byteLength} left`);
  if (!batch) return true;
  let header: BatchHeader & { data?: BatchHeader };
  try {
    // Decoded on first use: a count past 2^53 throws here.
    header = message.header() as unknown as BatchHeader & { data?: BatchHeader };
  } catch (error) {
    throw corrupt(`${label}'s header is unreadable (${error instanceof Error ? error.message : String(error)})`);
  }
  const counts = header.data ?? header;
  const most = 8 * Math.max(bodyLength, 1);
  const rows = Number(counts.length);
  if (!Number.isSafeInteger(rows) || rows < 0 || rows > most) throw corrupt(`${label} declares ${counts.length} rows in a ${bodyLength}-byte body`);
  for (const node of counts.nodes) {
    const length = Number(node.length);
    const nulls = Number(node.nullCount);
    if (!(length >= 0 && length <= most && nulls >= 0 && nulls <= length)) throw corrupt(`${label} declares a column of ${node.length} values (${node.nullCount} null)`);
  }
  for (const buffer of counts.buffers) {
    const offset = Number(buffer.offset);
    const length = Number(buffer.length);
    if (!(offset >= 0 && length >= 0 && offset + length <= bodyLength)) throw corrupt(`${label} has a buffer [${buffer.offset}, +${buffer.length}) outside its ${bodyLength}-byte body`);
  }
  return true;
}

/**
 * Checks every message before apache-arrow decodes anything: the stream format from its start (a schema
 * first), the file format through its footer's blocks (each within the file, each a valid message).
 * NOTE: apache-arrow trusts these numbers: a corrupt record batch header sent it into an endless loop.
 */
function checkArrow(bytes: Uint8Array, corrupt: Corrupt): void {
  if (!magicAt(bytes, 0)) {
    for (let at: number | null = 0; at !== null; ) at = checkMessageMetadata(bytes, at, corrupt);
    const reader = new MessageReader(bytes);
    let index = 0;
    while (checkMessage(reader, `message ${index + 1}`, corrupt, index === 0 ? 'schema' : 'batch')) index++;
    if (index === 0) throw corrupt('no messages (not an Arrow IPC file?)');
    return;
  }
  if (bytes.length < 2 * 8 + 4 || !magicAt(bytes, bytes.length - FILE_MAGIC.length)) throw corrupt('it starts as an Arrow file but does not end as one (the footer is missing)');
  const footerLength = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 10, 4).getInt32(0, true);
  if (!(footerLength > 0 && footerLength <= bytes.length - 18)) throw corrupt(`the footer claims ${footerLength} bytes`);
  const end = bytes.length - 10 - footerLength;
  checkFooterMetadata(bytes.subarray(end, end + footerLength), corrupt);
  let blocks: { offset: number; metaDataLength: number; bodyLength: number; type: MessageHeader }[];
  try {
    const reader = RecordBatchReader.from(bytes) as RecordBatchFileReader;
    reader.open();
    const footer = reader.footer!;
    blocks = [
      ...[...footer.dictionaryBatches()].map((block) => ({ ...block, type: MessageHeader.DictionaryBatch })),
      ...[...footer.recordBatches()].map((block) => ({ ...block, type: MessageHeader.RecordBatch })),
    ];
  } catch (error) {
    throw corrupt(`the footer is unreadable (${error instanceof Error ? error.message : String(error)})`);
  }
  blocks.forEach((block, b) => {
    const offset = Number(block.offset);
    const size = Number(block.metaDataLength) + Number(block.bodyLength);
    if (!(Number.isSafeInteger(offset) && Number.isSafeInteger(size) && offset >= 8 && size > 0 && offset + size <= end)) {
      throw corrupt(`block ${b + 1} of the footer [${block.offset}, +${size}) lies outside the file's ${end} data bytes`);
    }
    checkMessageMetadata(bytes.subarray(offset, offset + size), 0, corrupt);
    if (!checkMessage(new MessageReader(bytes.subarray(offset, offset + size)), `block ${b + 1}`, corrupt, block.type)) throw corrupt(`block ${b + 1} of the footer holds no message`);
  });
}

const SUPPORTED = new Set<Type>([Type.Int, Type.Float, Type.Bool, Type.Utf8, Type.LargeUtf8, Type.Dictionary, Type.Date, Type.Timestamp, Type.Time]);
const TEMPORAL = new Set<Type>([Type.Date, Type.Timestamp, Type.Time]);

/** Appends one record batch's slice of a column. Plain numbers are read from their typed array; the rest through `get`. */
function appendData(builder: ColumnBuilder, data: Data<DataType>, vector: Vector, base: number, where: (row: number) => DataError): void {
  const values = data.values as ArrayLike<number | bigint> | undefined;
  const plain = (data.typeId === Type.Int || (data.typeId === Type.Float && !(values instanceof Uint16Array))) && values !== undefined;
  for (let i = 0; i < data.length; i++) {
    if (plain) builder.push(data.nullCount > 0 && !data.getValid(i) ? null : values[data.offset + i], () => where(base + i));
    else builder.push(vector.get(base + i), () => where(base + i));
  }
}

/** Arrow IPC bytes (the file format or the stream format) into columns. */
export function readArrow(bytes: Uint8Array, options: { name: string; missing: ReadonlySet<string>; want?: (name: string, temporal: boolean) => boolean }): RawTable {
  const source = tableSource(options.name);
  checkArrow(bytes, (problem) => new DataError(source, `corrupt or truncated Arrow file: ${problem}`));
  let table;
  try {
    table = tableFromIPC(bytes);
  } catch (error) {
    throw new DataError(source, `corrupt or truncated Arrow file: ${error instanceof Error ? error.message : String(error)}`, undefined, undefined, { cause: error });
  }
  const fields = table.schema.fields;
  checkUniqueNames(
    fields.map((f) => f.name),
    source,
  );
  const rows = table.numRows;
  const columns = [];
  const skipped: string[] = [];
  for (let c = 0; c < fields.length; c++) {
    const field = fields[c]!;
    const temporal = TEMPORAL.has(field.typeId);
    if (options.want && !options.want(field.name, temporal)) {
      skipped.push(field.name);
      continue;
    }
    const dictionaryValue = field.typeId === Type.Dictionary ? (field.type as { dictionary: DataType }).dictionary.typeId : null;
    if (!SUPPORTED.has(field.typeId) || (dictionaryValue !== null && !SUPPORTED.has(dictionaryValue))) {
      throw new DataError(source, `Arrow type ${String(field.type)} is not a table cell fusetune reads (numbers, strings, booleans, dictionaries, dates and times)`, undefined, field.name);
    }
    const vector = table.getChildAt(c)!;
    const builder = new ColumnBuilder(field.name, options.missing, rows, temporal);
    const where = (row: number) => new DataError(source, 'unreadable value', undefined, field.name, { row: row + 1 });
    let base = 0;
    try {
      for (const data of vector.data) {
        appendData(builder, data, vector, base, where);
        base += data.length;
      }
    } catch (error) {
      if (error instanceof DataError) throw error;
      throw new DataError(source, `corrupt Arrow column: ${error instanceof Error ? error.message : String(error)}`, undefined, field.name, { cause: error });
    }
    if (builder.rows !== rows) throw new DataError(source, `corrupt Arrow file: the column has ${builder.rows} values, the table ${rows} rows`, undefined, field.name);
    columns.push(builder.finish());
  }
  return { name: options.name, format: 'arrow', rows, columns, ...(skipped.length ? { skipped } : {}) };
}
