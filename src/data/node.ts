// Node entry for data: loads a DataSpec with the file system and the cached MNIST asset.
import { readFile } from 'node:fs/promises';
import type { Dataset } from './dataset.ts';
import { datasetFromSpec } from './load.ts';
import { loadMnistAssetNode } from './mnist-node.ts';
import type { DataSpec } from './spec.ts';

export function loadDatasetNode(spec: DataSpec): Promise<Dataset> {
  return datasetFromSpec(spec, {
    mnistAsset: async () => loadMnistAssetNode(),
    readText: (path) => readFile(path, 'utf8'),
    readFile: (path) => readFile(path),
  });
}
