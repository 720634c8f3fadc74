// `node --import ./bin/register.js file.ts`: TypeScript through tsx, plus WGSL `?raw` text imports.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register('./wgsl-hooks.js', import.meta.url);
