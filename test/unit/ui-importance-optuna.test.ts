// The app's importances against Optuna's own on the same journal (Debian's Optuna 3.1): an ordinary Optuna study with
// Optuna's parameter names, a log learning rate, a categorical optimizer and two objectives, read by the app's viewer.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importanceInput } from '../../src/ui/analysis/importance-input.ts';
import { fanovaImportance } from '../../src/ui/analysis/importance.ts';
import { JournalViewer } from '../../src/ui/viewer/journal-viewer.ts';
import { variedParams } from '../../src/ui/viewer/model.ts';
import { findPython, runPython } from './optuna-helpers.ts';

const { python, reason } = findPython(['optuna', 'sklearn']);
if (!python) console.log(`ui-importance-optuna: skipping the comparison with Optuna's fANOVA: ${reason}`);

/** An Optuna study as Optuna's users write one: accuracy driven by the learning rate (log) and the optimizer, speed by the width and depth. */
const WRITE_PY = `
import sys, math, warnings
warnings.simplefilter("ignore")
import optuna
from optuna.storages import JournalStorage, JournalFileStorage
optuna.logging.set_verbosity(optuna.logging.ERROR)
storage = JournalStorage(JournalFileStorage(sys.argv[1]))
def objective(trial):
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    units = trial.suggest_int("n_units_l0", 16, 256, step=16)
    dropout = trial.suggest_float("dropout", 0.0, 0.5)
    opt = trial.suggest_categorical("optimizer", ["SGD", "Momentum", "Adam"])
    layers = trial.suggest_int("n_layers", 1, 3)
    acc = 0.97 - 0.09 * (math.log10(lr) + 2) ** 2 - {"SGD": 0.08, "Momentum": 0.03, "Adam": 0.0}[opt] - 0.02 * abs(dropout - 0.1) - 0.01 * (256 - units) / 256
    return acc, 1000.0 / units * layers
study = optuna.create_study(study_name="optuna-shaped", storage=storage, directions=["maximize", "minimize"], sampler=optuna.samplers.RandomSampler(seed=7))
study.optimize(objective, n_trials=int(sys.argv[2]))
`;

/** Optuna's FanovaImportanceEvaluator on objective k, averaged over seeds 0…n−1 (its forest is random). */
const EVALUATE_PY = `
import sys, json, warnings
warnings.simplefilter("ignore")
import optuna
from optuna.storages import JournalStorage, JournalFileStorage
from optuna.importance import FanovaImportanceEvaluator
optuna.logging.set_verbosity(optuna.logging.ERROR)
study = optuna.load_study(study_name="optuna-shaped", storage=JournalStorage(JournalFileStorage(sys.argv[1])))
out = []
for k in range(2):
    mean = {}
    for seed in range(int(sys.argv[2])):
        imp = optuna.importance.get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=seed), target=lambda t: t.values[k])
        for name, value in imp.items():
            mean[name] = mean.get(name, 0.0) + value / int(sys.argv[2])
    out.append(mean)
print(json.dumps(out))
`;

const SEEDS = 6;
const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

describe.skipIf(!python)("importance against Optuna's own on the same journal", () => {
  it("fANOVA matches Optuna's per objective: the same ranking, each importance within 0.05", () => {
    const folder = mkdtempSync(join(tmpdir(), 'fusetune-importance-'));
    folders.push(folder);
    const path = join(folder, 'journal.log');
    runPython(python!, WRITE_PY, [path, '120']);
    const optuna = runPython(python!, EVALUATE_PY, [path, String(SEEDS)]) as Record<string, number>[];

    const viewer = new JournalViewer('journal.log');
    viewer.appendText(readFileSync(path, 'utf8'));
    const study = viewer.study(0, 'file:journal.log')!;
    const params = variedParams(study.trials, study.space);
    for (const k of [0, 1]) {
      const input = importanceInput(study.trials, params, study.objectives, k);
      const ours: Record<string, number> = {};
      for (let seed = 0; seed < SEEDS; seed++) for (const r of fanovaImportance(input, { seed }).importances) ours[r.name] = (ours[r.name] ?? 0) + r.importance / SEEDS;
      const theirs = optuna[k]!;
      console.log(`objective ${k}: optuna ${JSON.stringify(theirs)}\n             ours   ${JSON.stringify(ours)}`);
      expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
      // Parameters that matter (over 2%) come in the same order; each importance is close.
      const order = (m: Record<string, number>) => Object.keys(m).filter((n) => theirs[n]! > 0.02).sort((a, b) => m[b]! - m[a]!);
      expect(order(ours)).toEqual(order(theirs));
      for (const name of Object.keys(theirs)) expect(Math.abs(ours[name]! - theirs[name]!), name).toBeLessThan(0.05);
    }
  }, 120_000);
});
