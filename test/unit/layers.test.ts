// The house's floors (README.md, "How it works"): every folder of src/ imports only folders below it,
// and only those it uses; no file imports itself back through others (no import circle, within a
// folder or across folders). Checked on every import, type-only and dynamic ones included.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = 'src';

/**
 * What each folder imports, bottom first: exactly the folders its code uses (a test keeps the list
 * tight), all of them below it. model/ and util/ hold the shared vocabulary and import nothing of
 * ours; gpu/ neither; search/ and schedule/ are pure (no gpu/, kernels/, engine/); engine/ obeys and
 * never decides (no search/, schedule/); store/ records and exports (types from gpu/, search/ and data/); study/ runs
 * the loop over all of them; bench/ measures; cli/ and ui/ are shells; the files at src/'s root are
 * the package's entries.
 */
export const ALLOWED: Record<string, readonly string[]> = {
  model: [],
  util: [],
  gpu: [],
  data: ['util'],
  search: ['model', 'util', 'data'],
  schedule: ['model', 'util', 'search'],
  kernels: ['model', 'util', 'gpu'],
  engine: ['model', 'util', 'gpu', 'data', 'kernels'],
  // store/ → data/: the ONNX export builds its output from the fitted transform's target (store/onnx.ts).
  store: ['model', 'util', 'gpu', 'data', 'search'],
  study: ['model', 'util', 'gpu', 'data', 'search', 'schedule', 'engine', 'store'],
  bench: ['model', 'util', 'gpu', 'data', 'search', 'schedule', 'kernels', 'engine', 'study'],
  cli: ['model', 'util', 'gpu', 'data', 'search', 'kernels', 'engine', 'store', 'study', 'bench'],
  ui: ['model', 'util', 'gpu', 'data', 'search', 'store', 'study', 'bench'],
  // The package's entries (`import … from 'fusetune'`): the library's API, not its shells.
  'library.ts': ['model', 'util', 'gpu', 'data', 'search', 'schedule', 'store', 'study'],
  'index.ts': ['gpu', 'data', 'store', 'library.ts'],
  'browser.ts': ['gpu', 'data', 'library.ts'],
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

/** Every source file's imports inside src/ (as paths), and the violations of the table. */
function scan(): { graph: Map<string, string[]>; used: Map<string, Set<string>>; found: Violation[] } {
  const found: Violation[] = [];
  const graph = new Map<string, string[]>();
  const used = new Map<string, Set<string>>();
  for (const file of sourceFiles(SRC)) {
    const folder = relative(SRC, file).split(sep)[0]!;
    const allowed = ALLOWED[folder];
    if (!allowed) found.push({ file, imports: '', why: `folder src/${folder} has no place in the layer table` });
    const edges: string[] = [];
    for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
      const target = normalize(join(dirname(file), spec));
      const inSrc = relative(SRC, target);
      if (inSrc.startsWith('..')) {
        const fromRoot = relative('.', target).split(sep).join('/');
        if (!OUTSIDE_ALLOWED.some((ok) => ok.test(fromRoot))) found.push({ file, imports: spec, why: `library code reaches outside src/ (${fromRoot})` });
        continue;
      }
      if (target.endsWith('.ts')) edges.push(target);
      const to = inSrc.split(sep)[0]!;
      if (to === folder) continue;
      if (!used.has(folder)) used.set(folder, new Set());
      used.get(folder)!.add(to);
      if (allowed && !allowed.includes(to)) found.push({ file, imports: spec, why: `src/${folder} may not import src/${to}` });
    }
    graph.set(file, edges);
  }
  return { graph, used, found };
}

/** The import circles of a graph, each as a path that ends where it starts (one per back edge of a depth-first walk). */
export function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

describe('layers', () => {
  it('finds every kind of import', () => {
    const text = `import a from '../gpu/x.ts';\nimport { b } from "../engine/y.ts";\nimport '../ui/z.ts';\nexport { c } from '../store/w.ts';\nconst d = await import('../cli/v.ts');\nimport e from '../../shaders/f.wgsl?raw';`;
    expect(relativeImports(text)).toEqual(['../gpu/x.ts', '../engine/y.ts', '../ui/z.ts', '../store/w.ts', '../cli/v.ts', '../../shaders/f.wgsl']);
  });

  it('finds an import circle, within a folder and across folders', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c', 'd']],
      ['c', ['a']],
      ['d', []],
      ['e', ['e']],
    ]);
    expect(circles(graph)).toEqual([['a', 'b', 'c', 'a'], ['e', 'e']]);
    expect(circles(new Map([['a', ['b']], ['b', []]]))).toEqual([]);
  });

  it('the table is acyclic: no folder may import one that may import it back, however far round', () => {
    expect(circles(new Map(Object.entries(ALLOWED)))).toEqual([]);
  });

  it('no folder of src/ imports one above it, and library code does not import tests or configs', () => {
    expect(scan().found.map((v) => `${v.file} imports ${v.imports}: ${v.why}`)).toEqual([]);
  });

  it('the table allows no folder that its code does not import', () => {
    const { used } = scan();
    const unused = Object.entries(ALLOWED).flatMap(([folder, allowed]) => allowed.filter((to) => !used.get(folder)?.has(to)).map((to) => `src/${folder} -> src/${to}`));
    expect(unused, 'remove these from ALLOWED').toEqual([]);
  });

  it('no file imports itself back through others: no import circles', () => {
    expect(circles(scan().graph).map((circle) => circle.join(' -> '))).toEqual([]);
  });

  it('model/ and util/ import nothing of ours but themselves', () => {
    for (const folder of ['model', 'util']) {
      for (const file of sourceFiles(join(SRC, folder))) {
        for (const spec of relativeImports(readFileSync(file, 'utf8'))) expect(spec.startsWith('./'), `${file} imports ${spec}`).toBe(true);
      }
    }
  });
});
