// `fusetune run [study.json]`: runs a study with progress, prints the ranked table, writes the results folder.
import { joinNegativeValues, numberFlag } from './flags.ts';
import { budgetLine, formatMetric, paretoTable, scheduleCsv, scheduleTable } from './study-summary.ts';
import { defaultObjective, METRIC_LABELS, SHAPE_METRICS } from '../model/objectives.ts';
import { objectivesOf } from '../search/specs.ts';
import { FINISHED_STATES } from '../model/states.ts';
import { closeSync, mkdirSync, openSync, readSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadDatasetNode } from '../data/node.ts';
import { checkDeviceFit } from '../data/table-dataset.ts';
import { adapterName } from '../gpu/adapter-report.ts';
import { acquireNodeGpu } from '../gpu/node-gpu.ts';
import { parseStudyText, studyForTask, type Study } from '../search/study.ts';
import { checkInputFile, folderSafeName, prepareResultsFolder, StudyFolder } from '../store/node-store.ts';
import { InputError } from '../util/input-error.ts';
import { objectiveValue, rankTrials, rawMetricValue, testMetricValue, type StudyRecord, type TrialRecord } from '../store/records.ts';
import { checkStudyForData, runStudy, summarizeTrials } from '../study/run-study.ts';
import type { StudyEvent } from '../study/events.ts';
import { JournalLedger, StudyStorageError } from '../study/ledger.ts';
import { lockFolder } from '../store/folder-lock.ts';
import { checkStorageSpec, openJournalStorage, parseStorageSpec } from '../store/journal-node.ts';
import { LIVENESS_DEFAULTS, type JournalStorage } from '../store/journal-storage.ts';
import type { GpuContext } from '../gpu/device.ts';
import { duration, fmt, pct, table } from './format.ts';
import { keptTrials, pruneWeights, weightsFile, writeModelFiles } from './model-folder.ts';
import { Progress } from './progress.ts';

export const DEFAULT_STUDY = fileURLToPath(new URL('../../studies/default.json', import.meta.url));

export const RUN_USAGE = `Usage: fusetune run [study.json] [--out DIR] [--resume] [--storage SPEC [--prefix P]] [--keep K] [--json]

Runs a study: asks trials of its sampler, trains them fused on the GPU (refilling slots, pruning,
exploiting as the study says), and ranks them by the objective. Without a file it runs the
built-in default study (${'studies/default.json'}: random search on MNIST).

  --out DIR        results folder (default runs/<study name>-<date>): journal.log (Optuna's journal:
                   every trial as it starts, reports and ends), study.json (config and all results),
                   trials.csv, best.safetensors, weights/ (the best --keep trials' weights); for
                   table data also preprocess.json (the transform fitted on the training rows) and
                   test-rows.json (the file rows held out for testing)
  --resume         continue an interrupted run in --out: finished trials are kept; trials it cut off
                   train again as they were (same parameters and seed); a changed study file is refused
  --storage SPEC   record the study in this Optuna journal instead of the folder's: journal:PATH (a
                   file, shared by processes on one machine) or redis://HOST:PORT/DB (any number of
                   workers on any number of machines). An existing study of the same name is continued;
                   the budget counts every worker's trials
  --prefix P       the Redis key prefix (default "", the one optuna-dashboard reads)
  --heartbeat S    with --storage: seconds between this worker's heartbeats (default 5)
  --grace S        with --storage: fail another worker's running trials after S seconds without its
                   heartbeat (default 30); they are enqueued again (same parameters and seed)
  --retry S        with --storage: how long a storage that stopped answering is retried before the
                   run ends (default 120); study.json then holds what this worker knows
  --keep K         keep the weights of the best K finished trials (default 1) in weights/, for
                   fusetune predict and export; each of them (and at least the best 3) gets held-out
                   test metrics
  --json           print the final study record as JSON on stdout (progress stays on stderr)

Ctrl-C stops after the current chunk of steps and still records every finished trial; a second
Ctrl-C exits at once (the journal keeps every trial finished so far).`;

/** NOTE: a study file is small; a read stops past this many bytes, so `/dev/zero` or a huge file is refused, not read forever. */
export const MAX_STUDY_FILE_BYTES = 16 * 2 ** 20;

/** At most MAX_STUDY_FILE_BYTES of a study file as UTF-8 text; more is refused. */
function readStudyText(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new InputError(`cannot read study file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  try {
    const buffer = Buffer.alloc(MAX_STUDY_FILE_BYTES + 1);
    let size = 0;
    for (let n = -1; n !== 0 && size < buffer.length; size += n) n = readSync(fd, buffer, size, buffer.length - size, null);
    if (size > MAX_STUDY_FILE_BYTES) throw new InputError(`study file ${path}: more than ${MAX_STUDY_FILE_BYTES / 2 ** 20} MiB: not a study file`);
    return buffer.subarray(0, size).toString('utf8');
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(`cannot read study file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  } finally {
    closeSync(fd);
  }
}

/** Reads and validates a study file; errors name the file and every problem. */
export function loadStudyFile(path: string): Study {
  const text = readStudyText(path);
  try {
    return parseStudyText(text);
  } catch (error) {
    if (error instanceof Error) error.message = `${path}: ${error.message}`;
    throw error;
  }
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** The columns of the ranked table: the task's validation and test metrics. */
function metricColumns(record: StudyRecord): { head: string[]; cells: (t: TrialRecord) => string[] } {
  if (record.dataset.task !== 'regression') {
    return { head: ['val acc', 'val loss', 'test acc'], cells: (t) => [pct(t.valAccuracy), fmt(t.valLoss), t.test ? pct(t.test.accuracy) : ''] };
  }
  return {
    head: ['val RMSE', 'val MAE', 'val R²', 'test RMSE'],
    cells: (t) => [formatMetric('val_rmse', t.valRmse), formatMetric('val_mae', t.valMae), formatMetric('val_r2', t.valR2), t.test ? formatMetric('val_rmse', t.test.rmse) : ''],
  };
}

export function rankedTable(record: StudyRecord, limit = 20): string {
  const ranked = rankTrials(record.trials, objectivesOf(record.study.objective)[0]!);
  const columns = metricColumns(record);
  const rows = ranked.slice(0, limit).map((t, i) => [
    String(i + 1),
    String(t.index),
    t.state,
    ...columns.cells(t),
    t.samplesPerSec === null ? '-' : Math.round(t.samplesPerSec).toString(),
    fmt(t.stepMs),
    `${t.config.optimizer.kind} lr=${fmt(t.config.optimizer.lr)} b=${t.config.batchSize} h=${t.config.hidden.join('-') || 'none'} drop=${fmt(t.config.dropout, 2)} l2=${fmt(t.config.l2, 2)}`,
  ]);
  const more = ranked.length > limit ? `\n… ${ranked.length - limit} more in trials.csv` : '';
  const { target, folds } = record.dataset;
  const notes = [
    ...(target ? [`RMSE and MAE are in ${target}'s own units; R² against the validation rows' mean`] : []),
    ...(folds ? [`validation metrics are means over ${folds} cross-validation folds (every fold's values and their std: trials.csv, journal user attrs)`] : []),
  ];
  return table(['rank', 'trial', 'state', ...columns.head, 'samples/s', 'step ms', 'config'], rows) + more + notes.map((n) => `\n${n}`).join('');
}

/** The best trial in one line: its objective on validation (± its folds' std) and the same metric on the test split. */
export function bestLine(record: StudyRecord, trial: TrialRecord): string {
  const objective = objectivesOf(record.study.objective)[0]!;
  const metric = SHAPE_METRICS.has(objective.metric) ? defaultObjective(record.dataset.task ?? 'classification').metric : objective.metric;
  const units = record.dataset.target && (metric === 'val_rmse' || metric === 'val_mae') ? ` ${record.dataset.target}` : '';
  const std = trial.folds?.std[metric];
  const spread = std !== undefined ? ` ± ${formatMetric(metric, std)} over ${trial.folds!.k} folds` : '';
  const testValue = testMetricValue(trial, metric);
  const test = testValue !== null ? `, test ${formatMetric(metric, testValue)}${units}` : '';
  return `best trial ${trial.index}: ${METRIC_LABELS[metric]} ${formatMetric(metric, rawMetricValue(trial, metric))}${units}${spread}${test}`;
}

const RUN_OPTIONS = {
  out: { type: 'string' },
  json: { type: 'boolean' },
  resume: { type: 'boolean' },
  storage: { type: 'string' },
  prefix: { type: 'string' },
  heartbeat: { type: 'string' },
  grace: { type: 'string' },
  keep: { type: 'string' },
  retry: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const parseRunArgs = (argv: string[]) => parseArgs({ args: joinNegativeValues(argv, RUN_OPTIONS), allowPositionals: true, options: RUN_OPTIONS });
type RunValues = ReturnType<typeof parseRunArgs>['values'];

/** The ranked table, the best trial, failures, budget, journal time, the Pareto front and PBT schedule, the files written. */
function printSummary(record: StudyRecord, bestTrial: TrialRecord | null, ledger: JournalLedger, written: readonly string[]): void {
  console.log(rankedTable(record));
  const failed = record.trials.filter((t) => t.state === 'failed' || t.state === 'diverged');
  console.log(
    `\n${record.state} in ${duration(record.wallMs ?? 0)} on ${adapterName(record.adapter)} (timing: ${record.timing})` +
      (bestTrial ? `; ${bestLine(record, bestTrial)}` : '; no trial finished'),
  );
  for (const t of failed) console.log(`trial ${t.index} ${t.state}: ${t.reason ?? ''}`);
  console.log(budgetLine(record));
  const mine = record.trials.filter((t) => t.startedAt !== undefined && FINISHED_STATES.has(t.state)).length;
  console.log(`journal: ${ledger.writes.count} writes in ${fmt(ledger.writes.ms, 3)} ms (${fmt(ledger.writes.ms / Math.max(1, mine), 3)} ms per trial this run)`);
  const front = paretoTable(record);
  if (front) console.log(`\n${front}`);
  const schedule = bestTrial ? scheduleTable(bestTrial) : null;
  if (schedule) console.log(`\n${schedule}`);
  console.log(`wrote ${written.join(', ')}`);
}

/** The progress bar's figures from the study's events; the best trials' weights written as they finish. */
function progressEvents(progress: Progress, study: Study, folder: StudyFolder): (event: StudyEvent) => void {
  let trialsDone = 0;
  let trialsTotal = 0;
  let best = '-';
  let bestValue: number | null = null;
  let state = { stepsDone: 0, stepsTotal: 1, samplesPerSec: 0, elapsedMs: 0 };
  const objective = study.objective[0]!;
  const redraw = () => progress.update({ trialsDone, trialsTotal, best, ...state });
  return (event) => {
    switch (event.type) {
      case 'planned':
        trialsDone = event.record.trials.filter((t) => FINISHED_STATES.has(t.state)).length;
        break;
      case 'progress':
        state = { stepsDone: event.stepsDone, stepsTotal: event.stepsTotal, samplesPerSec: event.samplesPerSec, elapsedMs: event.elapsedMs };
        trialsTotal = event.trialsTotal;
        trialsDone = event.trialsDone;
        break;
      case 'weights':
        // The best trials' weights as they finish: best.safetensors survives a resume.
        folder.writeWeights(weightsFile(event.index), event.params, event.widths, { trial: String(event.index), study: study.name });
        return;
      case 'trial-finished': {
        const value = objectiveValue(event.trial, objective);
        if (value !== null && (bestValue === null || (objective.direction === 'maximize' ? value > bestValue : value < bestValue))) {
          bestValue = value;
          best = formatMetric(objective.metric, value);
        }
        break;
      }
      default:
        return;
    }
    redraw();
  };
}

/** run's flags and study file, checked before any work: bad input is exit 2 naming the flag. */
function runSettings(values: RunValues, positionals: string[]) {
  if (positionals.length > 1) throw new InputError(`expected one study file, got ${positionals.length}: ${positionals.join(' ')}`);
  const studyPath = positionals[0] ? resolve(positionals[0]) : DEFAULT_STUDY;
  const studyFile = loadStudyFile(studyPath);
  if (values.resume && !values.out) throw new InputError('--resume needs --out DIR, the folder of the run to continue');
  if (values.resume && values.storage) throw new InputError('--resume continues the journal in --out; with --storage the study in that storage continues by itself: leave --resume out');
  for (const flag of ['prefix', 'heartbeat', 'grace', 'retry'] as const) if (values[flag] !== undefined && !values.storage) throw new InputError(`--${flag} applies to --storage only`);
  const retryForMs = values.retry === undefined ? undefined : numberFlag('retry', values.retry, { above: 0 }) * 1000;
  const heartbeatMs = values.heartbeat === undefined ? LIVENESS_DEFAULTS.heartbeatMs : numberFlag('heartbeat', values.heartbeat, { above: 0 }) * 1000;
  const graceMs = values.grace === undefined ? LIVENESS_DEFAULTS.graceMs : numberFlag('grace', values.grace, { above: 0 }) * 1000;
  if (graceMs <= 2 * heartbeatMs) throw new InputError(`--grace (${graceMs / 1000} s) must be more than two heartbeats (${(2 * heartbeatMs) / 1000} s)`);
  const keep = values.keep === undefined ? 1 : numberFlag('keep', values.keep, { integer: true, min: 1, max: 1000 });
  const spec = values.storage === undefined ? null : parseStorageSpec(values.storage, values.prefix);
  if (spec) checkStorageSpec(spec);
  const out = resolve(values.out ?? join('runs', `${folderSafeName(studyFile.name)}-${timestamp()}`));
  const outLabel = values.out ? '--out' : 'results folder';
  prepareResultsFolder(out, { resume: values.resume ?? false, what: outLabel });
  return { studyFile, retryForMs, heartbeatMs, graceMs, keep, spec, out, outLabel };
}

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseRunArgs(argv);
  if (values.help) {
    console.log(RUN_USAGE);
    return 0;
  }
  const { studyFile, retryForMs, heartbeatMs, graceMs, keep, spec, out, outLabel } = runSettings(values, positionals);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if ('path' in studyFile.data && typeof studyFile.data.path === 'string') checkInputFile(studyFile.data.path, 'data.path');

  const dataset = await loadDatasetNode(studyFile.data);
  // A study without an objective optimizes its data's task's default: known once the file is read.
  const study = studyForTask(studyFile, dataset.task);
  checkStudyForData(study, dataset);
  const folder = new StudyFolder(out);
  // One writer per results folder: a second run there would interleave two studies.
  mkdirSync(out, { recursive: true });
  const unlock = lockFolder(out);
  // The transform and test rows first: a results folder is a model as soon as it holds weights.
  const modelFiles = writeModelFiles(folder, dataset);
  let storage: JournalStorage | null = null;
  let ctx: GpuContext | null = null;
  const progress = new Progress();
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      log('\nstopping after the current chunk of steps (Ctrl-C again to quit now; finished trials are in the journal)');
      controller.abort();
    } else process.exit(130);
  };
  try {
    storage = await openJournalStorage(spec ?? { kind: 'journal', path: folder.journalPath }, {
      retryForMs,
      onTornTail: (bytes) => log(`${spec?.label ?? folder.journalPath}: cut off an incomplete last line (${bytes} bytes) that a write cut short left`),
    });
    if (!spec) {
      // The folder's journal holds the study it was started with: another name would put a second study beside it.
      const names = storage.studies().map((s) => s.name);
      if (names.length > 0 && !names.includes(study.name)) throw new InputError(`${outLabel} ${out} holds study ${names.map((n) => JSON.stringify(n)).join(', ')}, not ${JSON.stringify(study.name)}: resume it with its own study file, or give another folder`);
    }
    const ledger = await JournalLedger.open(storage, study, {
      shared: spec ? { heartbeatMs, graceMs } : undefined,
      onStale: (trials) => log(`failed ${trials.length} trial(s) of a worker that stopped beating: ${trials.map((t) => t.number).join(', ')} (the budget asks for them again)`),
    });
    const retried = spec ? 0 : await ledger.retryInterrupted();
    const previous = ledger.records().filter((t) => t.state !== 'pending' && t.state !== 'running');
    const finished = previous.filter((t) => FINISHED_STATES.has(t.state)).length;
    ctx = await acquireNodeGpu({ onLost: (e) => log(`fusetune: ${e.message}`) });
    // Bad input (exit 2, naming the widest columns) rather than a failed upload.
    checkDeviceFit(dataset, ctx.limits);
    log(`study ${study.name}: ${dataset.description}`);
    const where = spec ? `; study recorded in ${values.storage}${spec.kind === 'redis' ? ` (prefix "${spec.prefix}")` : ''} as worker ${storage.workerId}` : '';
    log(`adapter ${adapterName(ctx.report)}; results in ${out}${where}${finished ? `; continuing after ${finished} finished trials` : ''}${retried ? `, ${retried} cut off to train again` : ''}`);
    process.on('SIGINT', onSigint);

    const objective = study.objective[0]!;
    const { record, weights, error } = await runStudy({
      ctx,
      study,
      dataset,
      signal: controller.signal,
      previous,
      ledger,
      // Every kept trial has held-out test metrics, and at least the best three.
      testTopK: Math.max(3, keep),
      onEvent: progressEvents(progress, study, folder),
    });
    progress.stop();
    // A storage that failed: what this worker knows goes to study.json all the same, saying so.
    const storageFailed = error instanceof StudyStorageError;
    await ledger.close().catch((closing: unknown) => {
      if (!storageFailed) throw closing;
    });
    if (spec && !storageFailed) {
      // Every worker's trials, as the journal holds them now.
      await storage.sync();
      record.trials = ledger.records();
      summarizeTrials(record, study.objective);
    }
    if (storageFailed) log(`${error.message}: ${join(out, 'study.json')} holds the trials this worker knows`);
    const files = folder.writeResults(record);
    const kept = pruneWeights(out, keptTrials(record.trials, study.objective[0]!, keep));
    const written = [spec ? `${values.storage}` : folder.journalPath, files.studyJson, files.trialsCsv, ...modelFiles];
    const bestTrial = record.best === null ? null : (record.trials.find((t) => t.index === record.best) ?? null);
    if (bestTrial?.exploits?.length) written.push(folder.writeText('best-schedule.csv', scheduleCsv(bestTrial)));
    if (bestTrial) {
      const params = weights.get(bestTrial.index)?.params ?? folder.readWeights(weightsFile(bestTrial.index), [dataset.features, ...bestTrial.config.hidden, dataset.classes]);
      if (params) {
        const widths = [dataset.features, ...bestTrial.config.hidden, dataset.classes];
        const value = String(rawMetricValue(bestTrial, objective.metric));
        written.push(folder.writeWeights('best.safetensors', params, widths, { trial: String(bestTrial.index), activation: bestTrial.config.activation, task: dataset.task, [objective.metric]: value, study: study.name }));
      } else log(`best.safetensors: trial ${bestTrial.index} trained on another worker, which holds its weights`);
    }
    written.push(...kept.map((index) => join(out, weightsFile(index))));
    if (values.json) process.stdout.write(JSON.stringify(record) + '\n');
    else printSummary(record, bestTrial, ledger, written);
    return record.state === 'done' ? 0 : record.state === 'stopped' ? 130 : 1;
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
    ctx?.destroy();
    await storage?.close();
    unlock();
  }
}
