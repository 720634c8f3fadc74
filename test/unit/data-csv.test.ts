// CSV import: labels, row order, validation as the last rows, training-only standardization, and every error's location.
import { describe, expect, it } from 'vitest';
import { csvDataset } from '../../src/data/csv.ts';
import { DataError } from '../../src/data/errors.ts';

function errorOf(fn: () => unknown): DataError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('expected a DataError, nothing was thrown');
}

describe('csvDataset on good files', () => {
  it('reads integer labels as class indices, features as given, rows in order', () => {
    const text = 'x1,label,x2\n0.5,1,-2\n1e-3,0,3\n\n7,4,8.25\n';
    const data = csvDataset(text, { name: 'ints.csv' });
    expect(data.name).toBe('csv:ints.csv');
    expect(data.features).toBe(2);
    expect(data.featureNames).toEqual(['x1', 'x2']);
    expect(data.classes).toBe(5);
    expect(data.classNames).toBeUndefined();
    expect(Array.from(data.y)).toEqual([1, 0, 4]);
    expect(Array.from(data.x)).toEqual([0.5, -2, 1e-3, 3, 7, 8.25].map(Math.fround));
    expect(data.split).toEqual({ train: 3, validation: 0, test: 0 });
  });

  it('maps string labels to sorted class names, with a custom label column and CRLF line ends', () => {
    const text = 'species,a,b\r\nsetosa,1,2\r\nvirginica,3,4\r\nversicolor,5,6\r\nsetosa,7,8\r\n';
    const data = csvDataset(text, { name: 'iris.csv', labelColumn: 'species' });
    expect(data.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(data.classes).toBe(3);
    expect(Array.from(data.y)).toEqual([0, 2, 1, 0]);
    expect(Array.from(data.x)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('holds out the last ceil(f·N) rows for validation, without shuffling', () => {
    const rows = Array.from({ length: 10 }, (_, i) => `${i},${i % 2}`);
    const data = csvDataset(['v,label', ...rows].join('\n'), { name: 'v.csv', validation: 0.25 });
    expect(data.split).toEqual({ train: 7, validation: 3, test: 0 });
    expect(Array.from(data.x)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(data.description).toBe('v.csv (CSV, 1 feature, 2 classes): 7 train / 3 val / 0 test');
  });

  it('standardizes with the training rows only; a constant column is only centred', () => {
    // Training rows of a: 1, 2, 3 (mean 2, std sqrt(2/3)); the validation row 100 must not move them.
    const text = 'a,c,label\n1,5,0\n2,5,1\n3,5,0\n100,5,1\n';
    const data = csvDataset(text, { name: 's.csv', validation: 0.25, standardize: true });
    const std = Math.sqrt(2 / 3);
    const a = [0, 1, 2, 3].map((r) => data.x[r * 2]);
    const c = [0, 1, 2, 3].map((r) => data.x[r * 2 + 1]);
    expect(a[0]).toBeCloseTo(-1 / std, 6);
    expect(a[1]).toBeCloseTo(0, 6);
    expect(a[2]).toBeCloseTo(1 / std, 6);
    expect(a[3]).toBeCloseTo(98 / std, 4);
    expect(c).toEqual([0, 0, 0, 0]);
    expect(data.description).toContain('standardized with training mean/std');
  });

  it('reads decimal notation only: signs, exponents, leading dots; a byte-order mark is not part of the header', () => {
    const data = csvDataset('\uFEFFlabel,a\n0,-1.5e-3\n1,+.5\n1,3.4e38\n', { name: 'd.csv' });
    expect(data.featureNames).toEqual(['a']);
    expect(Array.from(data.x)).toEqual([-1.5e-3, 0.5, 3.4e38].map(Math.fround));
    expect(data.x.every(Number.isFinite)).toBe(true);
  });

  it('labels that are all names stay names, even when some look like hex or Infinity', () => {
    const data = csvDataset('a,label\n1,0x10\n2,Infinity\n3,0x10\n', { name: 'n.csv' });
    expect(data.classNames).toEqual(['0x10', 'Infinity']);
    expect(Array.from(data.y)).toEqual([0, 1, 0]);
  });

  it('counts lines across quoted fields that span lines', () => {
    const text = 'a,"b\nc",label\n1,2,x\n3,4,\n';
    const error = errorOf(() => csvDataset(text, { name: 'q.csv' }));
    expect(error.line).toBe(4);
  });
});

describe('csvDataset errors name the line and column', () => {
  const cases: { what: string; text: string; options?: object; message: string; line?: number; column?: string }[] = [
    { what: 'empty file', text: '', message: 'csv:e.csv: the file is empty; expected a header row naming the columns' },
    { what: 'blank lines only', text: '\n  \n\n', message: 'csv:e.csv: the file is empty; expected a header row naming the columns' },
    {
      what: 'missing label column',
      text: 'a,b,class\n1,2,0\n',
      message: 'csv:e.csv line 1: no label column "label"; the header has: a, b, class',
      line: 1,
    },
    {
      what: 'ragged row',
      text: 'a,b,label\n1,2,0\n\n3,4\n',
      message: 'csv:e.csv line 4: expected 3 fields, got 2',
      line: 4,
    },
    {
      what: 'too many fields',
      text: 'a,label\n1,0\n2,1,9\n',
      message: 'csv:e.csv line 3: expected 2 fields, got 3',
      line: 3,
    },
    {
      what: 'non-number feature',
      text: 'a,b,label\n1,2,0\n3,four,1\n',
      message: 'csv:e.csv line 3, column "b": "four" is not a number',
      line: 3,
      column: 'b',
    },
    {
      what: 'infinite feature',
      text: 'a,b,label\n1,-Infinity,0\n',
      message: 'csv:e.csv line 2, column "b": "-Infinity" is not a number',
      line: 2,
      column: 'b',
    },
    {
      what: 'empty feature',
      text: 'a,b,label\n1,,0\n',
      message: 'csv:e.csv line 2, column "b": empty value',
      line: 2,
      column: 'b',
    },
    {
      what: 'empty label',
      text: 'a,label\n1,0\n2, \n',
      message: 'csv:e.csv line 3, column "label": empty label',
      line: 3,
      column: 'label',
    },
    {
      what: 'one class',
      text: 'a,label\n1,cat\n2,cat\n',
      message: 'csv:e.csv: the label column "label" needs at least 2 distinct classes, found 1 (cat)',
    },
    { what: 'header only', text: 'a,label\n', message: 'csv:e.csv: the file has a header but no data rows' },
    {
      what: 'unterminated quote',
      text: 'a,label\n1,0\n"2,1\n',
      message: 'csv:e.csv line 3: Quoted field unterminated (MissingQuotes)',
      line: 3,
    },
    {
      what: 'hex number',
      text: 'a,b,label\n1,0x10,0\n',
      message: 'csv:e.csv line 2, column "b": "0x10" is not a decimal number',
      line: 2,
      column: 'b',
    },
    {
      what: 'binary, octal and Infinity spelled as numbers',
      text: 'a,b,label\n1,2,0\n0b1,0o7,1\n',
      message: 'csv:e.csv line 3, column "a": "0b1" is not a decimal number',
      line: 3,
      column: 'a',
    },
    {
      what: 'a value finite in float64 but Infinity in float32',
      text: 'a,b,label\n1,2,0\n3,1e39,1\n',
      message: 'csv:e.csv line 3, column "b": 1e39 is outside the float32 range (±3.4e38)',
      line: 3,
      column: 'b',
    },
    {
      what: 'a value past float64',
      text: 'a,label\n-1e999,0\n',
      message: 'csv:e.csv line 2, column "a": -1e999 is outside the float32 range (±3.4e38)',
      line: 2,
      column: 'a',
    },
    {
      what: 'a label past 2^32 (it used to wrap to class 0)',
      text: 'a,label\n1,0\n2,4294967296\n',
      message: 'csv:e.csv line 3, column "label": label 4294967296 is not a class index (an integer 0 … 65535); labels that are names must all be names',
      line: 3,
      column: 'label',
    },
    {
      what: 'a negative label among class indices',
      text: 'a,label\n1,0\n2,1\n3,-1\n',
      message: 'csv:e.csv line 4, column "label": label -1 is not a class index (an integer 0 … 65535); labels that are names must all be names',
      line: 4,
      column: 'label',
    },
    {
      what: 'a fractional label',
      text: 'a,label\n1,1.5\n2,0\n',
      message: 'csv:e.csv line 2, column "label": label 1.5 is not a class index (an integer 0 … 65535); labels that are names must all be names',
      line: 2,
      column: 'label',
    },
    {
      what: 'a name among class indices',
      text: 'a,label\n1,cat\n2,0\n3,1\n',
      message: 'csv:e.csv line 2, column "label": label "cat" is a name, but line 3 has the number 0: use class indices or names throughout',
      line: 2,
      column: 'label',
    },
    {
      what: 'duplicate column',
      text: 'a,a,label\n1,2,0\n',
      message: 'csv:e.csv line 1, column "a": the header names column "a" twice',
      line: 1,
      column: 'a',
    },
  ];
  it.each(cases)('$what', ({ text, options, message, line, column }) => {
    const error = errorOf(() => csvDataset(text, { name: 'e.csv', ...options }));
    expect(error.message).toBe(message);
    expect(error.line).toBe(line);
    expect(error.column).toBe(column);
  });
});
