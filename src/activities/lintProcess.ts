/**
 * The migration lint in a process of its own, started by the lint activity: libpg_query's
 * WebAssembly heap (about 40 MB once it has parsed) lives and dies with this process instead of
 * staying in the worker for its whole life.
 *
 *   node lintProcess.js <input.json> <output.json>     input { migrations: [{ name, sql }] }
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { lintMigrations } from '../lint/index.js';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node lintProcess.js <input.json> <output.json>');
  process.exit(2);
}
const { migrations } = JSON.parse(readFileSync(input, 'utf8')) as { migrations: { name: string; sql: string }[] };
// Exclusive and private: the report names the migrations' statements.
writeFileSync(output, JSON.stringify(lintMigrations(migrations)), { mode: 0o600, flag: 'wx' });
