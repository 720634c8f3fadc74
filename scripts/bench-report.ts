// Prints benchmark results files (JSON lines from `fusetune bench --json`) as markdown tables, for docs/BENCHMARKS.md.
// Usage: node --import ./bin/register.js scripts/bench-report.ts docs/bench/swiftshader.jsonl [...]
import { readFileSync } from 'node:fs';
import { parseBenchRecords } from '../src/bench/record.ts';
import { markdownTable, reportTables } from '../src/bench/report.ts';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: scripts/bench-report.ts RESULTS.jsonl [...]');
  process.exit(2);
}
for (const file of files) {
  const records = parseBenchRecords(readFileSync(file, 'utf8'));
  const dates = records.map((r) => r.date).sort();
  console.log(`<!-- ${file}: ${records.length} records, ${dates[0]} … ${dates[dates.length - 1]} -->\n`);
  for (const table of reportTables(records)) console.log(`**${table.title}**\n\n${markdownTable(table)}\n`);
}
