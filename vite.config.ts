import { defineConfig } from 'vite';
import { mnistAssetPlugin } from './src/data/vite-mnist-plugin.ts';

export default defineConfig({
  plugins: [mnistAssetPlugin()],
  build: { target: 'es2022', sourcemap: true, outDir: 'dist/app' },
  server: { port: 5173 },
  preview: { port: 4173 },
});
