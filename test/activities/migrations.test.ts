import { describe, expect, it } from 'vitest';
import { classifyStatusOutput } from '../../src/activities/migrations.js';

// Real `prisma migrate status` outputs (Prisma 6.19, seen on the sample app).
const UP_TO_DATE = '1 migration found in prisma/migrations\n\nDatabase schema is up to date!\n';
const PENDING =
  '1 migration found in prisma/migrations\nFollowing migration have not yet been applied:\n20260101000000_init\n\nTo apply migrations in development run prisma migrate dev.\n';
const FAILED =
  '2 migrations found in prisma/migrations\nFollowing migration have failed:\n20260201000000_satshot\n\nDuring development if the failed migration(s) have not been deployed to a production database you can then fix the migration(s) and run prisma migrate dev.\n';
const DRIFT = 'The migrations recorded in the database diverge from the local migrations directory.\n';

describe('classifyStatusOutput', () => {
  it.each([
    [UP_TO_DATE, 0, 'clean'],
    [PENDING, 1, 'pending'],
    [FAILED, 1, 'failed'],
    [DRIFT, 1, 'drift'],
    ["Error: P1001: Can't reach database server", 1, 'unknown'],
    [UP_TO_DATE, 1, 'unknown'],
    [
      `Prisma schema loaded from prisma/schema.prisma\nDatasource "db": PostgreSQL database "farm_chat_drift", schema "public" at "db:5432"\n${UP_TO_DATE}`,
      0,
      'clean',
    ],
  ] as const)('%#: exit %i → %s', (output, code, expected) => {
    expect(classifyStatusOutput(output, code)).toBe(expected);
  });
});
