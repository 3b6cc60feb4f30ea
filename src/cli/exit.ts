import { DEFAULT_TASK_QUEUE } from '../shared/constants.js';
import type { Outcome } from '../shared/report.js';

// What every command shares without Temporal: the global options, exit codes and the error meant
// for people. client.ts imports only this, so a command that needs no server (lint) loads no client.

export interface GlobalOptions {
  address?: string;
  namespace?: string;
  profile?: string;
  taskQueue: string;
  json?: boolean;
}

export const DEFAULT_GLOBALS: GlobalOptions = { taskQueue: DEFAULT_TASK_QUEUE };

/** Exit codes scripts can branch on: a deployment's outcome, or why the command did nothing. */
export const EXIT_CODES: Record<Outcome, number> = {
  deployed: 0,
  'dry-run': 0,
  aborted: 3,
  'rolled-back': 4,
  'rollback-failed': 5,
};
export const EXIT = {
  ok: 0,
  /** Unexpected: the server unreachable, a deployment that ended without a report. */
  failed: 1,
  /** Bad arguments, an invalid request, an update the deployment refused, a name already taken. */
  refused: 2,
  /** No such deployment or schedule. */
  notFound: 6,
} as const;

/** An error meant for people: printed without a stack, ends the command with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.refused,
  ) {
    super(message);
  }
}
