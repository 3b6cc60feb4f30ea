import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
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
  /** Where the worker posts its batches (`ParseAheadMessage`), one at a time. */
  port: MessagePort;
  /** Int32 counters shared with the main thread: `SIGNAL.posted`, `SIGNAL.lintedKiB`. */
  signals: SharedArrayBuffer;
  /** The worker waits while it has posted more than this (KiB of SQL and tree text) that is not linted yet. */
  maxKiBAhead: number;
}

/** The slots of `ParseAheadInput.signals`: messages posted (the worker), KiB linted (the main thread). */
export const SIGNAL = { posted: 0, lintedKiB: 1 } as const;

export type ParseAheadMessage = { batch: PreparedMigration[]; kib: number } | 'done';

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
  // Far enough ahead that neither thread waits on the other when the machine is busy; bounded.
  maxKiBAhead = 32 * 1024,
): AsyncGenerator<readonly (PreparedMigration | { name: string })[]> {
  const signals = new Int32Array(new SharedArrayBuffer(8));
  const { port1, port2 } = new MessageChannel();
  const input: ParseAheadInput = { dir, names, limits, port: port2, signals: signals.buffer, maxKiBAhead };
  const worker = new Worker(WORKER, {
    workerData: input,
    transferList: [port2],
    // Its own messages (the WebAssembly parser may print) go to stderr: stdout carries the report alone.
    stdout: true,
    // Less stack than the main thread's: what the worker parses, the main thread would parse too.
    resourceLimits: { stackSizeMb: 1 },
  });
  worker.stdout.pipe(process.stderr, { end: false });
  let stopped = false;
  const stop = () => {
    stopped = true;
    Atomics.notify(signals, SIGNAL.posted);
  };
  worker.on('error', stop);
  worker.on('exit', stop);
  let handedOver = 0;
  try {
    for (;;) {
      const posted = Atomics.load(signals, SIGNAL.posted);
      // One batch at a time, when it is needed: those behind it wait serialized, off the heap.
      const received = receiveMessageOnPort(port1)?.message as ParseAheadMessage | undefined;
      if (received === 'done') return;
      if (received) {
        yield received.batch;
        handedOver += received.batch.length;
        Atomics.add(signals, SIGNAL.lintedKiB, received.kib);
        Atomics.notify(signals, SIGNAL.lintedKiB);
      } else if (stopped) {
        if (handedOver < names.length) yield names.slice(handedOver).map((name) => ({ name }));
        return;
      } else {
        await waitAsync(signals, SIGNAL.posted, posted).value;
      }
    }
  } finally {
    port1.close();
    void worker.terminate();
  }
}

/** `Atomics.waitAsync` (Node 16+; typed from ES2024 on). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(array: Int32Array, index: number, value: number): { value: Promise<string> | string };
  }
).waitAsync;
