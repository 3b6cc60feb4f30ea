import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInActivity } from './activityDeps.js';

/** What the parser's process does: the migration lint, or what pending migrations need of production's rows. */
export type ParserTask = 'lint' | 'dataNeeds';

/**
 * The compiled entry that parses SQL (parserProcessEntry.ts): beside this file once built; from
 * the sources (the tests run them), the build's copy.
 */
export function parserProcessPath(): string {
  const beside = fileURLToPath(new URL('./parserProcessEntry.js', import.meta.url));
  return existsSync(beside)
    ? beside
    : fileURLToPath(new URL('../../dist/src/activities/parserProcessEntry.js', import.meta.url));
}

/**
 * Runs a parser entry in a short-lived process: libpg_query's WebAssembly heap lives and dies with
 * it instead of staying in the worker. Input and output pass through a private folder (0700): they
 * hold the SQL of unreleased migrations.
 */
export async function runInParserProcess<T>(task: ParserTask, input: unknown, label: string): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'safe-deploy-sql-'));
  try {
    const inputFile = join(dir, 'input.json');
    const outputFile = join(dir, 'output.json');
    await writeFile(inputFile, JSON.stringify(input), { mode: 0o600, flag: 'wx' });
    await runInActivity(
      { file: process.execPath, args: [parserProcessPath(), task, inputFile, outputFile], timeoutMs: 120_000 },
      label,
    );
    return JSON.parse(await readFile(outputFile, 'utf8')) as T;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
