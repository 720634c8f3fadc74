// A table into a Dataset: kinds, the transform fitted on training rows only, preprocess.json, splits, folds, and every refusal named.
import { describe, expect, it } from 'vitest';
import { profileColumn } from '../../src/data/columns.ts';
import { readTable } from '../../src/data/read-table.ts';
import { tableSpecSchema, type TableSpec } from '../../src/data/spec.ts';
import { apportion, assignFolds, splitByFraction } from '../../src/data/splits.ts';
import { checkDeviceFit, tableDataset, type TableLoad } from '../../src/data/table-dataset.ts';
import type { RawTable } from '../../src/data/table.ts';
import { applyTransform, encodedWidth, parsePreprocess, serializePreprocess } from '../../src/data/transform.ts';
import { dataErrorOf, numbersArrow, vegaFile } from '../helpers/tables.ts';

type SpecInput = Omit<Parameters<typeof tableSpecSchema.parse>[0] & object, never> & Record<string, unknown>;

function options(input: Record<string, unknown>): TableSpec {
  return tableSpecSchema.parse({ kind: 'table', path: 'x', ...input });
}

async function csv(text: string, name = 't.csv'): Promise<RawTable> {
  return readTable(text, { name, format: 'csv' });
}

async function load(table: RawTable | Promise<RawTable>, spec: SpecInput): Promise<TableLoad> {
  return tableDataset(await table, options(spec));
}

const penguins = (missing: string[] = []) => readTable(vegaFile('penguins.json'), { name: 'penguins.json', format: 'json', missing });
const cars = () => readTable(vegaFile('cars.json'), { name: 'cars.json', format: 'json' });

/** Row i of the encoded features. */
const rowOf = (x: Float32Array, width: number, i: number) => Array.from(x.subarray(i * width, (i + 1) * width));

describe('penguins.json: species from mixed columns', () => {
  it('guesses the kinds, one-hot encodes the words, and splits 60/20/20 stratified by species', async () => {
    const { dataset, profiles, dropped } = await load(penguins(['.']), { target: 'Species' });
    expect(profiles.map((p) => `${p.name}:${p.kind}`)).toEqual([
      'Species:categorical',
      'Island:categorical',
      'Beak Length (mm):numeric',
      'Beak Depth (mm):numeric',
      'Flipper Length (mm):numeric',
      'Body Mass (g):numeric',
      'Sex:categorical',
    ]);
    expect(dropped).toBe(0);
    expect(dataset.task).toBe('classification');
    expect(dataset.classNames).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    expect(dataset.featureNames).toEqual([
      'Island=Biscoe',
      'Island=Dream',
      'Island=Torgersen',
      'Island (other)',
      'Beak Length (mm)',
      'Beak Depth (mm)',
      'Flipper Length (mm)',
      'Body Mass (g)',
      'Sex=FEMALE',
      'Sex=MALE',
      'Sex (missing)',
      'Sex (other)',
    ]);
    expect(dataset.split).toEqual({ train: 206, validation: 69, test: 69 });
    // Per class (Adelie 152, Chinstrap 68, Gentoo 124): test 30/14/25, validation 31/13/25 by largest remainder.
    const counts = (from: number, to: number) => [0, 1, 2].map((c) => dataset.y.subarray(from, to).filter((y) => y === c).length);
    expect(counts(206, 275)).toEqual([31, 13, 25]);
    expect(counts(275, 344)).toEqual([30, 14, 25]);
    expect(dataset.description).toBe(
      'penguins.json (json, 344 rows; 12 features from 6 columns: 4 numeric, 2 categorical; classification of Species into 3 classes): 206 train / 69 val / 69 test, stratified',
    );
  });

  it('without "." listed as missing, the "." becomes a category of its own, one row strong', async () => {
    const { dataset } = await load(penguins(), { target: 'Species' });
    expect(dataset.featureNames!.filter((n) => n.startsWith('Sex'))).toEqual(['Sex=.', 'Sex=FEMALE', 'Sex=MALE', 'Sex (missing)', 'Sex (other)']);
  });

  it('is seeded: the same seed gives the same rows, another seed other rows', async () => {
    const a = await load(penguins(['.']), { target: 'Species', split: { seed: 5 } });
    const b = await load(penguins(['.']), { target: 'Species', split: { seed: 5 } });
    const c = await load(penguins(['.']), { target: 'Species', split: { seed: 6 } });
    expect(Array.from(a.rowIds)).toEqual(Array.from(b.rowIds));
    expect(a.dataset.x).toEqual(b.dataset.x);
    expect(Array.from(a.rowIds)).not.toEqual(Array.from(c.rowIds));
    expect([...a.rowIds].sort((p, q) => p - q)).toEqual(Array.from({ length: 344 }, (_, i) => i));
  });
});

describe('cars.json: Miles_per_Gallon regression', () => {
  it('drops the rows without a target, ignores Name (an id) and Year (dates), and standardizes the target on training rows', async () => {
    const { dataset, dropped, profiles } = await load(cars(), { target: 'Miles_per_Gallon' });
    expect(dropped).toBe(8);
    expect(profiles.filter((p) => p.kind === 'ignore').map((p) => `${p.name}: ${p.reason}`)).toEqual(['Name: 311 distinct of 406 (an id or free text)', 'Year: dates']);
    expect(dataset.task).toBe('regression');
    expect(dataset.classes).toBe(1);
    expect(dataset.split).toEqual({ train: 238, validation: 80, test: 80 });
    const { mean, std, name } = dataset.targetScale!;
    expect(name).toBe('Miles_per_Gallon');
    const train = Array.from(dataset.target!.subarray(0, 238), (z) => z * std + mean);
    const trainMean = train.reduce((a, b) => a + b, 0) / train.length;
    expect(trainMean).toBeCloseTo(mean, 4);
    expect(Math.sqrt(train.reduce((a, b) => a + (b - trainMean) ** 2, 0) / train.length)).toBeCloseTo(std, 4);
    expect(dataset.description).toContain('8 without Miles_per_Gallon dropped');
    expect(dataset.featureNames).toContain('Origin=Japan');
    expect(dataset.featureNames!.filter((n) => n.startsWith('Cylinders'))).toEqual(['Cylinders=3', 'Cylinders=4', 'Cylinders=5', 'Cylinders=6', 'Cylinders=8', 'Cylinders (other)']);
  });

  it('takes the study’s kinds over the guesses', async () => {
    const { dataset } = await load(cars(), { target: 'Miles_per_Gallon', columns: { Cylinders: 'numeric', Origin: 'ignore', Horsepower: 'numeric' } });
    expect(dataset.featureNames).toEqual(['Cylinders', 'Displacement', 'Horsepower', 'Weight_in_lbs', 'Acceleration']);
  });

  it('deals the training rows into folds: sizes within one, and no validation rows by default', async () => {
    const { dataset } = await load(cars(), { target: 'Miles_per_Gallon', cv: { folds: 5 } });
    expect(dataset.split).toEqual({ train: 318, validation: 0, test: 80 });
    expect(dataset.folds!.k).toBe(5);
    expect(dataset.folds!.ofRow.length).toBe(318);
    const sizes = [0, 1, 2, 3, 4].map((f) => dataset.folds!.ofRow.filter((g) => g === f).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });
});

describe('the transform is fitted on the training rows only', () => {
  // Not shuffled: rows 1-4 train, 5 validates, 6 tests. The held-out rows hold extremes and a new category.
  const text = 'x,c,y\n1,a,0\n2,,1\n,a,0\n5,b,1\n1000,zebra,0\n-1000,,1\n';
  const spec = { target: 'y', columns: { x: 'numeric', c: 'categorical' }, split: { shuffle: false, validation: 1 / 6, test: 1 / 6 }, missingIndicators: true };

  it('medians, means, stds and categories come from rows 1-4; held-out values and categories do not move them', async () => {
    const { dataset, preprocess } = await load(csv(text), spec);
    expect(dataset.split).toEqual({ train: 4, validation: 1, test: 1 });
    // x over training rows: 1, 2, missing, 5 -> median 2, imputed 1, 2, 2, 5: mean 2.5, population std sqrt(2.25).
    expect(preprocess.columns).toEqual([
      { name: 'x', kind: 'numeric', median: 2, mean: 2.5, std: 1.5, indicator: true },
      { name: 'c', kind: 'categorical', categories: ['a', 'b'], missing: true },
    ]);
    expect(encodedWidth(preprocess.columns)).toBe(6);
    expect(dataset.featureNames).toEqual(['x', 'x (missing)', 'c=a', 'c=b', 'c (missing)', 'c (other)']);
    const width = 6;
    expect(rowOf(dataset.x, width, 0)).toEqual([-1, 0, 1, 0, 0, 0]);
    expect(rowOf(dataset.x, width, 1)).toEqual([-0.5 / 1.5, 0, 0, 0, 1, 0].map(Math.fround));
    expect(rowOf(dataset.x, width, 2)).toEqual([-0.5 / 1.5, 1, 1, 0, 0, 0].map(Math.fround));
    // The validation row: 1000 standardized with the training statistics, "zebra" unseen -> other.
    expect(rowOf(dataset.x, width, 4)).toEqual([(1000 - 2.5) / 1.5, 0, 0, 0, 0, 1].map(Math.fround));
    expect(rowOf(dataset.x, width, 5)).toEqual([(-1000 - 2.5) / 1.5, 0, 0, 0, 1, 0].map(Math.fround));
  });

  it('folds rare categories into "other" past maxCategories, keeping the most frequent', async () => {
    const rows = ['a', 'a', 'a', 'b', 'b', 'c', 'd'].map((c, i) => `${c},${i % 2}`);
    const { preprocess, dataset } = await load(csv(['c,y', ...rows].join('\n')), { target: 'y', maxCategories: 2, split: { validation: 0, test: 0 } });
    expect(preprocess.columns).toEqual([{ name: 'c', kind: 'categorical', categories: ['a', 'b'], missing: false }]);
    const other = Array.from({ length: 7 }, (_, i) => dataset.x[i * 3 + 2]);
    expect(other.filter((v) => v === 1).length).toBe(2);
  });

  it('round-trips preprocess.json, and applying it to the same file gives the data set’s rows bit for bit', async () => {
    const table = await penguins(['.']);
    const { dataset, preprocess, rowIds } = tableDataset(table, options({ target: 'Species', missingIndicators: true }));
    const text = serializePreprocess(preprocess);
    const parsed = parsePreprocess(text);
    expect(parsed).toEqual(preprocess);
    const x = applyTransform(parsed, table);
    const width = dataset.features;
    const mismatched = Array.from(rowIds).filter((r, i) => rowOf(x, width, r).some((v, f) => !Object.is(v, dataset.x[i * width + f])));
    expect(mismatched).toEqual([]);
  });

  it('applies to new rows: unknown categories go to "other", and a column the model reads must be there', async () => {
    const { preprocess } = await load(csv(text), spec);
    const fresh = await csv('c,x,extra\nb,3.5,9\nnever seen,,9\n', 'new.csv');
    expect(Array.from(applyTransform(preprocess, fresh))).toEqual([(3.5 - 2.5) / 1.5, 0, 0, 1, 0, 0, -1 / 3, 1, 0, 0, 0, 1].map(Math.fround));
    const missingColumn = await dataErrorOf(async () => applyTransform(preprocess, await csv('x\n1\n', 'short.csv')));
    expect(missingColumn.message).toBe('table:short.csv, column "c": the file has no column "c", which the model reads (columns: x)');
  });

  it('parsePreprocess refuses another version and a broken field by name', async () => {
    const { preprocess } = await load(csv(text), spec);
    expect((await dataErrorOf(() => parsePreprocess(JSON.stringify({ ...preprocess, version: 2 })))).message).toBe('preprocess.json: version 2 is not one this fusetune reads (1)');
    const broken = { ...preprocess, columns: [{ ...preprocess.columns[0], std: 0 }] };
    expect((await dataErrorOf(() => parsePreprocess(JSON.stringify(broken)))).message).toBe('preprocess.json: columns.0.std: must be above 0');
  });
});

describe('splits and folds', () => {
  it('apportion adds up exactly and favours the largest remainders', () => {
    expect(apportion(69, [152, 68, 124])).toEqual([30, 14, 25]);
    expect(apportion(5, [1, 1, 1])).toEqual([2, 2, 1]);
    expect(apportion(0, [3, 4])).toEqual([0, 0]);
  });

  it('without shuffling, the last rows test and the ones before them validate', () => {
    const rows = Uint32Array.from({ length: 10 }, (_, i) => i);
    const s = splitByFraction(rows, { validation: 0.2, test: 0.3, shuffle: false, seed: 1 });
    expect([Array.from(s.train), Array.from(s.validation), Array.from(s.test)]).toEqual([[0, 1, 2, 3, 4], [5, 6], [7, 8, 9]]);
  });

  it('stratified folds give every fold its share of every class', () => {
    const classes = Uint32Array.from({ length: 90 }, (_, i) => (i < 60 ? 0 : i < 80 ? 1 : 2));
    const ofRow = assignFolds(90, 5, 3, classes);
    for (let f = 0; f < 5; f++) {
      const shares = [0, 1, 2].map((c) => Array.from(ofRow).filter((g, i) => g === f && classes[i] === c).length);
      expect(shares).toEqual([12, 4, 2]);
    }
  });

  it('orders by a date column: the latest rows test', async () => {
    const text = 'when,v,y\n2020-03-01,3,a\n2020-01-01,1,b\n2020-05-01,5,a\n2020-02-01,2,b\n2020-04-01,4,a\n';
    const { dataset, rowIds } = await load(csv(text), { target: 'y', split: { orderBy: 'when', validation: 0.2, test: 0.2 } });
    expect(Array.from(rowIds)).toEqual([1, 3, 0, 4, 2]);
    expect(dataset.split).toEqual({ train: 3, validation: 1, test: 1 });
  });

  it('takes the split a column names, and leaves that column out of the features', async () => {
    const text = 'part,v,y\ntrain,1,a\ntest,2,b\nval,3,a\nTrain,4,b\ntrain,5,a\n';
    const { dataset, rowIds } = await load(csv(text), { target: 'y', columns: { v: 'numeric' }, split: { column: 'part' } });
    expect(Array.from(rowIds)).toEqual([0, 3, 4, 2, 1]);
    expect(dataset.split).toEqual({ train: 3, validation: 1, test: 1 });
    expect(dataset.featureNames).toEqual(['v']);
    const bad = await dataErrorOf(() => load(csv('part,v,y\ntrain,1,a\nholdout,2,b\n'), { target: 'y', split: { column: 'part' } }));
    expect(bad.message).toBe('table:t.csv line 3, column "part": "holdout" is not a split: use train, validation (or val) or test');
  });

  it('takes folds a column names; trainLimit keeps the first training rows', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => `${['g1', 'g2', 'g3'][i % 3]},${i},${i % 2}`);
    const { dataset } = await load(csv(['fold,v,y', ...rows].join('\n')), { target: 'y', cv: { folds: 3, column: 'fold' }, split: { test: 0 } });
    expect(Array.from(dataset.folds!.ofRow).sort()).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    const limited = await load(csv(['fold,v,y', ...rows].join('\n')), { target: 'y', trainLimit: 5, split: { test: 0, validation: 0.25 } });
    expect(limited.dataset.split).toEqual({ train: 5, validation: 3, test: 0 });
    expect(limited.preprocess.fittedRows).toBe(5);
  });
});

describe('column kinds', () => {
  it('guesses few integers as categories, increasing integers as ids, and booleans as categories', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => `${i + 1},${i % 3},${i % 2 === 0},${(i * 7.3) % 11}`);
    const table = await csv(['id,level,flag,value', ...rows].join('\n'));
    expect(table.columns.map((c) => `${c.name}: ${profileColumn(c).kind} (${profileColumn(c).reason})`)).toEqual([
      'id: ignore (increasing integers (an id))',
      'level: categorical (3 distinct integers)',
      'flag: categorical (booleans)',
      'value: numeric (numbers)',
    ]);
  });

  it('guesses the task: words and few integers classify, other numbers regress', async () => {
    expect((await load(csv('v,y\n1,0\n2,1\n3,0\n4,1\n5,0\n'), { target: 'y', split: { validation: 0, test: 0 } })).dataset.task).toBe('classification');
    expect((await load(csv('v,y\n1,0.5\n2,1\n3,0\n4,1\n5,0\n'), { target: 'y', split: { validation: 0, test: 0 } })).dataset.task).toBe('regression');
    expect((await load(csv('v,y\n1,0.5\n2,1\n3,0\n4,1\n5,0\n'), { target: 'y', task: 'classification', split: { validation: 0, test: 0 } })).dataset.classNames).toEqual(['0', '0.5', '1']);
  });
});

describe('bad input is refused by name', () => {
  it.each([
    ['a column declared numeric holds a word', 'v,y\n1,a\n2,b\nthree,a\n', { columns: { v: 'numeric' } }, 'table:t.csv line 4, column "v": "three" is not a number, and the column is numeric'],
    ['a target with one class', 'v,y\n1,a\n2,a\n', {}, 'table:t.csv, column "y": the target needs at least 2 classes, found 1 ("a" in all 2 rows)'],
    ['an all-missing column', 'v,w,y\n1,,a\n2,NA,b\n', {}, 'table:t.csv, column "w": the column has no values (all 2 cells are missing): set it to "ignore" in data.columns'],
    ['a regression target with Infinity', 'v,y\n1,0.5\n2,1e999\n3,2.5\n', { task: 'regression' }, 'table:t.csv line 3, column "y": the regression target is Infinity; it must be a finite number'],
    ['a regression target in words', 'v,y\n1,0.5\n2,lots\n', { task: 'regression' }, 'table:t.csv line 3, column "y": "lots" is not a number, and the column is the regression target'],
    ['an unknown column in columns', 'v,y\n1,a\n2,b\n', { columns: { Origin: 'categorical' } }, 'table:t.csv, column "Origin": data.columns names a column the file does not have; the file has: v, y'],
    ['a kind for the target', 'v,y\n1,a\n2,b\n', { columns: { y: 'numeric' } }, 'table:t.csv, column "y": data.columns gives the target a kind: it is not a feature; leave it out of columns (set task instead)'],
    ['a missing target column', 'v,y\n1,a\n', { target: 'label' }, 'table:t.csv: no target column "label"; the file has: v, y'],
    ['no features left', 'v,y\n1,a\n2,b\n', { columns: { v: 'ignore' } }, 'table:t.csv: no feature columns: every column besides the target is ignored (v)'],
    ['a feature past float32', 'v,y\n1,a\n4e38,b\n', { columns: { v: 'numeric' } }, 'table:t.csv line 3, column "v": 4e+38 is outside the float32 range (±3.4e38)'],
    ['a constant regression target', 'v,y\n1,2.5\n2,2.5\n3,2.5\n', { task: 'regression', split: { validation: 0, test: 0 } }, 'table:t.csv, column "y": the regression target is the same (2.5) in all 3 training rows'],
    ['more folds than training rows', 'v,y\n1,a\n2,b\n3,a\n', { cv: { folds: 4 }, split: { test: 0 } }, 'table:t.csv: 4 folds need at least 4 training rows, the split leaves 3'],
  ])('%s', async (_what, text, spec, message) => {
    expect((await dataErrorOf(() => load(csv(text), { target: 'y', ...spec }))).message).toBe(message);
  });

  it('names the row of a regression target with Infinity in a binary file', async () => {
    const error = await dataErrorOf(async () => load(readTable(numbersArrow({ v: [1, 2, 3], y: [0.5, -Infinity, 1] }), { name: 'n.arrow', format: 'arrow' }), { target: 'y' }));
    expect(error.message).toBe('table:n.arrow row 2, column "y": the regression target is -Infinity; it must be a finite number');
  });

  it('checkDeviceFit refuses features above the device’s binding size, naming sizes and the widest columns', async () => {
    const { dataset } = await load(penguins(['.']), { target: 'Species' });
    expect(() => checkDeviceFit(dataset, { maxStorageBufferBindingSize: 1 << 27, maxBufferSize: 1 << 28 })).not.toThrow();
    const error = await dataErrorOf(() => checkDeviceFit(dataset, { maxStorageBufferBindingSize: 4096, maxBufferSize: 1 << 28 }));
    expect(error.message).toBe(
      "table:penguins.json: the encoded data (344 rows × 12 features × 4 bytes = 0.0 MiB) exceeds the device's maxStorageBufferBindingSize (0.0 MiB): use fewer rows (trainLimit) or fewer features (lower maxCategories or ignore a wide column; widest: Island (4), Sex (4), Beak Length (mm) (1))",
    );
  });

  it('the spec schema refuses contradictory splits by field', () => {
    const issues = (split: object) => tableSpecSchema.safeParse({ kind: 'table', path: 'x', target: 'y', split }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ orderBy: 'a', column: 'b' })).toEqual(['split.column: give orderBy (time order) or column (a split per row), not both']);
    expect(issues({ column: 'b', test: 0.1 })).toEqual(['split.test: the column "b" decides each row\'s split: leave test out']);
    expect(issues({ validation: 0.5, test: 0.5 })).toEqual(['split.test: validation and test together must leave rows to train on (their sum below 1)']);
    expect(issues({ orderBy: 'a', shuffle: true })).toEqual(["split.shuffle: orderBy keeps the rows in that column's order: leave shuffle out"]);
  });
});
