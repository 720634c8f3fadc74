// `fusetune predict`: a results folder's trial applied to a table file on the GPU (saved transform, no refitting), one output row per input row.
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatOf, readTable } from '../data/read-table.ts';
import type { RawTable } from '../data/table.ts';
import { encodedWidth, encodeRows } from '../data/transform.ts';
import { predictRows } from '../engine/predict.ts';
import { acquireNodeGpu } from '../gpu/node-gpu.ts';
import type { RegressionLoss } from '../model/loss.ts';
import { checkInputFile, checkOutputFile, writeAtomic } from '../store/node-store.ts';
import type { TestMetrics } from '../store/records.ts';
import { InputError } from '../util/input-error.ts';
import { numberFlag } from './flags.ts';
import { type FolderModel, loadModel, TEST_ROWS_FILE, TEST_ROWS_FORMAT, type TestRows } from './model-folder.ts';
import { type PredictMetrics, predictionsCsv, predictMetrics } from './predict-output.ts';
import { formatMetric } from './study-summary.ts';

export const PREDICT_USAGE = `Usage: fusetune predict --model DIR --data FILE --out FILE [--trial N] [--split test] [--json]

Applies a table study's model to new rows on the GPU: the transform in DIR/preprocess.json (as fitted
on the training rows: missing cells take the saved medians, unseen categories count as "other"),
then the trial's weights. Writes one CSV row per input row: row, prediction, and for classification
p_<class> for every class (softmax probabilities); for regression the prediction is in the target's
own units. When FILE has the target column, prints the metrics over the rows that have a target.

  --model DIR    the results folder of fusetune run (study.json, preprocess.json, weights)
  --trial N      a kept trial's weights (DIR/weights/trial-N.safetensors); default best.safetensors
  --data FILE    .csv, .tsv, .json (records), .arrow or .parquet; extra columns are ignored
  --out FILE     the predictions (CSV)
  --split test   only the rows the study held out for testing (DIR/test-rows.json), to check the
                 recorded test metrics: FILE must be the study's own data file
  --json         print the metrics (and the recorded ones) as one JSON object`;

const OPTIONS = {
  model: { type: 'string' },
  trial: { type: 'string' },
  data: { type: 'string' },
  out: { type: 'string' },
  split: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A flag the command cannot do without. */
export function required(values: Record<string, unknown>, flag: string, what: string): string {
  const value = values[flag];
  if (typeof value !== 'string' || value === '') throw new InputError(`--${flag} is required: ${what}`);
  return value;
}

/** The file's rows to predict: all of them, or the study's test rows (refused when the file is not the one the study read). */
function selectRows(model: FolderModel, table: RawTable, split: string | undefined): Uint32Array {
  if (split === undefined) return Uint32Array.from({ length: table.rows }, (_, i) => i);
  if (split !== 'test') throw new InputError(`--split: expected test (got ${JSON.stringify(split)})`);
  let testRows: TestRows;
  try {
    testRows = JSON.parse(readFileSync(resolve(model.dir, TEST_ROWS_FILE), 'utf8')) as TestRows;
  } catch (error) {
    throw new InputError(`--split test: cannot read ${resolve(model.dir, TEST_ROWS_FILE)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); a run without test rows has none`);
  }
  if (testRows.format !== TEST_ROWS_FORMAT || !Array.isArray(testRows.rows)) throw new InputError(`--split test: ${TEST_ROWS_FILE} is not a fusetune test-rows file`);
  if (testRows.fileRows !== table.rows) throw new InputError(`--split test: --data has ${table.rows} rows, the study's file ${testRows.source} had ${testRows.fileRows}: give the file the study read`);
  return Uint32Array.from(testRows.rows);
}

function metricsLine(metrics: TestMetrics): string {
  const parts: [string, 'val_accuracy' | 'val_loss' | 'val_rmse' | 'val_mae' | 'val_r2', number | undefined][] = [
    ['accuracy', 'val_accuracy', metrics.accuracy],
    ['RMSE', 'val_rmse', metrics.rmse],
    ['MAE', 'val_mae', metrics.mae],
    ['R²', 'val_r2', metrics.r2],
    ['loss', 'val_loss', metrics.loss],
  ];
  return parts
    .filter(([, , v]) => v !== undefined)
    .map(([label, metric, v]) => `${label} ${formatMetric(metric, v)}`)
    .join(', ');
}

function report(model: FolderModel, metrics: PredictMetrics | null, split: string | undefined, json: boolean): void {
  const recorded = split === 'test' ? (model.record.trials.find((t) => t.index === model.trial)?.test ?? null) : null;
  if (json) return void process.stdout.write(`${JSON.stringify({ trial: model.trial, weights: model.weightsFile, metrics, recorded })}\n`);
  const target = model.preprocess.target.name;
  if (!metrics) return void console.log(`(no ${target} column: no metrics)`);
  const skipped = metrics.skipped ? `; ${metrics.skipped} rows without a known ${target} left out` : '';
  console.log(`${metricsLine(metrics)} over ${metrics.rows} rows${skipped}`);
  if (split !== 'test') return;
  console.log(recorded ? `recorded in study.json for trial ${model.trial}: ${metricsLine(recorded)}` : `study.json has no test metrics for trial ${model.trial}`);
  // NOTE: a cross-validated trial's recorded test metrics are its k folds' mean, and its kept weights are fold 0's.
  const folds = model.record.dataset.folds;
  if (recorded && folds) console.log(`(the study cross-validated: the recorded metrics are the mean of ${folds} fold models' test metrics; these weights are fold 0's, so the two differ)`);
}

export async function predictCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false });
  if (values.help) {
    console.log(PREDICT_USAGE);
    return 0;
  }
  const folder = required(values, 'model', 'the results folder of fusetune run');
  const dataPath = required(values, 'data', 'the table file to predict');
  const out = required(values, 'out', 'where to write the predictions (CSV)');
  const trial = values.trial === undefined ? undefined : numberFlag('trial', values.trial, { integer: true, min: 0 });
  const model = loadModel(folder, trial);
  checkInputFile(dataPath, '--data');
  checkOutputFile(out, '--out');
  const name = basename(dataPath);
  // Arrow and Parquet: only the columns the model reads, and the target for the metrics.
  const needed = new Set([...model.preprocess.columns.map((c) => c.name), model.preprocess.target.name]);
  const table = await readTable(new Uint8Array(readFileSync(dataPath)), { name, format: formatOf(name), missing: model.preprocess.missing, want: (column) => needed.has(column) });
  const rows = selectRows(model, table, values.split);
  const x = new Float32Array(rows.length * encodedWidth(model.preprocess.columns));
  encodeRows(table, model.preprocess.columns, rows, x);
  const ctx = await acquireNodeGpu({ onLost: (e) => console.error(`fusetune: ${e.message}`) });
  let outputs: Float32Array;
  try {
    outputs = await predictRows(ctx, model, model.params, x);
  } finally {
    ctx.destroy();
  }
  writeAtomic(resolve(out), predictionsCsv(model.preprocess, rows, outputs));
  const loss: RegressionLoss = (model.record.study.loss as RegressionLoss | undefined) ?? { kind: 'mse' };
  report(model, predictMetrics(table, model.preprocess, rows, outputs, loss), values.split, values.json ?? false);
  console.error(`wrote ${resolve(out)}: ${rows.length} rows (trial ${model.trial}, ${model.weightsFile})`);
  return 0;
}
