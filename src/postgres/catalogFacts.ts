import type pg from 'pg';
import type { CatalogFact } from '../shared/inventoryAndTriage.js';
import { describeObject, type CatalogObject, type Expectation } from './statementEffects.js';

const REL = `FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`;
const ATT = `FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = $1 AND c.relname = $2 AND a.attname = $3 AND a.attnum > 0 AND NOT a.attisdropped`;

/** One EXISTS query per kind of object; every name is a parameter. */
function existsQuery(o: CatalogObject, schema: string): { sql: string; params: string[] } {
  switch (o.kind) {
    case 'table':
      return { sql: `${REL} AND c.relkind IN ('r', 'p')`, params: [schema, o.name] };
    case 'index':
      return { sql: `${REL} AND c.relkind IN ('i', 'I')`, params: [schema, o.name] };
    case 'sequence':
      return { sql: `${REL} AND c.relkind = 'S'`, params: [schema, o.name] };
    case 'type':
      return {
        sql: 'FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = $1 AND t.typname = $2',
        params: [schema, o.name],
      };
    case 'column':
      return { sql: ATT, params: [schema, o.table, o.column] };
    case 'not-null':
      return { sql: `${ATT} AND a.attnotnull`, params: [schema, o.table, o.column] };
    case 'default':
      return { sql: `${ATT} AND a.atthasdef`, params: [schema, o.table, o.column] };
    case 'constraint':
      return {
        sql:
          'FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = ' +
          'c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND k.conname = $3',
        params: [schema, o.table, o.name],
      };
    case 'enum-value':
      return {
        sql:
          'FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace ' +
          'WHERE n.nspname = $1 AND t.typname = $2 AND e.enumlabel = $3',
        params: [schema, o.type, o.value],
      };
    case 'schema':
      return { sql: 'FROM pg_namespace WHERE nspname = $1', params: [o.name] };
    case 'extension':
      return { sql: 'FROM pg_extension WHERE extname = $1', params: [o.name] };
  }
}

/**
 * Whether each expected object exists now, read from the catalogs in one READ ONLY transaction.
 * Unqualified names are looked up in `defaultSchema` (the schema Prisma migrates).
 */
export async function readCatalogFacts(
  client: pg.ClientBase,
  defaultSchema: string,
  expectations: readonly Expectation[],
): Promise<CatalogFact[]> {
  await client.query('BEGIN READ ONLY');
  try {
    const facts: CatalogFact[] = [];
    for (const e of expectations) {
      const { sql, params } = existsQuery(e.object, (e.object as { schema?: string }).schema ?? defaultSchema);
      const { rows } = await client.query<{ present: boolean }>(`SELECT EXISTS (SELECT 1 ${sql}) AS present`, params);
      facts.push({
        object: describeObject(e.object, defaultSchema),
        expectPresent: e.present,
        present: rows[0]!.present,
      });
    }
    return facts;
  } finally {
    await client.query('COMMIT');
  }
}
