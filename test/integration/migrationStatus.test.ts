import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkoutFarmChat, FARM_CHAT_DIR, migrateFarmChat } from '../../scripts/lib/farmChat.js';
import type { LoadedConfig } from '../../src/activities/config.js';
import { createActivities } from '../../src/activities/index.js';
import type { DriftReport, MigrationHistory } from '../../src/shared/migrationFacts.js';
import { createOwnDatabase, ownDatabaseName } from '../../src/postgres/ownDatabases.js';
import type { PrismaHazardFacts } from '../../src/activities/prismaHazards.js';
import type { TargetConfig } from '../../src/config/schema.js';
import { CommandFailed } from '../../src/exec/run.js';
import { migrationGate } from '../../src/plan/migrationGate.js';
import { PGBOUNCER, startPgBouncer, type PgBouncer } from '../helpers/pgbouncer.js';
import { createScenario, type Scenario } from '../helpers/scenario.js';

/**
 * Migration status, drift and Prisma's hazards on a real farm-chat production (v1, seeded),
 * read by the activities themselves, with the sample app's real Prisma CLI making the bad
 * states: an edited migration, a failed one, one missing locally, a hand-made column, a held lock.
 */
const INIT = '20260101000000_init';
const SATSHOT = '20260201000000_satshot_integration';

let s: Scenario;
let target: TargetConfig;
let acts: ReturnType<typeof createActivities>;
const deploymentId = `test-migstatus-${randomUUID().slice(0, 8)}`;
const heartbeats: unknown[] = [];

const activityEnv = () => {
  const env = new MockActivityEnvironment();
  env.on('heartbeat', (d: unknown) => heartbeats.push(d));
  return env;
};
const history = (ref: string) =>
  activityEnv().run(acts.inspectMigrationHistory, {
    deploymentId,
    target,
    targetCommit: s.origin.tags[ref]!,
  }) as Promise<MigrationHistory>;
const drift = () =>
  activityEnv().run(acts.detectSchemaDrift, { deploymentId, target, currentCommit: s.head() }) as Promise<DriftReport>;
const hazards = (a = acts, t = target) =>
  activityEnv().run(a.checkPrismaHazards, {
    deploymentId,
    target: t,
    targetCommit: s.origin.tags.v2!,
  }) as Promise<PrismaHazardFacts>;
const byName = (h: MigrationHistory) => Object.fromEntries(h.migrations.map((m) => [m.name, m]));
const states = (h: MigrationHistory) => h.migrations.map((m) => [m.name, m.state]);
const scratchExists = async () =>
  (
    await s.query(
      `SELECT 1 FROM pg_database WHERE datname = $1`,
      [ownDatabaseName(s.database, deploymentId, 'drift-scratch')],
      'postgres',
    )
  ).length > 0;
const atV1 = () => checkoutFarmChat(s.prod.appDir, 'v1');
const owner = () => ({ app: 'farm-chat', environment: s.environment, production: s.database, maintenance: 'postgres' });
async function asMaintenance<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: s.databaseUrl.replace(`/${s.database}`, '/postgres') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  s = await createScenario('migstatus');
  acts = createActivities({ configPath: s.configPath, env: {} });
  ({ target } = (await new MockActivityEnvironment().run(acts.loadConfig, {
    app: 'farm-chat',
    environment: s.environment,
    ref: 'v2',
  })) as LoadedConfig);
}, 600_000);
afterAll(async () => s?.close());

describe('migration status from _prisma_migrations and the target release', () => {
  it("classifies a clean v1 production against v2, with Prisma's checksum verified on the real row", async () => {
    const rowsBefore = await s.query('SELECT * FROM _prisma_migrations ORDER BY migration_name');
    const h = await history('v2');
    expect(states(h)).toEqual([
      [INIT, 'applied'],
      [SATSHOT, 'pending'],
    ]);
    // The row the app's Prisma CLI wrote holds the hex SHA-256 of migration.sql's bytes.
    const initBytes = readFileSync(join(FARM_CHAT_DIR, 'base', 'prisma', 'migrations', INIT, 'migration.sql'));
    const sha = createHash('sha256').update(initBytes).digest('hex');
    expect(rowsBefore[0]).toMatchObject({ migration_name: INIT, checksum: sha });
    expect(byName(h)[INIT]).toMatchObject({
      dbChecksum: sha,
      localChecksum: sha,
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
    });
    expect(h.pendingSql.map((p) => p.name)).toEqual([SATSHOT]);
    expect(h.pendingSql[0]!.sql).toContain('CREATE TABLE "satshot_tokens"');
    // Both answers: the table's, and the app's own `prisma migrate status` (at v1: up to date).
    expect(h).toMatchObject({
      status: 'clean',
      prismaStatus: 'clean',
      applied: [INIT],
      failed: [],
      pendingForTarget: [SATSHOT],
      unknownToTarget: [],
      disagreements: [],
    });
    expect(h.statusOutput).toMatch(/up to date/);
    expect(migrationGate(h)).toEqual({ blockers: [], approvals: [] });
    expect(await s.query('SELECT * FROM _prisma_migrations ORDER BY migration_name')).toEqual(rowsBefore);
  });

  it('finds no drift on a clean production, and a retry clears its own leftover scratch database', async () => {
    await asMaintenance((c) =>
      createOwnDatabase(c, owner(), { deploymentId, kind: 'drift-scratch', step: 'inspect-migrations' }),
    ); // what a crashed attempt left
    heartbeats.length = 0;
    const d = await drift();
    expect(d).toMatchObject({ drift: false, complete: true, differences: [], warnings: [], replayed: [INIT] });
    expect(d.schemaDumpSha256.expected).toBe(d.schemaDumpSha256.actual);
    expect(heartbeats.length).toBeGreaterThan(0);
    expect(await scratchExists()).toBe(false);
  });

  it('refuses to drop a database under its scratch name that it did not label, and leaves it as it was', async () => {
    const name = ownDatabaseName(s.database, deploymentId, 'drift-scratch');
    await s.query(`CREATE DATABASE "${name}"`, [], 'postgres'); // someone else's, or made by hand
    try {
      const err = await drift().catch((e) => e);
      expect(err).toMatchObject({ type: 'DestructionRefused', nonRetryable: true });
      expect(err.message).toContain(`refused to drop "${name}": it is not labelled as a database safe-deploy made`);
      expect(await scratchExists()).toBe(true);
    } finally {
      await s.query(`DROP DATABASE "${name}"`, [], 'postgres');
    }
  });

  it('sees no hazard, and Prisma 6 in the real lockfile of the target release', async () => {
    const facts = await hazards();
    expect(facts.prisma).toEqual({ version: '6.19.3', major: 6, source: 'package-lock.json' });
    expect(facts.advisoryLock).toEqual({ key: 72707369, heldBy: [] });
    expect(facts.pooler.urlHints).toEqual([]);
    expect(facts.pooler.probe.firstPid).toBe(facts.pooler.probe.secondPid);
    expect(facts.pooler.probe.otherClientPid).not.toBe(facts.pooler.probe.firstPid);
  });

  it('reports an applied migration whose migration.sql changed as edited, which prisma migrate status misses', async () => {
    const h = await history('v1-edited-init');
    expect(states(h)).toEqual([[INIT, 'edited']]);
    expect(byName(h)[INIT]!.dbChecksum).not.toBe(byName(h)[INIT]!.localChecksum);
    expect(migrationGate(h).approvals.map((a) => a.reason)).toEqual(['edited-migration']);
    // The app's own CLI, with that release checked out, does not compare checksums: "up to date".
    await checkoutFarmChat(s.prod.appDir, 'v1-edited-init');
    try {
      const own = await history('v1-edited-init');
      expect(own.prismaStatus).toBe('clean');
      expect(own.statusOutput).toMatch(/Database schema is up to date!/);
      expect(states(own)).toEqual([[INIT, 'edited']]);
    } finally {
      await atV1();
    }
  });
});

describe('schema drift', () => {
  it('reports a column added by hand, exactly, and nothing once it is gone', async () => {
    await s.query('ALTER TABLE users ADD COLUMN nickname text');
    const d = await drift();
    expect(d.drift).toBe(true);
    expect(d.differences).toEqual([
      { kind: 'column', object: 'public.users.nickname', expected: null, actual: 'text NULL' },
    ]);
    expect(d.schemaDumpSha256.expected).not.toBe(d.schemaDumpSha256.actual);
    expect(migrationGate({ ...(await history('v2')), drift: d }).approvals).toEqual([
      expect.objectContaining({
        reason: 'schema-drift',
        detail: expect.stringContaining(
          'column public.users.nickname is not in the migrations (production: text NULL)',
        ),
      }),
    ]);
    await s.query('ALTER TABLE users DROP COLUMN nickname');
    expect(await drift()).toMatchObject({ drift: false, differences: [], warnings: [] });
  });

  it('reports changed types, defaults, nullability, indexes and constraints object by object', async () => {
    await s.query(
      `ALTER TABLE messages ALTER COLUMN body TYPE varchar(500), ALTER COLUMN body DROP NOT NULL, ALTER COLUMN "createdAt" SET DEFAULT '2026-01-01'`,
    );
    await s.query('DROP INDEX "messages_createdAt_idx"');
    await s.query('ALTER TABLE users ADD CONSTRAINT users_name_check CHECK (length(name) > 0)');
    await s.query(`CREATE TYPE "Role" AS ENUM ('FARMER', 'AGRONOMIST')`);
    try {
      const d = await drift();
      expect(d.differences).toEqual([
        {
          kind: 'column',
          object: 'public.messages.body',
          expected: 'text NOT NULL',
          actual: 'character varying(500) NULL',
        },
        {
          kind: 'column',
          object: 'public.messages.createdAt',
          expected: 'timestamp(3) without time zone NOT NULL DEFAULT CURRENT_TIMESTAMP',
          actual: "timestamp(3) without time zone NOT NULL DEFAULT '2026-01-01 00:00:00'::timestamp without time zone",
        },
        {
          kind: 'index',
          object: 'public.messages_createdAt_idx',
          expected: 'CREATE INDEX "messages_createdAt_idx" ON public.messages USING btree ("createdAt")',
          actual: null,
        },
        {
          kind: 'constraint',
          object: 'public.users.users_name_check',
          expected: null,
          actual: 'CHECK ((length(name) > 0))',
        },
        { kind: 'enum', object: 'public.Role', expected: null, actual: "'FARMER', 'AGRONOMIST'" },
      ]);
    } finally {
      await s.query('DROP TYPE "Role"');
      await s.query('ALTER TABLE users DROP CONSTRAINT users_name_check');
      await s.query('CREATE INDEX "messages_createdAt_idx" ON "messages"("createdAt")');
      await s.query(
        `ALTER TABLE messages ALTER COLUMN body TYPE text, ALTER COLUMN body SET NOT NULL, ALTER COLUMN "createdAt" SET DEFAULT CURRENT_TIMESTAMP`,
      );
    }
    expect((await drift()).drift).toBe(false);
  });

  it('takes a different column order alone for a warning, not drift', async () => {
    const recreate = (column: string) =>
      s.query(`ALTER TABLE users DROP COLUMN "${column}", ADD COLUMN "${column}" BOOLEAN NOT NULL DEFAULT false`);
    await recreate('johnDeereConnected'); // now after auravantConnected
    const d = await drift();
    expect(d).toMatchObject({ drift: false, differences: [] });
    expect(d.warnings).toEqual([
      expect.stringMatching(
        /^column order of public\.users differs \(not drift\): .*johnDeereConnected, auravantConnected; production has .*auravantConnected, johnDeereConnected$/,
      ),
    ]);
    expect(d.schemaDumpSha256.expected).not.toBe(d.schemaDumpSha256.actual);
    expect(migrationGate({ ...(await history('v2')), drift: d }).approvals).toEqual([]);
    await recreate('auravantConnected'); // the original order again
    expect(await drift()).toMatchObject({ drift: false, warnings: [] });
  });
});

describe("Prisma's hazards", () => {
  it("refuses while another session holds Prisma Migrate's advisory lock, which is the one Prisma waits for", async () => {
    const holder = new pg.Client({ connectionString: s.prod.databaseUrl });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(72707369)');
      const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      // The app's real `prisma migrate deploy` queues behind it...
      const started = Date.now();
      const deploying = migrateFarmChat(s.prod.appDir, s.prod.databaseUrl).then(
        () => undefined,
        (e: unknown) => e,
      );
      let waiting: { pid: number }[] = [];
      while (waiting.length === 0 && Date.now() - started < 9_000) {
        waiting = await s.query<{ pid: number }>(
          `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = 72707369 AND NOT granted`,
        );
        if (waiting.length === 0) await new Promise((r) => setTimeout(r, 200));
      }
      expect(waiting).toHaveLength(1);
      // ...and the hazard check names both sessions, through the very key Prisma uses.
      const failure = await hazards().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure).toMatchObject({ type: 'PrismaHazard', nonRetryable: true });
      const message = (failure as Error).message;
      expect(message).toContain('[inspect-migrations]');
      expect(message).toMatch(new RegExp(`pid ${holderPid} .*holds it`));
      expect(message).toMatch(new RegExp(`pid ${waiting[0]!.pid} .*waits for it`));
      expect(message).toContain('Nothing was changed');
      // Prisma gives up after its 10 s.
      const prismaFailure = await deploying;
      expect(prismaFailure).toBeInstanceOf(CommandFailed);
      expect(`${(prismaFailure as CommandFailed).stdout}\n${(prismaFailure as CommandFailed).stderr}`).toMatch(
        /P1002|advisory lock/,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
    } finally {
      await holder.end();
    }
    await expect(hazards()).resolves.toMatchObject({ advisoryLock: { heldBy: [] } });
  }, 60_000);

  it('refuses a URL that says it goes through PgBouncer in transaction mode', async () => {
    const a = createActivities({
      configPath: s.configPath,
      env: { POOLED_URL: `${s.prod.databaseUrl}?pgbouncer=true` },
    });
    const failure = await hazards(a, {
      ...target,
      envFile: undefined,
      database: { ...target.database, urlEnv: 'POOLED_URL' },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toMatchObject({ type: 'PrismaHazard', nonRetryable: true });
    expect((failure as Error).message).toContain(
      'POOLED_URL goes through a transaction-mode connection pooler (the URL sets pgbouncer=true',
    );
    expect((failure as Error).message).not.toContain(s.dbPassword);
  });
});

describe.skipIf(!PGBOUNCER)('a real PgBouncer in front of production', () => {
  let bouncer: PgBouncer;
  beforeAll(async () => {
    const { host, port } = inject('pg');
    bouncer = await startPgBouncer({
      host,
      port,
      database: s.database,
      user: new URL(s.prod.databaseUrl).username,
      password: s.dbPassword,
    });
  });
  afterAll(async () => bouncer?.stop());
  const through = (alias: string) =>
    hazards(createActivities({ configPath: s.configPath, env: { POOLED_URL: bouncer.url(alias) } }), {
      ...target,
      envFile: undefined,
      database: { ...target.database, urlEnv: 'POOLED_URL' },
    });

  it.each(['tx', 'tx1'])('refuses transaction mode (%s), seen by the live probe alone', async (alias) => {
    const started = Date.now();
    const failure = await through(alias).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toMatchObject({ type: 'PrismaHazard', nonRetryable: true });
    expect((failure as Error).message).toMatch(
      /POOLED_URL goes through a transaction-mode connection pooler \((another client was given|two transactions on one connection|a second client holding)/,
    );
    expect((failure as Error).message).not.toContain(s.dbPassword);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('accepts session mode: one backend per client, as Prisma needs', async () => {
    const facts = await through('session');
    expect(facts.pooler.urlHints).toEqual([]);
    expect(facts.pooler.probe.firstPid).toBe(facts.pooler.probe.secondPid);
    expect(facts.pooler.probe.otherClientPid).not.toBe(facts.pooler.probe.firstPid);
  });
});

describe('a failed migration, then one missing locally, made by the real Prisma CLI', () => {
  it('reads a half-applied migration as failed, and its leftovers as drift', async () => {
    await checkoutFarmChat(s.prod.appDir, 'v2-broken-migration');
    try {
      await expect(migrateFarmChat(s.prod.appDir, s.prod.databaseUrl)).rejects.toBeInstanceOf(CommandFailed);
    } finally {
      await atV1();
    }
    const h = await history('v2');
    expect(states(h)).toEqual([
      [INIT, 'applied'],
      [SATSHOT, 'failed'],
    ]);
    expect(h).toMatchObject({ prismaStatus: 'failed', disagreements: [] }); // here the app's CLI agrees
    expect(h.statusOutput).toContain(`Following migration have failed:\n${SATSHOT}`);
    expect(byName(h)[SATSHOT]).toMatchObject({
      startedAt: expect.any(String),
      finishedAt: undefined,
      rolledBackAt: undefined,
    });
    expect(h).toMatchObject({ status: 'failed', failed: [SATSHOT], pendingSql: [] });
    const d = await drift();
    expect(d.warnings).toContain(`${SATSHOT} failed half-way: whatever it applied shows up as differences`);
    expect(d.differences.map((x) => `${x.kind} ${x.object}`)).toEqual(
      expect.arrayContaining(['table public.satshot_tokens', 'column public.users.satshotConnected']),
    );
    const gate = migrationGate({ ...h, drift: d });
    expect(gate.approvals.map((a) => a.reason)).toEqual(expect.arrayContaining(['failed-migration', 'schema-drift']));
  });

  it('reads it as rolled back (and to run again) once resolved by hand', async () => {
    await s.query('DROP TABLE satshot_tokens');
    await s.query('ALTER TABLE users DROP COLUMN "satshotConnected"');
    // What `prisma migrate resolve --rolled-back` writes (its native schema engine cannot run offline here).
    await s.query(
      'UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL',
      [SATSHOT],
    );
    const h = await history('v2');
    expect(states(h)).toEqual([
      [INIT, 'applied'],
      [SATSHOT, 'rolled-back'],
    ]);
    expect(byName(h)[SATSHOT]!.rolledBackAt).toEqual(expect.any(String));
    expect(h.pendingSql.map((p) => p.name)).toEqual([SATSHOT]);
    expect(h.pendingSql[0]!.sql).toContain('REFERENCES "users"("id")'); // v2's, not the broken one
    expect(migrationGate(h)).toEqual({ blockers: [], approvals: [] });
    expect((await drift()).drift).toBe(false);
  });

  it('reads a migration applied by a newer release as missing locally when the target lacks it', async () => {
    await checkoutFarmChat(s.prod.appDir, 'v2');
    try {
      await migrateFarmChat(s.prod.appDir, s.prod.databaseUrl);
    } finally {
      await atV1();
    }
    const h = await history('v1');
    expect(states(h)).toEqual([
      [INIT, 'applied'],
      [SATSHOT, 'missing-locally'],
    ]);
    // The app's own CLI, at v1, does not mention the migration it does not know: "up to date".
    expect(h.prismaStatus).toBe('clean');
    expect(h.unknownToTarget).toEqual([SATSHOT]);
    expect(migrationGate(h).approvals.map((a) => a.reason)).toContain('missing-locally');
    expect(states(await history('v2'))).toEqual([
      [INIT, 'applied'],
      [SATSHOT, 'applied'],
    ]);
    // The current release (v1) cannot replay it: the drift check says so rather than guessing.
    const d = await drift();
    expect(d).toMatchObject({ complete: false, replayed: [INIT] });
    expect(d.warnings).toContain(
      `${SATSHOT} is applied but not in the current release: not replayed, so its objects show up as differences`,
    );
    expect(d.differences.map((x) => `${x.kind} ${x.object}`)).toContain('table public.satshot_tokens');
  });
});
