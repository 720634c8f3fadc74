// Browser entry for data: loads a DataSpec with fetched MNIST and CSV text from files the user uploaded.
import type { Dataset } from './dataset.ts';
import { DataError } from './errors.ts';
import { datasetFromSpec } from './load.ts';
import { fetchMnistAsset } from './mnist-browser.ts';
import type { DataSpec } from './spec.ts';

/** `files` maps an uploaded file's name to its text; a CSV spec's `path` names one of them. */
export function loadDatasetBrowser(spec: DataSpec, files: Map<string, string>): Promise<Dataset> {
  return datasetFromSpec(spec, {
    mnistAsset: () => fetchMnistAsset(),
    readText: async (path) => {
      const text = files.get(path) ?? files.get(path.split(/[\\/]/).pop() ?? path);
      if (text === undefined) {
        const uploaded = [...files.keys()];
        throw new DataError(`csv:${path}`, `no uploaded file named "${path}" (uploaded: ${uploaded.length ? uploaded.join(', ') : 'none'})`);
      }
      return text;
    },
  });
}
