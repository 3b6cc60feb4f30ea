import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyText, leakedSecrets } from '../lib/secretScan.js';
import type { Lab } from './lab.js';

export interface SecretScan {
  /** `secrets: none of 9 values in 38 histories and 3 worker logs`, or what leaked where. */
  line: string;
  /** `<where>: <secret name>` (never the value). */
  leaks: string[];
}

/**
 * Every deployment's full history and every worker's log (kills and restarts included), scanned
 * for the lab's secret values: a leak fails the run as surely as an inexact end state.
 */
export async function scanForSecrets(lab: Lab, workflowIds: string[]): Promise<SecretScan> {
  const secrets = Object.fromEntries(Object.entries(lab.secrets()).filter(([, v]) => v !== ''));
  const leaks: string[] = [];
  for (const id of workflowIds) {
    const text = await historyText(lab.client.workflow.getHandle(id)).catch(() => undefined);
    if (text === undefined) leaks.push(`history of ${id}: could not be read, so not proven clean`);
    else for (const name of leakedSecrets(text, secrets)) leaks.push(`history of ${id}: ${name}`);
  }
  const logs = readdirSync(lab.logDir).filter((f) => /^worker-.*\.log$/.test(f));
  for (const f of logs)
    for (const name of leakedSecrets(readFileSync(join(lab.logDir, f), 'utf8'), secrets)) leaks.push(`${f}: ${name}`);
  const where = `${workflowIds.length} histories and ${logs.length} worker logs`;
  return {
    leaks,
    line:
      leaks.length === 0
        ? `secrets: none of ${Object.keys(secrets).length} values in ${where}`
        : `secrets: ${leaks.length} LEAKED in ${where}`,
  };
}
