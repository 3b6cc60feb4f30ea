import { describe, expect, it } from 'vitest';
import type { SchemaDescription, SchemaObject } from '../../src/postgres/schemaCatalog.js';
import { compareSchemas } from '../../src/postgres/schemaDiff.js';

const users: SchemaObject[] = [
  { kind: 'table', name: 'public.users', definition: 'table' },
  { kind: 'column', name: 'public.users.id', definition: "integer NOT NULL DEFAULT nextval('users_id_seq'::regclass)" },
  { kind: 'column', name: 'public.users.email', definition: 'text NOT NULL' },
  {
    kind: 'index',
    name: 'public.users_email_key',
    definition: 'CREATE UNIQUE INDEX users_email_key ON public.users USING btree (email)',
  },
  { kind: 'enum', name: 'public.Role', definition: "'ADMIN', 'USER'" },
];
const schema = (objects: SchemaObject[], order: string[] = ['id', 'email']): SchemaDescription => ({
  objects,
  columnOrder: { 'public.users': order },
});

describe('compareSchemas', () => {
  it('finds nothing between equal schemas', () => {
    expect(compareSchemas(schema(users), schema([...users].reverse()))).toEqual({ differences: [], warnings: [] });
  });

  it('reports added, missing and changed objects, in kind order', () => {
    const actual = schema(
      [
        ...users
          .filter((o) => o.kind !== 'index')
          .map((o) => (o.name === 'public.Role' ? { ...o, definition: "'ADMIN', 'USER', 'GUEST'" } : o)),
        { kind: 'column', name: 'public.users.nickname', definition: 'text NULL' },
      ],
      ['id', 'email', 'nickname'],
    );
    expect(compareSchemas(schema(users), actual)).toEqual({
      differences: [
        { kind: 'column', object: 'public.users.nickname', expected: null, actual: 'text NULL' },
        { kind: 'index', object: 'public.users_email_key', expected: users[3]!.definition, actual: null },
        { kind: 'enum', object: 'public.Role', expected: "'ADMIN', 'USER'", actual: "'ADMIN', 'USER', 'GUEST'" },
      ],
      warnings: [],
    });
  });

  it('takes column order alone for a warning, not drift', () => {
    expect(compareSchemas(schema(users), schema(users, ['email', 'id']))).toEqual({
      differences: [],
      warnings: [
        'column order of public.users differs (not drift): migrations give id, email; production has email, id',
      ],
    });
  });
});
