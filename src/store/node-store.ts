// A study's folder on disk (Node): a journal appended as trials finish, then study.json, trials.csv and weights.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StudyRecord, TrialRecord } from './records.ts';
import { trialsCsv } from './export.ts';
import { encodeSafetensors, mlpTensors } from './safetensors.ts';

/** Writes `data` to `path` through a temporary file, so a crash never leaves half a file. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, data);
  renameSync(temp, path);
}

export class StudyFolder {
  readonly journalPath: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.journalPath = join(dir, 'journal.jsonl');
  }

  /** Appends one finished trial to the journal (one JSON object per line); safe to interrupt. */
  appendTrial(trial: TrialRecord): void {
    appendFileSync(this.journalPath, JSON.stringify(trial) + '\n');
  }

  /** Trials recorded by an earlier, interrupted run in this folder (the last record of each index wins). */
  readJournal(): TrialRecord[] {
    if (!existsSync(this.journalPath)) return [];
    const byIndex = new Map<number, TrialRecord>();
    for (const line of readFileSync(this.journalPath, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const trial = JSON.parse(line) as TrialRecord;
        byIndex.set(trial.index, trial);
      } catch {
        // A line cut short by a crash: everything before it is intact.
      }
    }
    return [...byIndex.values()].sort((a, b) => a.index - b.index);
  }

  /** study.json (config and all results) and trials.csv. */
  writeResults(record: StudyRecord): { studyJson: string; trialsCsv: string } {
    const studyJson = join(this.dir, 'study.json');
    const csv = join(this.dir, 'trials.csv');
    writeAtomic(studyJson, JSON.stringify(record, null, 1) + '\n');
    writeAtomic(csv, trialsCsv(record));
    return { studyJson, trialsCsv: csv };
  }

  /** A trial's weights as .safetensors in torch.nn.Linear layout. */
  writeWeights(name: string, params: Float32Array, widths: number[], metadata: Record<string, string>): string {
    const path = join(this.dir, name);
    writeAtomic(path, encodeSafetensors(mlpTensors(params, widths), { widths: widths.join(','), ...metadata }));
    return path;
  }
}
