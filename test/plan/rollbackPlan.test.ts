import { describe, expect, it } from 'vitest';
import { planRollback } from '../../src/plan/rollbackPlan.js';

/**
 * Issue 13.1: the rollback plan is decided by what the migration did to existing data, measured on
 * the rehearsal copy — not by what the lint guessed. A code-only rollback keeps the database, so
 * it is chosen only when every value that existed is unchanged.
 */
const proven = { preferCodeOnly: true, additiveOnly: true, previousReleaseCompatible: true };

describe('planRollback', () => {
  it('keeps the data only when the copy showed no existing value changed', () => {
    expect(planRollback({ ...proven, existingDataChanges: [] })).toMatchObject({
      strategy: 'code-only',
      why: expect.stringContaining('changed no existing value on the rehearsal copy (measured'),
    });
  });

  it('restores when the migration rewrote existing values on the copy, naming them', () => {
    expect(
      planRollback({ ...proven, existingDataChanges: [{ table: 'public.User', what: 'values changed in email' }] }),
    ).toEqual({
      strategy: 'restore-database',
      why: 'on the rehearsal copy the migration changed existing data (public.User: values changed in email): a code-only rollback would keep it',
    });
  });

  it('restores when nothing was measured: a guess is not enough', () => {
    expect(planRollback(proven)).toEqual({
      strategy: 'restore-database',
      why: 'what the migration does to existing data was not measured on the copy',
    });
  });

  it('restores for every earlier reason first', () => {
    expect(planRollback({ ...proven, additiveOnly: false, existingDataChanges: [] }).strategy).toBe('restore-database');
    expect(planRollback({ ...proven, previousReleaseCompatible: false, existingDataChanges: [] }).strategy).toBe(
      'restore-database',
    );
    expect(planRollback({ ...proven, preferCodeOnly: false, existingDataChanges: [] }).strategy).toBe(
      'restore-database',
    );
  });
});
