#!/usr/bin/env node
// `npm run build` (and `npm pack`, through prepack): what the installed package runs, so it needs no tsx and
// no TypeScript. dist/app: the app (vite build, with the MNIST asset the CLI reads too); dist/node: the CLI
// and the Node library as ES modules (esbuild, WGSL inlined as text, npm packages left as imports);
// dist/browser: the library for pages; dist/types: declarations (tsc).
import { spawnSync } from 'node:child_process';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

const run = (command, args) => {
  const status = spawnSync(command, args, { stdio: 'inherit' }).status;
  if (status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${status}`);
};

/** `import text from './x.wgsl?raw'` gives the file's text, as Vite does for the app and bin/wgsl-hooks.js in a checkout. */
const wgslText = {
  name: 'wgsl-raw',
  setup(b) {
    b.onResolve({ filter: /\.wgsl\?raw$/ }, (args) => ({ path: join(args.resolveDir, args.path.slice(0, -'?raw'.length)), namespace: 'wgsl' }));
    b.onLoad({ filter: /.*/, namespace: 'wgsl' }, async (args) => ({ contents: await readFile(args.path, 'utf8'), loader: 'text' }));
  },
};

// NOTE: the bundles sit two folders below the package root, as the sources do (src/<folder>/x.ts), so a
// path a module takes from import.meta.url ('../../studies/default.json', '../../bin/fusetune.js') names
// the same file in the package as in a checkout. Chunks stay in the same folder for the same reason.
const common = { bundle: true, format: 'esm', target: 'es2022', packages: 'external', splitting: true, chunkNames: '[name]-[hash]', plugins: [wgslText], logLevel: 'warning' };

await rm('dist', { recursive: true, force: true });
run('npx', ['vite', 'build', '--logLevel', 'warn']);
await build({ ...common, entryPoints: { cli: 'src/cli/launch.ts', index: 'src/index.ts' }, outdir: 'dist/node', platform: 'node' });
// In a page the MNIST asset is fetched from <base>data/mnist-v1.bin; without a base, from the site's root.
await build({ ...common, entryPoints: { index: 'src/browser.ts' }, outdir: 'dist/browser', platform: 'browser', define: { 'import.meta.env.BASE_URL': '"/"' } });
run('npx', ['tsc', '-p', 'tsconfig.build.json']);
await rewriteDeclarationImports('dist/types');

/** The sources import './x.ts'; their declarations must import './x.js', which resolves to './x.d.ts' for every consumer. */
async function rewriteDeclarationImports(dir) {
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace(/((?:from|import)\s*\(?\s*['"]\.{1,2}\/[^'"]*)\.ts(['"])/g, '$1.js$2'));
  }
}
