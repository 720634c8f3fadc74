// A table study's results folder as a model: `fusetune run` writes the fitted transform and the test rows,
// `fusetune predict` on the test split gives back the recorded test metrics, bad input exits 2 naming it.
import { tableFromJSON, tableToIPC } from 'apache-arrow';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePreprocess } from '../../src/data/transform.ts';
import type { TestMetrics } from '../../src/store/records.ts';
import { fusetune, PENGUINS, predict, runPenguins } from '../helpers/penguin-study.ts';
import { cliInProcess } from '../helpers/cli-main.ts';

describe('fusetune run: a table study’s folder is a model', () => {
  let run: ReturnType<typeof runPenguins>;
  beforeAll(() => {
    run = runPenguins('classification');
  });

  it('writes preprocess.json (the transform fitted on the training rows) and test-rows.json', () => {
    const preprocess = parsePreprocess(readFileSync(join(run.out, 'preprocess.json'), 'utf8'));
    expect(preprocess.fittedRows).toBe(run.record.dataset.split.train);
    expect(preprocess.target).toEqual({ name: 'Species', task: 'classification', classes: ['Adelie', 'Chinstrap', 'Gentoo'] });
    expect(preprocess.missing).toContain('.');
    const testRows = JSON.parse(readFileSync(join(run.out, 'test-rows.json'), 'utf8')) as { fileRows: number; rows: number[] };
    expect(testRows.fileRows).toBe(344);
    expect(testRows.rows).toHaveLength(run.record.dataset.split.test);
    expect(new Set(testRows.rows).size).toBe(testRows.rows.length);
    expect(Math.max(...testRows.rows)).toBeLessThan(344);
  });
});

const inProcess = (argv: string[]) => cliInProcess(argv);

/**
 * "Exactly": the same rows, weights, transform and forward kernel give the same outputs, so accuracy
 * (a count of argmaxes) is bit-identical; losses and errors are sums the GPU accumulates in float32
 * and predict in float64, so they agree to float32's rounding (relative 1e-5 leaves room for order).
 */
function expectRecorded(metrics: TestMetrics, recorded: TestMetrics | null): void {
  expect(recorded).not.toBeNull();
  if (recorded!.accuracy !== undefined) expect(metrics.accuracy).toBe(recorded!.accuracy);
  for (const key of ['loss', 'rmse', 'mae', 'r2'] as const) {
    if (recorded![key] === undefined) continue;
    expect(Math.abs(metrics[key]! - recorded![key]!), key).toBeLessThanOrEqual(1e-5 * Math.abs(recorded![key]!));
  }
}

describe('fusetune predict --split test gives back the recorded test metrics', () => {
  let classification: ReturnType<typeof runPenguins>;
  beforeAll(() => {
    classification = runPenguins('classification');
  });

  it('classification: the best trial and another kept trial, one CSV row per test row with its class and probabilities', () => {
    const { record, out } = classification;
    const kept = readFileSync(join(out, 'test-rows.json'), 'utf8');
    const testRows = (JSON.parse(kept) as { rows: number[] }).rows;
    const best = predict(out, PENGUINS, ['--split', 'test']);
    expect(best.report.trial).toBe(record.best);
    expect(best.report.metrics.rows).toBe(record.dataset.split.test);
    expectRecorded(best.report.metrics, best.report.recorded);
    expect(best.report.recorded).toEqual(record.trials.find((t) => t.index === record.best)!.test);
    const [header, ...rows] = best.csv;
    expect(header).toEqual(['row', 'prediction', 'p_Adelie', 'p_Chinstrap', 'p_Gentoo']);
    expect(rows.map((r) => Number(r[0]))).toEqual(testRows);
    for (const r of rows) {
      const p = r.slice(2).map(Number);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      expect(r[1]).toBe(header![2 + p.indexOf(Math.max(...p))]!.slice(2));
    }
    // The same file as CSV (null cells empty): the CSV reader and the saved transform give the same outputs.
    const records = JSON.parse(readFileSync(PENGUINS, 'utf8')) as Record<string, string | number | null>[];
    const names = Object.keys(records[0]!);
    const csvFile = join(classification.dir, 'penguins.csv');
    writeFileSync(csvFile, [names.join(','), ...records.map((r) => names.map((n) => r[n] ?? '').join(','))].join('\n'));
    const fromCsv = predict(out, csvFile, ['--split', 'test']);
    expect(fromCsv.report.metrics).toEqual(best.report.metrics);
    expect(fromCsv.csv).toEqual(best.csv);
    // And as Arrow IPC, with an extra date column the model does not read (left unread).
    const arrowFile = join(classification.dir, 'penguins.arrow');
    const arrow = tableFromJSON(records.map((r, i) => ({ ...r, seen: new Date(Date.UTC(2020, 0, 1 + i)) })));
    writeFileSync(arrowFile, tableToIPC(arrow, 'file'));
    const fromArrow = predict(out, arrowFile, ['--split', 'test']);
    expect(fromArrow.report.metrics).toEqual(best.report.metrics);
    expect(fromArrow.csv).toEqual(best.csv);
    const other = record.trials.filter((t) => t.index !== record.best && t.test).sort((a, b) => b.test!.accuracy! - a.test!.accuracy!)[0]!;
    const second = predict(out, PENGUINS, ['--split', 'test', '--trial', String(other.index)]);
    expect(second.report.trial).toBe(other.index);
    expectRecorded(second.report.metrics, other.test!);
  });

  it('regression: RMSE, MAE, R² and loss of the test rows, the prediction in grams', () => {
    const { out, record } = runPenguins('regression', 1);
    const { report, csv } = predict(out, PENGUINS, ['--split', 'test']);
    expectRecorded(report.metrics, report.recorded);
    expect(csv[0]).toEqual(['row', 'prediction']);
    const grams = csv.slice(1).map((r) => Number(r[1]));
    expect(grams).toHaveLength(record.dataset.split.test);
    // Penguins weigh 2.7 to 6.3 kg: a value in standardized units would sit near 0.
    expect(Math.min(...grams)).toBeGreaterThan(2000);
    expect(Math.max(...grams)).toBeLessThan(8000);
  });

  it('new rows: a missing cell takes the saved median, not one refitted on the new rows', () => {
    const { out } = classification;
    const preprocess = parsePreprocess(readFileSync(join(out, 'preprocess.json'), 'utf8'));
    const culmen = preprocess.columns.find((c) => c.name === 'Beak Length (mm)')!;
    expect(culmen.kind).toBe('numeric');
    const median = culmen.kind === 'numeric' ? culmen.median : NaN;
    const base = { Island: 'Dream', 'Beak Depth (mm)': 18, 'Flipper Length (mm)': 190, 'Body Mass (g)': 3600, Sex: 'FEMALE' };
    const rows = [
      { ...base, [culmen.name]: null },
      { ...base, [culmen.name]: median },
      // One more row far from the others: refitting on these rows would move the median.
      { ...base, [culmen.name]: 90 },
    ];
    const file = join(classification.dir, 'new.json');
    writeFileSync(file, JSON.stringify(rows));
    const { csv, report } = predict(out, file);
    expect(report.metrics).toBeNull();
    expect(csv).toHaveLength(4);
    expect(csv[1]!.slice(1)).toEqual(csv[2]!.slice(1));
    expect(csv[3]!.slice(2)).not.toEqual(csv[2]!.slice(2));
  });

  it('refuses bad input with exit 2, naming the folder, trial, column or flag', async () => {
    const { dir, out } = classification;
    const copy = join(dir, 'copy');
    const cases: [string, () => void, string[], RegExp][] = [
      ['no weights', () => rmSync(join(copy, 'best.safetensors')), [], /has no weights \(best\.safetensors\)/],
      ['a trial without weights', () => {}, ['--trial', '1'], /--trial 1: .* has no weights\/trial-1\.safetensors; it keeps the weights of trial\(s\) \d+, \d+/],
      ['a shape that does not match the transform', () => {
        const p = JSON.parse(readFileSync(join(copy, 'preprocess.json'), 'utf8'));
        p.columns = p.columns.slice(1);
        writeFileSync(join(copy, 'preprocess.json'), JSON.stringify(p));
      }, [], /best\.safetensors is a 12-8-3 network, but preprocess\.json encodes \d+ features and 3 classes/],
      ['no preprocess.json', () => rmSync(join(copy, 'preprocess.json')), [], /no preprocess\.json: predict and export apply table studies' models/],
      ['a bad --trial', () => {}, ['--trial', 'two'], /--trial: must be a number in decimal notation/],
      ['a bad --split', () => {}, ['--split', 'train'], /--split: expected test \(got "train"\)/],
      ['an unknown flag', () => {}, ['--keep', '2'], /Unknown option '--keep'/],
    ];
    for (const [what, spoil, flags, message] of cases) {
      rmSync(copy, { recursive: true, force: true });
      cpSync(out, copy, { recursive: true });
      spoil();
      const r = await inProcess(['predict', '--model', copy, '--data', PENGUINS, '--out', join(dir, 'bad.csv'), ...flags]);
      expect(r.code, `${what}: ${r.stderr}`).toBe(2);
      expect(r.stderr, what).toMatch(message);
    }
    const noColumn = join(dir, 'no-island.json');
    writeFileSync(noColumn, JSON.stringify([{ Species: 'Adelie', 'Body Mass (g)': 3000 }]));
    const r = await inProcess(['predict', '--model', out, '--data', noColumn, '--out', join(dir, 'bad.csv')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/table:no-island\.json, column "Island": the file has no column "Island", which the model reads/);
    const missing = await inProcess(['predict', '--data', PENGUINS, '--out', join(dir, 'bad.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--model is required');
    // One through the real executable: the launcher passes exit 2 on.
    const spawned = fusetune(['predict', '--model', out, '--data', noColumn, '--out', join(dir, 'bad.csv')]);
    expect(spawned.code).toBe(2);
    expect(spawned.stderr).toContain('column "Island"');
    for (const command of ['predict', 'export']) {
      const help = await inProcess(['help', command]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: fusetune ${command} `);
    }
  });
});
