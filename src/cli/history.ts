import { z } from 'zod';
import { deployRequestSchema } from '../config/schema.js';
import type { DecisionRecord } from '../shared/report.js';
import { describeFreeze, readFreeze } from '../shared/freeze.js';
import { EXIT, output, parseOptions, withClient, type GlobalOptions } from './context.js';
import { deploymentsQuery, listRuns, readDeployment, type DeploymentRecord } from './deployments.js';
import { formatDuration } from '../shared/humanize.js';
import { formatTime } from './table.js';

export const historyOptionsSchema = z.object({
  app: deployRequestSchema.shape.app,
  env: deployRequestSchema.shape.environment,
  limit: z.coerce.number().int().min(1).max(1000).default(20),
});
export type HistoryOptions = z.input<typeof historyOptionsSchema>;

/** `v1 → v2` with short commits when the report has them, else the requested ref. */
export function fromTo(r: DeploymentRecord): string {
  if (!r.release) return `→ ${r.ref ?? '?'}`;
  const { from, to } = r.release;
  return `${from.name} (${from.commit.slice(0, 7)}) → ${to.name} (${to.commit.slice(0, 7)})`;
}

export const approvalLine = (d: DecisionRecord) =>
  `${d.decision} ${d.gate}${d.action ? ` (${d.action})` : ''}${d.by ? ` by ${d.by}` : ''} at ` +
  `${d.at}${d.reason ? `: ${d.reason}` : ''}`;

/** Who asked and why, as one line ("by ana: Satshot release"). */
export const requestLine = (r: Pick<DeploymentRecord, 'requestedBy' | 'reason'>) =>
  `requested by ${r.requestedBy ?? '(nobody named)'}${r.reason ? `: ${r.reason}` : ' (no reason given)'}`;

/** One block per deployment: when, outcome, from → to, how long, then who, why, approvals, rollback. */
export function renderHistory(app: string, env: string, rows: DeploymentRecord[]): string {
  if (!rows.length) return `no deployments of ${app} ${env} in this namespace`;
  return rows
    .map((r) => {
      const outcome = r.outcome ?? (r.status === 'RUNNING' ? 'running' : r.status.toLowerCase());
      const lines = [
        `${formatTime(new Date(r.startedAt))}  ${outcome}${r.dryRun ? ' (dry run)' : ''}  ${fromTo(r)}  ${
          r.durationMs === undefined ? 'running' : formatDuration(r.durationMs)
        }  ${r.workflowId}`,
        `  ${requestLine(r)}${r.scheduleId ? ` (schedule ${r.scheduleId})` : ''}`,
        ...r.approvals.map((d) => `  ${approvalLine(d)}`),
      ];
      if (r.rollback)
        lines.push(
          `  rolled back${r.rollback.requestedBy ? ` at ${r.rollback.requestedBy}'s request` : ''}: ` +
            `${r.rollback.reason}`,
        );
      else if (r.error) lines.push(`  failure: ${r.error}`);
      return lines.join('\n');
    })
    .join('\n');
}

/**
 * `safe-deploy history`: an app+environment's deployments, newest
 * first, with who, why, from → to, approvals, outcome, duration.
 */
export async function runHistory(g: GlobalOptions, o: HistoryOptions): Promise<number> {
  const out = output(g.json);
  const { app, env, limit } = parseOptions(historyOptionsSchema, o);
  const query = deploymentsQuery(app, env);
  return withClient(g, async (client) => {
    const runs = await listRuns(client, query, limit);
    const deployments = await Promise.all(runs.map((w) => readDeployment(client, w)));
    const freeze = await readFreeze(client, app, env);
    if (freeze) out.line(`${app} ${env} is ${describeFreeze(freeze)}`);
    out.line(renderHistory(app, env, deployments));
    out.json({ app, environment: env, query, ...(freeze ? { freeze } : {}), deployments });
    return EXIT.ok;
  });
}
