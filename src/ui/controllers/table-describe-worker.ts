// Web Worker: reads and describes an uploaded table off the page's main thread (a large Parquet file takes seconds).
import { describeTableFile, type DescribeOptions } from '../../data/describe-table.ts';
import type { TableFormat } from '../../data/table.ts';

self.onmessage = async (event: MessageEvent<{ contents: Uint8Array | string; name: string; options: DescribeOptions & { format?: TableFormat } }>) => {
  try {
    const { contents, name, options } = event.data;
    self.postMessage({ summary: await describeTableFile(contents, name, options) });
  } catch (error) {
    self.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
};
