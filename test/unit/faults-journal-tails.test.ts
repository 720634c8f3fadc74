// Fault family "corrupted journal tails": a journal cut at any byte, a torn last line, garbage after the
// last record, a duplicated line. fusetune reads what Optuna reads, refuses the rest naming the line (exit 2),
// never appends after a line it cannot read, and cuts a torn tail off (saying so) before appending.
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, cpSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JournalFileBackend } from '../../src/store/journal-file.ts';
import { JournalStorage } from '../../src/store/journal-storage.ts';
import { JournalFormatError } from '../../src/store/optuna-journal.ts';
import type { StudyRecord } from '../../src/store/records.ts';
import { Rng } from '../../src/util/random.ts';
import { writeEveryKind } from './optuna-fixtures.ts';
import { findPython, runPython } from './optuna-helpers.ts';

const { python, reason } = findPython(['optuna']);
if (!python) console.log(`faults-journal-tails: the Optuna side is not checked: ${reason}`);

const temp = () => mkdtempSync(join(tmpdir(), 'fusetune-tails-'));

async function open(path: string, onTornTail?: (bytes: number) => void): Promise<JournalStorage> {
  return JournalStorage.open(await JournalFileBackend.open(path, { onTornTail }), { workerId: 'after' });
}

/** Python that opens each journal file given and prints, per file, its trial count or why it failed. */
const OPEN_EACH_PY = `
import json, sys, warnings
warnings.simplefilter("ignore")
import optuna
from optuna.storages import JournalStorage, JournalFileStorage
optuna.logging.set_verbosity(optuna.logging.ERROR)
out = []
for path in sys.argv[1:]:
    try:
        storage = JournalStorage(JournalFileStorage(path))
        out.append({"trials": sum(len(storage.get_all_trials(s._study_id)) for s in storage.get_all_studies())})
    except Exception as error:
        out.append({"error": type(error).__name__ + ": " + str(error)[:200]})
print(json.dumps(out))
`;

describe('a journal with a damaged tail', () => {
  it('never takes a line it cannot read as torn when it has its newline: nothing is appended after it (exit 2, naming it)', async () => {
    const path = join(temp(), 'journal.log');
    const storage = await open(path);
    const { studyId } = await storage.createStudy('s', ['maximize']);
    await storage.createTrial(studyId);
    await storage.close();
    appendFileSync(path, 'garbage{not json\n');
    const before = readFileSync(path, 'utf8');
    // Read as Optuna reads it: the unreadable last line is left out.
    const again = await open(path);
    expect(again.trials(studyId)).toHaveLength(1);
    const error = await again.createTrial(studyId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JournalFormatError);
    expect((error as Error).message).toMatch(/journal\.log line 3: malformed JSON .*nothing is appended after a line that cannot be read/);
    expect(readFileSync(path, 'utf8')).toBe(before);
    await again.close();
  });

  it('cuts a torn last line off before appending, and says how many bytes', async () => {
    const path = join(temp(), 'journal.log');
    const storage = await open(path);
    const { studyId } = await storage.createStudy('s', ['maximize']);
    await storage.close();
    appendFileSync(path, '{"op_code": 4, "worker_id": "dead", "stu');
    const cut: number[] = [];
    const again = await open(path, (bytes) => cut.push(bytes));
    await again.createTrial(studyId);
    expect(cut).toEqual([40]);
    expect(readFileSync(path, 'utf8')).not.toContain('"dead"');
    await again.close();
  });

  it('cut at 200 random bytes, with garbage, a torn line or a repeated line after it: read when Optuna reads it, refused by line otherwise, never made unreadable', async () => {
    const dir = temp();
    const source = join(dir, 'whole.log');
    const writer = await open(source);
    await writeEveryKind(writer);
    await writer.close();
    const whole = readFileSync(source, 'utf8');
    const lines = whole.split('\n').slice(0, -1);
    const rng = new Rng(20260415);
    const random = () => rng.next();
    const tails = ['', 'garbage{not json', 'garbage{not json\n', '{"op_code": 4, "worker_id": "w", "stu', 'LINE', 'FLIP'];
    const cases: { before: string; after: string; kind: string; opened: boolean; appended: boolean; refused: string | null; kept: string }[] = [];
    const counts = { tried: 0, refusedNamed: 0, crashes: 0, dataLost: 0 };
    for (let i = 0; i < 200; i++) {
      const at = Math.floor(whole.length * (0.5 + 0.5 * random()));
      const kind = tails[Math.floor(random() * tails.length)]!;
      let text = whole.slice(0, at);
      if (kind === 'LINE') text = `${whole.slice(0, whole.lastIndexOf('\n', at) + 1)}${lines[Math.floor(random() * lines.length)]}\n`;
      else if (kind === 'FLIP') {
        const cutAt = whole.lastIndexOf('\n', at) + 1;
        const line = lines[Math.floor(random() * lines.length)]!;
        const flip = Math.floor(random() * line.length);
        text = `${whole.slice(0, cutAt)}${line.slice(0, flip)}${String.fromCharCode(33 + Math.floor(random() * 90))}${line.slice(flip + 1)}\n`;
      } else text += kind;
      const before = join(dir, `case-${i}.log`);
      const after = join(dir, `case-${i}-after.log`);
      writeFileSync(before, text);
      copyFileSync(before, after);
      // What no reader may lose: every complete line up to the damage, as written.
      const kept = text.slice(0, Math.min(text.lastIndexOf('\n') + 1, whole.lastIndexOf('\n', at) + 1));
      counts.tried++;
      let opened = false;
      let appended = false;
      let refused: string | null = null;
      try {
        const storage = await open(after);
        opened = true;
        try {
          const study = storage.studies()[0];
          if (study) await storage.createTrial(study.studyId);
          else await storage.createStudy('after', ['minimize']);
          appended = true;
        } finally {
          await storage.close();
        }
      } catch (error) {
        if (error instanceof JournalFormatError && /line \d+: /.test(error.message)) refused = error.message;
        else {
          counts.crashes++;
          throw new Error(`case ${i} (${kind} at ${at}): ${(error as Error).stack}`);
        }
      }
      if (refused !== null) {
        counts.refusedNamed++;
        expect(readFileSync(after, 'utf8'), `case ${i}: refused, yet changed`).toBe(text);
      }
      if (!readFileSync(after, 'utf8').startsWith(kept)) counts.dataLost++;
      cases.push({ before, after, kind, opened, appended, refused, kept });
    }
    expect(counts).toMatchObject({ tried: 200, crashes: 0, dataLost: 0 });
    // Kinds that must be refused (or read) are both present.
    expect(cases.some((c) => c.refused !== null) && cases.some((c) => c.appended)).toBe(true);
    console.log(`faults-journal-tails: ${counts.tried} tails tried, ${cases.filter((c) => c.appended).length} read and appended to, ${counts.refusedNamed} refused naming the line, ${counts.crashes} crashes, ${counts.dataLost} with data lost`);
    if (!python) return;
    const verdicts = runPython(python, OPEN_EACH_PY, cases.flatMap((c) => [c.before, c.after])) as ({ trials: number } | { error: string })[];
    cases.forEach((c, i) => {
      const optunaBefore = verdicts[2 * i]!;
      const optunaAfter = verdicts[2 * i + 1]!;
      // A journal Optuna reads, fusetune reads.
      if ('trials' in optunaBefore) expect(c.opened, `case ${i} (${c.kind}): Optuna reads it, fusetune refused: ${c.refused}`).toBe(true);
      // What Optuna read before fusetune appended to it, Optuna still reads.
      if (c.appended && 'trials' in optunaBefore) expect(optunaAfter, `case ${i} (${c.kind}): unreadable by Optuna after fusetune's append`).toHaveProperty('trials');
    });
  });
});

describe('a results folder whose journal was damaged', () => {
  const BIN = join(import.meta.dirname, '../../bin/fusetune.js');
  const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000 });
  const study = {
    name: 'tails',
    seed: 5,
    data: { kind: 'circles', n: 120, noise: 0.05, seed: 2 },
    space: { lr: { type: 'float', low: 0.01, high: 0.1, log: true }, units: { type: 'categorical', choices: [4, 8] } },
    defaults: { batch_size: 8, epochs: 2 },
    parallel: 2,
    budget: { trials: 4 },
  };
  const done = (out: string) =>
    (JSON.parse(readFileSync(join(out, 'study.json'), 'utf8')) as StudyRecord).trials
      .filter((t) => t.state === 'done')
      .map((t) => ({ params: t.params, seed: t.config.seed, valAccuracy: t.valAccuracy }))
      .sort((a, b) => JSON.stringify(a.params).localeCompare(JSON.stringify(b.params)));

  it('torn at its last line (truncate -s -20) resumes with no trial done twice; with garbage after a record it refuses naming the line, and goes on once the line is gone; a doubled creation line trains nothing with the defaults', () => {
    const dir = temp();
    const file = join(dir, 'study.json');
    writeFileSync(file, JSON.stringify(study));
    const finished = join(dir, 'finished');
    expect(run(['run', file, '--out', finished]).status).toBe(0);
    const reference = done(finished);
    expect(reference).toHaveLength(4);

    const torn = join(dir, 'torn');
    cpSync(finished, torn, { recursive: true });
    truncateSync(join(torn, 'journal.log'), statSync(join(torn, 'journal.log')).size - 20);
    const resumed = run(['run', file, '--out', torn, '--resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/cut off an incomplete last line \(\d+ bytes\)/);
    expect(done(torn)).toEqual(reference);

    const garbage = join(dir, 'garbage');
    cpSync(finished, garbage, { recursive: true });
    const journal = join(garbage, 'journal.log');
    const lines = readFileSync(journal, 'utf8').split('\n');
    const firstDone = lines.findIndex((l) => /"op_code": 6, .*"state": 1\b/.test(l));
    writeFileSync(journal, `${lines.slice(0, firstDone + 1).join('\n')}\ngarbage{not json\n`);
    const before = readFileSync(journal, 'utf8');
    const refused = run(['run', file, '--out', garbage, '--resume']);
    expect(refused.status, refused.stderr).toBe(2);
    expect(refused.stderr).toMatch(new RegExp(`journal\\.log line ${firstDone + 2}: malformed JSON .*nothing is appended after a line that cannot be read`));
    expect(readFileSync(journal, 'utf8')).toBe(before);
    if (python) expect(runPython(python, OPEN_EACH_PY, [journal])).toEqual([{ trials: expect.any(Number) }]);
    writeFileSync(journal, before.replace('garbage{not json\n', ''));
    const again = run(['run', file, '--out', garbage, '--resume']);
    expect(again.status, again.stderr).toBe(0);
    expect(done(garbage)).toEqual(reference);

    // A trial-creation line written twice: the trial left without parameters is asked again as itself, never trained with the defaults.
    const doubled = join(dir, 'doubled');
    cpSync(finished, doubled, { recursive: true });
    const all = readFileSync(join(doubled, 'journal.log'), 'utf8').split('\n');
    const creation = all.findIndex((l) => l.startsWith('{"op_code": 4'));
    all.splice(creation, 0, all[creation]!);
    writeFileSync(join(doubled, 'journal.log'), all.join('\n'));
    const resumedDoubled = run(['run', file, '--out', doubled, '--resume']);
    expect(resumedDoubled.status, resumedDoubled.stderr).toBe(0);
    const trained = (JSON.parse(readFileSync(join(doubled, 'study.json'), 'utf8')) as StudyRecord).trials.filter((t) => t.state === 'done');
    for (const t of trained) expect(Object.keys(t.params).sort(), `trial ${t.index}`).toEqual(['lr', 'units']);
  });
});
