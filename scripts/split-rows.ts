// Prints, as one JSON object, the file rows of each split a table study trains, validates and tests on, and the columns it reads: what another tool needs to compare on the same rows (scripts/compare-sklearn.py reads it).
// Usage: node --import ./bin/register.js scripts/split-rows.ts study.json
// The split is a pure function of the study's data section (seeded), so it is the one `fusetune run` used;
// a results folder's test-rows.json lets a caller check that.
import { readFileSync } from 'node:fs';
import { loadDatasetNode } from '../src/data/node.ts';
import { parseStudyText } from '../src/search/study.ts';

const path = process.argv[2];
if (!path) {
  console.error('usage: node --import ./bin/register.js scripts/split-rows.ts study.json');
  process.exit(2);
}
const study = parseStudyText(readFileSync(path, 'utf8'));
if (study.data.kind !== 'table') {
  console.error(`${path}: data.kind is ${study.data.kind}; split rows exist for table data only`);
  process.exit(2);
}
const dataset = await loadDatasetNode(study.data);
const { ids, fileRows } = dataset.rows!;
const { train, validation } = dataset.split;
const columns = dataset.preprocess!.columns.map((c) => ({ name: c.name, kind: c.kind }));
console.log(
  JSON.stringify({
    study: study.name,
    file: study.data.path,
    fileRows,
    target: study.data.target,
    task: dataset.task,
    missing: dataset.preprocess!.missing,
    maxCategories: study.data.maxCategories,
    columns,
    features: dataset.features,
    trials: study.budget.trials ?? null,
    epochs: study.budget.epochs ?? null,
    seed: study.data.split.seed,
    rows: { train: Array.from(ids.subarray(0, train)), validation: Array.from(ids.subarray(train, train + validation)), test: Array.from(ids.subarray(train + validation)) },
  }),
);
