// Web Worker: reads and describes an uploaded table off the page's main thread (a large Parquet file takes seconds), keeping the file and the table it read for the next request.
import { describeTableFile, emptyReadCache, type DescribeOptions } from '../../data/describe-table.ts';
import type { TableFormat } from '../../data/table.ts';

export interface DescribeRequest {
  id: number;
  /** The file, sent only when it differs from the one this worker holds. */
  contents?: Uint8Array | string;
  name: string;
  options: DescribeOptions & { format?: TableFormat };
}

let contents: Uint8Array | string = '';
const cache = emptyReadCache();

// NOTE: the controller sends one request at a time, so two never interleave over the cache.
self.onmessage = async (event: MessageEvent<DescribeRequest>) => {
  const { id, name, options } = event.data;
  if (event.data.contents !== undefined) contents = event.data.contents;
  try {
    self.postMessage({ id, summary: await describeTableFile(contents, name, options, cache) });
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
