import type { WorkflowExecutionInfo } from '@temporalio/client';
import { z } from 'zod';
import { deployRequestSchema } from '../config/schema.js';
import { WORKFLOW_TYPE } from '../shared/constants.js';
import type { Outcome } from '../shared/report.js';
import { describeFreeze, listFreezes, type FreezeRecord } from '../shared/freeze.js';
import { DEPLOY_APP, DEPLOY_ENVIRONMENT, DEPLOY_OUTCOME, DEPLOY_REF } from '../shared/searchAttributes.js';
import { EXIT, EXIT_CODES, output, parseOptions, withClient, type GlobalOptions } from './context.js';
import { formatTime, table } from './table.js';

const OUTCOMES = Object.keys(EXIT_CODES) as [Outcome, ...Outcome[]];

/** Only slugs and known outcomes reach the visibility query, so values need no escaping. */
export const listOptionsSchema = z.object({
  app: deployRequestSchema.shape.app.optional(),
  env: deployRequestSchema.shape.environment.optional(),
  outcome: z.enum(OUTCOMES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(20),
});
export type ListOptions = z.input<typeof listOptionsSchema>;

/**
 * `WorkflowType = 'safeDeployment' AND DeployApp = 'farm-chat'
 * …`: the same text works in `temporal workflow list --query`.
 */
export function listQuery(f: Omit<z.output<typeof listOptionsSchema>, 'limit'>): string {
  const clauses = [`WorkflowType = '${WORKFLOW_TYPE}'`];
  if (f.app) clauses.push(`${DEPLOY_APP.name} = '${f.app}'`);
  if (f.env) clauses.push(`${DEPLOY_ENVIRONMENT.name} = '${f.env}'`);
  if (f.outcome) clauses.push(`${DEPLOY_OUTCOME.name} = '${f.outcome}'`);
  return clauses.join(' AND ');
}

export interface ListedDeployment {
  workflowId: string;
  status: string;
  app?: string;
  environment?: string;
  ref?: string;
  outcome?: string;
  startTime: string;
  closeTime?: string;
}

export function listedDeployment(w: WorkflowExecutionInfo): ListedDeployment {
  const sa = w.typedSearchAttributes;
  return {
    workflowId: w.workflowId,
    status: w.status.name,
    app: sa.get(DEPLOY_APP),
    environment: sa.get(DEPLOY_ENVIRONMENT),
    ref: sa.get(DEPLOY_REF),
    outcome: sa.get(DEPLOY_OUTCOME),
    startTime: w.startTime.toISOString(),
    closeTime: w.closeTime?.toISOString(),
  };
}

export function renderList(rows: ListedDeployment[]): string {
  if (!rows.length) return 'no deployments match';
  return table(
    ['WORKFLOW ID', 'STATUS', 'APP', 'ENV', 'REF', 'OUTCOME', 'STARTED'],
    rows.map((r) => [
      r.workflowId,
      r.status,
      r.app ?? '-',
      r.environment ?? '-',
      r.ref ?? '-',
      r.outcome ?? '-',
      formatTime(new Date(r.startTime)),
    ]),
  );
}

/** `frozen: farm-chat production — frozen by dana since …: quarter close`, one per freeze. */
export const freezeLines = (freezes: FreezeRecord[]) =>
  freezes.map((f) => `frozen: ${f.app} ${f.environment} — ${describeFreeze(f)}`);

/** Deployments, newest first, filtered by the Deploy* search attributes. */
export async function runList(g: GlobalOptions, o: ListOptions): Promise<number> {
  const out = output(g.json);
  const { limit, ...filter } = parseOptions(listOptionsSchema, o);
  const query = listQuery(filter);
  return withClient(g, async (client) => {
    // Freezes are workflows of their own (deploymentFreeze): shown beside the list they block, looked up meanwhile.
    const frozen = listFreezes(client);
    frozen.catch(() => undefined);
    const rows: ListedDeployment[] = [];
    for await (const w of client.workflow.list({ query, pageSize: limit })) {
      rows.push(listedDeployment(w));
      if (rows.length >= limit) break;
    }
    const freezes = (await frozen).filter(
      (f) => (!filter.app || f.app === filter.app) && (!filter.env || f.environment === filter.env),
    );
    out.line(renderList(rows));
    freezeLines(freezes).forEach((l) => out.line(l));
    out.json({ query, deployments: rows, freezes });
    return EXIT.ok;
  });
}
