import { inspect } from 'node:util';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';

/**
 * The test process's Temporal logger: it keeps every line a worker logs at INFO and above (what
 * a production worker logs by default: activity and workflow logs, failures with their details)
 * so that tests can scan it for secrets, and prints warnings and errors as before.
 */
const lines: string[] = [];
const printed = new DefaultLogger('WARN');
const full = (meta: unknown) =>
  inspect(meta, { depth: null, maxArrayLength: null, maxStringLength: null, breakLength: Infinity });

export const capturingLogger = new DefaultLogger('INFO', (entry: LogEntry) => {
  lines.push(`[${entry.level}] ${entry.message}${entry.meta === undefined ? '' : ` ${full(entry.meta)}`}`);
  printed.log(entry.level, entry.message, entry.meta);
});

/** Everything the workers of this test process logged so far. */
export const workerLogText = (): string => lines.join('\n');
