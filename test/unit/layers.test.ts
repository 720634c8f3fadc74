// The house's floors: every folder of src/ imports only the folders below it (DESIGN.md), checked on every import.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = 'src';

/**
 * What each folder may import, bottom first. model/ and util/ hold the shared vocabulary and
 * import nothing of ours; search/ and schedule/ are pure (no WebGPU: no gpu/, kernels/, engine/);
 * engine/ obeys and never decides (no search/, schedule/); store/ records (types from gpu/ and
 * search/); study/ runs the loop over all of them; bench/ measures; cli/ and ui/ are shells; the
 * files at src/'s root are the package's entries.
 */
export const ALLOWED: Record<string, readonly string[]> = {
  model: [],
  util: [],
  gpu: ['model', 'util'],
  data: ['model', 'util'],
  search: ['model', 'util', 'data'],
  schedule: ['model', 'util', 'search'],
  kernels: ['model', 'util', 'gpu'],
  engine: ['model', 'util', 'gpu', 'data', 'kernels'],
  store: ['model', 'util', 'gpu', 'data', 'search'],
  study: ['model', 'util', 'gpu', 'data', 'search', 'schedule', 'kernels', 'engine', 'store'],
  bench: ['model', 'util', 'gpu', 'data', 'search', 'schedule', 'kernels', 'engine', 'store', 'study'],
  cli: ['model', 'util', 'gpu', 'data', 'search', 'schedule', 'kernels', 'engine', 'store', 'study', 'bench'],
  ui: ['model', 'util', 'gpu', 'data', 'search', 'schedule', 'kernels', 'engine', 'store', 'study', 'bench'],
  // The package's entries (`import … from 'fusetune'`): the library's API, not its shells.
  'library.ts': ['model', 'util', 'gpu', 'data', 'search', 'schedule', 'kernels', 'engine', 'store', 'study'],
  'index.ts': ['model', 'util', 'gpu', 'data', 'search', 'schedule', 'kernels', 'engine', 'store', 'study', 'library.ts'],
  'browser.ts': ['model', 'util', 'gpu', 'data', 'search', 'schedule', 'kernels', 'engine', 'store', 'study', 'library.ts'],
};

/** Files outside src/ that library code may read as data (shaders and example studies). */
const OUTSIDE_ALLOWED = [/^shaders\//, /^studies\/[^/]+\.json$/];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative specifiers of static imports, re-exports, side-effect imports and dynamic import(). */
export function relativeImports(text: string): string[] {
  const out: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
  for (const match of text.matchAll(pattern)) out.push(match[1]!.split('?')[0]!);
  return out;
}

interface Violation {
  file: string;
  imports: string;
  why: string;
}

function violations(): Violation[] {
  const found: Violation[] = [];
  for (const file of sourceFiles(SRC)) {
    const folder = relative(SRC, file).split(sep)[0]!;
    const allowed = ALLOWED[folder];
    if (!allowed) {
      found.push({ file, imports: '', why: `folder src/${folder} has no place in the layer table` });
      continue;
    }
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
      const target = normalize(join(dirname(file), spec));
      const inSrc = relative(SRC, target);
      if (inSrc.startsWith('..')) {
        const fromRoot = relative('.', target).split(sep).join('/');
        if (!OUTSIDE_ALLOWED.some((ok) => ok.test(fromRoot))) found.push({ file, imports: spec, why: `library code reaches outside src/ (${fromRoot})` });
        continue;
      }
      const to = inSrc.split(sep)[0]!;
      if (to !== folder && !allowed.includes(to)) found.push({ file, imports: spec, why: `src/${folder} may not import src/${to}` });
    }
  }
  return found;
}

describe('layers', () => {
  it('finds every kind of import', () => {
    const text = `import a from '../gpu/x.ts';\nimport { b } from "../engine/y.ts";\nimport '../ui/z.ts';\nexport { c } from '../store/w.ts';\nconst d = await import('../cli/v.ts');\nimport e from '../../shaders/f.wgsl?raw';`;
    expect(relativeImports(text)).toEqual(['../gpu/x.ts', '../engine/y.ts', '../ui/z.ts', '../store/w.ts', '../cli/v.ts', '../../shaders/f.wgsl']);
  });

  it('the table is acyclic: no folder may import one that may import it back', () => {
    for (const [folder, allowed] of Object.entries(ALLOWED)) {
      for (const below of allowed) expect(ALLOWED[below], `${folder} -> ${below}`).not.toContain(folder);
    }
  });

  it('no folder of src/ imports one above it, and library code does not import tests or configs', () => {
    const found = violations();
    expect(found.map((v) => `${v.file} imports ${v.imports}: ${v.why}`)).toEqual([]);
  });

  it('model/ and util/ import nothing of ours but themselves', () => {
    for (const folder of ['model', 'util']) {
      for (const file of sourceFiles(join(SRC, folder))) {
        for (const spec of relativeImports(readFileSync(file, 'utf8'))) expect(spec.startsWith('./'), `${file} imports ${spec}`).toBe(true);
      }
    }
  });
});
