import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LintLimits } from './lintMigration.js';
import type { MigrationFile } from './migrationFile.js';
import type { ParsedMigration } from './parse.js';

// Reading and parsing a big migrations folder on a second core (parseWorker.ts), ahead of the main
// thread, which runs the rules in order over what the worker hands over.

/** What the worker starts with. */
export interface ParseAheadInput {
  dir: string;
  /** The migration folders, in the order they are linted. */
  names: readonly string[];
  limits: Pick<LintLimits, 'maxMigrationBytes' | 'maxStatementBytes' | 'pieceBytes'>;
  /** One Int32: the batches the main thread has linted (the worker stays at most `maxBatchesAhead` ahead). */
  consumed: SharedArrayBuffer;
  maxBatchesAhead: number;
}

/**
 * One migration as the worker hands it over: not readable, or over the size limit; or its SQL,
 * with the parser's JSON text of its tree (`tree`) or PostgreSQL's syntax error (`error`). With
 * neither, the main thread parses it (empty, big, or a failure other than a syntax error).
 */
export type PreparedMigration = { name: string } & (
  | Exclude<MigrationFile, { sql: string }>
  | { file: string; sql: string; tree?: string; error?: Extract<ParsedMigration, { ok: false }>['error'] }
);

const WORKER = new URL('./parseWorker.js', import.meta.url);

/** Whether the worker can start: in the built package, not from the TypeScript sources (vitest runs those). */
export function canParseAhead(): boolean {
  return WORKER.protocol === 'file:' && existsSync(fileURLToPath(WORKER));
}

/**
 * The migrations `names` of `dir`, in order and in batches, as the parse worker reads and parses
 * them. Should the worker stop before the end (it failed), the rest come as `{ name }` alone: the
 * caller reads and lints those itself, as without the worker.
 */
export async function* parseAhead(
  dir: string,
  names: readonly string[],
  limits: ParseAheadInput['limits'],
): AsyncGenerator<readonly (PreparedMigration | { name: string })[]> {
  const consumed = new SharedArrayBuffer(4);
  const consumedBatches = new Int32Array(consumed);
  const input: ParseAheadInput = { dir, names, limits, consumed, maxBatchesAhead: 4 };
  const worker = new Worker(WORKER, {
    workerData: input,
    // Its own messages (the WebAssembly parser may print) go to stderr: stdout carries the report alone.
    stdout: true,
    // Less stack than the main thread's: what the worker parses, the main thread would parse too.
    resourceLimits: { stackSizeMb: 1 },
  });
  worker.stdout.pipe(process.stderr, { end: false });
  const queue: (readonly PreparedMigration[] | 'done' | 'stopped')[] = [];
  let wake: (() => void) | undefined;
  const push = (m: readonly PreparedMigration[] | 'done' | 'stopped') => {
    queue.push(m);
    wake?.();
    wake = undefined;
  };
  worker.on('message', push);
  worker.on('error', () => push('stopped'));
  worker.on('exit', () => push('stopped'));
  let handedOver = 0;
  try {
    for (let batches = 0; ;) {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const next = queue.shift()!;
      if (next === 'done') return;
      if (next === 'stopped') {
        if (handedOver < names.length) yield names.slice(handedOver).map((name) => ({ name }));
        return;
      }
      yield next;
      handedOver += next.length;
      Atomics.store(consumedBatches, 0, ++batches);
      Atomics.notify(consumedBatches, 0);
    }
  } finally {
    void worker.terminate();
  }
}
