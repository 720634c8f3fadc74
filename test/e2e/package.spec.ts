// The npm package, as issue 18 asks: packed, installed into an empty folder, and used from there — `npx fusetune`
// in compiled JavaScript and the README's library example type-checked by tsc against the installed types.
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { vulkanLaunchEnv } from '../../src/gpu/node-gpu.ts';
import { npxFusetune, packAndInstall, REPO, sh, type InstalledPackage } from '../helpers/package.ts';

test.describe.configure({ mode: 'serial' });

let pkg: InstalledPackage;

test.beforeAll(() => {
  test.setTimeout(900_000);
  pkg = packAndInstall();
});

test.afterAll(() => pkg?.remove());

const installed = (...parts: string[]) => join(pkg.dir, 'node_modules', ...parts);

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

test('the installed package is compiled JavaScript: no TypeScript sources, no tsx, no dev-only packages', () => {
  const own = filesUnder(installed('fusetune'));
  expect(own.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  expect(own.some((f) => f.endsWith('.wgsl'))).toBe(false);
  for (const devOnly of ['tsx', 'typescript', 'vite', 'vitest', 'jsdom', '@playwright/test', 'playwright', '@tensorflow/tfjs', 'lit', 'mnist']) {
    expect(existsSync(installed(devOnly)), devOnly).toBe(false);
  }
  const manifest = JSON.parse(readFileSync(installed('fusetune', 'package.json'), 'utf8')) as { private?: boolean; dependencies: Record<string, string> };
  expect(manifest.private).toBeUndefined();
});

test('npx fusetune: help, the adapter, and a small study run to its results folder', () => {
  const help = npxFusetune(pkg, ['--help']);
  expect(help.status, help.stderr).toBe(0);
  expect(help.stdout).toContain('Usage: fusetune <command>');
  const device = npxFusetune(pkg, ['device', '--json']);
  expect(device.status, device.stderr).toBe(0);
  expect(JSON.parse(device.stdout)).toMatchObject({ runtime: 'node', limits: expect.any(Object) });

  writeFileSync(join(pkg.dir, 'small.json'), readFileSync(join(REPO, 'studies', 'quick-synthetic.json'), 'utf8'));
  const run = npxFusetune(pkg, ['run', 'small.json', '--out', 'runs/small'], { timeoutMs: 300_000 });
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toMatch(/best trial \d+: val/);
  for (const file of ['journal.log', 'study.json', 'trials.csv', 'best.safetensors']) expect(existsSync(join(pkg.dir, 'runs', 'small', file)), file).toBe(true);
  const record = JSON.parse(readFileSync(join(pkg.dir, 'runs', 'small', 'study.json'), 'utf8')) as { trials: unknown[] };
  expect(record.trials).toHaveLength(8);
});

/** A small table: two numbers (one with gaps), a colour, and a class the three decide; written by the test, so it needs no download. */
function tinyTableCsv(rows: number): string {
  const lines = ['size,weight,colour,kind'];
  for (let i = 0; i < rows; i++) {
    const size = ((i * 37) % 100) / 10;
    const weight = i % 11 === 0 ? '' : String(((i * 53) % 70) / 7);
    const colour = ['red', 'green', 'blue'][i % 3]!;
    const kind = size + (colour === 'red' ? 3 : 0) > 6 ? 'big' : 'small';
    lines.push(`${size},${weight},${colour},${kind}`);
  }
  return `${lines.join('\n')}\n`;
}

interface PredictReport {
  metrics: { accuracy: number; loss: number; rows: number };
  recorded: { accuracy: number; loss: number } | null;
}

test('a table study from the installed package: predict on its test split gives back the recorded test metrics', () => {
  writeFileSync(join(pkg.dir, 'tiny.csv'), tinyTableCsv(160));
  const study = { name: 'tiny-table', seed: 2, data: { kind: 'table', path: 'tiny.csv', target: 'kind', split: { validation: 0.2, test: 0.25 } }, space: {}, defaults: { batch_size: 16, units: 6, optimizer: 'adam', lr: 0.05 }, budget: { trials: 1, epochs: 4 } };
  writeFileSync(join(pkg.dir, 'tiny-study.json'), JSON.stringify(study));
  const run = npxFusetune(pkg, ['run', 'tiny-study.json', '--out', 'runs/tiny'], { timeoutMs: 300_000 });
  expect(run.status, run.stderr).toBe(0);
  for (const file of ['preprocess.json', 'test-rows.json', 'best.safetensors']) expect(existsSync(join(pkg.dir, 'runs', 'tiny', file)), file).toBe(true);
  const predict = npxFusetune(pkg, ['predict', '--model', 'runs/tiny', '--data', 'tiny.csv', '--split', 'test', '--out', 'tiny-test.csv', '--json'], { timeoutMs: 300_000 });
  expect(predict.status, predict.stderr).toBe(0);
  const { metrics, recorded } = JSON.parse(predict.stdout) as PredictReport;
  expect(metrics.rows).toBe(40);
  // The same rows, weights and kernel: accuracy exactly; the loss to float32 summation (docs/predict.md).
  expect(metrics.accuracy).toBe(recorded!.accuracy);
  expect(Math.abs(metrics.loss - recorded!.loss)).toBeLessThanOrEqual(1e-5 * recorded!.loss);
});

test('export --onnx from the installed package: onnxruntime-web gives predict’s probabilities, rows encoded by the library', () => {
  const exported = npxFusetune(pkg, ['export', '--onnx', '--model', 'runs/tiny', '--out', 'tiny.onnx']);
  expect(exported.status, exported.stderr).toBe(0);
  expect(exported.stdout).toContain('preprocessing is not in the graph');
  // onnxruntime-web from the repository's node_modules (a devDependency): no download, no second install.
  mkdirSync(installed('onnxruntime-web', '..'), { recursive: true });
  if (!existsSync(installed('onnxruntime-web'))) symlinkSync(join(REPO, 'node_modules', 'onnxruntime-web'), installed('onnxruntime-web'));
  writeFileSync(
    join(pkg.dir, 'onnx-check.mjs'),
    [
      "import { readFileSync } from 'node:fs';",
      "import * as ort from 'onnxruntime-web';",
      "import { encodedWidth, encodeRows, parsePreprocess, readTable } from 'fusetune';",
      "const preprocess = parsePreprocess(readFileSync('preprocess.json', 'utf8'));",
      "const table = await readTable(readFileSync('tiny.csv', 'utf8'), { name: 'tiny.csv', format: 'csv', missing: preprocess.missing });",
      "const rows = JSON.parse(readFileSync('runs/tiny/test-rows.json', 'utf8')).rows;",
      'const F = encodedWidth(preprocess.columns);',
      'const x = new Float32Array(rows.length * F);',
      'encodeRows(table, preprocess.columns, rows, x);',
      'ort.env.wasm.numThreads = 1;',
      "const session = await ort.InferenceSession.create(new Uint8Array(readFileSync('tiny.onnx')));",
      "const { probabilities } = await session.run({ features: new ort.Tensor('float32', x, [rows.length, F]) });",
      'console.log(JSON.stringify(Array.from(probabilities.data)));',
    ].join('\n'),
  );
  const node = sh(process.execPath, ['onnx-check.mjs'], { cwd: pkg.dir, env: { ...process.env, ...vulkanLaunchEnv() } });
  expect(node.status, node.stderr).toBe(0);
  const onnx = JSON.parse(node.stdout) as number[];
  const predicted = readFileSync(join(pkg.dir, 'tiny-test.csv'), 'utf8').trim().split('\n').slice(1).flatMap((line) => line.split(',').slice(2).map(Number));
  expect(onnx).toHaveLength(predicted.length);
  expect(Math.max(...predicted.map((p, i) => Math.abs(p - onnx[i]!)))).toBeLessThanOrEqual(1e-5);
});

test('MNIST from the installed package: its shipped asset, nothing written into node_modules', () => {
  const train = npxFusetune(pkg, ['train', '--data', 'mnist:49', '--layers', '8', '--steps', '4', '--json'], { timeoutMs: 300_000 });
  expect(train.status, train.stderr).toBe(0);
  expect(existsSync(installed('fusetune', '.cache'))).toBe(false);
});

test("the README's library example type-checks against the installed types (tsc, strict) and tunes", () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const example = /<!-- library example[^>]*-->\s*```js\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(example, 'README.md holds the library example after <!-- library example -->').toBeTruthy();
  writeFileSync(join(pkg.dir, 'tune.mjs'), `// @ts-check\n${example}`);
  // Proof that the types are real: each line below must be an error, which `any` would not give.
  writeFileSync(
    join(pkg.dir, 'probe.mts'),
    [
      "import { AskTellStudy, parseStudy, type StudyRecord } from 'fusetune';",
      "const study = parseStudy({ name: 'p', data: { kind: 'xor', n: 64 }, space: { lr: { type: 'float', low: 0.001, high: 0.1, log: true } }, budget: { trials: 2, epochs: 1 } });",
      '// @ts-expect-error ask takes a number of trials',
      "new AskTellStudy(study).ask('two');",
      '// @ts-expect-error a record has no such field',
      'export const missing = ({} as StudyRecord).noSuchField;',
      'export const asked: number = new AskTellStudy(study).ask(1)[0]!.number;',
    ].join('\n'),
  );
  writeFileSync(
    join(pkg.dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, allowJs: true, checkJs: true, skipLibCheck: false, typeRoots: [join(REPO, 'node_modules', '@types')], types: ['node'] },
      files: ['tune.mjs', 'probe.mts'],
    }),
  );
  const tsc = sh(join(REPO, 'node_modules', '.bin', 'tsc'), ['-p', '.'], { cwd: pkg.dir });
  // NOTE: ioredis's own declarations import 'redis-errors', which has none; every other file must check clean.
  const errors = tsc.stdout.split('\n').filter((line) => /error TS\d+/.test(line) && !line.startsWith('node_modules/ioredis/'));
  expect(errors).toEqual([]);

  // Dawn loads the Vulkan loader at start-up: where the system has none, Node starts with chromium's (as README says).
  const node = sh(process.execPath, ['tune.mjs'], { cwd: pkg.dir, env: { ...process.env, ...vulkanLaunchEnv() }, timeoutMs: 300_000 });
  expect(node.status, node.stderr).toBe(0);
  expect(node.stdout).toMatch(/^best: trial \d+/m);
});

test("the browser entry: a page's bundler resolves 'fusetune' to it (no Node built-ins) and the study API runs in Chromium", async ({ page }) => {
  writeFileSync(
    join(pkg.dir, 'page.mjs'),
    [
      "import { AskTellStudy, acquireBrowserGpu, parseStudy } from 'fusetune';",
      "const study = parseStudy({ name: 'page', data: { kind: 'xor', n: 64 }, space: { lr: { type: 'float', low: 0.001, high: 0.1, log: true } }, sampler: { type: 'tpe', startupTrials: 2 }, budget: { trials: 4, epochs: 1 } });",
      'const asktell = new AskTellStudy(study);',
      'const values = [];',
      "for (const trial of asktell.ask(4)) { values.push(trial.params.lr); asktell.tell(trial.number, { state: 'complete', values: [Math.log(trial.params.lr)] }); }",
      "window.result = { values, told: asktell.history.length, acquire: typeof acquireBrowserGpu };",
    ].join('\n'),
  );
  const { build } = await import('esbuild');
  const bundle = await build({ entryPoints: [join(pkg.dir, 'page.mjs')], bundle: true, format: 'esm', platform: 'browser', write: false, absWorkingDir: pkg.dir, logLevel: 'silent' });
  const code = bundle.outputFiles[0]!.text;
  expect(code).not.toMatch(/from\s*["']node:/);
  await page.setContent('<!doctype html><title>fusetune from a bundle</title>');
  await page.addScriptTag({ content: code, type: 'module' });
  const result = await page.waitForFunction(() => (window as { result?: unknown }).result).then((h) => h.jsonValue());
  expect(result).toMatchObject({ told: 4, acquire: 'function' });
  expect((result as { values: number[] }).values.every((lr) => lr >= 0.001 && lr <= 0.1)).toBe(true);
});

test('npx fusetune app runs/small: the page shows the study, then a trial appended to its journal, without a reload', async ({ page }) => {
  // Imported here so the file's head, which other tests share, stays as it is.
  const { appendFileSync } = await import('node:fs');
  const { startApp } = await import('../helpers/app-process.ts');
  const { nextTrialLines } = await import('../helpers/optuna-trial-lines.ts');
  const { rows } = await import('../helpers/e2e-charts.ts');
  // --port 0: a free port the system picks; the printed address names it.
  const app = await startApp('npx', ['--no-install', 'fusetune', 'app', 'runs/small', '--port', '0'], { cwd: pkg.dir });
  try {
    expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?journal=\/journal\/journal\.log$/);
    await page.goto(app.url);
    await expect(rows(page)).toHaveCount(8);
    await expect(page.getByTestId('results-summary')).toContainText('quick-synthetic');
    const journal = join(pkg.dir, 'runs', 'small', 'journal.log');
    appendFileSync(journal, nextTrialLines(readFileSync(journal, 'utf8'), [0.25]));
    await expect(rows(page)).toHaveCount(9);
    await expect(page.locator('[data-trial="8"]')).toBeVisible();
    // Ctrl-C: the server closes (npx itself ends by the signal, so its exit code says nothing).
    await app.stop();
    await expect(fetch(app.url)).rejects.toThrow();
  } finally {
    await app.stop();
  }
});
