// The one error type data loading throws: which source, and where in it (line or row, column) when that is known.
import { InputError } from '../util/input-error.ts';

/** Bad or unreadable data: a CSV problem, a corrupt MNIST asset, an unknown file, an invalid option. */
export class DataError extends InputError {
  /** 1-based row (record) of a file without lines (JSON, Arrow, Parquet), when the problem is in one row. */
  readonly row?: number;

  constructor(
    /** What was being read, e.g. `csv:iris.csv`, `table:penguins.json`, `mnist asset`, `spirals`. */
    readonly source: string,
    /** The problem, without the location prefix. */
    readonly problem: string,
    /** 1-based line of the file, when the problem is in one line. */
    readonly line?: number,
    /** The column's header name, when the problem is in one field. */
    readonly column?: string,
    options?: { cause?: unknown; row?: number },
  ) {
    const at = line !== undefined ? ` line ${line}` : options?.row !== undefined ? ` row ${options.row}` : '';
    super(`${source}${at}${column === undefined ? '' : `, column "${column}"`}: ${problem}`, options);
    this.name = 'DataError';
    if (options?.row !== undefined) this.row = options.row;
  }
}
