import type { ColumnDef, Constraint, Node } from 'libpg-query';
import {
  alterTableCommands,
  columnConstraints,
  dropTargets,
  get,
  qualify,
  schemaOf,
  SERIAL_TYPES,
  stringValue,
  tableKey,
  typeRef,
  type TypeRef,
} from './ast.js';

// What the migrations so far built, as far as the SQL tells: tables, their columns' types and
// NOT NULL, constraints (and whether they are validated), indexes. Read from every migration in
// order (applied and pending), so that a later migration's rules can ask, e.g., whether a CHECK
// (col IS NOT NULL) was validated two migrations ago, or what type a column had before this
// ALTER. Objects made by SQL the lint cannot read (DO blocks, functions) are simply unknown.

export interface ColumnFacts {
  /** Unknown for a column the lint saw only altered, never made. */
  type: TypeRef | undefined;
  notNull: boolean;
}

export type ConstraintKind = 'primary key' | 'unique' | 'exclusion' | 'foreign key' | 'check';

export interface ConstraintFacts {
  kind: ConstraintKind;
  /** False while added NOT VALID and not validated yet. */
  valid: boolean;
  /** The column of a `CHECK (col IS NOT NULL)`. */
  notNullOf?: string;
}

export interface TableFacts {
  columns: Map<string, ColumnFacts>;
  constraints: Map<string, ConstraintFacts>;
  /** Keys of its indexes. */
  indexes: Set<string>;
}

export interface IndexFacts {
  /** Key of the indexed table. */
  table: string;
  unique: boolean;
}

const KIND: Record<string, ConstraintKind> = {
  CONSTR_PRIMARY: 'primary key',
  CONSTR_UNIQUE: 'unique',
  CONSTR_EXCLUSION: 'exclusion',
  CONSTR_FOREIGN: 'foreign key',
  CONSTR_CHECK: 'check',
};

/** The column a `CHECK (col IS NOT NULL)` is about. */
export function notNullCheckColumn(con: Constraint): string | undefined {
  if (con.contype !== 'CONSTR_CHECK') return undefined;
  const test = get(con.raw_expr, 'NullTest');
  if (test?.nulltesttype !== 'IS_NOT_NULL') return undefined;
  const fields = get(test.arg, 'ColumnRef')?.fields ?? [];
  return fields.length === 1 ? stringValue(fields[0]) : undefined;
}

export class SchemaModel {
  private readonly tables = new Map<string, TableFacts>();
  private readonly indexes = new Map<string, IndexFacts>();

  column(table: string, column: string): ColumnFacts | undefined {
    return this.tables.get(table)?.columns.get(column);
  }
  constraint(table: string, name: string): ConstraintFacts | undefined {
    return this.tables.get(table)?.constraints.get(name);
  }
  index(key: string): IndexFacts | undefined {
    return this.indexes.get(key);
  }

  /** A validated `CHECK (column IS NOT NULL)` on the table: PostgreSQL 12+ then sets NOT NULL without scanning. */
  hasValidNotNullCheck(table: string, column: string): boolean {
    for (const c of this.tables.get(table)?.constraints.values() ?? [])
      if (c.valid && c.notNullOf === column) return true;
    return false;
  }

  /** Takes in what a statement built, changed or dropped. */
  apply(node: Node): void {
    const create = get(node, 'CreateStmt');
    if (create)
      return this.createTable(tableKey(create.relation), create.relation?.relname ?? '', create.tableElts ?? []);
    const createAs = get(node, 'CreateTableAsStmt');
    if (createAs?.into?.rel) return void this.tables.set(tableKey(createAs.into.rel), emptyTable());
    const index = get(node, 'IndexStmt');
    if (index) {
      if (index.idxname)
        this.setIndex(
          qualify(index.relation?.schemaname, index.idxname),
          tableKey(index.relation),
          index.unique === true,
        );
      return;
    }
    if (get(node, 'AlterTableStmt')) return this.alterTable(node);
    const rename = get(node, 'RenameStmt');
    if (rename?.newname)
      return this.rename(
        rename.renameType ?? '',
        rename.relation ? tableKey(rename.relation) : '',
        rename.relation?.schemaname,
        rename.subname,
        rename.newname,
      );
    const move = get(node, 'AlterObjectSchemaStmt');
    if (move?.objectType === 'OBJECT_TABLE' && move.relation && move.newschema)
      return this.moveTable(tableKey(move.relation), qualify(move.newschema, move.relation.relname ?? ''));
    const drop = get(node, 'DropStmt');
    if (drop?.removeType === 'OBJECT_TABLE') for (const { key } of dropTargets(node)) this.dropTable(key);
    if (drop?.removeType === 'OBJECT_INDEX') for (const { key } of dropTargets(node)) this.dropIndex(key);
  }

  private createTable(table: string, relname: string, elements: Node[]): void {
    const facts = emptyTable();
    this.tables.set(table, facts);
    for (const e of elements) {
      const col = get(e, 'ColumnDef');
      if (col) this.addColumn(table, relname, facts, col);
      const con = get(e, 'Constraint');
      if (con) this.addConstraint(table, relname, facts, con, true);
    }
  }

  private addColumn(table: string, relname: string, facts: TableFacts, col: ColumnDef): void {
    const name = col.colname ?? '';
    const written = typeRef(col.typeName);
    const serial = SERIAL_TYPES.get(written.name);
    const type = serial ? { ...written, name: serial, schema: 'pg_catalog' } : written;
    const cons = columnConstraints(col);
    const notNull =
      col.is_not_null === true ||
      serial !== undefined ||
      cons.some(
        (c) => c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY' || c.contype === 'CONSTR_IDENTITY',
      );
    facts.columns.set(name, { type, notNull });
    for (const c of cons) this.addConstraint(table, relname, facts, c, true, name);
  }

  /** `valid`: the constraint is checked as it is added (CREATE TABLE, ADD COLUMN), whatever NOT VALID says. */
  private addConstraint(
    table: string,
    relname: string,
    facts: TableFacts,
    con: Constraint,
    checked: boolean,
    column?: string,
  ): void {
    const kind = KIND[con.contype ?? ''];
    if (!kind) return;
    const keys = (con.keys ?? con.fk_attrs ?? []).map((k) => stringValue(k) ?? '');
    const cols = column ? [column] : keys;
    const name = con.conname ?? defaultConstraintName(relname, kind, cols);
    if (!name) return;
    const notNullOf = notNullCheckColumn(con);
    facts.constraints.set(name, {
      kind,
      valid: checked || con.skip_validation !== true,
      ...(notNullOf ? { notNullOf } : {}),
    });
    if (kind === 'primary key')
      for (const c of cols) {
        const f = facts.columns.get(c);
        if (f) f.notNull = true;
      }
    if (kind === 'primary key' || kind === 'unique' || kind === 'exclusion') {
      // USING INDEX: the index takes the constraint's name
      if (con.indexname) this.dropIndex(qualify(schemaOf(table), con.indexname));
      this.setIndex(qualify(schemaOf(table), name), table, kind !== 'exclusion');
    }
  }

  private alterTable(node: Node): void {
    for (const { table, relation, cmd } of alterTableCommands(node)) {
      // A table made by SQL the lint did not see: what this statement tells about it is still known.
      const facts = this.tables.get(table) ?? this.tables.set(table, emptyTable()).get(table)!;
      const relname = relation?.relname ?? '';
      // A column the lint did not see made still gets what this statement tells (its NOT NULL, say).
      const column = () =>
        facts.columns.get(cmd.name ?? '') ??
        facts.columns.set(cmd.name ?? '', { type: undefined, notNull: false }).get(cmd.name ?? '')!;
      switch (cmd.subtype) {
        case 'AT_AddColumn': {
          const col = get(cmd.def, 'ColumnDef');
          if (col) this.addColumn(table, relname, facts, col);
          break;
        }
        case 'AT_DropColumn':
          facts.columns.delete(cmd.name ?? '');
          break;
        case 'AT_AlterColumnType': {
          const col = get(cmd.def, 'ColumnDef');
          if (col) column().type = typeRef(col.typeName);
          break;
        }
        case 'AT_SetNotNull':
          column().notNull = true;
          break;
        case 'AT_DropNotNull':
          column().notNull = false;
          break;
        case 'AT_AddConstraint': {
          const con = get(cmd.def, 'Constraint');
          if (con) this.addConstraint(table, relname, facts, con, false);
          break;
        }
        case 'AT_ValidateConstraint': {
          const con = facts.constraints.get(cmd.name ?? '');
          if (con) con.valid = true;
          break;
        }
        case 'AT_DropConstraint': {
          const con = facts.constraints.get(cmd.name ?? '');
          facts.constraints.delete(cmd.name ?? '');
          if (con && con.kind !== 'check' && con.kind !== 'foreign key')
            this.dropIndex(qualify(schemaOf(table), cmd.name ?? ''));
          break;
        }
        default:
          break;
      }
    }
  }

  private rename(type: string, table: string, schema: string | undefined, from: string | undefined, to: string): void {
    if (type === 'OBJECT_TABLE') return this.moveTable(table, qualify(schema, to));
    const facts = this.tables.get(table);
    if (type === 'OBJECT_COLUMN' && facts && from) {
      const col = facts.columns.get(from);
      if (col) {
        facts.columns.delete(from);
        facts.columns.set(to, col);
      }
      for (const c of facts.constraints.values()) if (c.notNullOf === from) c.notNullOf = to;
    }
    if (type === 'OBJECT_TABCONSTRAINT' && facts && from) {
      const con = facts.constraints.get(from);
      if (con) {
        facts.constraints.delete(from);
        facts.constraints.set(to, con);
      }
      this.renameIndex(qualify(schema, from), qualify(schema, to));
    }
    if (type === 'OBJECT_INDEX') this.renameIndex(table, qualify(schema, to)); // the relation is the index
  }

  private setIndex(key: string, table: string, unique: boolean): void {
    this.dropIndex(key);
    this.indexes.set(key, { table, unique });
    (this.tables.get(table) ?? this.tables.set(table, emptyTable()).get(table)!).indexes.add(key);
  }

  private dropIndex(key: string): void {
    const index = this.indexes.get(key);
    if (!index) return;
    this.indexes.delete(key);
    this.tables.get(index.table)?.indexes.delete(key);
  }

  private renameIndex(from: string, to: string): void {
    const index = this.indexes.get(from);
    if (from === to) return;
    if (index) this.setIndex(to, index.table, index.unique);
    this.dropIndex(from);
  }

  private moveTable(from: string, to: string): void {
    const facts = this.tables.get(from);
    if (!facts) return;
    this.tables.delete(from);
    this.tables.set(to, facts);
    for (const key of facts.indexes) this.indexes.get(key)!.table = to;
  }

  private dropTable(table: string): void {
    for (const key of this.tables.get(table)?.indexes ?? []) this.indexes.delete(key);
    this.tables.delete(table);
  }
}

const emptyTable = (): TableFacts => ({ columns: new Map(), constraints: new Map(), indexes: new Set() });

/**
 * The name PostgreSQL gives an unnamed constraint (ChooseConstraintName),
 * short names only; `undefined` for an unnamed CHECK over an expression.
 */
function defaultConstraintName(table: string, kind: ConstraintKind, columns: string[]): string | undefined {
  if (kind === 'primary key') return `${table}_pkey`;
  if (columns.length === 0) return undefined;
  const suffix = { unique: 'key', exclusion: 'excl', 'foreign key': 'fkey', check: 'check' }[kind];
  return `${table}_${columns.join('_')}_${suffix}`;
}
