import { describe, expect, it } from 'vitest';
import { migrationGate, type MigrationGateFacts } from '../../src/plan/migrationGate.js';

const clean: MigrationGateFacts = {
  status: 'clean',
  failed: [],
  unknownToTarget: [],
  prismaStatus: 'clean',
  migrations: [{ name: 'm1', state: 'applied' }],
  disagreements: [],
};
const noDrift = { drift: false, complete: true, differences: [], warnings: [] };
const reasons = (f: MigrationGateFacts) => migrationGate(f).approvals.map((a) => a.reason);

describe('migrationGate', () => {
  it('lets a clean or merely pending history through', () => {
    expect(migrationGate({ ...clean, drift: noDrift })).toEqual({ blockers: [], approvals: [] });
    expect(
      migrationGate({
        ...clean,
        status: 'pending',
        prismaStatus: 'pending',
        migrations: [...clean.migrations!, { name: 'm2', state: 'pending' }, { name: 'm0', state: 'rolled-back' }],
      }),
    ).toEqual({ blockers: [], approvals: [] });
  });

  it('blocks on a prisma migrate status it does not understand', () => {
    const gate = migrationGate({ ...clean, status: 'unknown', prismaStatus: 'unknown' });
    expect(gate.blockers).toEqual([
      {
        what: 'prisma migrate status gave an answer safe-deploy does not understand',
        remedy: expect.stringContaining('by hand'),
      },
    ]);
    expect(gate.approvals).toEqual([]);
  });

  it.each([
    [{ failed: ['m2'], status: 'failed', migrations: [{ name: 'm2', state: 'failed' }] }, ['failed-migration'], 'm2'],
    [{ migrations: [{ name: 'm1', state: 'edited' }] }, ['edited-migration'], 'm1'],
    [{ unknownToTarget: ['m9'], migrations: [{ name: 'm9', state: 'missing-locally' }] }, ['missing-locally'], 'm9'],
    [{ status: 'drift', prismaStatus: 'drift' }, ['prisma-reports-drift'], 'drifted'],
    [{ disagreements: ['the table says m2 failed, prisma says clean'] }, ['status-disagreement'], 'prisma says clean'],
  ] as const)('asks for approval: %j', (change, expected, mentioned) => {
    const facts = { ...clean, ...change } as MigrationGateFacts;
    expect(reasons(facts)).toEqual(expected);
    expect(migrationGate(facts).approvals[0]!.detail).toContain(mentioned);
    expect(migrationGate(facts).blockers).toEqual([]);
  });

  it('asks for approval on drift, naming the objects, and when the drift check was incomplete', () => {
    const differences = [
      { kind: 'column', object: 'public.users.nickname', expected: null, actual: 'text NULL' },
      {
        kind: 'index',
        object: 'public.users_email_key',
        expected: 'CREATE UNIQUE INDEX users_email_key ON public.users USING btree (email)',
        actual: null,
      },
      ...Array.from({ length: 11 }, (_, i) => ({
        kind: 'table',
        object: `public.t${i}`,
        expected: null,
        actual: 'table',
      })),
    ];
    const gate = migrationGate({
      ...clean,
      drift: { drift: true, complete: false, differences, warnings: ['m3 is applied but not in the current release'] },
    });
    expect(gate.approvals.map((a) => a.reason)).toEqual(['schema-drift', 'drift-check-incomplete']);
    expect(gate.approvals[0]!.detail).toContain(
      'column public.users.nickname is not in the migrations (production: text NULL)',
    );
    expect(gate.approvals[0]!.detail).toContain('index public.users_email_key is missing in production');
    expect(gate.approvals[0]!.detail).toContain('and 3 more');
    expect(gate.approvals[1]!.detail).toContain('m3 is applied but not in the current release');
  });

  it('reports every problem at once, blockers apart from approvals', () => {
    const gate = migrationGate({
      status: 'failed',
      prismaStatus: 'unknown',
      failed: ['m2'],
      unknownToTarget: ['m9'],
      migrations: [
        { name: 'm1', state: 'edited' },
        { name: 'm2', state: 'failed' },
        { name: 'm9', state: 'missing-locally' },
      ],
      drift: {
        ...noDrift,
        drift: true,
        differences: [{ kind: 'enum', object: 'public.role', expected: "'a'", actual: "'a', 'b'" }],
      },
    });
    expect(gate.blockers).toHaveLength(1);
    expect(gate.approvals.map((a) => a.reason)).toEqual([
      'failed-migration',
      'edited-migration',
      'missing-locally',
      'schema-drift',
    ]);
  });
});
