/**
 * The migration lint in a process of its own, started by the lint activity: libpg_query's
 * WebAssembly heap (about 40 MB once it has parsed) lives and dies with this process instead of
 * staying in the worker for its whole life.
 *
 *   node lintProcess.js <input.json> <output.json>     input { migrations: [{ name, sql }], database?, sizes? }
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { lintDeployment, type LintReport } from '../lint/index.js';
import type { LintProcessInput } from './lint.js';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node lintProcess.js <input.json> <output.json>');
  process.exit(2);
}
const { migrations, database, sizes } = JSON.parse(readFileSync(input, 'utf8')) as LintProcessInput;
const report: LintReport = lintDeployment(migrations, {
  ...(database ? { database } : {}),
  ...(sizes ? { sizes } : {}),
});
if (database) report.database = { serverVersion: database.serverVersion, tables: Object.keys(database.tables).length };
// Exclusive and private: the report names the migrations' statements.
writeFileSync(output, JSON.stringify(report), { mode: 0o600, flag: 'wx' });
