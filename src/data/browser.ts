// Browser entry for data: loads a DataSpec with fetched MNIST and the files the user uploaded.
import type { Dataset } from './dataset.ts';
import { DataError } from './errors.ts';
import { datasetFromSpec } from './load.ts';
import { fetchMnistAsset } from './mnist-browser.ts';
import type { DataSpec } from './spec.ts';

/** An uploaded file as the app keeps it: text for CSV/TSV/JSON, bytes for Arrow and Parquet. */
export type UploadedFile = string | Uint8Array;

/** The uploaded file a spec's `path` names (by full name, else by its last component). */
export function uploadedFile(files: ReadonlyMap<string, UploadedFile>, path: string, kind: 'csv' | 'table'): UploadedFile {
  const file = files.get(path) ?? files.get(path.split(/[\\/]/).pop() ?? path);
  if (file === undefined) {
    const uploaded = [...files.keys()];
    throw new DataError(`${kind}:${path}`, `no uploaded file named "${path}" (uploaded: ${uploaded.length ? uploaded.join(', ') : 'none'})`);
  }
  return file;
}

/** `files` maps an uploaded file's name to its contents; a CSV or table spec's `path` names one of them. */
export function loadDatasetBrowser(spec: DataSpec, files: ReadonlyMap<string, UploadedFile>): Promise<Dataset> {
  return datasetFromSpec(spec, {
    mnistAsset: () => fetchMnistAsset(),
    readText: async (path) => {
      const file = uploadedFile(files, path, 'csv');
      return typeof file === 'string' ? file : new TextDecoder().decode(file);
    },
    readFile: async (path) => uploadedFile(files, path, 'table'),
  });
}
