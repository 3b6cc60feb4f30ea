import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { tableProgress } from '../../src/postgres/dump.js';
import { runInActivity } from '../../src/activities/activityDeps.js';

// Real --verbose lines of PostgreSQL 15's pg_dump and pg_restore (two tables, a and b).
const PARALLEL_DUMP = [
  'pg_dump: reading publication membership of tables',
  'pg_dump: dumping contents of table "public.a"',
  'pg_dump: finished item 3342 TABLE DATA a',
  'pg_dump: dumping contents of table "public.b"',
];
const PARALLEL_RESTORE = [
  'pg_restore: launching item 3342 TABLE DATA a',
  'pg_restore: launching item 3343 TABLE DATA b',
  'pg_restore: processing data for table "public.a"',
  'pg_restore: processing data for table "public.b"',
  'pg_restore: finished item 3343 TABLE DATA b',
];
const SERIAL_DUMP = [
  'pg_dump: saving database definition',
  'pg_dump: dumping contents of table "public.a"',
  'pg_dump: dumping contents of table "public.b"',
];

describe('table progress from pg_dump/pg_restore --verbose', () => {
  it.each([
    ['parallel dump', true, PARALLEL_DUMP, 1],
    ['parallel restore', true, PARALLEL_RESTORE, 1],
    ['single-job dump: the table being dumped is not done yet', false, SERIAL_DUMP, 1],
    ['single-job restore', false, ['pg_restore: processing data for table "public.a"'], 0],
  ] as const)('%s', (_, parallel, lines, done) => {
    const p = tableProgress(parallel);
    lines.forEach(p.onLine);
    expect(p.done()).toBe(done);
  });
});

describe('runInActivity', () => {
  it('heartbeats what was done so far while the command runs, and lets onLine see its output', async () => {
    const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
    const beats: Record<string, unknown>[] = [];
    env.on('heartbeat', (d: Record<string, unknown>) => beats.push(d));
    let bytes = 0;
    const lines: string[] = [];
    await env.run(async () =>
      runInActivity(
        { file: process.execPath, args: ['-e', 'console.error("table a"); setTimeout(() => {}, 2500)'] },
        'dump',
        {
          onLine: (l) => lines.push(l),
          progress: async () => ({ bytesWritten: (bytes += 100) }),
        },
      ),
    );
    expect(lines).toEqual(['table a']);
    expect(beats).toEqual([expect.objectContaining({ phase: 'dump', bytesWritten: 100 })]);
  });
});
