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

    /**
     * Which deployment holds an app+environment's lock (the lock workflow's parent), and whether
     * that is a running safeDeployment at all: a lock started by hand, or whose deployment has
     * ended, is `stale`. `gone`: released between the refusal and this look.
     */
    async describeDeploymentLock({ lockWorkflowId }: { lockWorkflowId: string }): Promise<LockHolder> {
      const { client } = Context.current();
      let lock;
      try {
        lock = await client.workflow.getHandle(lockWorkflowId).describe();
      } catch {
        return { gone: true, stale: false };
      }
      if (lock.status.name !== 'RUNNING') return { gone: true, stale: false };
      const parent = lock.parentExecution;
      const held = {
        lockRunId: lock.runId,
        since: lock.startTime.toISOString(),
        holderWorkflowId: parent?.workflowId ?? undefined,
        holderRunId: parent?.runId ?? undefined,
      };
      if (!parent?.workflowId)
        return { ...held, gone: false, stale: true, why: 'it was started by hand, not by a deployment' };
      const holder = await client.workflow
        .getHandle(parent.workflowId, parent.runId ?? undefined)
        .describe()
        .catch(() => undefined);
      if (!holder)
        return { ...held, gone: false, stale: true, why: `its deployment ${parent.workflowId} does not exist` };
      if (holder.type !== 'safeDeployment')
        return {
          ...held,
          gone: false,
          stale: true,
          why: `it was started by a ${holder.type} workflow, not by a deployment`,
        };
      if (holder.status.name !== 'RUNNING')
        return {
          ...held,
          gone: false,
          stale: true,
          why: `its deployment ${parent.workflowId} has ended (${holder.status.name})`,
        };
      return { ...held, gone: false, stale: false };
    },

    /** Who asked to cancel a deployment, and why: the last cancel request in its history. */
    async describeCancellation({
      workflowId,
      runId,
    }: {
      workflowId: string;
      runId: string;
    }): Promise<{ identity?: string; reason?: string }> {
      const history = await Context.current().client.workflow.getHandle(workflowId, runId).fetchHistory();
      const event = (history.events ?? []).findLast(
        (e) => e.workflowExecutionCancelRequestedEventAttributes,
      )?.workflowExecutionCancelRequestedEventAttributes;
      return { identity: event?.identity || undefined, reason: event?.cause || undefined };
    },

    /** Ends a stale lock (that very run, if it is still stale): nobody is deploying behind it. */
    async endStaleDeploymentLock({
      lockWorkflowId,
      lockRunId,
      why,
    }: {
      lockWorkflowId: string;
      lockRunId: string;
      why: string;
    }): Promise<{ ended: boolean }> {
      const { client } = Context.current();
      const now = await createTemporalActivities().describeDeploymentLock({ lockWorkflowId });
      if (now.gone || !now.stale || now.lockRunId !== lockRunId) return { ended: false };
      await client.workflow.getHandle(lockWorkflowId, lockRunId).terminate(`stale deployment lock: ${why}`);
      return { ended: true };
    },
  };
}

export interface LockHolder {
  gone: boolean;
  stale: boolean;
  why?: string;
  lockRunId?: string;
  since?: string;
  holderWorkflowId?: string;
  holderRunId?: string;
}
