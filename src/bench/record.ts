// One benchmark measurement as a JSON value: what ran, on which adapter, timed how, and when.
import { z } from 'zod';
import type { AdapterReport } from '../gpu/adapter-report.ts';
import type { TimingSource } from '../gpu/timing.ts';
import type { Summary } from './stats.ts';

export const BENCH_SUITES = ['copy', 'peak', 'matmul', 'batch', 'fused', 'profile', 'fixed', 'peer', 'search', 'ingest'] as const;
export type BenchSuite = (typeof BENCH_SUITES)[number];

const TIMING_SOURCES = ['timestamp-query', 'wall-clock'] as const satisfies readonly TimingSource[];

const summarySchema = z.object({
  median: z.number(),
  min: z.number(),
  max: z.number(),
  n: z.number().int().positive(),
});

export const adapterSummarySchema = z.object({
  vendor: z.string(),
  architecture: z.string(),
  /** The adapter's device string (e.g. `nvidia-h100-80gb-hbm3`); often the only place the GPU's model shows. */
  device: z.string(),
  description: z.string(),
  isSoftware: z.boolean(),
  /** `node` (Dawn) or `browser` (navigator.gpu). */
  runtime: z.enum(['node', 'browser']),
  /** The adapter's features (`subgroups`, `shader-f16`, `timestamp-query`, …). Absent in records written before 2026-11-30. */
  features: z.array(z.string()).optional(),
  /** The adapter's limits that bound a measurement (RECORDED_LIMITS); absent in older records, as features. */
  limits: z.record(z.string(), z.number()).optional(),
  /** Subgroup sizes the adapter may use, where it reports them. */
  subgroupMinSize: z.number().optional(),
  subgroupMaxSize: z.number().optional(),
});
export type AdapterSummary = z.infer<typeof adapterSummarySchema>;

/**
 * NOTE: value names carry their unit (`gflops`, `gbPerSec`, `stepMs`, `samplesPerSec`, `speedup`);
 * a Summary is a repeated measurement, a plain number is derived or counted once, null is "not found".
 */
export const benchRecordSchema = z.object({
  suite: z.enum(BENCH_SUITES),
  /** What ran: a kernel id with its variant (`dense-forward@reg8x8`), `train-step`, `tfjs-train-step`, or a derived figure (`knee`, `speedup`). */
  kernel: z.string().min(1),
  /** One line a person reads: sizes, model, optimizer. */
  workload: z.string().min(1),
  /** The numbers that define the workload (M, N, K, batch, widths...). */
  shape: z.record(z.string(), z.union([z.number(), z.string(), z.array(z.number())])),
  /** Trials sharing each dispatch (1 for plain kernels). */
  T: z.number().int().positive(),
  values: z.record(z.string(), z.union([summarySchema, z.number(), z.null()])),
  /** Bytes on the device by component, where the measurement allocated a model. */
  bytes: z.record(z.string(), z.number()).optional(),
  timing: z.enum(TIMING_SOURCES),
  adapter: adapterSummarySchema,
  /** ISO 8601 time the measurement finished. */
  date: z.string(),
  /** Anything a reader must know to interpret the figure (e.g. how a baseline was obtained). */
  note: z.string().optional(),
});
export type BenchRecord = z.infer<typeof benchRecordSchema>;
export type BenchValue = BenchRecord['values'][string];

/** The limits recorded with every figure: buffer and binding sizes, workgroup memory and size, grid size. */
export const RECORDED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

export function adapterSummary(report: AdapterReport): AdapterSummary {
  const limits: Record<string, number> = {};
  for (const name of RECORDED_LIMITS) if (report.limits[name] !== undefined) limits[name] = report.limits[name];
  return {
    vendor: report.vendor,
    architecture: report.architecture,
    device: report.device,
    description: report.description,
    isSoftware: report.isSoftware,
    runtime: report.runtime,
    features: [...report.features],
    limits,
    ...(report.subgroupMinSize === undefined ? {} : { subgroupMinSize: report.subgroupMinSize }),
    ...(report.subgroupMaxSize === undefined ? {} : { subgroupMaxSize: report.subgroupMaxSize }),
  };
}

/** One line naming an adapter: its description (else vendor and architecture: Chrome leaves it empty) and its device string. */
export function adapterLabel(adapter: AdapterSummary): string {
  const name = adapter.description || [adapter.vendor, adapter.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const device = adapter.device && !name.toLowerCase().includes(adapter.device.toLowerCase()) ? ` · ${adapter.device}` : '';
  return `${name}${device}${adapter.isSoftware ? ' (software)' : ''}`;
}

export function isSummary(value: BenchValue | undefined): value is Summary {
  return typeof value === 'object' && value !== null;
}

/** The median of a Summary, the number itself otherwise; null when missing. */
export function centralValue(value: BenchValue | undefined): number | null {
  if (value === undefined || value === null) return null;
  return isSummary(value) ? value.median : value;
}

/**
 * Parses a results file: JSON lines (what `fusetune bench --json` prints) or one JSON array.
 * Errors name the line and the field.
 */
export function parseBenchRecords(text: string): BenchRecord[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const items: { where: string; value: unknown }[] = [];
  if (trimmed.startsWith('[')) {
    const array = JSON.parse(trimmed) as unknown[];
    array.forEach((value, i) => items.push({ where: `item ${i + 1}`, value }));
  } else {
    trimmed.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        items.push({ where: `line ${i + 1}`, value: JSON.parse(line) });
      } catch (error) {
        throw new Error(`line ${i + 1}: not JSON (${error instanceof Error ? error.message : error})`);
      }
    });
  }
  return items.map(({ where, value }) => {
    const parsed = benchRecordSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${where}: ${issue.path.join('.') || 'record'}: ${issue.message}`);
    }
    return parsed.data;
  });
}
