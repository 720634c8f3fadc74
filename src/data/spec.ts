// Which data set a study or a `train` run uses, as JSON: validated here, resolved by src/data loaders.
import { z } from 'zod';
import { COLUMN_KINDS } from './columns.ts';
import { TABLE_FORMATS } from './table.ts';

export const SYNTHETIC_KINDS = ['spirals', 'circles', 'xor', 'gaussians'] as const;
export type SyntheticKind = (typeof SYNTHETIC_KINDS)[number];

export const mnistSpecSchema = z
  .object({
    kind: z.literal('mnist'),
    /** 784 (28×28), 196 (2×2 average-pooled to 14×14) or 49 (4×4 pooled to 7×7). */
    pixels: z.union([z.literal(784), z.literal(196), z.literal(49)]).default(784),
    /** Use only the first N rows of the fixed training split (validation and test stay whole). */
    trainLimit: z.number().int().positive().optional(),
  })
  .strict();

export const syntheticSpecSchema = z
  .object({
    kind: z.enum(SYNTHETIC_KINDS),
    /** Total rows before the split. */
    n: z.number().int().min(30).max(1_000_000).default(1000),
    /** Gaussian noise added to each coordinate. */
    noise: z.number().min(0).max(10).default(0.1),
    /** Classes for `gaussians` (2..10); the other sets have 2. */
    classes: z.number().int().min(2).max(10).optional(),
    seed: z.number().int().min(0).default(1),
  })
  .strict();

export const csvSpecSchema = z
  .object({
    kind: z.literal('csv'),
    /** File path (Node) or file name (browser upload). */
    path: z.string().min(1),
    /** Name of the label column. */
    labelColumn: z.string().min(1).default('label'),
    /** Fraction of rows held out for validation (the last rows of the file). */
    validation: z.number().min(0).max(0.9).default(0),
    /** Z-score each feature with the training rows' mean and standard deviation. */
    standardize: z.boolean().default(false),
  })
  .strict();

/** Which rows train, validate and test: by fraction (shuffled, stratified by class), in a column's order, or as a column names them. */
export const splitSpecSchema = z
  .object({
    /** Fraction of the rows that validate (default 0.2; 0 with `cv`, whose folds validate). */
    validation: z.number().min(0).max(0.9).optional(),
    /** Fraction of the rows held out for the test metrics (default 0.2). */
    test: z.number().min(0).max(0.9).optional(),
    /** Shuffle before splitting (seeded); false keeps file order: the last rows test, the ones before them validate. */
    shuffle: z.boolean().optional(),
    /** Classification: every class gives each split (and each fold) its share. */
    stratify: z.boolean().default(true),
    seed: z.number().int().min(0).max(0xffff_ffff).default(1),
    /** Time order: rows sorted by this column (numbers, dates); the latest rows test, the ones before them validate. */
    orderBy: z.string().min(1).optional(),
    /** A column naming each row's split: `train`, `validation` (or `val`) or `test`. */
    column: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((split, ctx) => {
    const add = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (split.orderBy !== undefined && split.column !== undefined) add('column', 'give orderBy (time order) or column (a split per row), not both');
    if (split.orderBy !== undefined && split.shuffle === true) add('shuffle', 'orderBy keeps the rows in that column\'s order: leave shuffle out');
    if (split.column !== undefined) {
      for (const key of ['validation', 'test', 'shuffle'] as const) if (split[key] !== undefined) add(key, `the column "${split.column}" decides each row's split: leave ${key} out`);
    }
    if ((split.validation ?? 0) + (split.test ?? 0) >= 1) add('test', 'validation and test together must leave rows to train on (their sum below 1)');
  });

export const tableSpecSchema = z
  .object({
    kind: z.literal('table'),
    /** File path (Node, relative to the working folder) or file name (browser upload). */
    path: z.string().min(1),
    /** Read from the extension when left out (.csv, .tsv, .json, .arrow/.feather, .parquet). */
    format: z.enum(TABLE_FORMATS).optional(),
    /** The column the network predicts. */
    target: z.string().min(1),
    /** Guessed from the target when left out: text or few distinct integers classify, other numbers regress. */
    task: z.enum(['classification', 'regression']).optional(),
    /** Overrides the guessed kind of a column: `{ "Origin": "categorical", "Name": "ignore" }`. */
    columns: z.record(z.string(), z.enum(COLUMN_KINDS)).default({}),
    /** Cells read as missing besides the defaults (empty, NA, N/A, NaN, null, None...), e.g. ["."] or ["?"]. */
    missing: z.array(z.string().max(100)).max(100).default([]),
    /** Categories kept per categorical column, the most frequent in the training rows; the rest share one "other" feature. */
    maxCategories: z.number().int().min(1).max(1000).default(20),
    /** A 0/1 feature after each numeric column with missing training cells, 1 where the cell was missing. */
    missingIndicators: z.boolean().default(false),
    split: splitSpecSchema.prefault({}),
    /** Cross-validation over the training rows: k folds (stratified for classification), or the folds a column names. */
    cv: z
      .object({
        folds: z.number().int().min(2).max(20),
        column: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    /** Use only the first N training rows (in the split's order) for fitting and training. */
    trainLimit: z.number().int().positive().optional(),
  })
  .strict();

export const dataSpecSchema = z.discriminatedUnion('kind', [mnistSpecSchema, syntheticSpecSchema, csvSpecSchema, tableSpecSchema]);
export type TableSpec = z.infer<typeof tableSpecSchema>;

export type DataSpec = z.infer<typeof dataSpecSchema>;
export type DataSpecInput = z.input<typeof dataSpecSchema>;
