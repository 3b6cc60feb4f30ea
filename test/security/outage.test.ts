import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, inject, it } from 'vitest';
import { parseDatabaseUrl } from '../../src/commands/pg.js';
import { outageAware, outageOf, probeDatabase, waitForDatabase } from '../../src/postgres/outage.js';
import { retryingActivities } from '../../src/cli/status.js';
import { freePort } from '../../scripts/lib/ports.js';
import { pgComesBackOn } from '../helpers/pgComesBack.js';

/**
 * Issue 12.5: a 54 s PostgreSQL outage became `rollback-failed`: the app's health and checks
 * failed (non-retryable) while the database was down. A failure while PostgreSQL does not answer
 * now says so and is retried (a rollback's undos for rollback.retryFor); one while it answers
 * fails for real. `safe-deploy status` shows a step the server is retrying, and why. And a step
 * that needs PostgreSQL waits for it first (database.outageWait): the fault matrix's 60 s outage
 * during a forward step ends `deployed`, not `aborted` or rolled back.
 */

/** PostgreSQL coming back: from `afterMs` on, `port` forwards to the test cluster. */
const comesBackOn = (port: number, afterMs: number) => pgComesBackOn(port, afterMs, inject('pg'));
const unhealthy = () =>
  ApplicationFailure.create({
    type: 'HealthCheckFailed',
    message: '[restart-previous] /health did not answer 200',
    nonRetryable: true,
  });

describe('telling an outage from a broken release', () => {
  it('a failure while PostgreSQL does not answer becomes a retryable DatabaseUnreachable that names where it waits', async () => {
    const port = await freePort(); // nothing listens there
    const db = { ...parseDatabaseUrl(inject('pg').superuserUrl), port };
    const err = await outageAware(db, 'restart-previous', async () => {
      throw unhealthy();
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'DatabaseUnreachable', nonRetryable: false });
    expect(err.message).toContain(`[restart-previous] waiting for PostgreSQL at ${db.host}:${port} (`);
    expect(err.message).toContain('/health did not answer 200');
    // A plain error of a query (the connection refused) is named the same way.
    const plain = await outageAware(db, 'verify-rollback', async () => {
      throw new Error('connect ECONNREFUSED');
    }).catch((e) => e);
    expect(plain).toMatchObject({ type: 'DatabaseUnreachable', nonRetryable: false });
  });

  it('a failure while PostgreSQL answers stays what it is: the release is broken', async () => {
    const db = parseDatabaseUrl(inject('pg').superuserUrl);
    const failure = unhealthy();
    await expect(
      outageAware(db, 'restart', async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    await expect(outageAware(db, 'restart', async () => 'ok')).resolves.toBe('ok');
  });

  it('a cancellation passes through at once, without asking PostgreSQL', async () => {
    const db = { ...parseDatabaseUrl(inject('pg').superuserUrl), port: await freePort() };
    const cancelled = new CancelledFailure('cancelled');
    await expect(
      outageAware(db, 'restart', async () => {
        throw cancelled;
      }),
    ).rejects.toBe(cancelled);
  });

  it('a step waits for PostgreSQL before its work, saying where in its heartbeat, and runs once it answers', async () => {
    const port = await freePort();
    const db = { ...parseDatabaseUrl(inject('pg').superuserUrl), port };
    const back = comesBackOn(port, 3_000);
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    let ranWhileDown = false;
    try {
      const result = await env.run(() =>
        outageAware(
          db,
          'backup',
          async () => {
            ranWhileDown = !(await probeDatabase(db)).up;
            return 'backed up';
          },
          { waitMs: 60_000 },
        ),
      );
      expect(result).toBe('backed up');
      expect(ranWhileDown).toBe(false);
      expect(beats.length).toBeGreaterThan(0);
      expect(beats[0]).toMatchObject({ phase: `waiting for PostgreSQL at ${db.host}:${port}` });
      expect(String((beats[0] as { last: string }).last)).toMatch(/ECONNREFUSED/);
    } finally {
      await back.close();
    }
  }, 30_000);

  it('it waits database.outageWait at most, then fails retryable, naming where', async () => {
    const port = await freePort();
    const db = { ...parseDatabaseUrl(inject('pg').superuserUrl), port };
    let ran = false;
    const err: ApplicationFailure = await new MockActivityEnvironment()
      .run(() =>
        outageAware(
          db,
          'migrate',
          async () => {
            ran = true;
          },
          { waitMs: 2_500 },
        ),
      )
      .then(
        () => {
          throw new Error('no failure');
        },
        (e: ApplicationFailure) => e,
      );
    expect(ran).toBe(false);
    expect(err).toMatchObject({ type: 'DatabaseUnreachable', nonRetryable: false });
    expect(err.message).toContain(`[migrate] waiting for PostgreSQL at ${db.host}:${port} (`);
    expect(err.message).toContain('(database.outageWait)');
  }, 30_000);

  it('a server that answers with an error of its own is up: a missing database is not an outage to wait for', async () => {
    // A rollback finishing a half-way swap finds production renamed aside; a wrong password is a person's to fix.
    const db = { ...parseDatabaseUrl(inject('pg').superuserUrl), database: 'sd_no_such_database' };
    expect(await probeDatabase(db)).toEqual({ up: true });
    // Answered at once, not after database.outageWait (10 minutes here; the test's own timeout is 30 s).
    await expect(
      new MockActivityEnvironment().run(() => waitForDatabase(db, 'restore-database', 600_000)),
    ).resolves.toBeUndefined();
    // Its failure stays what it is, not DatabaseUnreachable.
    const failure = new Error('database "sd_no_such_database" does not exist');
    await expect(
      outageAware(
        db,
        'backup',
        async () => {
          throw failure;
        },
        { waitMs: 600_000 },
      ),
    ).rejects.toBe(failure);
    // Nor is a restart told from a server whose start time could not be read.
    expect(outageOf('2026-12-01 10:00:00+00', { up: true })).toBeUndefined();
  }, 30_000);

  it('a cancellation ends the wait at once', async () => {
    const db = { ...parseDatabaseUrl(inject('pg').superuserUrl), port: await freePort() };
    const env = new MockActivityEnvironment();
    const waiting = env.run(() => waitForDatabase(db, 'backup', 600_000));
    setTimeout(() => env.cancel(), 1_000);
    await expect(waiting).rejects.toBeInstanceOf(CancelledFailure); // not after 10 minutes: the test's own timeout is 30 s
  }, 30_000);

  it('a failure after the server restarted under the step is an outage too, even though it answers again', async () => {
    const up = { up: true as const, startedAt: '2026-12-01 10:00:00+00' };
    expect(outageOf(up.startedAt, up)).toBeUndefined();
    expect(outageOf(up.startedAt, { up: true, startedAt: '2026-12-01 10:05:00+00' })?.why).toBe(
      'its server restarted while the step ran: started 2026-12-01 10:00:00+00, now 2026-12-01 10:05:00+00',
    );
    expect(outageOf(up.startedAt, { up: false, why: 'connect ECONNREFUSED' })?.why).toBe('connect ECONNREFUSED');
    expect(outageOf(undefined, up)).toBeUndefined();
  });

  it('status lists the activities the server is retrying, with the last failure', () => {
    expect(
      retryingActivities([
        {
          activityType: { name: 'restoreDatabase' },
          attempt: 4,
          maximumAttempts: 24,
          lastFailure: { message: '[restore-database] waiting for PostgreSQL at db:5432 (ECONNREFUSED)' },
        },
        { activityType: { name: 'verifyDeployment' }, attempt: 1, maximumAttempts: 3 },
      ]),
    ).toEqual([
      {
        activity: 'restoreDatabase',
        attempt: 4,
        maximumAttempts: 24,
        lastFailure: '[restore-database] waiting for PostgreSQL at db:5432 (ECONNREFUSED)',
      },
    ]);
  });
});
