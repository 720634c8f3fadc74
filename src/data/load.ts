// Resolves a DataSpec to a Dataset; the platform supplies how to get the MNIST asset and a data file's contents.
import { csvDataset } from './csv.ts';
import type { Dataset, Task } from './dataset.ts';
import { DataError } from './errors.ts';
import type { MnistAsset } from './mnist-asset.ts';
import { mnistDataset } from './mnist.ts';
import { formatOf, readTable } from './read-table.ts';
import type { DataSpec, TableSpec } from './spec.ts';
import { syntheticDataset } from './synthetic.ts';
import { tableDataset, targetTask, type TableLoad } from './table-dataset.ts';
import { type RawTable, tableSource } from './table.ts';

/** What a loader needs from its platform (Node: the file system; browser: fetch and uploads). */
export interface DataIo {
  mnistAsset(): Promise<MnistAsset>;
  /** The text of a CSV file: a path in Node, an uploaded file's name in the browser. */
  readText(path: string): Promise<string>;
  /** A table file's contents: bytes, or text for a text format the platform already holds as text (an upload). */
  readFile(path: string): Promise<Uint8Array | string>;
}

/** The last path component, for either separator, so the name reads the same on every platform. */
export function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

async function read<T>(source: string, path: string, how: () => Promise<T>): Promise<T> {
  try {
    return await how();
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError(source, `cannot read "${path}": ${error instanceof Error ? error.message : String(error)}`, undefined, undefined, { cause: error });
  }
}

async function readSpecTable(spec: TableSpec, io: Pick<DataIo, 'readFile'>, want: (column: string, temporal: boolean) => boolean): Promise<RawTable> {
  const name = fileName(spec.path);
  const format = formatOf(name, spec.format);
  const contents = await read(tableSource(name), spec.path, () => io.readFile(spec.path));
  return readTable(contents, { name, format, missing: spec.missing, want });
}

/**
 * Reads and encodes a table study's file. Arrow and Parquet columns the study cannot use are not read:
 * those it sets to "ignore", and file-typed dates and times it does not name (their guess is "ignore").
 */
export async function loadTable(spec: TableSpec, io: Pick<DataIo, 'readFile'>): Promise<TableLoad> {
  return tableDataset(await readSpecTable(spec, io, wantedColumns(spec)), spec);
}

/** A table study's task as loadTable finds it: the stated `task`, else guessed from the target column, the only one read (Arrow, Parquet). */
export async function tableTask(spec: TableSpec, io: Pick<DataIo, 'readFile'>): Promise<Task> {
  return spec.task ?? targetTask(await readSpecTable(spec, io, (column) => column === spec.target), spec);
}

/** The Arrow and Parquet columns a table study reads (see loadTable); the ingest bench reads the same. */
export function wantedColumns(spec: TableSpec): (column: string, temporal: boolean) => boolean {
  const named = new Set([spec.target, spec.split.orderBy, spec.split.column, spec.cv?.column].filter((n) => n !== undefined));
  return (column, temporal) => {
    const kind = spec.columns[column];
    if (named.has(column)) return true;
    return kind === undefined ? !temporal : kind !== 'ignore';
  };
}

export async function datasetFromSpec(spec: DataSpec, io: DataIo): Promise<Dataset> {
  switch (spec.kind) {
    case 'mnist':
      return mnistDataset(await io.mnistAsset(), { pixels: spec.pixels, trainLimit: spec.trainLimit });
    case 'csv': {
      const name = fileName(spec.path);
      const text = await read(`csv:${name}`, spec.path, () => io.readText(spec.path));
      return csvDataset(text, { name, labelColumn: spec.labelColumn, validation: spec.validation, standardize: spec.standardize });
    }
    case 'table':
      return (await loadTable(spec, io)).dataset;
    default:
      return syntheticDataset(spec);
  }
}
