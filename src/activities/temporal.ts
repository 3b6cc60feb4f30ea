import { Context } from '@temporalio/activity';

/** Activities that ask the Temporal service itself, through the worker's own client. */
export function createTemporalActivities() {
  return {
    /**
     * The custom search attributes this namespace has. The workflow only upserts those that are
     * registered: upserting an unknown one would fail every workflow task on a cluster where
     * nobody registered them.
     */
    async registeredSearchAttributes(): Promise<string[]> {
      const { client } = Context.current();
      const res = await client.connection.operatorService.listSearchAttributes({ namespace: client.options.namespace });
      return Object.keys(res.customAttributes ?? {}).sort();
    },

    /** Which deployment holds an app+environment's lock (the lock workflow's parent). */
    async describeDeploymentLock({ lockWorkflowId }: { lockWorkflowId: string }): Promise<{ holderWorkflowId?: string; holderRunId?: string; since?: string }> {
      try {
        const d = await Context.current().client.workflow.getHandle(lockWorkflowId).describe();
        return { holderWorkflowId: d.parentExecution?.workflowId ?? undefined, holderRunId: d.parentExecution?.runId ?? undefined, since: d.startTime.toISOString() };
      } catch {
        return {}; // released between the refusal and this look
      }
    },
  };
}
