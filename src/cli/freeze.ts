import {
  SearchAttributeType,
  WorkflowExecutionAlreadyStartedError,
  type SearchAttributePair,
} from '@temporalio/common';
import { z } from 'zod';
import { deployRequestSchema } from '../config/schema.js';
import {
  describeFreeze,
  freezeWorkflowId,
  FREEZE_WORKFLOW_TYPE,
  readFreeze,
  type EndedFreeze,
  type FreezeRecord,
} from '../shared/freeze.js';
import { DEPLOY_APP, DEPLOY_ENVIRONMENT } from '../shared/searchAttributes.js';
import { CliError, EXIT, output, parseOptions, withClient, type GlobalOptions } from './context.js';

/** An update needs the worker on the freeze's task queue; without one it would wait, so unfreeze gives up. */
const UNFREEZE_TIMEOUT_MS = 15_000;

const who = z
  .string()
  .trim()
  .min(1, 'who (default: $USER)')
  .max(200)
  .default(() => process.env.USER ?? '');

export const freezeOptionsSchema = z.object({
  app: deployRequestSchema.shape.app,
  env: deployRequestSchema.shape.environment,
  reason: z.string().trim().min(1, 'why the freeze (shown to whoever it refuses)').max(500),
  by: who,
});
export type FreezeOptions = z.input<typeof freezeOptionsSchema>;

export const unfreezeOptionsSchema = z.object({
  app: deployRequestSchema.shape.app,
  env: deployRequestSchema.shape.environment,
  reason: z.string().trim().max(500).optional(),
  by: who,
});
export type UnfreezeOptions = z.input<typeof unfreezeOptionsSchema>;

/** Shows the freeze in the Web UI's filters too, when the namespace has the Deploy* attributes. */
async function freezeSearchAttributes(
  client: Parameters<Parameters<typeof withClient>[1]>[0],
  f: FreezeRecord,
): Promise<SearchAttributePair[]> {
  const registered = await client.connection.operatorService
    .listSearchAttributes({ namespace: client.options.namespace })
    .then((r) => r.customAttributes ?? {})
    .catch(() => ({}));
  const pairs: SearchAttributePair[] = [
    { key: DEPLOY_APP, value: f.app },
    { key: DEPLOY_ENVIRONMENT, value: f.environment },
  ];
  return pairs.filter((p) => p.key.type === SearchAttributeType.KEYWORD && p.key.name in registered);
}

/**
 * `safe-deploy freeze`: starts the freeze workflow of app+environment; a second freeze is refused, naming the first.
 */
export async function runFreeze(g: GlobalOptions, o: FreezeOptions): Promise<number> {
  const out = output(g.json);
  const { app, env, reason, by } = parseOptions(freezeOptionsSchema, o);
  return withClient(g, async (client) => {
    const freeze: FreezeRecord = { app, environment: env, reason, by, since: new Date().toISOString() };
    const workflowId = freezeWorkflowId(app, env);
    try {
      await client.workflow.start(FREEZE_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: g.taskQueue,
        args: [freeze],
        memo: { freeze },
        typedSearchAttributes: await freezeSearchAttributes(client, freeze),
        staticSummary: `Freeze ${app} ${env}: ${reason.slice(0, 200)} (by ${by})`,
        staticDetails:
          `Deployments and scheduled runs of ${app} ${env} are refused until \`safe-deploy unfreeze --app ` +
          `${app} --env ${env}\`.`,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const existing = await readFreeze(client, app, env);
      throw new CliError(`${app} ${env} is already ${existing ? describeFreeze(existing) : 'frozen'}; nothing changed`);
    }
    out.line(`froze ${app} ${env}: ${reason} (by ${by})`);
    out.line(`  every deployment and scheduled run of ${app} ${env} is refused until:`);
    out.line(`  safe-deploy unfreeze --app ${app} --env ${env} --reason "<why>"`);
    out.json({ workflowId, freeze });
    return EXIT.ok;
  });
}

/** `safe-deploy unfreeze`: ends the freeze with who and why (kept in its history); not frozen is no error. */
export async function runUnfreeze(g: GlobalOptions, o: UnfreezeOptions): Promise<number> {
  const out = output(g.json);
  const { app, env, reason, by } = parseOptions(unfreezeOptionsSchema, o);
  return withClient(g, async (client) => {
    const freeze = await readFreeze(client, app, env);
    if (!freeze) {
      out.line(`${app} ${env} is not frozen; nothing changed`);
      out.json({ app, environment: env, frozen: false });
      return EXIT.ok;
    }
    const handle = client.workflow.getHandle(freezeWorkflowId(app, env));
    let ended: EndedFreeze;
    try {
      ended = await client.connection.withDeadline(Date.now() + UNFREEZE_TIMEOUT_MS, () =>
        handle.executeUpdate<EndedFreeze, [{ by: string; reason: string }]>('unfreeze', {
          args: [{ by, reason: reason ?? '' }],
        }),
      );
    } catch (err) {
      if ((err as { code?: number }).code === 4 /* DEADLINE_EXCEEDED */)
        throw new CliError(
          `no worker answered on the freeze's task queue within ${UNFREEZE_TIMEOUT_MS / 1000} s; ${app} ` +
            `${env} stays frozen (start the worker it was frozen with)`,
          EXIT.failed,
        );
      throw err;
    }
    out.line(`unfroze ${app} ${env} (by ${by}${reason ? `: ${reason}` : ''}); it was ${describeFreeze(freeze)}`);
    out.json({ workflowId: handle.workflowId, frozen: false, freeze: ended });
    return EXIT.ok;
  });
}
