// Which data set a study or a `train` run uses, as JSON: validated here, resolved by src/data loaders.
import { z } from 'zod';

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

export const dataSpecSchema = z.discriminatedUnion('kind', [mnistSpecSchema, syntheticSpecSchema, csvSpecSchema]);

export type DataSpec = z.infer<typeof dataSpecSchema>;
export type DataSpecInput = z.input<typeof dataSpecSchema>;
