// Bounds on an Arrow file's flatbuffer metadata (footer, schema, batch headers), checked before apache-arrow decodes any.
import { DictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import { Field } from 'apache-arrow/fb/field';
import { Footer } from 'apache-arrow/fb/footer';
import { Message } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { RecordBatch } from 'apache-arrow/fb/record-batch';
import { Schema } from 'apache-arrow/fb/schema';
import { ByteBuffer } from 'flatbuffers';
import type { DataError } from './errors.ts';

type Corrupt = (problem: string) => DataError;

/** Fields nest this deep at most (a list of structs of lists...); a table's columns are one level. */
const MAX_FIELD_DEPTH = 64;

/**
 * NOTE: apache-arrow's decoder trusts every vector length and offset in the metadata: a flipped byte
 * made it build billions of fields (children read in a cycle) and exhaust the heap. Every entry of a
 * flatbuffer vector takes at least `bytesEach` bytes of the buffer it is read from, and every field a
 * table of its own, so these bounds hold for any file apache-arrow wrote and stop the rest.
 */
class Bounds {
  private fields = 0;

  constructor(
    private readonly size: number,
    readonly corrupt: Corrupt,
    private readonly where: string,
  ) {}

  count(what: string, n: number, bytesEach: number): number {
    if (!(Number.isInteger(n) && n >= 0 && n * bytesEach <= this.size)) throw this.corrupt(`${this.where} claims ${n} ${what} in ${this.size} bytes`);
    return n;
  }

  field(depth: number): void {
    this.fields++;
    if (depth > MAX_FIELD_DEPTH || this.fields * 4 > this.size) throw this.corrupt(`${this.where} nests its fields deeper or more often than ${this.size} bytes can hold`);
  }
}

function checkField(field: Field | null, bounds: Bounds, depth: number): void {
  if (!field) return;
  bounds.field(depth);
  bounds.count('metadata entries of a field', field.customMetadataLength(), 4);
  const children = bounds.count('children of a field', field.childrenLength(), 4);
  for (let i = 0; i < children; i++) checkField(field.children(i), bounds, depth + 1);
}

function checkSchema(schema: Schema | null, bounds: Bounds): void {
  if (!schema) return;
  bounds.count('schema metadata entries', schema.customMetadataLength(), 4);
  const fields = bounds.count('fields', schema.fieldsLength(), 4);
  for (let i = 0; i < fields; i++) checkField(schema.fields(i), bounds, 0);
}

function checkBatch(batch: RecordBatch | null, bounds: Bounds): void {
  if (!batch) return;
  bounds.count('column nodes', batch.nodesLength(), 16);
  bounds.count('buffers', batch.buffersLength(), 16);
  bounds.count('variadic buffer counts', batch.variadicBufferCountsLength(), 8);
}

/** The file format's footer (its bytes alone): block counts and the schema. */
export function checkFooterMetadata(footerBytes: Uint8Array, corrupt: Corrupt): void {
  const bounds = new Bounds(footerBytes.length, corrupt, 'the footer');
  const footer = Footer.getRootAsFooter(new ByteBuffer(footerBytes));
  bounds.count('record batch blocks', footer.recordBatchesLength(), 24);
  bounds.count('dictionary blocks', footer.dictionariesLength(), 24);
  bounds.count('metadata entries', footer.customMetadataLength(), 4);
  checkSchema(footer.schema(), bounds);
}

/**
 * The message framed at byte `at` (an optional 0xFFFFFFFF continuation, the metadata's length, the
 * metadata): its metadata's bounds. Returns where the next message starts, or null at the end of the
 * bytes or the stream, or where the body's length is for the message reader to refuse.
 */
export function checkMessageMetadata(bytes: Uint8Array, at: number, corrupt: Corrupt): number | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (at + 4 > bytes.length) return null;
  let length = view.getInt32(at, true);
  let start = at + 4;
  if (length === -1) {
    if (at + 8 > bytes.length) return null;
    length = view.getInt32(at + 4, true);
    start = at + 8;
  }
  if (length === 0) return null;
  if (!(length > 0 && start + length <= bytes.length)) throw corrupt(`the message at byte ${at} claims ${length} bytes of metadata, the file has ${bytes.length - start} left`);
  const bounds = new Bounds(length, corrupt, `the message at byte ${at}`);
  const message = Message.getRootAsMessage(new ByteBuffer(bytes.subarray(start, start + length)));
  bounds.count('metadata entries', message.customMetadataLength(), 4);
  const type = message.headerType();
  if (type === MessageHeader.Schema) checkSchema(message.header(new Schema()) as Schema | null, bounds);
  else if (type === MessageHeader.RecordBatch) checkBatch(message.header(new RecordBatch()) as RecordBatch | null, bounds);
  else if (type === MessageHeader.DictionaryBatch) checkBatch((message.header(new DictionaryBatch()) as DictionaryBatch | null)?.data() ?? null, bounds);
  const body = Number(message.bodyLength());
  return Number.isSafeInteger(body) && body >= 0 ? start + length + body : null;
}
