// Browser only: fetches the MNIST asset that the Vite plugin serves (dev) or emits (build) at data/mnist-v1.bin.
import { DataError } from './errors.ts';
import { decodeMnistAsset, MNIST_ASSET_URL_PATH, type MnistAsset } from './mnist-asset.ts';

export async function fetchMnistAsset(base: string = import.meta.env.BASE_URL): Promise<MnistAsset> {
  const url = `${base.endsWith('/') ? base : `${base}/`}${MNIST_ASSET_URL_PATH}`;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new DataError('mnist asset', `fetching ${url} failed: ${error instanceof Error ? error.message : String(error)}`, undefined, undefined, {
      cause: error,
    });
  }
  if (!response.ok) {
    throw new DataError('mnist asset', `fetching ${url} gave HTTP ${response.status} ${response.statusText}`.trimEnd());
  }
  return decodeMnistAsset(new Uint8Array(await response.arrayBuffer()));
}
