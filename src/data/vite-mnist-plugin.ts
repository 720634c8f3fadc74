// Vite plugin: serves the MNIST asset at <base>data/mnist-v1.bin in dev and emits it into the build.
import type { Plugin } from 'vite';
import { MNIST_ASSET_URL_PATH } from './mnist-asset.ts';
import { mnistAssetBytesNode } from './mnist-node.ts';

export function mnistAssetPlugin(): Plugin {
  let base = '/';
  return {
    name: 'fusetune-mnist-asset',
    configResolved(config) {
      base = config.base;
    },
    configureServer(server) {
      // Our middleware runs before Vite strips the base, so accept the path with or without it.
      const paths = new Set([`${base}${MNIST_ASSET_URL_PATH}`, `/${MNIST_ASSET_URL_PATH}`]);
      server.middlewares.use((req, res, next) => {
        const path = new URL(req.url ?? '/', 'http://localhost').pathname;
        if (!paths.has(path)) return next();
        try {
          const bytes = mnistAssetBytesNode();
          res.setHeader('Content-Type', 'application/octet-stream');
          res.setHeader('Content-Length', String(bytes.byteLength));
          res.setHeader('Cache-Control', 'no-cache');
          res.end(bytes);
        } catch (error) {
          next(error);
        }
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: MNIST_ASSET_URL_PATH, source: mnistAssetBytesNode() });
    },
  };
}
