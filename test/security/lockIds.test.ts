import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lockWorkflowId } from '../../src/workflows/deploymentLock.js';

/**
 * Issue 12.8: lock ids were `deploy-lock-<app>-<env>`, so app `farm` + environment
 * `chat-production` and app `farm-chat` + environment `production` shared one lock (and one
 * deployment of either refused the other). App and environment are slugs ([a-z0-9-]); the id
 * now joins them with a dot, which neither may hold.
 */
const slug = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/);

describe('deployment lock ids', () => {
  it('differ for the two targets that shared one', () => {
    expect(lockWorkflowId('farm', 'chat-production')).not.toBe(lockWorkflowId('farm-chat', 'production'));
  });

  it('name one app and environment each (property)', () => {
    fc.assert(
      fc.property(slug, slug, slug, slug, (a1, e1, a2, e2) => {
        if (lockWorkflowId(a1, e1) === lockWorkflowId(a2, e2)) expect([a1, e1]).toEqual([a2, e2]);
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(slug, fc.array(fc.constantFrom('a', '-'), { minLength: 1, maxLength: 4 }), slug, (a, cut, e) => {
        // Moving a dash-separated piece from the app to the environment gives another id.
        const moved = `${a}-${cut.join('')}`;
        fc.pre(/^[a-z0-9]/.test(cut.join('')));
        expect(lockWorkflowId(moved, e)).not.toBe(lockWorkflowId(a, `${cut.join('')}-${e}`));
      }),
    );
  });
});
