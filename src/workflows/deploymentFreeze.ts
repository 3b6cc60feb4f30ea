import { condition, defineQuery, defineUpdate, setHandler } from '@temporalio/workflow';
import type { EndedFreeze, FreezeRecord } from '../shared/freeze.js';
import type { Decision } from './messages.js';

/** The freeze as it stands (`temporal workflow query --type freeze`). */
export const freezeQuery = defineQuery<FreezeRecord>('freeze');
/** Ends the freeze: who and why are kept in its history and result. */
export const unfreezeUpdate = defineUpdate<EndedFreeze, [Pick<Decision, 'by' | 'reason'>]>('unfreeze');

/**
 * A release freeze of one app+environment (`deploy-freeze-<app>.<environment>`, started by
 * `safe-deploy freeze`): it only waits, so that its being RUNNING is the freeze. The deployment's
 * `loadConfig` and the CLI read it; `unfreeze` ends it with who and why. A handful of events in
 * all, so it can wait for months without growing its history.
 */
export async function deploymentFreeze(freeze: FreezeRecord): Promise<EndedFreeze> {
  let ended: EndedFreeze | undefined;
  setHandler(freezeQuery, () => freeze);
  setHandler(
    unfreezeUpdate,
    async (unfreeze) => {
      ended = { ...freeze, unfrozenBy: unfreeze.by, unfrozenReason: unfreeze.reason, until: new Date().toISOString() };
      return ended;
    },
    {
      validator: (unfreeze) => {
        if (typeof unfreeze?.by !== 'string' || !unfreeze.by.trim())
          throw new Error('invalid unfreeze request: by: who unfreezes');
        if (typeof unfreeze.reason !== 'string') throw new Error('invalid unfreeze request: reason: a text');
      },
    },
  );
  await condition(() => ended !== undefined);
  return ended!;
}
