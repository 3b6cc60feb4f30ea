import { describe, expect, it } from 'vitest';
import {
  databaseUrl,
  parseDatabaseUrl,
  pgDump,
  pgDumpSchema,
  pgRestore,
  pgRestoreList,
} from '../../src/commands/pg.js';

const db = parseDatabaseUrl('postgres://farm:S3cret%21@127.0.0.1:5544/farm_chat?sslmode=disable');

describe('pg commands', () => {
  it('parses a URL without losing the password encoding', () => {
    expect(db).toEqual({
      host: '127.0.0.1',
      port: 5544,
      user: 'farm',
      password: 'S3cret!',
      database: 'farm_chat',
      sslmode: 'disable',
    });
    expect(parseDatabaseUrl(databaseUrl(db))).toEqual(db);
  });

  it.each(['日'.repeat(21), `it's "q"; x=1`, 'a/b?c#d&e+f', ' spaced ', '100%'])(
    'reads the database %j as itself, whatever it takes to write it in a URL',
    (name) => {
      expect(parseDatabaseUrl(databaseUrl({ ...db, database: name })).database).toBe(name);
    },
  );

  it('dumps with the password in env only, consistent with a snapshot', () => {
    const cmd = pgDump('/usr/lib/postgresql/15/bin/pg_dump', db, {
      file: '/b/x.dump',
      format: 'custom',
      jobs: 4,
      snapshot: '00000003-1',
    });
    expect(cmd.file).toBe('/usr/lib/postgresql/15/bin/pg_dump');
    expect(cmd.args).toEqual(['--format=custom', '--file=/b/x.dump', '--no-password', '--snapshot=00000003-1']);
    expect(cmd.env).toMatchObject({
      PGHOST: '127.0.0.1',
      PGPORT: '5544',
      PGUSER: 'farm',
      PGPASSWORD: 'S3cret!',
      PGDATABASE: 'farm_chat',
      PGSSLMODE: 'disable',
    });
    expect(cmd.args.join(' ')).not.toContain('S3cret');
    expect(cmd.secrets).toContain('S3cret!');
  });

  it('uses parallel jobs only where the format allows them', () => {
    expect(pgDump('pg_dump', db, { file: '/b/d', format: 'directory', jobs: 2 }).args).toContain('--jobs=2');
    expect(pgRestore('pg_restore', { ...db, database: 'scratch' }, { file: '/b/d', jobs: 2 }).args).toEqual([
      '--dbname=scratch',
      '--no-owner',
      '--exit-on-error',
      '--no-password',
      '--jobs=2',
      '/b/d',
    ]);
    expect(pgRestoreList('pg_restore', '/b/x.dump').args).toEqual(['--list', '/b/x.dump']);
  });

  it('dumps a schema without owners, grants or the excluded tables', () => {
    expect(
      pgDumpSchema('pg_dump', db, undefined, { excludeTables: ['*._prisma_migrations'], file: '/tmp/s.sql' }).args,
    ).toEqual([
      '--schema-only',
      '--no-owner',
      '--no-privileges',
      '--no-password',
      '--exclude-table=*._prisma_migrations',
      '--file=/tmp/s.sql',
    ]);
    expect(pgDumpSchema('pg_dump', db, '00000003-1').args).toEqual([
      '--schema-only',
      '--no-owner',
      '--no-privileges',
      '--no-password',
      '--snapshot=00000003-1',
    ]);
  });

  it('sets the compression level and asks for progress lines when told to', () => {
    expect(
      pgDump('pg_dump', db, { file: '/b/d', format: 'directory', jobs: 2, compression: 1, verbose: true }).args,
    ).toEqual(['--format=directory', '--file=/b/d', '--no-password', '--jobs=2', '--compress=1', '--verbose']);
    expect(pgRestore('pg_restore', db, { file: '/b/d', jobs: 1, verbose: true }).args).toEqual([
      '--dbname=farm_chat',
      '--no-owner',
      '--exit-on-error',
      '--no-password',
      '--verbose',
      '/b/d',
    ]);
  });
});
