import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  classifyMigrations,
  disagreements,
  MAX_SQL_BYTES,
  MAX_TOTAL_SQL_BYTES,
  pendingSqlOf,
  type MigrationRecord,
} from '../../src/activities/migrationHistory.js';
import { checksumMatches, prismaChecksum } from '../../src/activities/prismaChecksum.js';

const sql = (text: string) => Buffer.from(text);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const INIT = sql('-- CreateTable\nCREATE TABLE "users" ("id" SERIAL NOT NULL);\n');
const row = (name: string, script: Buffer, o: Partial<MigrationRecord> = {}): MigrationRecord => ({
  name,
  checksum: sha(script),
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:01.000Z',
  ...o,
});

describe('Prisma checksums', () => {
  it('is the hex SHA-256 of the bytes', () => {
    expect(prismaChecksum(sql('hello'))).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
  });

  it('matches across line endings, as Prisma does, but not across any other change', () => {
    const crlf = sql('ab\r\ncd\r\n');
    expect(checksumMatches(crlf, prismaChecksum(sql('ab\ncd\n')))).toBe(true);
    expect(checksumMatches(sql('ab\ncd\n'), prismaChecksum(crlf))).toBe(true);
    expect(checksumMatches(sql('abc\n'), prismaChecksum(sql('abc')))).toBe(false);
    expect(checksumMatches(INIT, prismaChecksum(sql(INIT.toString().replace('users', 'user5'))))).toBe(false);
  });

  it('accepts the unpadded hex old schema engines stored', () => {
    const script = [...Array(200).keys()]
      .map((i) => sql(`-- ${i}\n`))
      .find((s) =>
        prismaChecksum(s)
          .match(/../g)!
          .some((b) => b.startsWith('0')),
      )!;
    const unpadded = prismaChecksum(script)
      .match(/../g)!
      .map((b) => b.replace(/^0/, ''))
      .join('');
    expect(unpadded.length).toBeLessThan(64);
    expect(checksumMatches(script, unpadded)).toBe(true);
    expect(checksumMatches(sql('other'), unpadded)).toBe(false);
  });
});

describe('classifyMigrations', () => {
  const V2 = sql('ALTER TABLE "users" ADD COLUMN "satshotConnected" BOOLEAN;\n');

  it('classifies every name of the table and the release', () => {
    const entries = classifyMigrations(
      [
        row('1_init', INIT),
        row('2_edited', sql('CREATE INDEX a ON users (id);\n')),
        row('3_failed', V2, { finishedAt: undefined }),
        row('4_gone', sql('CREATE TABLE gone ();\n')),
        row('5_rolled_back', V2, { finishedAt: undefined, rolledBackAt: '2026-01-02T00:00:00.000Z' }),
      ],
      [
        { name: '1_init', bytes: INIT },
        { name: '2_edited', bytes: sql('CREATE INDEX a ON users (id, email);\n') },
        { name: '3_failed', bytes: V2 },
        { name: '5_rolled_back', bytes: V2 },
        { name: '6_new', bytes: V2 },
      ],
    );
    expect(entries.map((e) => [e.name, e.state])).toEqual([
      ['1_init', 'applied'],
      ['2_edited', 'edited'],
      ['3_failed', 'failed'],
      ['4_gone', 'missing-locally'],
      ['5_rolled_back', 'rolled-back'],
      ['6_new', 'pending'],
    ]);
    expect(entries[0]).toEqual({
      name: '1_init',
      state: 'applied',
      dbChecksum: sha(INIT),
      localChecksum: sha(INIT),
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:01.000Z',
      rolledBackAt: undefined,
    });
    expect(entries[1]!.dbChecksum).not.toBe(entries[1]!.localChecksum);
    expect(entries[3]!.localChecksum).toBeUndefined();
    expect(entries[5]).toEqual({ name: '6_new', state: 'pending', localChecksum: sha(V2) });
  });

  it('reads a migration rolled back then applied again as applied, and a failed row as failed whatever else', () => {
    const rolledBack = row('2_v2', V2, { finishedAt: undefined, rolledBackAt: '2026-01-02T00:00:00.000Z' });
    const again = row('2_v2', V2, { startedAt: '2026-01-03T00:00:00.000Z', finishedAt: '2026-01-03T00:00:01.000Z' });
    expect(classifyMigrations([rolledBack, again], [{ name: '2_v2', bytes: V2 }])[0]).toMatchObject({
      state: 'applied',
      startedAt: '2026-01-03T00:00:00.000Z',
    });
    const failedAgain = row('2_v2', V2, { startedAt: '2026-01-04T00:00:00.000Z', finishedAt: undefined });
    expect(classifyMigrations([rolledBack, again, failedAgain], [{ name: '2_v2', bytes: V2 }])[0]!.state).toBe(
      'failed',
    );
  });

  it('notes where the table and prisma migrate status disagree about failures', () => {
    const failed = classifyMigrations([row('3_failed', V2, { finishedAt: undefined })], []);
    expect(disagreements(failed, 'failed')).toEqual([]);
    expect(disagreements(failed, 'clean')).toEqual([
      '_prisma_migrations records failed migration(s) 3_failed, but prisma migrate status says clean',
    ]);
    expect(disagreements([], 'failed')).toHaveLength(1);
    expect(disagreements([], 'pending')).toEqual([]);
  });
});

describe('pendingSqlOf', () => {
  it('gives the SQL of what deploy will run, cut (and flagged) where history could not hold it', () => {
    const big = Buffer.alloc(MAX_SQL_BYTES + 10, 'a');
    const local = [
      { name: '1', bytes: sql('SELECT 1;') },
      { name: '2', bytes: big },
      ...['3', '4', '5', '6', '7'].map((name) => ({ name, bytes: Buffer.alloc(MAX_SQL_BYTES, 'b') })),
      { name: '8', bytes: sql('applied') },
    ];
    const entries = classifyMigrations([row('8', sql('applied'))], local);
    const pending = pendingSqlOf(entries, local);
    expect(pending.map((p) => p.name)).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(pending[0]).toEqual({ name: '1', sql: 'SELECT 1;', truncated: false });
    expect(pending[1]).toMatchObject({ truncated: true });
    expect(pending[1]!.sql).toHaveLength(MAX_SQL_BYTES);
    expect(pending.reduce((n, p) => n + p.sql.length, 0)).toBe(MAX_TOTAL_SQL_BYTES);
    expect(pending.at(-1)).toEqual({ name: '7', sql: '', truncated: true });
  });
});
