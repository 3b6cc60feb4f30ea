/**
 * The SQL parser's work in a process of its own, started by runInParserProcess (parserProcess.ts):
 * libpg_query's WebAssembly heap (about 40 MB once it has parsed) lives and dies with this process
 * instead of staying in the worker for its whole life.
 *
 *   node parserProcessEntry.js <task> <input.json> <output.json>
 *     lint        input { migrations: [{ name, sql }], database?, sizes? }: the lint's report
 *     dataNeeds   input { migrations: [{ name, sql }] }: what they need of production's rows (src/lint/dataNeeds.ts)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dataNeedsOf } from '../lint/dataNeeds.js';
import { lintDeployment, type LintReport } from '../lint/index.js';
import type { LintProcessInput } from './lint.js';
import type { ParserTask } from './parserProcess.js';

function lint({ migrations, database, sizes }: LintProcessInput): LintReport {
  const report = lintDeployment(migrations, {
    ...(database ? { database } : {}),
    ...(sizes ? { sizes } : {}),
  });
  if (database)
    report.database = { serverVersion: database.serverVersion, tables: Object.keys(database.tables).length };
  return report;
}

const tasks: Record<ParserTask, (input: never) => unknown> = {
  lint,
  dataNeeds: ({ migrations }: { migrations: { name: string; sql: string }[] }) => dataNeedsOf(migrations),
};

const [task, input, output] = process.argv.slice(2);
if (!task || !Object.hasOwn(tasks, task) || !input || !output) {
  console.error(`usage: node parserProcessEntry.js <${Object.keys(tasks).join('|')}> <input.json> <output.json>`);
  process.exit(2);
}
const result = tasks[task as ParserTask](JSON.parse(readFileSync(input, 'utf8')) as never);
// Exclusive and private: the result names the statements and tables of unreleased migrations.
writeFileSync(output, JSON.stringify(result), { mode: 0o600, flag: 'wx' });
