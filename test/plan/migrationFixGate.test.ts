import { describe, expect, it } from 'vitest';
import { withMigrationFixes } from '../../src/plan/migrationFixGate.js';
import { planRollback } from '../../src/plan/rollbackPlan.js';
import type { RiskGate } from '../../src/plan/riskGate.js';
import type { DataInventory, MigrationTriage } from '../../src/shared/inventoryAndTriage.js';

const failedBlocker = {
  reason: 'failed-migration',
  what: 'a previous migration failed and is unresolved (m2)',
  remedy: 'resolve it by hand',
};
const driftApproval = {
  reason: 'schema-drift',
  detail:
    "production's schema differs from what its migrations build: column public.users.nickname is not in the migrations (production: text NULL)",
  remedy: 'put the hand-made changes into a migration',
};
const gate = (g: Partial<RiskGate>): RiskGate => ({ blockers: [], approvals: [], additiveOnly: true, ...g });
const triage = (proposal?: MigrationTriage['proposal']): MigrationTriage => ({
  migration: 'm2',
  file: 'prisma/migrations/m2/migration.sql',
  checksum: 'c',
  sourceCommit: 'abc1234',
  sameInTarget: true,
  grounds: proposal ? 'none of its statements took effect' : 'it was applied in part',
  statements: [
    {
      index: 1,
      line: 1,
      sql: 'ALTER TABLE "users" ADD COLUMN "x" INT;',
      kind: 'AlterTableStmt',
      effect: proposal ? 'not-applied' : 'applied',
      evidence: ['column public.users.x …'],
      undo: 'ALTER TABLE "users" DROP COLUMN "x";',
    },
    {
      index: 2,
      line: 2,
      sql: 'CREATE TABLE "y" ();',
      kind: 'CreateStmt',
      effect: 'not-applied',
      evidence: ['table public.y does not exist'],
    },
  ],
  ...(proposal ? { proposal } : {}),
});
const inventory = (maxRows: number, rows: Record<string, number>): DataInventory => {
  const tables = Object.entries(rows).map(([name, n]) => ({
    name,
    rows: n,
    more: false,
    estimatedRows: n,
    bytes: 8192,
  }));
  const over = tables.filter((t) => t.rows > maxRows).map((t) => t.name);
  return {
    maxRows,
    countedUpTo: 1000,
    tables,
    tableCount: tables.length,
    totalBytes: 8192 * tables.length,
    users: [{ table: 'public.users', rows: rows['public.users'] ?? 0 }],
    overThreshold: over,
    withinThreshold: maxRows > 0 && over.length === 0,
  };
};

describe('a failed migration, after its triage', () => {
  it('is a question offering the proposed resolution, no longer a blocker', () => {
    const g = withMigrationFixes(gate({ blockers: [failedBlocker] }), { triage: triage('resolve-rolled-back') });
    expect(g.blockers).toEqual([]);
    expect(g.resolution).toEqual({
      migration: 'm2',
      action: 'resolve-rolled-back',
      question: expect.stringContaining(
        'Approve with --action resolve-rolled-back to run prisma migrate resolve --rolled-back m2',
      ),
    });
    expect(g.offered.actions).toEqual([]);
  });

  it('stays a blocker without a proposal, its remedy the exact SQL', () => {
    const g = withMigrationFixes(gate({ blockers: [failedBlocker] }), { triage: triage() });
    expect(g.resolution).toBeUndefined();
    expect(g.blockers).toEqual([
      {
        reason: 'failed-migration',
        what: expect.stringContaining('No resolution can be proposed: it was applied in part'),
        remedy: expect.stringContaining(
          'either undo what took effect, newest first: ALTER TABLE "users" DROP COLUMN "x";',
        ),
      },
    ]);
  });

  it('leaves other blockers alone', () => {
    const other = { what: 'prisma migrate status gave an answer safe-deploy does not understand', remedy: 'by hand' };
    expect(
      withMigrationFixes(gate({ blockers: [other, failedBlocker] }), { triage: triage('resolve-applied') }).blockers,
    ).toEqual([other]);
  });
});

describe('drift and the data (runbook Option B)', () => {
  it('offers a reset when every table is within drift.resetMaxRows, saying what it throws away', () => {
    const g = withMigrationFixes(gate({ approvals: [driftApproval] }), {
      inventory: inventory(50, { 'public.messages': 6, 'public.users': 3 }),
    });
    expect(g.offered.actions).toEqual(['reset']);
    expect(g.blockers).toEqual([]);
    expect(g.approvals[0]!.detail).toContain(
      'Data: 2 tables, 16384 bytes: public.messages 6 rows, public.users 3 rows; users: public.users 3',
    );
    expect(g.approvals[0]!.detail).toContain('approve with --action reset');
  });

  it('stops the deployment when a table holds more, with the inventory for a DBA', () => {
    const g = withMigrationFixes(gate({ approvals: [driftApproval] }), {
      inventory: inventory(50, { 'public.messages': 100, 'public.users': 20 }),
    });
    expect(g.offered.actions).toEqual([]);
    expect(g.blockers).toEqual([
      {
        reason: 'drift-data',
        what: expect.stringContaining(
          'more data than drift.resetMaxRows (50 rows a table) lets a reset throw away: public.messages. Data: 2 tables',
        ),
        remedy: expect.stringContaining('a DBA reconciles the schema'),
      },
    ]);
  });

  it('without Option B (resetMaxRows 0) drift stays an approval to deploy over it, with the data', () => {
    const g = withMigrationFixes(gate({ approvals: [driftApproval] }), {
      inventory: inventory(0, { 'public.users': 20 }),
    });
    expect(g.blockers).toEqual([]);
    expect(g.offered.actions).toEqual([]);
    expect(g.approvals[0]!.detail).toMatch(
      /Data: 1 tables, 8192 bytes: public\.users 20 rows; users: public\.users 20$/,
    );
  });

  it('changes nothing when there is nothing to fix', () => {
    const g = gate({ approvals: [driftApproval] });
    expect(withMigrationFixes(g, {})).toEqual({ ...g, resolution: undefined, offered: { actions: [] } });
  });
});

describe('the rollback plan after an approved reset', () => {
  it('restores the backup, whatever the rehearsal would have allowed', () => {
    expect(
      planRollback({
        preferCodeOnly: true,
        additiveOnly: true,
        previousReleaseCompatible: true,
        existingDataChanges: [],
      }),
    ).toMatchObject({ strategy: 'code-only' });
    expect(
      planRollback({
        preferCodeOnly: true,
        additiveOnly: true,
        previousReleaseCompatible: true,
        existingDataChanges: [],
        reset: true,
      }),
    ).toEqual({
      strategy: 'restore-database',
      why: 'the database is reset (approved): only the backup holds its rows',
    });
  });
});
