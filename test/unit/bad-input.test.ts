// Bad input a user can hand fusetune (issue 12), each case at its source: study fields, flags, numbers, folders and the explosion rule.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decimalFlag, joinNegativeValues, printable } from '../../src/cli/flags.ts';
import { DataError } from '../../src/data/errors.ts';
import { trialParamsOf } from '../../src/kernels/trial-buffers.ts';
import { StudyError, type StudyIssue } from '../../src/search/errors.ts';
import { HYPERPARAMETER_NAMES } from '../../src/search/hyperparameters.ts';
import { parseStudy, parseStudyText } from '../../src/search/study.ts';
import { toTrialConfig } from '../../src/search/to-trial-config.ts';
import { checkOutputFile, folderSafeName, prepareResultsFolder, StudyFolder, writeAtomic } from '../../src/store/node-store.ts';
import { SafetensorsError } from '../../src/store/safetensors.ts';
import { chanceLoss } from '../../src/model/loss.ts';
import { DIVERGENCE_FACTOR, explosion } from '../../src/study/divergence.ts';
import { parseDecimal } from '../../src/util/decimal.ts';
import { InputError } from '../../src/util/input-error.ts';

const base = { data: { kind: 'circles' }, space: { lr: { type: 'float', low: 0.001, high: 0.1, log: true } }, budget: { trials: 4 } };

function issues(json: unknown): StudyIssue[] {
  try {
    parseStudy(json);
  } catch (error) {
    expect(error).toBeInstanceOf(StudyError);
    return (error as StudyError).issues;
  }
  throw new Error('expected a StudyError');
}

function inputError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message;
  }
  throw new Error('expected an InputError');
}

const known = HYPERPARAMETER_NAMES.join(', ');

describe('one error type for bad input', () => {
  it('study, data and weights errors are all InputErrors (the CLI exits 2 on them)', () => {
    expect(new StudyError([{ path: 'x', message: 'y' }])).toBeInstanceOf(InputError);
    expect(new DataError('csv:a.csv', 'bad')).toBeInstanceOf(InputError);
    expect(new SafetensorsError('bad')).toBeInstanceOf(InputError);
  });

  it('a StudyError lists its first 50 problems and counts the rest', () => {
    const error = new StudyError(Array.from({ length: 60 }, (_, i) => ({ path: `p${i}`, message: 'm' })));
    expect(error.issues).toHaveLength(60);
    expect(error.message).toContain('  p49: m\n  … and 10 more');
    expect(error.message).not.toContain('p50');
  });
});

describe('study files: accepted but wrong, now refused', () => {
  it('a "__proto__" key in space or defaults is refused with its path, not silently dropped', () => {
    expect(issues(JSON.parse('{"data":{"kind":"circles"},"budget":{"trials":1},"space":{"__proto__":{"type":"fixed","value":1}}}'))).toEqual([
      { path: 'space.__proto__', message: `unknown hyperparameter "__proto__"; known: ${known}` },
    ]);
    expect(() => parseStudyText('{"data":{"kind":"circles"},"budget":{"trials":1},"space":{},"defaults":{"__proto__":0.1,"lr":0.1}}')).toThrow(/defaults\.__proto__: unknown hyperparameter/);
  });

  it('"constructor" and "prototype" are unknown names too', () => {
    expect(issues({ ...base, space: { constructor: { type: 'fixed', value: 1 } } })).toEqual([{ path: 'space.constructor', message: `unknown hyperparameter "constructor"; known: ${known}` }]);
    expect(issues({ ...base, defaults: { prototype: 1 } })).toEqual([{ path: 'defaults.prototype', message: `unknown hyperparameter "prototype"; known: ${known}` }]);
  });

  it('a normal distribution whose draws or bounds would not be finite', () => {
    expect(issues({ ...base, space: { lr: { type: 'float', distribution: 'normal', mean: 1e308, std: 1e308, low: 0.001 } } })).toEqual([
      { path: 'space.lr.std', message: 'mean ± 9·std overflows (mean 1e+308, std 1e+308): draws would be infinite' },
    ]);
    expect(issues({ ...base, space: { l2: { type: 'float', low: -1.7e308, high: 1.7e308 } } })).toContainEqual({
      path: 'space.l2',
      message: 'high − low (1.7e+308 − -1.7e+308) overflows: give a narrower range',
    });
  });

  it('no hyperparameter value may be infinite, wherever it comes from', () => {
    expect(() => toTrialConfig({ lr: Infinity }, { seed: 0 })).toThrow('params.lr: must be a finite number (got Infinity)');
    expect(() => toTrialConfig({}, { seed: 0, defaults: { l2: Infinity } })).toThrow('defaults.l2: must be a finite number (got Infinity)');
  });

  it('an optimizer setting that no optimizer of the study reads is refused; one a sampled optimizer may read stays legal', () => {
    expect(issues({ ...base, defaults: { momentum: 0.9 } })).toEqual([{ path: 'defaults.momentum', message: 'optimizer adam ignores momentum (read by sgd, momentum, rmsprop): remove it or choose such an optimizer' }]);
    expect(issues({ ...base, defaults: { optimizer: 'sgd', weight_decay: 0.1 } })).toEqual([{ path: 'defaults.weight_decay', message: 'optimizer sgd ignores weight_decay (read by adamw): remove it or choose such an optimizer' }]);
    expect(issues({ ...base, space: { ...base.space, optimizer: { type: 'categorical', choices: ['adam', 'adamw'] }, alpha: { type: 'float', low: 0.9, high: 0.99 } } })).toEqual([
      { path: 'space.alpha', message: 'optimizers adam, adamw ignore alpha (read by rmsprop): remove it or choose such an optimizer' },
    ]);
    expect(() => parseStudy({ ...base, space: { ...base.space, optimizer: { type: 'categorical', choices: ['momentum', 'adam'] }, momentum: { type: 'float', low: 0.5, high: 0.99 } } })).not.toThrow();
    expect(() => parseStudy({ ...base, space: { ...base.space, optimizer: { type: 'categorical', choices: ['adam', 'adamw'] } }, defaults: { weight_decay: 0.05 } })).not.toThrow();
    // A conditional optimizer falls back to the default one (here sgd) where its condition does not hold.
    const conditional = { layers: { type: 'int', low: 1, high: 2 }, optimizer: { type: 'fixed', value: 'adam', when: { param: 'layers', op: 'eq', value: 2 } } };
    expect(() => parseStudy({ ...base, space: conditional, defaults: { optimizer: 'sgd', nesterov: true, momentum: 0.9 } })).not.toThrow();
    // sgd reads momentum, dampening and nesterov, as torch.optim.SGD does: the kernels get them.
    const sgd = trialParamsOf(toTrialConfig({}, { seed: 0, defaults: { optimizer: 'sgd', nesterov: true, momentum: 0.9, dampening: 0.1 } }));
    expect(sgd).toMatchObject({ momentum: expect.closeTo(0.9, 12), dampening: expect.closeTo(0.1, 12), nesterov: 1 });
    // A setting its optimizer ignores never reaches them.
    expect(trialParamsOf(toTrialConfig({ optimizer: 'adam' }, { seed: 0, defaults: { momentum: 0.9 } }))).toMatchObject({ momentum: 0, nesterov: 0 });
  });

  it('the study name: no control characters, at most 100 characters', () => {
    expect(issues({ ...base, name: '\u001b[31mred' })).toEqual([{ path: 'name', message: 'must not contain control characters (escape sequences, newlines, tabs)' }]);
    expect(issues({ ...base, name: 'x'.repeat(101) })).toEqual([{ path: 'name', message: 'must be at most 100 characters long' }]);
    expect(parseStudy({ ...base, name: '../../x' }).name).toBe('../../x');
  });
});

describe('study files: limits instead of crashes and hangs', () => {
  it('budget.trials past MAX_TRIALS is named', () => {
    expect(issues({ ...base, budget: { trials: 1e9 } })).toEqual([{ path: 'budget.trials', message: 'must be ≤ 1000000 (got 1000000000)' }]);
  });

  it('gridCount past the per-parameter grid limit is named, for any sampler', () => {
    const space = { lr: { type: 'float', low: 0.001, high: 0.1, gridCount: 1e9 } };
    expect(issues({ ...base, space, sampler: { type: 'grid' }, budget: {} })).toEqual([{ path: 'space.lr.gridCount', message: 'must be ≤ 1000 (got 1000000000)' }]);
    expect(issues({ ...base, space })).toEqual([{ path: 'space.lr.gridCount', message: 'must be ≤ 1000 (got 1000000000)' }]);
  });

  it('200,000 categorical choices are checked in one pass, duplicates named', () => {
    const choices = Array.from({ length: 200_000 }, (_, i) => i);
    expect(parseStudy({ ...base, space: { l2: { type: 'categorical', choices } } }).space.l2).toMatchObject({ type: 'categorical' });
    expect(issues({ ...base, space: { l2: { type: 'categorical', choices: [...choices, 7] } } })).toEqual([{ path: 'space.l2.choices[200000]', message: '7 appears more than once' }]);
  });
});

describe('numbers in flags and CSV cells: decimal notation only', () => {
  it.each([
    ['16', 16],
    ['-0.1', -0.1],
    ['+.5', 0.5],
    ['5.', 5],
    ['1e-3', 1e-3],
    ['1E3', 1000],
    ['1e999', Infinity],
    ['0x10', null],
    ['0o7', null],
    ['0b1', null],
    ['Infinity', null],
    ['NaN', null],
    ['', null],
    [' 1', null],
    ['1_000', null],
    ['.', null],
    ['e5', null],
  ])('%j → %s', (text, value) => {
    expect(parseDecimal(text)).toBe(value);
  });

  it('decimalFlag says why a flag is not a number', () => {
    expect(decimalFlag('0x10')).toBe('must be a number in decimal notation (got "0x10")');
    expect(decimalFlag('')).toBe('must be a number in decimal notation (got "")');
    expect(decimalFlag('1e999')).toBe('must be a finite number (got 1e999)');
    expect(decimalFlag('-2.5')).toBe(-2.5);
  });

  it('a negative number after a flag that takes a value is that value', () => {
    const options = { lr: { type: 'string' }, json: { type: 'boolean' } } as const;
    expect(joinNegativeValues(['--lr', '-0.1', '--json'], options)).toEqual(['--lr=-0.1', '--json']);
    expect(joinNegativeValues(['--lr', '-.5'], options)).toEqual(['--lr=-.5']);
    expect(joinNegativeValues(['--json', '-1', '--lr', '--json'], options)).toEqual(['--json', '-1', '--lr', '--json']);
    expect(joinNegativeValues(['--', '--lr', '-1'], options)).toEqual(['--', '--lr', '-1']);
  });

  it('printable escapes terminal control characters and keeps newlines', () => {
    expect(printable('a\u001b[2Jb\r\nc\td')).toBe('a\\u001b[2Jb\\u000d\nc\td');
  });
});

describe('results folders and output files are checked before any work', () => {
  const temp = () => mkdtempSync(join(tmpdir(), 'fusetune-bad-'));

  it('a study name becomes one folder inside runs/', () => {
    expect(folderSafeName('../../x')).toBe('x');
    expect(folderSafeName('a/b')).toBe('a-b');
    expect(folderSafeName('my study')).toBe('my-study');
    expect(folderSafeName('étude 2')).toBe('étude-2');
    expect(folderSafeName('..')).toBe('study');
    expect(folderSafeName('C:\\temp')).toBe('C-temp');
    expect(folderSafeName('x'.repeat(100))).toHaveLength(64);
  });

  it('a new folder is checked, not created; it appears at the first write', () => {
    const out = join(temp(), 'a', 'b');
    prepareResultsFolder(out, { resume: false });
    expect(existsSync(out)).toBe(false);
    const folder = new StudyFolder(out);
    expect(existsSync(out)).toBe(false);
    expect(folder.readWeights('w.safetensors', [2, 3])).toBeNull();
    folder.writeText('note.txt', 'x');
    expect(readdirSync(out)).toEqual(['note.txt']);
  });

  it('a file, a path under a file, or a non-empty folder without --resume is refused', () => {
    const dir = temp();
    writeFileSync(join(dir, 'file'), 'x');
    expect(inputError(() => prepareResultsFolder(join(dir, 'file'), { resume: false, what: '--out' }))).toBe(`--out ${join(dir, 'file')} is a file, not a folder`);
    expect(inputError(() => prepareResultsFolder(join(dir, 'file', 'sub'), { resume: false, what: '--out' }))).toBe(`--out ${join(dir, 'file', 'sub')}: ${join(dir, 'file')} is a file, not a folder`);
    expect(inputError(() => prepareResultsFolder(dir, { resume: false, what: '--out' }))).toBe(`--out ${dir} already holds files (file): use --resume to continue that run, or give another folder`);
    expect(() => prepareResultsFolder(dir, { resume: true })).not.toThrow();
  });

  it.runIf(existsSync('/proc/self'))('a folder in /proc (where recursive mkdir loops forever) is refused at once', () => {
    expect(inputError(() => prepareResultsFolder('/proc/x/y', { resume: false, what: '--out' }))).toMatch(/^--out \/proc\/x\/y: cannot create folders in \/proc \(E[A-Z]+\)$/);
  });

  it('--save: a folder, or a file in a missing folder, is refused before training', () => {
    const dir = temp();
    expect(inputError(() => checkOutputFile(dir, '--save'))).toBe(`--save ${dir} is a folder; give a file name inside it`);
    expect(inputError(() => checkOutputFile(join(dir, 'no', 'w.safetensors'), '--save'))).toBe(`--save ${join(dir, 'no', 'w.safetensors')}: folder ${join(dir, 'no')} does not exist`);
    expect(() => checkOutputFile(join(dir, 'w.safetensors'), '--save')).not.toThrow();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writeAtomic leaves no temporary file behind when it fails', () => {
    const dir = temp();
    mkdirSync(join(dir, 'target'));
    writeFileSync(join(dir, 'target', 'x'), 'x');
    expect(() => writeAtomic(join(dir, 'target'), 'data')).toThrow();
    expect(readdirSync(dir)).toEqual(['target']);
  });
});

describe('the explosion rule shared by studies and train', () => {
  it(`stops at the first batch loss past ${DIVERGENCE_FACTOR}× chance level`, () => {
    const limit = DIVERGENCE_FACTOR * Math.log(10);
    const chance = chanceLoss(null, 10);
    expect(chance).toBe(Math.log(10));
    expect(explosion([2.3, 50, limit * 0.99], chance)).toBeNull();
    const hit = explosion([2.3, NaN, limit * 1.01, 1e19], chance)!;
    expect(hit.at).toBe(2);
    expect(hit.reason(7)).toBe(`batch loss ${(limit * 1.01).toPrecision(3)} at step 7 exceeds 100× chance level (2.30)`);
  });

  it('regression: chance level is the loss of an error of one standard deviation', () => {
    expect(chanceLoss({ kind: 'mse' }, 1)).toBe(1);
    expect(chanceLoss({ kind: 'huber', delta: 2 }, 1)).toBe(0.5);
    expect(chanceLoss({ kind: 'huber', delta: 0.5 }, 1)).toBe(0.375);
    expect(explosion([0.9, 30, 99], chanceLoss({ kind: 'mse' }, 1))).toBeNull();
    expect(explosion([0.9, 101], chanceLoss({ kind: 'mse' }, 1))?.at).toBe(1);
  });
});

describe('study files: values that got through (issue 22)', () => {
  it('every integer hyperparameter has an upper bound: units of 1e308, 2^32 or 2^53 are refused at parse time, naming the path', () => {
    for (const units of [1e308, 2 ** 32, 2 ** 53]) {
      expect(issues({ ...base, space: { ...base.space, units: { type: 'categorical', choices: [16, units] } } })).toEqual([{ path: 'space.units.choices[1]', message: `must be ≤ 65536 (got ${units})` }]);
      expect(issues({ ...base, defaults: { units } })).toEqual([{ path: 'defaults.units', message: `must be ≤ 65536 (got ${units})` }]);
    }
    expect(issues({ ...base, space: { ...base.space, units_3: { type: 'int', low: 1, high: 2 ** 32 }, layers: { type: 'fixed', value: 3 } } })).toEqual([{ path: 'space.units_3.high', message: `must be ≤ 65536 (got ${2 ** 32})` }]);
    // The same rule for each: an integer hyperparameter of 2^53 is refused, whichever it is.
    const integers = ['batch_size', 'layers', 'units', ...Array.from({ length: 8 }, (_, i) => `units_${i + 1}`), 'epochs'];
    for (const name of integers) expect(issues({ ...base, defaults: { [name]: 2 ** 53 } }).map((i) => i.path), name).toEqual([`defaults.${name}`]);
  });

  it('defaults.epochs: 1e15 is refused: a trial must end', () => {
    expect(issues({ ...base, defaults: { epochs: 1e15 } })).toEqual([{ path: 'defaults.epochs', message: 'must be ≤ 100000 (got 1000000000000000)' }]);
  });

  it('a study file that starts with a UTF-8 byte-order mark is read', () => {
    expect(parseStudyText(`\uFEFF${JSON.stringify({ ...base, name: 'bom' })}`).name).toBe('bom');
  });

  it('says what is allowed where zod says "Invalid input" or "Invalid key in record"', () => {
    expect(issues({ ...base, data: { kind: 'mnist', pixels: 100 } })).toEqual([{ path: 'data.pixels', message: 'must be one of 784, 196, 49 (got 100)' }]);
    expect(issues({ ...base, space: { ...base.space, '': { type: 'fixed', value: 1 } } })).toEqual([{ path: 'space[""]', message: 'a name must not be empty' }]);
    expect(issues({ ...base, space: { ...base.space, units: { type: 'int', low: 8, high: 16, when: { param: 'lr', op: 'gt', value: { a: 1 } } } } })).toEqual([
      { path: 'space.units.when.value', message: 'must be a string, a number, a boolean, null or an array (got an object)' },
    ]);
  });
});
