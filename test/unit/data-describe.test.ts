// describeTable/describeTableFile: what the app's upload shows comes from the run's own tableDataset, errors included.
import { describe, expect, it } from 'vitest';
import { describeTableFile, emptyReadCache } from '../../src/data/describe-table.ts';
import { tableSpecSchema } from '../../src/data/spec.ts';
import { tableDataset } from '../../src/data/table-dataset.ts';
import { readTable } from '../../src/data/read-table.ts';
import { sampleParquet, vegaText } from '../helpers/tables.ts';

const defaults = (extra: Record<string, unknown> = {}) => {
  const { kind: _kind, path: _path, format: _format, ...options } = tableSpecSchema.parse({ kind: 'table', path: 'penguins.json', target: 'Species', ...extra });
  return options;
};

describe('describeTableFile', () => {
  const penguins = vegaText('penguins.json');

  it('lists every column with kind, missing and distinct counts before a target is picked', async () => {
    const { target: _target, ...options } = defaults();
    const summary = await describeTableFile(penguins, 'penguins.json', options);
    expect(summary.error).toBeNull();
    expect(summary.encoded).toBeNull();
    expect(summary.rows).toBe(344);
    const byName = Object.fromEntries(summary.columns.map((c) => [c.name, c]));
    expect(Object.keys(byName)).toEqual(['Species', 'Island', 'Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)', 'Sex']);
    expect(byName.Island).toMatchObject({ kind: 'categorical', distinct: 3, missing: 0 });
    expect(byName['Body Mass (g)']).toMatchObject({ kind: 'numeric', missing: 2 });
    // "." is a level until the study calls it missing.
    expect(byName.Sex).toMatchObject({ kind: 'categorical', missing: 10, distinct: 3 });
  });

  it('gives the width and split a run gets, and follows missing tokens and kind overrides', async () => {
    const plain = await describeTableFile(penguins, 'penguins.json', defaults());
    const run = tableDataset(await readTable(penguins, { name: 'penguins.json', format: 'json' }), defaults());
    expect(plain.encoded).toMatchObject({ task: 'classification', width: run.dataset.features, split: run.dataset.split, folds: null, trainRows: run.dataset.split.train, dropped: 0 });
    // 4 numbers + Island (3 categories and the "other" column) + Sex (MALE, FEMALE, ".", "other", and "missing").
    expect(plain.encoded!.width).toBe(13);
    expect(plain.encoded!.classNames).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
    expect(plain.columns.find((c) => c.name === 'Species')!.kind).toBe('ignore');

    const dotted = await describeTableFile(penguins, 'penguins.json', defaults({ missing: ['.'] }));
    expect(dotted.columns.find((c) => c.name === 'Sex')).toMatchObject({ missing: 11, distinct: 2 });
    // Sex loses its "." category: one feature fewer.
    expect(dotted.encoded!.width).toBe(plain.encoded!.width - 1);

    const ignored = await describeTableFile(penguins, 'penguins.json', defaults({ missing: ['.'], columns: { Island: 'ignore' } }));
    expect(ignored.columns.find((c) => c.name === 'Island')).toMatchObject({ kind: 'ignore', guessed: 'categorical' });
    expect(ignored.encoded!.width).toBe(dotted.encoded!.width - 4);
  });

  it('counts the rows a trial trains on with folds: the training split less its largest fold', async () => {
    const cv = await describeTableFile(penguins, 'penguins.json', defaults({ cv: { folds: 4 } }));
    const run = tableDataset(await readTable(penguins, { name: 'penguins.json', format: 'json' }), defaults({ cv: { folds: 4 } }));
    const largest = Math.max(...[0, 1, 2, 3].map((f) => run.dataset.folds!.ofRow.filter((x) => x === f).length));
    expect(cv.encoded).toMatchObject({ folds: 4, trainRows: run.dataset.split.train - largest });
    expect(cv.encoded!.trainRows).toBeLessThan(cv.encoded!.split.train);
  });

  it('reads the file again only when its contents, name, format or missing tokens change', async () => {
    const cache = emptyReadCache();
    await describeTableFile(penguins, 'penguins.json', defaults(), cache);
    const first = cache.table;
    const ignored = await describeTableFile(penguins, 'penguins.json', defaults({ columns: { Island: 'ignore' } }), cache);
    expect(cache.table).toBe(first);
    expect(ignored.encoded!.width).toBe(9);
    const dotted = await describeTableFile(penguins, 'penguins.json', defaults({ missing: ['.'] }), cache);
    expect(cache.table).not.toBe(first);
    expect(dotted.encoded!.width).toBe(12);
  });

  it('reports the DataError a run would meet, in the CLI words', async () => {
    const single = await describeTableFile('a,b\n1,x\n2,x\n3,x\n', 'one.csv', defaults({ target: 'b' }));
    expect(single.error).toMatch(/table:one\.csv, column "b": the target needs at least 2 classes/);
    expect(single.columns.map((c) => c.name)).toEqual(['a', 'b']);

    const ragged = await describeTableFile('a,b\n1,2\n3\n', 'ragged.csv', defaults({ target: 'b' }));
    expect(ragged.error).toMatch(/^table:ragged\.csv line 3/);
    expect(ragged.columns).toEqual([]);

    const parquet = sampleParquet(100);
    const truncated = await describeTableFile(parquet.slice(0, parquet.length - 40), 'cut.parquet', defaults({ target: 'label' }));
    expect(truncated.error).toMatch(/^table:cut\.parquet/);

    const unknown = await describeTableFile('a,b\n1,2\n', 'x.xlsx', defaults({ target: 'b' }));
    expect(unknown.error).toMatch(/cannot tell the format from the file name/);
  });
});
