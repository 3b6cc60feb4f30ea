import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveDatabase } from '../../src/activities/activityDeps.js';
import { endSessionsNamed, SqlTimedOut, withClient } from '../../src/postgres/pgClient.js';
import { parseDatabaseUrl, type DbTarget } from '../../src/commands/pg.js';

/**
 * safe-deploy's own SQL on a real PostgreSQL: every session it opens is bounded (a lock held by
 * someone else fails it within lock_timeout, with a message that says what to do), a cancelled
 * activity's running statement is cancelled within seconds and its backend is gone, and a
 * client that vanished mid-statement has its statement abandoned by the server.
 */
const suffix = randomBytes(4).toString('hex');
const database = `pgclient_${suffix}`;
const role = `pgclient_${suffix}`;
const password = `pw-${randomBytes(9).toString('base64url')}`;
let url: string;
let db: DbTarget;
let holder: pg.Client;

async function admin<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: inject('pg').superuserUrl });
  await c.connect();
  try {
    return (await c.query<R>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** Backends running a statement that contains `marker` (our own query of pg_stat_activity excluded). */
const runningWith = async (marker: string) =>
  await admin<{ pid: number; application_name: string }>(
    `SELECT pid, application_name FROM pg_stat_activity WHERE query LIKE '%' || $1 || '%' AND pid <> pg_backend_pid()`,
    [marker],
  );

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, withinMs: number): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() - started > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  await admin(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  await admin(`CREATE DATABASE ${database} OWNER ${role}`);
  const { host, port } = inject('pg');
  url = `postgresql://${role}:${encodeURIComponent(password)}@${host}:${port}/${database}`;
  db = parseDatabaseUrl(url);
  holder = new pg.Client({ connectionString: url });
  await holder.connect();
  await holder.query('CREATE TABLE accounts (id int PRIMARY KEY, balance int)');
  await holder.query('INSERT INTO accounts VALUES (1, 100)');
});
afterAll(async () => {
  await holder?.end();
  await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin(`DROP ROLE IF EXISTS ${role}`);
});

describe('every session safe-deploy opens is bounded', () => {
  it('sets lock_timeout, statement_timeout and client_connection_check_interval; an environment sets its own', async () => {
    const show = (c: pg.Client) =>
      c
        .query<{ l: string; s: string; i: string }>(
          `SELECT current_setting('lock_timeout') AS l, current_setting('statement_timeout') AS s, current_setting('client_connection_check_interval') AS i`,
        )
        .then((r) => r.rows[0]);
    expect(await withClient(db, show)).toEqual({ l: '10s', s: '1h', i: '5s' });
    const target = { database: { urlEnv: 'APP_DB', lockTimeout: '3 seconds', statementTimeout: '20 minutes' } };
    const configured = resolveDatabase(
      { configPath: '/nonexistent', env: { APP_DB: url } },
      target,
      'check-database',
    ).db;
    expect(await withClient(configured, show)).toEqual({ l: '3s', s: '20min', i: '5s' });
  });

  it('a statement blocked by a lock another session holds fails within lock_timeout, saying what to do', async () => {
    await holder.query('BEGIN');
    await holder.query('LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE');
    try {
      const started = Date.now();
      const err = await withClient({ ...db, session: { lockTimeoutMs: 1_500, statementTimeoutMs: 60_000 } }, (c) =>
        c.query('SELECT count(*) FROM accounts'),
      ).catch((e) => e);
      const ms = Date.now() - started;
      expect(err).toBeInstanceOf(SqlTimedOut);
      expect(err.kind).toBe('lock');
      expect(err.type).toBe('SqlTimedOut');
      expect(err.nonRetryable).toBe(false);
      expect(err.message).toMatch(
        new RegExp(
          `database ${database} waited longer than lock_timeout \\(1500 ms\\) for a lock another session holds\\. Remedy: .*pg_blocking_pids.*database\\.lockTimeout`,
        ),
      );
      expect(ms).toBeGreaterThanOrEqual(1_400);
      expect(ms).toBeLessThan(5_000);
    } finally {
      await holder.query('ROLLBACK');
    }
  });

  it('a statement that runs too long fails with statement_timeout (a per-call bound)', async () => {
    const err = await withClient(db, (c) => c.query('SELECT pg_sleep(10)'), {
      limits: { statementTimeoutMs: 500 },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(SqlTimedOut);
    expect(err.kind).toBe('statement');
    expect(err.nonRetryable).toBe(true); // it would run as long again
    expect(err.message).toContain('database.statementTimeout');
  });

  it('a client gone mid-statement (its worker died) has its statement abandoned by the server within seconds', async () => {
    const marker = `gone_${randomBytes(4).toString('hex')}`;
    const err = await withClient(db, async (c) => {
      const sleeping = c.query(`SELECT pg_sleep(60) /* ${marker} */`);
      await waitFor('the statement', async () => ((await runningWith(marker)).length ? true : undefined), 5_000);
      // What the kernel does when the worker process dies: the socket closes, nothing is said.
      (c as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      return sleeping;
    }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    const started = Date.now();
    await waitFor(
      'the backend to go',
      async () => ((await runningWith(marker)).length === 0 ? true : undefined),
      12_000,
    );
    expect(Date.now() - started).toBeLessThan(12_000);
  }, 30_000);
});

/**
 * A stand-in for a pooler in front of the cluster, for the startup packet only: PgBouncer refuses
 * an `options` startup parameter ("unsupported startup parameter: options") or, with
 * `ignore_startup_parameters`, drops it. Everything else is passed through.
 */
async function startupProxy(mode: 'refuse-options' | 'drop-options'): Promise<{ port: number; server: Server }> {
  const { host, port } = inject('pg');
  const server = createServer((client) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      if (head.length < 4 || head.length < head.readInt32BE(0)) return;
      client.off('data', onData);
      const length = head.readInt32BE(0);
      const fields = head
        .subarray(8, length - 1)
        .toString('utf8')
        .split('\0');
      const params = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length; i += 2) params.set(fields[i]!, fields[i + 1]!);
      if (params.has('options') && mode === 'refuse-options') {
        const body = Buffer.from('SFATAL\0C08P01\0Munsupported startup parameter: options\0\0');
        const header = Buffer.alloc(5);
        header.write('E');
        header.writeInt32BE(body.length + 4, 1);
        client.end(Buffer.concat([header, body]));
        return;
      }
      params.delete('options');
      const pairs = Buffer.from([...params].map(([k, v]) => `${k}\0${v}\0`).join('') + '\0');
      const startup = Buffer.alloc(8);
      startup.writeInt32BE(pairs.length + 8, 0);
      head.copy(startup, 4, 4, 8); // the protocol version
      const upstream = connect(port, host, () => {
        upstream.write(Buffer.concat([startup, pairs, head.subarray(length)]));
        client.pipe(upstream).pipe(client);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    };
    client.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, server };
}

describe('behind a pooler that will not pass startup options', () => {
  for (const mode of ['refuse-options', 'drop-options'] as const) {
    it(`${mode}: the session works and nothing of ours is SET on it (it would stay on a pooled server connection)`, async () => {
      const proxy = await startupProxy(mode);
      try {
        const settings = await withClient({ ...db, host: '127.0.0.1', port: proxy.port }, (c) =>
          c
            .query<{ l: string; s: string; i: string }>(
              `SELECT current_setting('lock_timeout') AS l, current_setting('statement_timeout') AS s, current_setting('client_connection_check_interval') AS i`,
            )
            .then((r) => r.rows[0]),
        );
        expect(settings).toEqual({ l: '0', s: '0', i: '0' });
      } finally {
        proxy.server.close();
      }
    });
  }
});

describe('a cancelled activity cancels its running statement', () => {
  it('SELECT pg_sleep(60) through withClient ends within seconds as a cancellation, and its backend is gone', async () => {
    const marker = `cancel_${randomBytes(4).toString('hex')}`;
    const env = new MockActivityEnvironment();
    const running = env.run(() => withClient(db, (c) => c.query(`SELECT pg_sleep(60) /* ${marker} */`)));
    const [backend] = await waitFor(
      'the statement',
      async () => {
        const rows = await runningWith(marker);
        return rows.length ? rows : undefined;
      },
      5_000,
    );
    expect(backend!.application_name).toBe('safe-deploy');
    const started = Date.now();
    env.cancel();
    const err = await running.catch((e) => e);
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await runningWith(marker)).toEqual([]);
    const left = await admin('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [backend!.pid]);
    expect(left).toEqual([]);
  });

  it('a withClient opened after the cancel (cleanup in a finally) still runs', async () => {
    const env = new MockActivityEnvironment();
    const marker = `cleanup_${randomBytes(4).toString('hex')}`;
    const running = env.run(async () => {
      try {
        await withClient(db, (c) => c.query(`SELECT pg_sleep(60) /* ${marker} */`));
      } finally {
        await withClient(db, (c) => c.query('UPDATE accounts SET balance = 7 WHERE id = 1'));
      }
    });
    await waitFor('the statement', async () => ((await runningWith(marker)).length ? true : undefined), 5_000);
    env.cancel();
    expect(await running.catch((e) => e)).toBeInstanceOf(CancelledFailure);
    expect((await holder.query('SELECT balance FROM accounts WHERE id = 1')).rows[0].balance).toBe(7);
  });
});

describe('a retry ends the sessions its previous attempt left', () => {
  it('ends the sessions of that name (and their advisory lock), and no other', async () => {
    const name = `safe-deploy migrate ${randomBytes(8).toString('hex')}`;
    const left = new pg.Client({ connectionString: url, application_name: name });
    const bystander = new pg.Client({ connectionString: url, application_name: 'farm-chat' });
    left.on('error', () => {});
    await left.connect();
    await bystander.connect();
    try {
      // What a killed `prisma migrate deploy` leaves: a session holding Prisma's lock, busy in a statement.
      // Other test files run real `prisma migrate deploy`s on the same cluster at the same time: they
      // take the same advisory lock id and may sleep too, so this session is told apart by its pid
      // and its statement by a marker of its own.
      const leftPid = (await left.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await left.query('SELECT pg_advisory_lock(72707369)');
      const marker = `left-${randomBytes(6).toString('hex')}`;
      const busy = left.query(`SELECT pg_sleep(60) /* ${marker} */`).catch((e) => e);
      await waitFor('the statement', async () => ((await runningWith(marker)).length ? true : undefined), 5_000);
      const started = Date.now();
      expect(await endSessionsNamed(db, name)).toBe(1);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(await busy).toBeInstanceOf(Error);
      expect(
        await admin(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = 72707369 AND pid = $1`, [
          leftPid,
        ]),
      ).toEqual([]);
      expect((await bystander.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      expect(await endSessionsNamed(db, name)).toBe(0);
    } finally {
      await left.end().catch(() => undefined);
      await bystander.end();
    }
  });
});
