// `import … from 'fusetune'` in a page (the `browser` condition): the library (library.ts) plus WebGPU from navigator.gpu and uploaded files.
export * from './library.ts';
export { acquireBrowserGpu } from './gpu/browser-gpu.ts';
export { loadDatasetBrowser } from './data/browser.ts';
export { fetchMnistAsset } from './data/mnist-browser.ts';
