import type { Client } from '@temporalio/client';

/**
 * A release freeze of one app+environment is a running `deploymentFreeze` workflow with the
 * deterministic id below: its existence is the freeze and its memo says why, who and since when.
 * Kept in Temporal (not a file on a host), so every worker, the CLI and the Web UI see the same
 * freeze, and it outlives worker restarts; its history is the freeze's audit record.
 */
export const FREEZE_WORKFLOW_TYPE = 'deploymentFreeze';

/** `deploy-freeze-<app>.<environment>`: the lock's scheme (a dot is in neither slug, so ids never collide). */
export const freezeWorkflowId = (app: string, environment: string) => `deploy-freeze-${app}.${environment}`;

export interface FreezeRecord {
  app: string;
  environment: string;
  reason: string;
  by: string;
  /** ISO time the freeze began. */
  since: string;
}

/** What `unfreeze` answers and the freeze workflow returns: the whole period, for the audit. */
export interface EndedFreeze extends FreezeRecord {
  unfrozenBy: string;
  unfrozenReason: string;
  until: string;
}

/** "frozen by dana since 2026-12-05T01:00:00.000Z: quarter close" */
export const describeFreeze = (f: FreezeRecord) => `frozen by ${f.by} since ${f.since}: ${f.reason}`;

const isFreezeRecord = (m: unknown): m is FreezeRecord =>
  typeof m === 'object' &&
  m !== null &&
  ['app', 'environment', 'reason', 'by', 'since'].every((k) => typeof (m as Record<string, unknown>)[k] === 'string');

/**
 * The freeze of app+environment, or undefined when there is none. Reads the workflow's
 * description (no worker needed). Only "not found" means "not frozen"; any other error is thrown,
 * so an unreachable server never reads as "go ahead".
 */
export async function readFreeze(
  client: Pick<Client, 'workflow'>,
  app: string,
  environment: string,
): Promise<FreezeRecord | undefined> {
  let description;
  try {
    description = await client.workflow.getHandle(freezeWorkflowId(app, environment)).describe();
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return undefined;
    throw err;
  }
  if (description.status.name !== 'RUNNING') return undefined;
  const memo = description.memo?.freeze;
  // A workflow with this id started by hand without the memo still freezes; it just says less.
  return isFreezeRecord(memo)
    ? memo
    : { app, environment, reason: '(no reason recorded)', by: '(unknown)', since: description.startTime.toISOString() };
}

/** Every running freeze (the `list` view), oldest first. */
export async function listFreezes(client: Pick<Client, 'workflow'>): Promise<FreezeRecord[]> {
  const found: FreezeRecord[] = [];
  for await (const w of client.workflow.list({
    query: `WorkflowType = '${FREEZE_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`,
  })) {
    const memo = w.memo?.freeze;
    if (isFreezeRecord(memo)) found.push(memo);
  }
  return found.sort((a, b) => a.since.localeCompare(b.since));
}
