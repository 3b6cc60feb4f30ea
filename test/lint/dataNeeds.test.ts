import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataNeedsOf } from '../../src/lint/dataNeeds.js';

/**
 * Which existing rows pending migrations can depend on, read from their statements: the rehearsal
 * copies only those tables' rows (src/postgres/rehearsalScope.ts adds what the catalog knows).
 */
const needs = (...sql: string[]) => dataNeedsOf(sql.map((s, i) => ({ name: `m${i + 1}`, sql: s })));

describe('dataNeedsOf', () => {
  it("farm-chat v2's migration names users (altered) and satshot_tokens (created), writes no existing row", () => {
    const sql = readFileSync(
      'examples/farm-chat/releases/v2/prisma/migrations/20260201000000_satshot_integration/migration.sql',
      'utf8',
    );
    const n = needs(sql);
    expect(n.opaque).toBeUndefined();
    expect(new Set(n.named.map((r) => r.name))).toEqual(new Set(['users', 'satshot_tokens']));
    expect(n.modified).toEqual([]);
    expect(n.created).toEqual([{ name: 'satshot_tokens' }]);
  });

  it.each([
    ['DELETE FROM "Üsers ☃" WHERE id = 1', [{ name: 'Üsers ☃' }]],
    ['UPDATE app.accounts SET plan = $$free$$ WHERE plan IS NULL', [{ schema: 'app', name: 'accounts' }]],
    ['INSERT INTO audit (id) SELECT id FROM users', [{ name: 'audit' }]],
    ['TRUNCATE a, b', [{ name: 'a' }, { name: 'b' }]],
    ['ALTER TABLE users ALTER COLUMN id TYPE bigint', [{ name: 'users' }]],
  ])('%s writes rows of %j (their foreign-key neighbours and triggers count)', (sql, modified) => {
    const n = needs(sql);
    expect(n.opaque).toBeUndefined();
    expect(n.modified).toEqual(modified);
  });

  it('a table named in a subquery, a foreign key or an index counts as named', () => {
    const n = needs(
      'UPDATE orders SET total = (SELECT sum(p) FROM lines WHERE lines.o = orders.id)',
      'ALTER TABLE x ADD CONSTRAINT f FOREIGN KEY (y) REFERENCES "Q""uoted"(id)',
      'CREATE UNIQUE INDEX i ON s.t (c)',
    );
    expect(n.named).toEqual(
      expect.arrayContaining([
        { name: 'orders' },
        { name: 'lines' },
        { name: 'x' },
        { name: 'Q"uoted' },
        { schema: 's', name: 't' },
      ]),
    );
  });

  it.each([
    ['DO $$ BEGIN PERFORM 1; END $$', 'a Do statement'],
    ['ALTER DOMAIN positive ADD CONSTRAINT p CHECK (VALUE > 0)', 'a AlterDomain statement'],
    ['ALTER TYPE address ADD ATTRIBUTE zip text', 'ALTER TYPE'],
    ['CALL backfill()', 'a Call statement'],
    ['REFRESH MATERIALIZED VIEW totals', 'a RefreshMatView statement'],
    ['CREATE RULE r AS ON INSERT TO t DO INSTEAD NOTHING', 'a Rule statement'],
  ])('%s reaches beyond what it names: every row', (sql, why) => {
    expect(needs('ALTER TABLE users ADD COLUMN a int', sql).opaque).toContain(`m2 line 1: ${why}`);
  });

  it('a trigger the migrations create, then rows written: every row (the catalog does not know the trigger yet)', () => {
    const n = needs(
      'CREATE TRIGGER t BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION stamp()',
      'INSERT INTO items VALUES (1)',
    );
    expect(n.opaque).toContain('a trigger created, then rows written');
    expect(needs('CREATE TRIGGER t BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION stamp()').opaque).toBe(
      undefined,
    );
  });

  it('a migration that does not parse: every row', () => {
    expect(needs('ALTER TABLE users ADD COLUMN', 'SELECT 1').opaque).toBe('m1 does not parse');
  });

  it('collects the functions called, as written', () => {
    expect(
      needs('ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid()', 'UPDATE t SET d = app.f(1)').functions,
    ).toEqual(['gen_random_uuid', 'app.f']);
  });
});
