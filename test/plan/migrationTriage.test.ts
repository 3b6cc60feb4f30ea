import { describe, expect, it } from 'vitest';
import {
  describeTriage,
  effectOf,
  proposeResolution,
  statementEvidence,
  triageRemedy,
  type StatementFacts,
} from '../../src/plan/migrationTriage.js';
import type { CatalogFact, MigrationTriage } from '../../src/shared/inventoryAndTriage.js';

const fact = (object: string, expectPresent: boolean, present: boolean): CatalogFact => ({
  object,
  expectPresent,
  present,
});
const stmt = (
  index: number,
  facts: CatalogFact[] | 'no-effect' | { unknown: string },
  undo?: string,
): StatementFacts => ({
  index,
  line: index * 3,
  sql: `statement ${index};`,
  kind: 'AlterTableStmt',
  ...(facts === 'no-effect' ? { noEffect: true } : Array.isArray(facts) ? { facts } : facts),
  ...(undo ? { undo } : {}),
});

// v2-broken-migration: the column, the table and the index took effect; the foreign key did not.
const COLUMN = (present: boolean) =>
  stmt(
    1,
    [fact('column public.users.satshotConnected', true, present)],
    'ALTER TABLE "users" DROP COLUMN "satshotConnected";',
  );
const TABLE = (present: boolean) =>
  stmt(
    2,
    [fact('table public.satshot_tokens', true, present), fact('column public.satshot_tokens.id', true, present)],
    'DROP TABLE "satshot_tokens";',
  );
const INDEX = (present: boolean) =>
  stmt(3, [fact('index public.satshot_tokens_userId_idx', true, present)], 'DROP INDEX "satshot_tokens_userId_idx";');
const FK = (present: boolean) =>
  stmt(
    4,
    [fact('constraint satshot_tokens_userId_fkey on public.satshot_tokens', true, present)],
    'ALTER TABLE "satshot_tokens" DROP CONSTRAINT "satshot_tokens_userId_fkey";',
  );

describe('the effect of one statement', () => {
  it.each([
    [[fact('table t', true, true)], 'applied'],
    [[fact('table t', false, false)], 'applied'],
    [[fact('table t', true, false), fact('column t.c', true, false)], 'not-applied'],
    [[fact('table t', true, true), fact('column t.c', true, false)], 'unknown'],
    [[], 'unknown'],
  ] as const)('%j → %s', (facts, effect) => {
    expect(effectOf(facts)).toBe(effect);
  });

  it('cannot tell when two statements change the same object', () => {
    const ev = statementEvidence([
      stmt(1, [fact('type public.Role', false, true), fact('type public.Role_old', true, false)]),
      stmt(2, [fact('type public.Role', true, true)]),
      stmt(3, [fact('column public.users.x', true, true)]),
    ]);
    expect(ev.map((s) => s.effect)).toEqual(['unknown', 'unknown', 'applied']);
    expect(ev[1]!.evidence.at(-1)).toBe(
      'statements 1 and 2 both change type public.Role: the catalogs cannot tell which of them ran',
    );
  });

  it('writes the evidence as the catalogs show it', () => {
    expect(statementEvidence([FK(false)])[0]).toEqual({
      index: 4,
      line: 12,
      sql: 'statement 4;',
      kind: 'AlterTableStmt',
      effect: 'not-applied',
      evidence: [
        'constraint satshot_tokens_userId_fkey on public.satshot_tokens does not exist (the statement creates it)',
      ],
      undo: 'ALTER TABLE "satshot_tokens" DROP CONSTRAINT "satshot_tokens_userId_fkey";',
    });
    expect(statementEvidence([COLUMN(true)])[0]!.evidence).toEqual(['column public.users.satshotConnected exists']);
  });
});

describe('the proposal', () => {
  const propose = (ss: StatementFacts[], sameInTarget = true) => proposeResolution(statementEvidence(ss), sameInTarget);

  it('resolve-rolled-back when nothing took effect', () => {
    expect(propose([COLUMN(false), TABLE(false), INDEX(false), FK(false)])).toEqual({
      proposal: 'resolve-rolled-back',
      grounds: expect.stringMatching(
        /^none of its statements took effect: statement 1, the first, did not \(column public\.users\.satshotConnected does not exist/,
      ),
    });
  });

  it('resolve-rolled-back also when what cannot be checked comes after the first statement that did not run', () => {
    const r = propose([stmt(1, 'no-effect'), COLUMN(false), stmt(3, { unknown: 'UpdateStmt' })]);
    expect(r.proposal).toBe('resolve-rolled-back');
    expect(r.grounds).toContain('statement(s) 3 come after it and never ran');
  });

  it('resolve-applied when everything took effect and the target carries the same SQL', () => {
    expect(propose([COLUMN(true), TABLE(true), INDEX(true), FK(true)]).proposal).toBe('resolve-applied');
    expect(propose([COLUMN(true), TABLE(true), INDEX(true), FK(true)], false)).toEqual({
      grounds: expect.stringContaining('the target release carries another migration.sql'),
    });
  });

  it('nothing when it took effect in part: the v2-broken-migration case', () => {
    expect(propose([COLUMN(true), TABLE(true), INDEX(true), FK(false)])).toEqual({
      grounds: expect.stringMatching(
        /^it was applied in part: statement\(s\) 1, 2, 3 took effect, statement 4 did not/,
      ),
    });
  });

  it('nothing when a statement that may have run cannot be checked: unknown forbids applied', () => {
    expect(propose([stmt(1, { unknown: 'UpdateStmt: data' }), COLUMN(false)])).toEqual({
      grounds: 'statement 1 (AlterTableStmt) may or may not have taken effect: UpdateStmt: data',
    });
    expect(propose([COLUMN(true), stmt(2, { unknown: 'a type change' })])).toEqual({
      grounds: expect.stringContaining('statement 2'),
    });
  });

  it('nothing when a later statement shows its effect though an earlier one did not', () => {
    expect(propose([COLUMN(false), TABLE(true)])).toEqual({
      grounds: expect.stringContaining('the database was changed outside this migration'),
    });
  });

  it('nothing for a migration with nothing to check', () => {
    expect(propose([stmt(1, 'no-effect')])).toEqual({
      grounds: 'the migration has no statement whose effect the catalogs show',
    });
  });
});

describe('what a person is told', () => {
  const triage = (ss: StatementFacts[]): MigrationTriage => {
    const statements = statementEvidence(ss);
    return {
      migration: '20260201000000_satshot_integration',
      file: 'prisma/migrations/20260201000000_satshot_integration/migration.sql',
      checksum: 'f7d5',
      sourceCommit: 'abcdef0123456789',
      sameInTarget: false,
      statements,
      logs: 'Migration name: x\nDatabase error: ERROR: relation "User" does not exist',
      ...proposeResolution(statements, false),
    };
  };

  it('lists the exact SQL that undoes what took effect, newest first, and how to finish it instead', () => {
    expect(triageRemedy(triage([COLUMN(true), TABLE(true), INDEX(true), FK(false)]))).toEqual([
      'either undo what took effect, newest first: DROP INDEX "satshot_tokens_userId_idx"; DROP TABLE "satshot_tokens"; ALTER TABLE "users" DROP COLUMN "satshotConnected"; — then deploy again (the triage then proposes resolve-rolled-back, or run `npx prisma migrate resolve --rolled-back 20260201000000_satshot_integration` by hand)',
      'or finish it: run statement(s) 4 of prisma/migrations/20260201000000_satshot_integration/migration.sql at abcdef012345 (from line 12) — then deploy again (the triage then proposes resolve-applied when the target carries the same migration.sql, or run `npx prisma migrate resolve --applied 20260201000000_satshot_integration` by hand)',
    ]);
  });

  it('says what it cannot undo with SQL', () => {
    const steps = triageRemedy(triage([stmt(1, [fact('table public.legacy', false, false)]), FK(false)]));
    expect(steps[0]).toContain('statement(s) 1 cannot be undone with SQL: restore what they dropped from a backup');
  });

  it('describes the failure, each statement and the proposal in one question', () => {
    const text = describeTriage(triage([COLUMN(true), TABLE(true), INDEX(true), FK(false)]));
    expect(text).toContain(
      '20260201000000_satshot_integration failed (Database error: ERROR: relation "User" does not exist).',
    );
    expect(text).toContain('1. statement 1; — took effect (column public.users.satshotConnected exists)');
    expect(text).toContain(
      '4. statement 4; — did not take effect (constraint satshot_tokens_userId_fkey on public.satshot_tokens does not exist (the statement creates it))',
    );
    expect(text).toContain('No resolution can be proposed: it was applied in part');
  });
});
