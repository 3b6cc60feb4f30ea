import { describe, expect, it } from 'vitest';
import { diffStates, normaliseSchemaDump } from '../../src/postgres/state.js';
import type { DatabaseState } from '../../src/shared/databaseState.js';

const state = (o: Partial<DatabaseState> = {}): DatabaseState => ({
  schemaSha256: 's1',
  tables: [
    { name: 'public.users', rows: 20, checksum: 'a' },
    { name: 'public.messages', rows: 100, checksum: 'b' },
  ],
  migrations: [{ name: 'm1', checksum: 'c', finished: true, rolledBack: false }],
  ...o,
});

describe('database fingerprints', () => {
  it('ignores what differs between two dumps of the same schema', () => {
    const a =
      "--\n-- PostgreSQL database dump\n\\restrict AbC123\nSET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\nCREATE TABLE public.users (id integer);\n\\unrestrict AbC123\n";
    const b =
      '--\n-- dumped later\n\\restrict ZzZ999\nSET lock_timeout = 0;\n\nCREATE TABLE public.users (id integer);\n';
    expect(normaliseSchemaDump(a)).toBe(normaliseSchemaDump(b));
    expect(normaliseSchemaDump(a)).toBe('CREATE TABLE public.users (id integer);');
  });

  it('lists every difference and nothing when equal', () => {
    expect(diffStates(state(), state())).toEqual([]);
    const after = state({
      schemaSha256: 's2',
      tables: [
        { name: 'public.users', rows: 21, checksum: 'a' },
        { name: 'public.messages', rows: 100, checksum: 'x' },
        { name: 'public.satshot_tokens', rows: 0, checksum: 'empty' },
      ],
      migrations: [...state().migrations, { name: 'm2', checksum: 'd', finished: false, rolledBack: false }],
    });
    expect(diffStates(state(), after)).toEqual([
      'schema differs',
      'table public.users: 21 rows, expected 20',
      'table public.messages: content differs',
      'table public.satshot_tokens should not exist',
      '_prisma_migrations rows differ',
    ]);
    expect(diffStates(state(), state({ tables: [state().tables[0]!] }))).toEqual(['table public.messages missing']);
  });
});
