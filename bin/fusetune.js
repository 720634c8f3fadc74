#!/usr/bin/env node
// `fusetune`: in a checkout (src/ beside bin/) the TypeScript sources run through tsx, so an edit needs no
// build; the installed package has no src/ and runs its compiled bundle (dist/node/cli.js).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const checkout = existsSync(new URL('../src/cli/launch.ts', import.meta.url));
if (checkout) await import('./register.js');
const { launch } = await import(checkout ? '../src/cli/launch.ts' : '../dist/node/cli.js');
process.exitCode = await launch(fileURLToPath(import.meta.url), process.argv.slice(2));
