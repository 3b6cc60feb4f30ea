/**
 * What pending migrations need of production's rows (src/lint/dataNeeds.ts), read in a process of
 * its own, as the lint is (lintProcess.ts): the parser's WebAssembly heap stays out of the worker.
 *
 *   node dataNeedsProcess.js <input.json> <output.json>     input { migrations: [{ name, sql }] }
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dataNeedsOf } from '../lint/dataNeeds.js';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node dataNeedsProcess.js <input.json> <output.json>');
  process.exit(2);
}
const { migrations } = JSON.parse(readFileSync(input, 'utf8')) as { migrations: { name: string; sql: string }[] };
// Exclusive and private: the result names tables of unreleased migrations.
writeFileSync(output, JSON.stringify(dataNeedsOf(migrations)), { mode: 0o600, flag: 'wx' });
