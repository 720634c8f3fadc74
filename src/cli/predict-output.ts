// What `fusetune predict` makes of the network's outputs: a row per input row (class and probabilities, or the value), and the metrics where the file has the target.
import Papa from 'papaparse';
import { categoryCodes, numericValues, type Preprocess } from '../data/transform.ts';
import type { RawTable } from '../data/table.ts';
import { regressionLossOf, type RegressionLoss } from '../model/loss.ts';
import type { TestMetrics } from '../store/records.ts';

/** Softmax of each row of `logits` ([N][C]) in float64, as the softmax-xent kernel normalizes them. */
export function probabilities(logits: Float32Array, classes: number): Float64Array {
  const p = new Float64Array(logits.length);
  for (let r = 0; r < logits.length / classes; r++) {
    const row = logits.subarray(r * classes, (r + 1) * classes);
    const max = Math.max(...row);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += p[r * classes + c] = Math.exp(row[c]! - max);
    for (let c = 0; c < classes; c++) p[r * classes + c]! /= sum;
  }
  return p;
}

/** The first class of highest output in each row (as the kernel's accuracy counts it). */
export function argmaxRows(outputs: ArrayLike<number>, classes: number): Uint32Array {
  const best = new Uint32Array(outputs.length / classes);
  for (let r = 0; r < best.length; r++) for (let c = 1; c < classes; c++) if (outputs[r * classes + c]! > outputs[r * classes + best[r]!]!) best[r] = c;
  return best;
}

/** The regression output in the target's own units. */
export function targetUnits(outputs: Float32Array, target: { mean: number; std: number }): Float64Array {
  return Float64Array.from(outputs, (z) => z * target.std + target.mean);
}

/**
 * predictions.csv: `row` (the file's 0-based data row), `prediction` (the class, or the value in the
 * target's units), and for classification `p_<class>` per class.
 */
export function predictionsCsv(preprocess: Preprocess, rows: ArrayLike<number>, outputs: Float32Array): string {
  const target = preprocess.target;
  if (target.task === 'regression') {
    const values = targetUnits(outputs, target);
    return `${Papa.unparse({ fields: ['row', 'prediction'], data: Array.from(values, (v, i) => [rows[i], v]) }, { newline: '\n' })}\n`;
  }
  const C = target.classes.length;
  const p = probabilities(outputs, C);
  const best = argmaxRows(outputs, C);
  const data = Array.from(best, (c, i) => [rows[i], target.classes[c], ...p.subarray(i * C, (i + 1) * C)]);
  return `${Papa.unparse({ fields: ['row', 'prediction', ...target.classes.map((name) => `p_${name}`)], data }, { newline: '\n' })}\n`;
}

/** Metrics over the rows whose target cell is known, as the study's test metrics are defined (loss: the kernel's, in standardized units for regression). */
export interface PredictMetrics extends TestMetrics {
  /** Rows with a usable target, and rows left out (missing target, or a class the model never saw). */
  rows: number;
  skipped: number;
}

/** The target column's class per row (-1: missing or unknown to the model). */
function classesOf(table: RawTable, preprocess: Preprocess & { target: { task: 'classification' } }, rows: ArrayLike<number>): Int32Array {
  const column = table.columns.find((c) => c.name === preprocess.target.name)!;
  const { codes, levels } = categoryCodes(column);
  const index = new Map(preprocess.target.classes.map((name, c) => [name, c]));
  return Int32Array.from({ length: rows.length }, (_, i) => {
    const code = codes[rows[i]!]!;
    return code < 0 ? -1 : (index.get(levels[code]!) ?? -1);
  });
}

function classificationMetrics(table: RawTable, preprocess: Preprocess & { target: { task: 'classification' } }, rows: ArrayLike<number>, outputs: Float32Array): PredictMetrics {
  const C = preprocess.target.classes.length;
  const truth = classesOf(table, preprocess, rows);
  const p = probabilities(outputs, C);
  const best = argmaxRows(outputs, C);
  let [n, correct, loss] = [0, 0, 0];
  truth.forEach((y, i) => {
    if (y < 0) return;
    n++;
    if (best[i] === y) correct++;
    loss -= Math.log(p[i * C + y]!);
  });
  return { rows: n, skipped: rows.length - n, accuracy: correct / n, loss: loss / n };
}

function regressionMetrics(table: RawTable, preprocess: Preprocess & { target: { task: 'regression' } }, rows: ArrayLike<number>, outputs: Float32Array, loss: RegressionLoss): PredictMetrics {
  const { mean, std, name } = preprocess.target;
  const values = numericValues(table, table.columns.find((c) => c.name === name)!, 'the regression target');
  const known = Array.from({ length: rows.length }, (_, i) => i).filter((i) => Number.isFinite(values[rows[i]!]!));
  const truth = known.map((i) => values[rows[i]!]!);
  const average = truth.reduce((a, b) => a + b, 0) / truth.length;
  let [sq, abs, lossSum, sst] = [0, 0, 0, 0];
  known.forEach((i, k) => {
    // The error in standardized units, as the loss kernel sees it.
    const e = outputs[i]! - (truth[k]! - mean) / std;
    sq += e * e;
    abs += Math.abs(e);
    lossSum += regressionLossOf(e, loss);
    sst += ((truth[k]! - average) / std) ** 2;
  });
  const n = known.length;
  return { rows: n, skipped: rows.length - n, loss: lossSum / n, rmse: Math.sqrt(sq / n) * std, mae: (abs / n) * std, ...(sst > 0 ? { r2: 1 - sq / sst } : {}) };
}

/** The metrics of `outputs` against the file's target column, or null when the file has none. */
export function predictMetrics(table: RawTable, preprocess: Preprocess, rows: ArrayLike<number>, outputs: Float32Array, loss: RegressionLoss): PredictMetrics | null {
  if (!table.columns.some((c) => c.name === preprocess.target.name)) return null;
  const target = preprocess.target;
  if (target.task === 'classification') return classificationMetrics(table, { ...preprocess, target }, rows, outputs);
  return regressionMetrics(table, { ...preprocess, target }, rows, outputs, loss);
}
