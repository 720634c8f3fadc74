// `fusetune run [study.json]`: runs a study with progress, prints the ranked table, writes the results folder.
import { budgetLine, paretoTable, scheduleCsv, scheduleTable } from './study-summary.ts';
import { objectivesOf } from '../search/specs.ts';
import { FINISHED_STATES } from '../model/states.ts';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadDatasetNode } from '../data/node.ts';
import { adapterName } from '../gpu/adapter-report.ts';
import { acquireNodeGpu } from '../gpu/node-gpu.ts';
import { parseStudyText, type Study } from '../search/study.ts';
import { folderSafeName, prepareResultsFolder, StudyFolder } from '../store/node-store.ts';
import { InputError } from '../util/input-error.ts';
import { objectiveValue, rankTrials, type StudyRecord } from '../store/records.ts';
import { runStudy } from '../study/run-study.ts';
import { duration, fmt, pct, table } from './format.ts';
import { Progress } from './progress.ts';

export const DEFAULT_STUDY = fileURLToPath(new URL('../../studies/default.json', import.meta.url));

export const RUN_USAGE = `Usage: fusetune run [study.json] [--out DIR] [--resume] [--json]

Runs a study: samples trials from its search space, trains them fused on the GPU, and ranks
them by the objective. Without a file it runs the built-in default study
(${'studies/default.json'}: random search on MNIST).

  --out DIR   results folder (default runs/<study name>-<date>): journal.jsonl (each trial as it
              finishes), study.json (config and all results), trials.csv, best.safetensors
  --resume    continue an interrupted run in --out: finished trials are kept, not re-run
  --json      print the final study record as JSON on stdout (progress stays on stderr)

Ctrl-C stops after the current chunk of steps and still writes the finished trials; a second
Ctrl-C exits at once (the journal keeps every trial finished so far).`;

/** Reads and validates a study file; errors name the file and every problem. */
export function loadStudyFile(path: string): Study {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read study file ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
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

export function rankedTable(record: StudyRecord, limit = 20): string {
  const ranked = rankTrials(record.trials, objectivesOf(record.study.objective)[0]!);
  const rows = ranked.slice(0, limit).map((t, i) => [
    String(i + 1),
    String(t.index),
    t.state,
    pct(t.valAccuracy),
    fmt(t.valLoss),
    t.test ? pct(t.test.accuracy) : '',
    t.samplesPerSec === null ? '-' : Math.round(t.samplesPerSec).toString(),
    fmt(t.stepMs),
    `${t.config.optimizer.kind} lr=${fmt(t.config.optimizer.lr)} b=${t.config.batchSize} h=${t.config.hidden.join('-') || 'none'} drop=${fmt(t.config.dropout, 2)} l2=${fmt(t.config.l2, 2)}`,
  ]);
  const more = ranked.length > limit ? `\n… ${ranked.length - limit} more in trials.csv` : '';
  return table(['rank', 'trial', 'state', 'val acc', 'val loss', 'test acc', 'samples/s', 'step ms', 'config'], rows) + more;
}

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, json: { type: 'boolean' }, resume: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(RUN_USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new InputError(`expected one study file, got ${positionals.length}: ${positionals.join(' ')}`);
  const studyPath = positionals[0] ? resolve(positionals[0]) : DEFAULT_STUDY;
  const study = loadStudyFile(studyPath);
  if (values.resume && !values.out) throw new InputError('--resume needs --out DIR, the folder of the run to continue');
  const out = resolve(values.out ?? join('runs', `${folderSafeName(study.name)}-${timestamp()}`));
  prepareResultsFolder(out, { resume: values.resume ?? false, what: values.out ? '--out' : 'results folder' });
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const dataset = await loadDatasetNode(study.data);
  const ctx = await acquireNodeGpu({ onLost: (e) => log(`fusetune: ${e.message}`) });
  const folder = new StudyFolder(out);
  const previous = values.resume ? folder.readJournal() : [];
  log(`study ${study.name}: ${dataset.description}`);
  log(`adapter ${adapterName(ctx.report)}; results in ${out}${previous.length ? `; resuming with ${previous.length} finished trials` : ''}`);

  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      log('\nstopping after the current chunk of steps (Ctrl-C again to quit now; finished trials are in the journal)');
      controller.abort();
    } else process.exit(130);
  };
  process.on('SIGINT', onSigint);

  const progress = new Progress();
  let trialsDone = 0;
  let trialsTotal = 0;
  let best = '-';
  let bestValue: number | null = null;
  let state = { stepsDone: 0, stepsTotal: 1, samplesPerSec: 0, elapsedMs: 0 };
  const objective = study.objective[0]!;
  const redraw = () => progress.update({ trialsDone, trialsTotal, best, ...state });
  try {
    const { record, weights } = await runStudy({
      ctx,
      study,
      dataset,
      signal: controller.signal,
      previous,
      onEvent: (event) => {
        switch (event.type) {
          case 'planned':
            trialsDone = event.record.trials.filter((t) => FINISHED_STATES.has(t.state)).length;
            break;
          case 'progress':
            state = { stepsDone: event.stepsDone, stepsTotal: event.stepsTotal, samplesPerSec: event.samplesPerSec, elapsedMs: event.elapsedMs };
            trialsTotal = event.trialsTotal;
            trialsDone = event.trialsDone;
            break;
          case 'trial-finished': {
            folder.appendTrial(event.trial);
            const value = objectiveValue(event.trial, objective);
            if (value !== null && (bestValue === null || (objective.direction === 'maximize' ? value > bestValue : value < bestValue))) {
              bestValue = value;
              best = objective.metric === 'val_accuracy' ? pct(value) : fmt(value);
            }
            break;
          }
          default:
            return;
        }
        redraw();
      },
    });
    progress.stop();
    const files = folder.writeResults(record);
    const written = [folder.journalPath, files.studyJson, files.trialsCsv];
    const bestRecord = record.best === null ? null : record.trials[record.best]!;
    if (bestRecord?.exploits?.length) written.push(folder.writeText('best-schedule.csv', scheduleCsv(bestRecord)));
    if (record.best !== null && weights.has(record.best)) {
      const bestTrial = record.trials[record.best]!;
      const { params, widths } = weights.get(record.best)!;
      written.push(
        folder.writeWeights('best.safetensors', params, widths, {
          trial: String(record.best),
          activation: bestTrial.config.activation,
          val_accuracy: String(bestTrial.valAccuracy),
          study: study.name,
        }),
      );
    }
    if (values.json) process.stdout.write(JSON.stringify(record) + '\n');
    else {
      console.log(rankedTable(record));
      const bestTrial = record.best === null ? null : record.trials[record.best]!;
      const failed = record.trials.filter((t) => t.state === 'failed' || t.state === 'diverged');
      console.log(
        `\n${record.state} in ${duration(record.wallMs ?? 0)} on ${adapterName(record.adapter)} (timing: ${record.timing})` +
          (bestTrial ? `; best trial ${bestTrial.index}: val ${pct(bestTrial.valAccuracy)}, test ${pct(bestTrial.test?.accuracy)}` : '; no trial finished'),
      );
      for (const t of failed) console.log(`trial ${t.index} ${t.state}: ${t.reason ?? ''}`);
      console.log(budgetLine(record));
      const front = paretoTable(record);
      if (front) console.log(`\n${front}`);
      const schedule = bestTrial ? scheduleTable(bestTrial) : null;
      if (schedule) console.log(`\n${schedule}`);
      console.log(`wrote ${written.join(', ')}`);
    }
    return record.state === 'done' ? 0 : record.state === 'stopped' ? 130 : 1;
  } finally {
    progress.stop();
    process.off('SIGINT', onSigint);
    ctx.destroy();
  }
}
