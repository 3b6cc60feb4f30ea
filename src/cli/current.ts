import { z } from 'zod';
import { deployRequestSchema } from '../config/schema.js';
import { describeFreeze, readFreeze, type FreezeRecord } from '../shared/freeze.js';
import { CliError, EXIT, output, parseOptions, withClient, type GlobalOptions } from './context.js';
import { deploymentsQuery, listRuns, readDeployment, type DeploymentRecord } from './deployments.js';
import { requestLine } from './history.js';
import { formatTime } from './table.js';

export const currentOptionsSchema = z.object({
  app: deployRequestSchema.shape.app,
  env: deployRequestSchema.shape.environment,
});
export type CurrentOptions = z.input<typeof currentOptionsSchema>;

/** How far back `current` looks for the last deployed run (visibility keeps what the namespace's retention keeps). */
const LOOK_BACK = 200;

export interface CurrentRelease {
  app: string;
  environment: string;
  release: { name: string; commit: string };
  previous?: { name: string; commit: string };
  /** When it was verified live. */
  since: string;
  requestedBy?: string;
  reason?: string;
  /** The deployment that put it live. */
  workflowId: string;
  approvals: DeploymentRecord['approvals'];
  /** Deployments running now (the release may change when they end). */
  inProgress: string[];
  /** Later deployments whose rollback failed: what runs may not be this release. */
  rollbackFailed: string[];
  freeze?: FreezeRecord;
}

/**
 * What is live: the release of the newest deployment that ended `deployed`. A later one that
 * rolled back (or aborted) put that same release back; one whose rollback failed leaves it
 * uncertain, and is named.
 */
export function currentRelease(
  app: string,
  environment: string,
  newestFirst: DeploymentRecord[],
): Omit<CurrentRelease, 'freeze'> | undefined {
  const live = newestFirst.findIndex((r) => r.outcome === 'deployed' && r.release);
  if (live < 0) return undefined;
  const r = newestFirst[live]!;
  const later = newestFirst.slice(0, live);
  return {
    app,
    environment,
    release: r.release!.to,
    previous: r.release!.from,
    since: r.liveSince ?? r.finishedAt ?? r.startedAt,
    ...(r.requestedBy ? { requestedBy: r.requestedBy } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
    workflowId: r.workflowId,
    approvals: r.approvals,
    inProgress: later.filter((x) => x.status === 'RUNNING').map((x) => x.workflowId),
    rollbackFailed: later.filter((x) => x.outcome === 'rollback-failed').map((x) => x.workflowId),
  };
}

export function renderCurrent(c: CurrentRelease): string {
  const lines = [
    `${c.app} ${c.environment}: ${c.release.name} (${c.release.commit.slice(0, 12)})`,
    `  since:      ${formatTime(new Date(c.since))}`,
    `  by:         ${requestLine(c)}`,
    `  deployment: ${c.workflowId}${c.previous ? ` (from ${c.previous.name}, ${c.previous.commit.slice(0, 12)})` : ''}`,
    ...c.approvals.map(
      (d) => `  approval:   ${d.decision} ${d.gate}${d.by ? ` by ${d.by}` : ''}${d.reason ? `: ${d.reason}` : ''}`,
    ),
  ];
  if (c.inProgress.length) lines.push(`  running:    ${c.inProgress.join(', ')} (may change what is live)`);
  if (c.rollbackFailed.length)
    lines.push(
      `  WARNING:    rollback failed since: ${c.rollbackFailed.join(', ')}; what runs may not be this ` +
        `release (see safe-deploy status)`,
    );
  if (c.freeze) lines.push(`  frozen:     ${describeFreeze(c.freeze)}`);
  return lines.join('\n');
}

/** `safe-deploy current`: what is live on app+environment, since when, by whom, from which deployment. */
export async function runCurrent(g: GlobalOptions, o: CurrentOptions): Promise<number> {
  const out = output(g.json);
  const { app, env } = parseOptions(currentOptionsSchema, o);
  return withClient(g, async (client) => {
    const runs = await listRuns(client, deploymentsQuery(app, env), LOOK_BACK);
    // Newest first, reading reports only until the last deployed one (dry runs and refusals are skipped over).
    const read: DeploymentRecord[] = [];
    for (const w of runs) {
      const r = await readDeployment(client, w);
      read.push(r);
      if (r.outcome === 'deployed' && r.release) break;
    }
    const found = currentRelease(app, env, read);
    if (!found)
      throw new CliError(
        `no deployment of ${app} ${env} ended deployed in this namespace (looked at the last ${runs.length} runs)`,
        EXIT.notFound,
      );
    const freeze = await readFreeze(client, app, env);
    const current: CurrentRelease = { ...found, ...(freeze ? { freeze } : {}) };
    out.line(renderCurrent(current));
    out.json(current);
    return EXIT.ok;
  });
}
