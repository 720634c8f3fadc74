// Fuzz: generated malformed CSV files are either refused with a DataError naming the file (and the line and column where one is at fault), or give a data set the engine can train on.
import { describe, expect, it } from 'vitest';
import { csvDataset, MAX_CLASSES } from '../../src/data/csv.ts';
import type { Dataset } from '../../src/data/dataset.ts';
import { DataError } from '../../src/data/errors.ts';
import { parseDecimal } from '../../src/util/decimal.ts';
import { describeTally, Fuzz, FUZZ_SEED, fuzzCount, newTally } from '../helpers/fuzz.ts';

const NASTY_FIELDS = [
  '0x10', '0b101', '0o17', '1e39', '-1e39', '3.4e38', '3.5e38', '1e999', 'Infinity', '-Infinity', 'NaN', '', ' ', '-0', '.5', '5.', '+1', '1e-50',
  '1_000', '1,5', '"1,5"', '"4"', '""', '"', 'a"b', '日本', '\u0000', '\u001b[31m', '9'.repeat(400), '1e', 'e1', '--1', '1..2', ' 7 ', '\t3',
];
const NASTY_LABELS = ['-1', '1.5', '4294967296', String(MAX_CLASSES - 1), String(MAX_CLASSES), '1e3', '0x1', '+1', '01', 'cat', '', ' ', 'Infinity', '"2"', '007'];

/** A valid file: features and a label column (class indices or names), in some column order, with some line ending. */
function baseCsv(f: Fuzz): string[][] {
  const features = 1 + f.int(4);
  const rows = 2 + f.int(12);
  const names = f.chance(0.3);
  const labelAt = f.int(features + 1);
  const header = Array.from({ length: features }, (_, i) => `x${i}`);
  header.splice(labelAt, 0, 'label');
  const body = Array.from({ length: rows }, (_, r) => {
    const row = Array.from({ length: features }, () => (f.rng.normal() * 10 ** (f.int(7) - 3)).toPrecision(1 + f.int(8)));
    row.splice(labelAt, 0, names ? f.pick(['cat', 'dog', 'setosa']) : String(r % (2 + f.int(3))));
    return row;
  });
  return [header, ...body];
}

function mutate(f: Fuzz, table: string[][]): void {
  const r = f.int(table.length);
  const row = table[r]!;
  const c = f.int(Math.max(1, row.length));
  switch (f.int(10)) {
    case 0:
    case 1:
      row[c] = f.pick(NASTY_FIELDS);
      return;
    case 2: {
      const labelAt = table[0]!.indexOf('label');
      const target = table[1 + f.int(table.length - 1)];
      if (labelAt >= 0 && target) target[labelAt] = f.pick(NASTY_LABELS);
      return;
    }
    case 3:
      if (f.chance(0.5)) row.splice(c, 1);
      else row.splice(c, 0, f.pick(['1', '', 'x']));
      return;
    case 4:
      table.splice(r, 0, f.pick([[], [''], ['label', 'label'], [...table[0]!]]));
      return;
    case 5:
      table[0]![c] = f.pick(['label', 'x0', '', '__proto__', 'constructor', ' label ', 'Label']);
      return;
    case 6:
      table.splice(r, 1);
      return;
    case 7:
      for (const line of table) line.splice(c, 0, String(f.int(3)));
      return;
    default:
      if (table.length > 1) table.push(...Array.from({ length: f.int(40) }, () => [...table[1]!]));
  }
}

/** The file's text; sometimes with odd line endings, a BOM, a cut-off end, an open quote or stray bytes. */
function text(f: Fuzz, table: string[][]): string {
  let out = table.map((row) => row.join(',')).join(f.pick(['\n', '\r\n', '\n', '\r']));
  if (f.chance(0.3)) out += '\n';
  if (f.chance(0.05)) out = `\uFEFF${out}`;
  if (f.chance(0.05)) out = out.slice(0, f.int(out.length + 1));
  if (f.chance(0.03)) {
    const at = f.int(out.length + 1);
    out = out.slice(0, at) + f.pick(['"', '\u0000', '\r', ',,,', '\ud800', '"a\nb"']) + out.slice(at);
  }
  if (f.chance(0.01)) out = f.pick(['', '\n\n', 'label', 'label\n', ','.repeat(10_000), `a,label\n${'1,0\n'.repeat(5000)}`]);
  return out;
}

/** What the engine relies on: float32 features that are finite, labels below the class count, splits that add up. */
function usable(data: Dataset): string | null {
  const n = data.split.train + data.split.validation + data.split.test;
  if (data.x.length !== n * data.features || data.y.length !== n) return 'sizes do not match the splits';
  if (!data.x.every(Number.isFinite)) return 'a feature is not finite';
  if (!data.y.every((y) => y < data.classes)) return 'a label is past the classes';
  if (data.classes < 2 || data.classes > MAX_CLASSES || data.split.train < 1) return `classes ${data.classes}, train ${data.split.train}`;
  // Names are for labels none of which is a number: -1 or 1.5 among indices must not turn every label into a name.
  const number = data.classNames?.find((name) => parseDecimal(name) !== null);
  if (number !== undefined) return `label ${number} became a class name`;
  return null;
}

describe('CSV fuzz', () => {
  it('refuses every malformed file with a DataError naming its line and column, and every accepted one is usable', () => {
    const count = fuzzCount(2000);
    const tally = newTally();
    for (let c = 0; c < count; c++) {
      const f = new Fuzz(FUZZ_SEED * 104729 + c);
      const table = baseCsv(f);
      const edits = f.chance(0.15) ? 0 : 1 + f.int(3);
      for (let e = 0; e < edits; e++) mutate(f, table);
      const input = text(f, table);
      const options = { name: 'fuzz.csv', validation: f.pick([0, 0, 0.2, 0.5, 0.9, 0.99, 1]), standardize: f.chance(0.3), labelColumn: f.chance(0.9) ? 'label' : f.pick(['x0', 'Label', '__proto__']) };
      tally.tried++;
      try {
        const problem = usable(csvDataset(input, options));
        if (problem) tally.crashes.push(`case ${c} (accepted): ${problem}\n${JSON.stringify(input.slice(0, 300))}`);
        else tally.accepted++;
      } catch (error) {
        if (!(error instanceof DataError) || !error.message.startsWith('csv:fuzz.csv')) {
          tally.crashes.push(`case ${c}: ${error instanceof Error ? `${error.name}: ${error.message.slice(0, 300)}` : String(error)}\n${JSON.stringify(input.slice(0, 300))}`);
        } else if (error.line !== undefined || error.column !== undefined) tally.refusedNamed++;
        else tally.refusedWhole++;
      }
    }
    console.log(describeTally('CSV', tally, FUZZ_SEED));
    expect(tally.crashes.slice(0, 5)).toEqual([]);
    expect(tally.accepted).toBeGreaterThan(count / 10);
    expect(tally.refusedNamed).toBeGreaterThan(count / 4);
  });
});
