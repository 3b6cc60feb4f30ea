import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import pg from 'pg';
import { parse } from 'pg-connection-string';
import { databaseUrl, WRITABLE_SESSION_OPTIONS, type DbTarget, type SessionLimits } from '../commands/pg.js';
import { FailureType } from '../shared/errors.js';

/**
 * Bounds on every session safe-deploy opens, unless the target carries its environment's
 * (`database.lockTimeout`, `database.statementTimeout`, attached by resolveDatabase). A lock held
 * by someone else fails our statement after 10 s instead of stalling a step; the statement bound
 * is long because CREATE DATABASE … TEMPLATE of a big database and a checksum of a big table run
 * here, and it stays under the changing activities' 2 h start-to-close timeout.
 */
export const DEFAULT_SESSION_LIMITS: SessionLimits = { lockTimeoutMs: 10_000, statementTimeoutMs: 60 * 60_000 };
/**
 * PostgreSQL 14+: how often a backend running a statement checks that its client is still there.
 * A worker that died mid-statement (its socket closed) has its statement abandoned within this.
 */
const CONNECTION_CHECK_MS = 5_000;
/** How long the cancel of a running statement may take (the second connection, then the end of the first). */
const CANCEL_WAIT_MS = 5_000;

/**
 * Our own statement ran into its session's lock_timeout or statement_timeout: a typed failure
 * that says what to do. A lock timeout is retryable (the lock may be released by then); a
 * statement timeout is not (it would run as long again).
 */
export class SqlTimedOut extends ApplicationFailure {
  constructor(
    readonly kind: 'lock' | 'statement',
    readonly database: string,
    readonly limitMs: number,
    cause: Error,
  ) {
    super(
      kind === 'lock'
        ? `safe-deploy's SQL on database ${database} waited longer than lock_timeout (${limitMs} ms) for a ` +
            `lock another session holds. Remedy: find it (SELECT pid, state, query FROM pg_stat_activity WHERE ` +
            `cardinality(pg_blocking_pids(pid)) > 0, then pg_blocking_pids(<pid>)), let it finish or end it, ` +
            `and retry; or raise database.lockTimeout in the worker config`
        : `safe-deploy's SQL on database ${database} ran longer than statement_timeout (${limitMs} ms) and ` +
            `was cancelled. Remedy: look for what slows it (locks, load, a much bigger database than before), ` +
            `or raise database.statementTimeout in the worker config`,
      FailureType.SqlTimedOut,
      kind === 'statement',
      [{ kind, database, limitMs }],
      cause,
    );
  }
}

export interface ClientOptions {
  /** Overrides the target's bounds for this connection (milliseconds). */
  limits?: Partial<SessionLimits>;
  /** Cancels the running statement when it aborts; default: the current activity's cancellation, if any. */
  signal?: AbortSignal;
}

/**
 * How to reach `db`: the URL carries the TLS settings; the database name is given as itself (the
 * URL's parser decodes it with decodeURI, which would leave `;`, `=`, `/` percent-encoded).
 */
const clientConfig = (db: DbTarget): pg.ClientConfig =>
  ({ ...parse(databaseUrl(db)), database: db.database }) as pg.ClientConfig;

function activitySignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined; // not inside an activity (scripts, tests)
  }
}

/** pg_cancel_backend(pid) from a second session: the cancel works whatever the first one is doing. */
async function cancelBackend(db: DbTarget, pid: number): Promise<void> {
  const other = new pg.Client({
    ...clientConfig(db),
    application_name: 'safe-deploy (cancel)',
    connectionTimeoutMillis: CANCEL_WAIT_MS,
  });
  other.on('error', () => {
    /* reported by the query below, or irrelevant once we are done */
  });
  try {
    await other.connect();
    await other.query('SELECT pg_cancel_backend($1)', [pid]);
  } catch {
    // The server is unreachable: closing our socket (below) is all that is left; the backend
    // notices it within client_connection_check_interval.
  } finally {
    await other.end().catch(() => undefined);
  }
}

/** Ends the session, and gives up waiting for the server's goodbye after `ms`: the socket is closed either way. */
async function endClient(client: pg.Client, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const ended = await Promise.race([
    client.end().then(
      () => 'ended' as const,
      () => 'ended' as const,
    ),
    late,
  ]);
  clearTimeout(timer);
  if (ended === 'late')
    (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/**
 * A connected session, bounded from its first statement: lock_timeout and statement_timeout
 * travel in the startup packet (`options`), never as a SET. Through a transaction-mode pooler a
 * SET would stay on a server connection the app gets next (the app's queries then failing after
 * 10 s on a lock); a pooler refuses `options` (PgBouncer: "unsupported startup parameter") or
 * drops it (`ignore_startup_parameters`), and the session is then left as the pooler gives it —
 * unbounded, but nothing of ours leaks. Only on a session that got its bounds, so not pooled, is
 * client_connection_check_interval SET as well (PostgreSQL 14+; an older server refuses it in
 * `options`). Returns the client and its backend pid (the cancel targets it).
 */
async function connectBounded(
  db: DbTarget,
  limits: SessionLimits,
): Promise<{ client: pg.Client; pid: number; bounded: boolean }> {
  const make = (options?: string) => {
    const c = new pg.Client({
      ...clientConfig(db),
      application_name: 'safe-deploy',
      connectionTimeoutMillis: 10_000,
      options,
    });
    c.on('error', () => {
      /* a terminated session surfaces on the next query */
    });
    return c;
  };
  let client = make(
    `-c lock_timeout=${limits.lockTimeoutMs} -c ` +
      `statement_timeout=${limits.statementTimeoutMs}${db.writable ? ` ${WRITABLE_SESSION_OPTIONS}` : ''}`,
  );
  try {
    await client.connect();
  } catch (e) {
    if (!/unsupported startup parameter/i.test((e as Error).message)) throw e;
    client = make();
    await client.connect();
  }
  try {
    const { rows } = await client.query<{ pid: number; version: number; lock_timeout: string }>(
      `SELECT pg_backend_pid() AS pid, current_setting('server_version_num')::int AS version,
              (SELECT setting FROM pg_settings WHERE name = 'lock_timeout') AS lock_timeout`,
    );
    const { pid, version, lock_timeout } = rows[0]!;
    const bounded = lock_timeout === String(limits.lockTimeoutMs);
    // Linux, macOS and the BSDs only: elsewhere the server refuses anything but 0, and the cancel still works.
    if (bounded && version >= 140000)
      await client
        .query(`SELECT set_config('client_connection_check_interval', $1, false)`, [String(CONNECTION_CHECK_MS)])
        .catch(() => undefined);
    return { client, pid, bounded };
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
}

function timedOut(e: unknown, db: DbTarget, limits: SessionLimits): SqlTimedOut | undefined {
  const err = e as { code?: string; message?: string };
  if (err?.code === '55P03' && /lock timeout/.test(err.message ?? ''))
    return new SqlTimedOut('lock', db.database, limits.lockTimeoutMs, e as Error);
  if (err?.code === '57014' && /statement timeout/.test(err.message ?? ''))
    return new SqlTimedOut('statement', db.database, limits.statementTimeoutMs, e as Error);
  return undefined;
}

/**
 * A connected client that is always closed, whatever `fn` does. Every session is bounded
 * (lock_timeout, statement_timeout, client_connection_check_interval; see connectBounded for a
 * pooler), and a cancel of the
 * activity (or `o.signal`) cancels the statement running at that moment — pg_cancel_backend
 * from a second session — and closes this one, so `fn` ends within seconds with the
 * cancellation. A withClient opened after the cancel (cleanup in a `finally`) runs normally.
 */
export async function withClient<T>(
  db: DbTarget,
  fn: (client: pg.Client) => Promise<T>,
  o: ClientOptions = {},
): Promise<T> {
  const limits: SessionLimits = { ...DEFAULT_SESSION_LIMITS, ...db.session, ...o.limits };
  const signal = o.signal ?? activitySignal();
  const alreadyAborted = signal?.aborted ?? false; // cleanup after a cancel: not cancelled again
  const { client, pid, bounded } = await connectBounded(db, limits);
  let cancelling: Promise<void> | undefined;
  const onAbort = () => {
    cancelling ??= (async () => {
      // Behind a pooler the pid may serve someone else's statement by now: only the socket is ours.
      if (bounded) await cancelBackend(db, pid);
      await endClient(client, CANCEL_WAIT_MS);
    })();
  };
  try {
    if (!alreadyAborted) {
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) onAbort(); // it came while connecting
    }
    const result = await fn(client);
    if (cancelling) throw signal!.reason ?? new Error('cancelled');
    return result;
  } catch (e) {
    if (cancelling) throw signal!.reason ?? e;
    throw timedOut(e, db, limits) ?? e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await cancelling;
    await endClient(client, CANCEL_WAIT_MS).catch(() => undefined);
  }
}

/**
 * Ends the sessions named `applicationName` (those of a previous attempt of the running activity:
 * see attemptSessionName) and waits until they are gone. The attempt's command died with its
 * worker, but PostgreSQL notices a vanished client only when the statement it runs ends: until
 * then the session keeps its locks — Prisma's advisory lock, for as long as a migration's
 * statement runs. Returns how many there were.
 */
export async function endSessionsNamed(db: DbTarget, applicationName: string, withinMs = 10_000): Promise<number> {
  return withClient(db, async (c) => {
    // Materialized first: pg_terminate_backend must never run for a row the name does not select.
    const { rows } = await c.query<{ pid: number }>(
      `WITH leftover AS MATERIALIZED (SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid ` +
        `<> pg_backend_pid())
       SELECT pid, pg_terminate_backend(pid) AS ended FROM leftover`,
      [applicationName],
    );
    const pids = rows.map((r) => r.pid);
    const until = Date.now() + withinMs;
    while (
      pids.length > 0 &&
      (await c.query('SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1::int[])', [pids])).rowCount! > 0
    ) {
      if (Date.now() > until)
        throw new Error(
          `the sessions ${pids.join(', ')} (${applicationName}) on database ${db.database} were told to end ` +
            `but still run after ${withinMs} ms`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
    return pids.length;
  });
}

export const pgTool = (binDir: string | undefined, tool: string) => (binDir ? join(binDir, tool) : tool);
