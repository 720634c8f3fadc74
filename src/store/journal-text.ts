// A whole Optuna journal as text, in memory (the app's download and upload): one record per line, as the file backend writes them.
import type { Study } from '../search/study.ts';
import { JournalStorage, MemoryJournalBackend, type JournalStorageOptions } from './journal-storage.ts';
import { encodeRecord, parseJournalText, type JournalRecord } from './optuna-journal.ts';
import { recordStudy } from './optuna-mapping.ts';
import type { StudyRecord } from './records.ts';

/** Records as a journal file's text: each on its own line, each line ended by a newline. */
export function journalText(records: readonly JournalRecord[]): string {
  return records.map((record) => `${encodeRecord(record)}\n`).join('');
}

/**
 * A study's trials as a journal holding that one study (as `recordStudy` writes it: the study with
 * its attrs, then one CREATE_TRIAL record per trial), which `optuna.load_study` reads.
 */
export async function studyJournalText(study: Study, record: Pick<StudyRecord, 'trials'>, options?: JournalStorageOptions): Promise<string> {
  const backend = new MemoryJournalBackend();
  const storage = await JournalStorage.open(backend, options);
  await recordStudy(storage, study, record);
  return journalText(backend.records);
}

/**
 * A journal's whole text replayed into a storage. A torn last line is skipped; a malformed line
 * that more lines follow throws JournalFormatError naming `source` and the line.
 */
export async function openJournalText(text: string, source: string): Promise<JournalStorage> {
  return JournalStorage.open(new MemoryJournalBackend(parseJournalText(text, source), source));
}
