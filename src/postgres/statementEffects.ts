import type { Node, RangeVar } from 'libpg-query';
import { get, kindOf, stringValue } from '../lint/ast.js';
import { quoteIdent } from './state.js';

/**
 * What one migration statement leaves in the catalogs once it took effect: the objects it creates
 * (present) or drops (absent), and the SQL that undoes it. Covers what Prisma Migrate generates
 * for PostgreSQL; any other statement is `unknown`, which forbids marking a migration applied.
 */

/**
 * An object the catalogs can be asked about; `schema` undefined: the one Prisma migrates (`?schema=`, default public).
 */
export type CatalogObject =
  | { kind: 'table' | 'index' | 'sequence' | 'type'; schema?: string; name: string }
  | { kind: 'column' | 'not-null' | 'default'; schema?: string; table: string; column: string }
  | { kind: 'constraint'; schema?: string; table: string; name: string }
  | { kind: 'enum-value'; schema?: string; type: string; value: string }
  | { kind: 'schema' | 'extension'; name: string };

export interface Expectation {
  object: CatalogObject;
  present: boolean;
}

export type StatementEffects = { expect: Expectation[]; undo?: string } | { noEffect: true } | { unknown: string };

/**
 * `table public.satshot_tokens`, `column public.users.satshotConnected`:
 * the evidence's words, and the key two statements may share.
 */
export function describeObject(o: CatalogObject, defaultSchema: string): string {
  if (o.kind === 'schema' || o.kind === 'extension') return `${o.kind} ${o.name}`;
  const s = (o as { schema?: string }).schema ?? defaultSchema;
  switch (o.kind) {
    case 'column':
      return `column ${s}.${o.table}.${o.column}`;
    case 'not-null':
      return `NOT NULL on ${s}.${o.table}.${o.column}`;
    case 'default':
      return `a default on ${s}.${o.table}.${o.column}`;
    case 'constraint':
      return `constraint ${o.name} on ${s}.${o.table}`;
    case 'enum-value':
      return `value '${o.value}' of enum ${s}.${o.type}`;
    default:
      return `${o.kind} ${s}.${o.name}`;
  }
}

const q = quoteIdent;
const qualified = (schema: string | undefined, name: string) => (schema ? `${q(schema)}.${q(name)}` : q(name));
const rel = (r: RangeVar | undefined) => ({ schema: r?.schemaname, name: r?.relname ?? '' });
const unknown = (why: string): StatementEffects => ({ unknown: why });
/** `["app", "role"]` → { schema: 'app', name: 'role' }. */
function named(parts: readonly Node[] | undefined): { schema?: string; name: string } {
  const names = (parts ?? []).map((p) => stringValue(p) ?? '');
  return { schema: names.length > 1 ? names[names.length - 2] : undefined, name: names[names.length - 1] ?? '' };
}

type Piece = { expect: Expectation[]; undo?: string } | { unknown: string };

function alterTable(node: NonNullable<ReturnType<typeof get<'AlterTableStmt'>>>): StatementEffects {
  if (node.objtype !== undefined && node.objtype !== 'OBJECT_TABLE')
    return unknown(`ALTER ${String(node.objtype).replace('OBJECT_', '')} is not checked`);
  const t = rel(node.relation);
  const table = qualified(t.schema, t.name);
  const col = (column: string, kind: 'column' | 'not-null' | 'default' = 'column'): CatalogObject => ({
    kind,
    schema: t.schema,
    table: t.name,
    column,
  });
  const pieces: Piece[] = (node.cmds ?? []).map((c): Piece => {
    const cmd = get(c, 'AlterTableCmd');
    const name = cmd?.name ?? '';
    switch (cmd?.subtype) {
      case 'AT_AddColumn': {
        const column = get(cmd.def, 'ColumnDef')?.colname ?? '';
        return {
          expect: [{ object: col(column), present: true }],
          undo: `ALTER TABLE ${table} DROP COLUMN ${q(column)};`,
        };
      }
      case 'AT_DropColumn':
        return { expect: [{ object: col(name), present: false }] };
      case 'AT_AddConstraint': {
        const con = get(cmd.def, 'Constraint');
        if (!con?.conname) return { unknown: 'a constraint without a name cannot be found in the catalogs' };
        return {
          expect: [
            { object: { kind: 'constraint', schema: t.schema, table: t.name, name: con.conname }, present: true },
          ],
          undo: `ALTER TABLE ${table} DROP CONSTRAINT ${q(con.conname)};`,
        };
      }
      case 'AT_DropConstraint':
        return { expect: [{ object: { kind: 'constraint', schema: t.schema, table: t.name, name }, present: false }] };
      case 'AT_SetNotNull':
        return {
          expect: [{ object: col(name, 'not-null'), present: true }],
          undo: `ALTER TABLE ${table} ALTER COLUMN ${q(name)} DROP NOT NULL;`,
        };
      case 'AT_DropNotNull':
        return {
          expect: [{ object: col(name, 'not-null'), present: false }],
          undo: `ALTER TABLE ${table} ALTER COLUMN ${q(name)} SET NOT NULL;`,
        };
      case 'AT_ColumnDefault':
        return { expect: [{ object: col(name, 'default'), present: cmd.def !== undefined }] };
      default:
        return {
          unknown:
            `ALTER TABLE … ${cmd?.subtype ?? '?'} is not checked (e.g. a type change leaves the column in ` + `place)`,
        };
    }
  });
  const notKnown = pieces.find((p): p is { unknown: string } => 'unknown' in p);
  if (notKnown) return notKnown;
  const known = pieces as { expect: Expectation[]; undo?: string }[];
  const undo = known.every((p) => p.undo)
    ? [...known]
        .reverse()
        .map((p) => p.undo)
        .join(' ')
    : undefined;
  return { expect: known.flatMap((p) => p.expect), ...(undo ? { undo } : {}) };
}

const DROPPED: Record<string, 'table' | 'index' | 'type' | 'sequence' | 'schema' | 'extension'> = {
  OBJECT_TABLE: 'table',
  OBJECT_INDEX: 'index',
  OBJECT_TYPE: 'type',
  OBJECT_SEQUENCE: 'sequence',
  OBJECT_SCHEMA: 'schema',
  OBJECT_EXTENSION: 'extension',
};

function drop(node: NonNullable<ReturnType<typeof get<'DropStmt'>>>): StatementEffects {
  const kind = DROPPED[node.removeType ?? ''];
  if (!kind) return unknown(`DROP ${String(node.removeType).replace('OBJECT_', '')} is not checked`);
  const expect = (node.objects ?? []).map((o): Expectation => {
    const target = get(o, 'List')
      ? named(get(o, 'List')!.items)
      : get(o, 'TypeName')
        ? named(get(o, 'TypeName')!.names)
        : { name: stringValue(o) ?? '' };
    const object: CatalogObject =
      kind === 'schema' || kind === 'extension'
        ? { kind, name: target.name }
        : { kind, schema: target.schema, name: target.name };
    return { object, present: false };
  });
  return { expect }; // what a DROP removed comes back only from a backup
}

function rename(node: NonNullable<ReturnType<typeof get<'RenameStmt'>>>): StatementEffects {
  const to = node.newname ?? '';
  const t = rel(node.relation);
  switch (node.renameType) {
    case 'OBJECT_TABLE':
      return {
        expect: [
          { object: { kind: 'table', ...t }, present: false },
          { object: { kind: 'table', schema: t.schema, name: to }, present: true },
        ],
        undo: `ALTER TABLE ${qualified(t.schema, to)} RENAME TO ${q(t.name)};`,
      };
    case 'OBJECT_COLUMN': {
      const from = node.subname ?? '';
      return {
        expect: [
          { object: { kind: 'column', schema: t.schema, table: t.name, column: from }, present: false },
          { object: { kind: 'column', schema: t.schema, table: t.name, column: to }, present: true },
        ],
        undo: `ALTER TABLE ${qualified(t.schema, t.name)} RENAME COLUMN ${q(to)} TO ${q(from)};`,
      };
    }
    case 'OBJECT_INDEX':
      return {
        expect: [
          { object: { kind: 'index', ...t }, present: false },
          { object: { kind: 'index', schema: t.schema, name: to }, present: true },
        ],
        undo: `ALTER INDEX ${qualified(t.schema, to)} RENAME TO ${q(t.name)};`,
      };
    case 'OBJECT_TABCONSTRAINT': {
      const from = node.subname ?? '';
      return {
        expect: [
          { object: { kind: 'constraint', schema: t.schema, table: t.name, name: from }, present: false },
          { object: { kind: 'constraint', schema: t.schema, table: t.name, name: to }, present: true },
        ],
        undo: `ALTER TABLE ${qualified(t.schema, t.name)} RENAME CONSTRAINT ${q(to)} TO ${q(from)};`,
      };
    }
    case 'OBJECT_TYPE': {
      const ty = named(get(node.object, 'List')?.items);
      return {
        expect: [
          { object: { kind: 'type', ...ty }, present: false },
          { object: { kind: 'type', schema: ty.schema, name: to }, present: true },
        ],
        undo: `ALTER TYPE ${qualified(ty.schema, to)} RENAME TO ${q(ty.name)};`,
      };
    }
    default:
      return unknown(`renaming a ${String(node.renameType).replace('OBJECT_', '').toLowerCase()} is not checked`);
  }
}

export function statementEffects(node: Node): StatementEffects {
  const create = get(node, 'CreateStmt');
  if (create) {
    if (create.relation?.relpersistence === 't') return unknown('a temporary table does not outlive the migration');
    const t = rel(create.relation);
    const columns = (create.tableElts ?? []).flatMap((e) => {
      const c = get(e, 'ColumnDef')?.colname;
      return c
        ? [{ object: { kind: 'column', schema: t.schema, table: t.name, column: c } as CatalogObject, present: true }]
        : [];
    });
    return {
      expect: [{ object: { kind: 'table', ...t }, present: true }, ...columns],
      undo: `DROP TABLE ${qualified(t.schema, t.name)};`,
    };
  }
  const index = get(node, 'IndexStmt');
  if (index) {
    if (!index.idxname) return unknown('an index without a name cannot be found in the catalogs');
    const schema = index.relation?.schemaname; // an index lives in its table's schema
    return {
      expect: [{ object: { kind: 'index', schema, name: index.idxname }, present: true }],
      undo: `DROP INDEX ${qualified(schema, index.idxname)};`,
    };
  }
  const alter = get(node, 'AlterTableStmt');
  if (alter) return alterTable(alter);
  const dropped = get(node, 'DropStmt');
  if (dropped) return drop(dropped);
  const renamed = get(node, 'RenameStmt');
  if (renamed) return rename(renamed);
  const enumType = get(node, 'CreateEnumStmt');
  if (enumType) {
    const ty = named(enumType.typeName);
    return {
      expect: [{ object: { kind: 'type', ...ty }, present: true }],
      undo: `DROP TYPE ${qualified(ty.schema, ty.name)};`,
    };
  }
  const alterEnum = get(node, 'AlterEnumStmt');
  if (alterEnum) {
    const ty = named(alterEnum.typeName);
    const value = (v: string, present: boolean): Expectation => ({
      object: { kind: 'enum-value', schema: ty.schema, type: ty.name, value: v },
      present,
    });
    // A value added to an enum cannot be removed with SQL.
    return {
      expect: alterEnum.oldVal
        ? [value(alterEnum.oldVal, false), value(alterEnum.newVal ?? '', true)]
        : [value(alterEnum.newVal ?? '', true)],
    };
  }
  const seq = get(node, 'CreateSeqStmt');
  if (seq) {
    const s = rel(seq.sequence);
    return {
      expect: [{ object: { kind: 'sequence', ...s }, present: true }],
      undo: `DROP SEQUENCE ${qualified(s.schema, s.name)};`,
    };
  }
  const schema = get(node, 'CreateSchemaStmt');
  if (schema?.schemaname)
    return {
      expect: [{ object: { kind: 'schema', name: schema.schemaname }, present: true }],
      undo: `DROP SCHEMA ${q(schema.schemaname)};`,
    };
  const ext = get(node, 'CreateExtensionStmt');
  if (ext?.extname)
    return {
      expect: [{ object: { kind: 'extension', name: ext.extname }, present: true }],
      undo: `DROP EXTENSION ${q(ext.extname)};`,
    };
  if (get(node, 'TransactionStmt') || get(node, 'VariableSetStmt')) return { noEffect: true };
  return unknown(`${kindOf(node)}: what it changes is not in the catalogs safe-deploy reads (data, functions, …)`);
}
