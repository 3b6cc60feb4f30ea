import { describe, expect, it } from 'vitest';
import {
  poolerFromProbe,
  poolerHintsFromUrl,
  prismaVersionFrom,
  prismaVersionProblem,
} from '../../src/activities/prismaHazards.js';

const lock = (version: string) =>
  JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/prisma': { version } } });

describe('Prisma version of a release', () => {
  it('reads the lockfile (v2/v3 and v1), else the range package.json declares', () => {
    expect(prismaVersionFrom(lock('6.19.3'), undefined)).toEqual({
      version: '6.19.3',
      major: 6,
      source: 'package-lock.json',
    });
    expect(
      prismaVersionFrom(
        JSON.stringify({ lockfileVersion: 1, dependencies: { prisma: { version: '4.16.2' } } }),
        undefined,
      ),
    ).toMatchObject({ major: 4 });
    expect(prismaVersionFrom(undefined, JSON.stringify({ devDependencies: { prisma: '^5.22.0' } }))).toEqual({
      version: '^5.22.0',
      major: 5,
      source: 'package.json',
    });
    expect(prismaVersionFrom('not json', JSON.stringify({ dependencies: { prisma: '~3.15.0' } }))).toMatchObject({
      major: 3,
      source: 'package.json',
    });
    expect(
      prismaVersionFrom(JSON.stringify({ packages: {} }), JSON.stringify({ dependencies: { pg: '8.0.0' } })),
    ).toBeUndefined();
  });

  it.each([
    ['2.18.0', /no `prisma migrate deploy`/],
    ['2.19.0', /exits 0/],
    ['4.2.9', /exits 0/],
    ['4.3.0', undefined],
    ['6.19.3', undefined],
    ['7.0.0', undefined],
  ])('Prisma %s', (version, problem) => {
    const found = prismaVersionProblem({ version, major: Number(version.split('.')[0]), source: 'package-lock.json' });
    if (problem) expect(found).toMatch(problem);
    else expect(found).toBeUndefined();
  });
});

describe('transaction-mode poolers', () => {
  it('recognises the URL signs, never echoing the URL', () => {
    expect(poolerHintsFromUrl('postgresql://u:secret@db.example.com:5432/app')).toEqual([]);
    expect(poolerHintsFromUrl('postgresql://u:secret@db.example.com:6432/app?pgbouncer=true')).toEqual([
      "the URL sets pgbouncer=true (Prisma's flag for PgBouncer in transaction mode)",
    ]);
    expect(poolerHintsFromUrl('postgresql://u:secret@ep-cool-1234-pooler.us-east-2.aws.neon.tech/app')).toEqual([
      'the host ep-cool-1234-pooler.us-east-2.aws.neon.tech is a pooler endpoint',
    ]);
    expect(poolerHintsFromUrl('postgresql://u:secret@aws-0-eu-west-1.pooler.supabase.com:6543/postgres')).toHaveLength(
      2,
    );
    expect(
      poolerHintsFromUrl('postgresql://u:secret@aws-0-eu-west-1.pooler.supabase.com:6543/postgres').join(),
    ).not.toContain('secret');
  });

  it.each([
    [{ firstPid: 10, secondPid: 10, otherClientPid: 11 }, undefined],
    [{ firstPid: 10, secondPid: 12, otherClientPid: 11 }, /different server backends/],
    [{ firstPid: 10, secondPid: 10, otherClientPid: 10 }, /another client was given/],
    [{ firstPid: 10, otherClientPid: 11, blocked: true }, /wait for a server connection/],
    [{ firstPid: 10, error: 'transaction blocks not allowed in statement pooling mode' }, /statement mode/],
  ])('probe %j', (probe, verdict) => {
    const found = poolerFromProbe(probe);
    if (verdict) expect(found).toMatch(verdict);
    else expect(found).toBeUndefined();
  });
});
