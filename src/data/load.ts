// Resolves a DataSpec to a Dataset; the platform supplies how to get the MNIST asset and a CSV file's text.
import { csvDataset } from './csv.ts';
import type { Dataset } from './dataset.ts';
import { DataError } from './errors.ts';
import type { MnistAsset } from './mnist-asset.ts';
import { mnistDataset } from './mnist.ts';
import type { DataSpec } from './spec.ts';
import { syntheticDataset } from './synthetic.ts';

/** What a loader needs from its platform (Node: the file system; browser: fetch and uploads). */
export interface DataIo {
  mnistAsset(): Promise<MnistAsset>;
  /** The text of a CSV file: a path in Node, an uploaded file's name in the browser. */
  readText(path: string): Promise<string>;
}

/** The last path component, for either separator, so the name reads the same on every platform. */
function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

export async function datasetFromSpec(spec: DataSpec, io: DataIo): Promise<Dataset> {
  switch (spec.kind) {
    case 'mnist':
      return mnistDataset(await io.mnistAsset(), { pixels: spec.pixels, trainLimit: spec.trainLimit });
    case 'csv': {
      const name = fileName(spec.path);
      let text: string;
      try {
        text = await io.readText(spec.path);
      } catch (error) {
        if (error instanceof DataError) throw error;
        throw new DataError(`csv:${name}`, `cannot read "${spec.path}": ${error instanceof Error ? error.message : String(error)}`, undefined, undefined, {
          cause: error,
        });
      }
      return csvDataset(text, { name, labelColumn: spec.labelColumn, validation: spec.validation, standardize: spec.standardize });
    }
    default:
      return syntheticDataset(spec);
  }
}
