import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { describe, expect, inject, it } from 'vitest';
import { parseDatabaseUrl } from '../../src/commands/pg.js';
import { outageAware } from '../../src/activities/outage.js';
import { retryingActivities } from '../../src/cli/status.js';
import { freePort } from '../../scripts/lib/ports.js';

/**
 * Issue 12.5: a 54 s PostgreSQL outage became `rollback-failed`: the app's health and checks
 * failed (non-retryable) while the database was down. A failure while PostgreSQL does not answer
 * now says so and is retried (a rollback's undos for rollback.retryFor); one while it answers
 * fails for real. `safe-deploy status` shows a step the server is retrying, and why.
 */
const unhealthy = () => ApplicationFailure.create({ type: 'HealthCheckFailed', message: '[restart-previous] /health did not answer 200', nonRetryable: true });

describe('telling an outage from a broken release', () => {
  it('a failure while PostgreSQL does not answer becomes a retryable DatabaseUnreachable that names where it waits', async () => {
    const port = await freePort(); // nothing listens there
    const db = { ...parseDatabaseUrl(inject('pg').superuserUrl), port };
    const err = await outageAware(db, 'restart-previous', async () => { throw unhealthy(); }).catch((e) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'DatabaseUnreachable', nonRetryable: false });
    expect(err.message).toContain(`[restart-previous] waiting for PostgreSQL at ${db.host}:${port} (`);
    expect(err.message).toContain('/health did not answer 200');
    // A plain error of a query (the connection refused) is named the same way.
    const plain = await outageAware(db, 'verify-rollback', async () => { throw new Error('connect ECONNREFUSED'); }).catch((e) => e);
    expect(plain).toMatchObject({ type: 'DatabaseUnreachable', nonRetryable: false });
  });

  it('a failure while PostgreSQL answers stays what it is: the release is broken', async () => {
    const db = parseDatabaseUrl(inject('pg').superuserUrl);
    const failure = unhealthy();
    await expect(outageAware(db, 'restart', async () => { throw failure; })).rejects.toBe(failure);
    await expect(outageAware(db, 'restart', async () => 'ok')).resolves.toBe('ok');
  });

  it('a cancellation passes through at once, without asking PostgreSQL', async () => {
    const db = { ...parseDatabaseUrl(inject('pg').superuserUrl), port: await freePort() };
    const cancelled = new CancelledFailure('cancelled');
    await expect(outageAware(db, 'restart', async () => { throw cancelled; })).rejects.toBe(cancelled);
  });

  it('status lists the activities the server is retrying, with the last failure', () => {
    expect(retryingActivities([
      { activityType: { name: 'restoreDatabase' }, attempt: 4, maximumAttempts: 24, lastFailure: { message: '[restore-database] waiting for PostgreSQL at db:5432 (ECONNREFUSED)' } },
      { activityType: { name: 'verifyDeployment' }, attempt: 1, maximumAttempts: 3 },
    ])).toEqual([{ activity: 'restoreDatabase', attempt: 4, maximumAttempts: 24, lastFailure: '[restore-database] waiting for PostgreSQL at db:5432 (ECONNREFUSED)' }]);
  });
});
