// The parse worker (parseAhead.ts starts it): reads a migrations folder's files in order and parses
// each small one with libpg-query, ahead of the main thread, which runs the rules. Each
// migration's tree crosses over as the parser's own JSON text; the main thread parses that text
// once (parseMigrationTree), as `parseSync` itself would have.
import { workerData } from 'node:worker_threads';
import { parseSync, SqlError } from 'libpg-query';
import { readMigrationFile } from './migrationFile.js';
import { parseError, parsesWhole } from './parse.js';
import { SIGNAL, type ParseAheadInput, type ParseAheadMessage, type PreparedMigration } from './parseAhead.js';

const { dir, names, limits, port, signals: shared, maxKiBAhead } = workerData as ParseAheadInput;
const signals = new Int32Array(shared);
const parseJson = JSON.parse;
const keepText = ((text: string) => text) as typeof JSON.parse;

/** `parseSync`'s tree as the JSON text it would `JSON.parse`; a string, or `undefined` if that ever changes. */
function treeText(sql: string): string | undefined {
  JSON.parse = keepText;
  try {
    const tree: unknown = parseSync(sql);
    return typeof tree === 'string' ? tree : undefined;
  } finally {
    JSON.parse = parseJson;
  }
}

function prepare(name: string): PreparedMigration {
  const read = readMigrationFile(dir, name, limits.maxMigrationBytes);
  if (!('sql' in read)) return { name, ...read };
  const { file, sql } = read;
  // Empty, or big (parsed in pieces, memory bounded): the main thread does it as the serial path does.
  if (sql.trim() === '' || !parsesWhole(sql, limits)) return { name, file, sql };
  try {
    const tree = treeText(sql);
    return tree === undefined ? { name, file, sql } : { name, file, sql, tree };
  } catch (err) {
    // PostgreSQL's own syntax error is the same whatever thread meets it. Anything else (the
    // parser out of its stack or memory) is left to the main thread, which fails as the serial path does.
    if (err instanceof SqlError) return { name, file, sql, error: parseError(sql, err) };
    return { name, file, sql };
  }
}

let batch: PreparedMigration[] = [];
let chars = 0;
let sent = 0;
let sentKiB = 0;
const post = (message: ParseAheadMessage) => {
  port.postMessage(message);
  Atomics.add(signals, SIGNAL.posted, 1);
  Atomics.notify(signals, SIGNAL.posted);
};
const flush = () => {
  // Bounded memory: never more than `maxKiBAhead` posted and not linted yet.
  for (
    let linted = Atomics.load(signals, SIGNAL.lintedKiB);
    sentKiB - linted > maxKiBAhead;
    linted = Atomics.load(signals, SIGNAL.lintedKiB)
  )
    Atomics.wait(signals, SIGNAL.lintedKiB, linted);
  const kib = Math.ceil(chars / 1024);
  post({ batch, kib });
  sent++;
  sentKiB += kib;
  batch = [];
  chars = 0;
};
for (const name of names) {
  const prepared = prepare(name);
  batch.push(prepared);
  chars += 'sql' in prepared ? prepared.sql.length + (prepared.tree?.length ?? 0) : 0;
  // Small batches first, so the main thread starts linting early; then bigger ones, fewer messages.
  if (batch.length >= (sent < 3 ? 16 << sent : 128) || chars >= 4 << 20) flush();
}
if (batch.length > 0) flush();
post('done');
