import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  assertOurs,
  byteLength,
  createOwnDatabase,
  dropOwnDatabase,
  isOwnName,
  MAX_IDENTIFIER_BYTES,
  ownDatabaseName,
  ownDatabases,
  truncateUtf8,
  type OwnKind,
  type Owner,
} from '../../src/postgres/ownDatabases.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import { captureRows, expectRowsRestored, type ProductionRows } from '../helpers/productionState.js';
import { createScenario, type Scenario } from '../helpers/scenario.js';

/**
 * Issue 12.1: a dry run dropped production. Names were cut by characters (`db.slice(0, 40)`)
 * while PostgreSQL truncates identifiers at 63 bytes: for a database named 21 × "日" (63 bytes)
 * the drift scratch name truncated to production's own name; for 25 × "é" the snapshot and the
 * kept-aside database got one name. Names are now computed in bytes and every drop or rename goes
 * through one guard that reads safe-deploy's label right before it.
 */
const KINDS: OwnKind[] = ['drift-scratch', 'rehearsal-copy', 'restore-scratch', 'snapshot', 'kept-aside'];

/** Names as the world has them: multibyte, exactly 63 bytes, quotes, `=`, `;`, spaces, a leading dash. */
const HOSTILE = [
  '日'.repeat(21),
  'é'.repeat(25),
  'a'.repeat(63),
  'x'.repeat(61) + 'é',
  `it's "q"; x=1`,
  ' spaced name ',
  '-dash',
  [...'émoji😀'.repeat(7)].slice(0, 30).join(''),
];

/** A production name of 1–63 bytes drawn from characters of every UTF-8 width and SQL punctuation. */
const productionName = fc
  .array(
    fc.oneof(
      fc.constantFrom('a', 'Z', '_', '"', "'", '=', ';', ' ', '-', '\\', '%', 'é', 'ß', '日', '本', '😀', '𝔘'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    ),
    { minLength: 1, maxLength: 63 },
  )
  .map((chars) => truncateUtf8(chars.join(''), MAX_IDENTIFIER_BYTES))
  .filter((n) => n.length > 0 && !n.includes('\0'));

describe('names computed in bytes (property)', () => {
  it('never exceed 63 bytes, never equal production, and never collide across kinds', () => {
    fc.assert(
      fc.property(productionName, fc.string({ minLength: 1, maxLength: 80 }), (production, deploymentId) => {
        const names = KINDS.map((k) => ownDatabaseName(production, deploymentId, k));
        for (const name of names) {
          expect(byteLength(name)).toBeLessThanOrEqual(MAX_IDENTIFIER_BYTES);
          expect(name).not.toBe(production);
          // PostgreSQL keeps it whole, so what is created is what is named (and never production truncated).
          expect(Buffer.from(name).subarray(0, MAX_IDENTIFIER_BYTES).toString()).toBe(name);
        }
        expect(new Set(names).size).toBe(KINDS.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('are recognised as their own kind only, and production never as any kind', () => {
    fc.assert(
      fc.property(productionName, fc.string({ minLength: 1 }), (production, deploymentId) => {
        for (const kind of KINDS) {
          const name = ownDatabaseName(production, deploymentId, kind);
          for (const other of KINDS) expect(isOwnName(production, name, other)).toBe(other === kind);
          expect(isOwnName(production, production, kind)).toBe(false);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('of two deployments never collide (the deployment id is hashed in)', () => {
    fc.assert(
      fc.property(productionName, fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (production, a, b) => {
        fc.pre(a !== b);
        const mine = new Set(KINDS.map((k) => ownDatabaseName(production, a, k)));
        // Different ids can share 8 hex digits of sha256 only by chance (2^-32): none in these runs.
        for (const k of KINDS) expect(mine.has(ownDatabaseName(production, b, k))).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('the names that dropped production are gone: 21 × 日 and 25 × é', () => {
    const ja = '日'.repeat(21);
    expect(byteLength(ja)).toBe(63);
    expect(ownDatabaseName(ja, 'deploy-1', 'drift-scratch')).toMatch(/^(日){15}_sd_[0-9a-f]{8}_drift$/);
    const e = 'é'.repeat(25);
    expect(ownDatabaseName(e, 'deploy-1', 'snapshot')).not.toBe(ownDatabaseName(e, 'deploy-1', 'kept-aside'));
  });
});

describe('the guard, on a real PostgreSQL', () => {
  const role = `guard_${randomBytes(3).toString('hex')}`;
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  const superuser = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => {
    const c = new pg.Client({ connectionString: inject('pg').superuserUrl });
    await c.connect();
    try {
      return (await c.query<R>(sql, params)).rows;
    } finally {
      await c.end();
    }
  };
  async function as<T>(db: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = new pg.Client({ host: inject('pg').host, port: inject('pg').port, user: role, password, database: db });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  }
  const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
  const exists = async (name: string) =>
    (await superuser('SELECT 1 FROM pg_database WHERE datname = $1', [name])).length === 1;

  beforeAll(async () => {
    await superuser(`CREATE ROLE ${q(role)} LOGIN CREATEDB PASSWORD '${password}'`);
  });
  afterAll(async () => {
    const leftovers = await superuser<{ datname: string }>(
      `SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE r.rolname = $1`,
      [role],
    );
    for (const { datname } of leftovers) await superuser(`DROP DATABASE ${q(datname)} WITH (FORCE)`);
    await superuser(`DROP ROLE IF EXISTS ${q(role)}`);
  });

  it.each(HOSTILE)(
    'production %j: every kind is made under its exact name, labelled, listed, dropped — production untouched',
    async (production) => {
      await superuser(`CREATE DATABASE ${q(production)} OWNER ${q(role)}`);
      await as(production, (c) =>
        c.query(
          `CREATE TABLE users (id int PRIMARY KEY, email text); INSERT INTO users VALUES (1, 'Ana@Example.com'), (2, 'bo@example.com')`,
        ),
      );
      const owner: Owner = { app: 'farm-chat', environment: 'production', production, maintenance: 'postgres' };
      const made = await as('postgres', async (c) => {
        const out: string[] = [];
        for (const kind of KINDS)
          out.push(
            await createOwnDatabase(c, owner, {
              deploymentId: 'deploy-1',
              kind,
              step: 'backup',
              template: kind === 'snapshot' ? production : undefined,
            }),
          );
        return out;
      });
      expect(made).toEqual(KINDS.map((k) => ownDatabaseName(production, 'deploy-1', k)));
      for (const name of made) expect(await exists(name)).toBe(true);
      expect((await as('postgres', (c) => ownDatabases(c, owner))).map((d) => d.name).sort()).toEqual([...made].sort());
      // The snapshot is a copy: the same rows, under its own name.
      expect(await as(made[3]!, async (c) => (await c.query('SELECT * FROM users ORDER BY id')).rows)).toEqual([
        { id: 1, email: 'Ana@Example.com' },
        { id: 2, email: 'bo@example.com' },
      ]);
      // Making them again (a retry) drops the earlier ones through the guard, never production.
      await as('postgres', (c) =>
        createOwnDatabase(c, owner, { deploymentId: 'deploy-1', kind: 'drift-scratch', step: 'inspect-migrations' }),
      );
      for (const name of made)
        expect(await as('postgres', (c) => dropOwnDatabase(c, owner, name, 'backup'))).toBe(true);
      for (const name of made) expect(await exists(name)).toBe(false);
      expect(await as(production, async (c) => (await c.query('SELECT * FROM users ORDER BY id')).rows)).toEqual([
        { id: 1, email: 'Ana@Example.com' },
        { id: 2, email: 'bo@example.com' },
      ]);
    },
  );

  it("refuses production, the maintenance and template databases, an unlabelled database, and another owner's copy — dropping nothing", async () => {
    const production = '日'.repeat(21);
    const owner: Owner = { app: 'farm-chat', environment: 'production', production, maintenance: 'postgres' };
    const refusal = (name: string, o: Owner = owner) =>
      as('postgres', (c) => dropOwnDatabase(c, o, name, 'backup')).then(
        () => 'dropped',
        (e) => `${e.type}: ${e.message}`,
      );
    expect(await refusal(production)).toMatch(
      /^DestructionRefused: \[backup\] refused to drop "日+": it is the production database/,
    );
    expect(await refusal('postgres')).toMatch(/it is the maintenance or a template database/);
    expect(await refusal('template1')).toMatch(/it is the maintenance or a template database/);
    expect(await refusal('x'.repeat(64))).toMatch(/longer than 63 bytes/);

    const unlabelled = ownDatabaseName(production, 'deploy-2', 'snapshot');
    await superuser(`CREATE DATABASE ${q(unlabelled)} OWNER ${q(role)}`);
    expect(await refusal(unlabelled)).toMatch(/it is not labelled as a database safe-deploy made/);

    const others = await as('postgres', (c) =>
      createOwnDatabase(
        c,
        { ...owner, app: 'other-app' },
        { deploymentId: 'deploy-3', kind: 'snapshot', step: 'backup', template: production },
      ),
    );
    expect(await refusal(others)).toMatch(/it belongs to other-app production/);
    // A label copied onto another name (a snapshot renamed into production's place) does not count.
    const renamed = `${others.slice(0, 20)}_renamed`;
    await superuser(`ALTER DATABASE ${q(others)} RENAME TO ${q(renamed)}`);
    expect(await refusal(renamed, { ...owner, app: 'other-app' })).toMatch(/it was labelled as/);
    for (const name of [production, unlabelled, renamed]) expect(await exists(name)).toBe(true);
    await expect(as('postgres', (c) => assertOurs(c, owner, 'no_such_database', 'backup', 'drop'))).resolves.toBe(
      false,
    );
  });
});

describe('a production database named 21 × 日 (63 bytes), deployed for real', () => {
  let s: Scenario;
  let before: ProductionRows;
  const database = '日'.repeat(21);
  const databases = async () =>
    (
      await s.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY 1',
        ['日%'],
        'postgres',
      )
    ).map((r) => r.datname);

  beforeAll(async () => {
    s = await createScenario('bytenames', { database, backup: { method: 'snapshot' } });
    before = await captureRows(s);
  }, 600_000);
  afterAll(async () => s?.close());

  it('a dry run (drift check and rehearsal on copies) leaves production and every row as they were', async () => {
    const { report } = await s.deploy(s.request('v2', { dryRun: true }));
    expect(report.outcome).toBe('dry-run');
    expect(report.steps.map((x) => x.name)).toEqual(expect.arrayContaining(['check-drift', 'rehearse']));
    expect(await databases()).toEqual([database]);
    expect(await captureRows(s)).toEqual(before);
  }, 300_000);

  it('a failed deployment rolls back from its snapshot: the snapshot and the kept-aside database are two databases, every row restored', async () => {
    const { report } = (await s.deploy(s.request('v2-broken-check'))) as { report: DeploymentReport };
    expect(report.outcome).toBe('rolled-back');
    expect(report.rollback).toMatchObject({
      verified: true,
      databaseRestored: true,
      restoredFrom: 'snapshot',
      leftForHumans: [],
    });
    const kept = report.rollback!.failedDatabaseKeptAs!;
    expect(kept).toMatch(/^(日){14}_sd_[0-9a-f]{8}_failed$/); // 14 × 3 + 20 bytes
    expect(report.backup!.snapshot!.database).toMatch(/^(日){15}_sd_[0-9a-f]{8}_snap$/);
    // The snapshot went in as production; the database v2 ran on is kept aside under its own name.
    expect(await databases()).toEqual([database, kept].sort());
    expect(await s.query(`SELECT to_regclass('satshot_tokens')::text AS t`, [], kept)).toEqual([
      { t: 'satshot_tokens' },
    ]);
    await expectRowsRestored(s, before);
  }, 300_000);
});
