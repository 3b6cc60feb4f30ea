import {
  addedColumn, addedConstraint, alterTableCommands, endsTransaction, get, lockTimeoutChange, nameOf,
  qualify, strongLockTargets, tableKey,
} from './ast.js';
import type { LintContext, Statement } from './types.js';

/**
 * What one migration has done so far, statement by statement (squawk's and atlas's context):
 * objects it created are exempt from "existing table" rules, and its statements run in one
 * implicit transaction (PostgreSQL runs a multi-statement query that way) until an explicit COMMIT.
 */
export class MigrationContext implements LintContext {
  private readonly tables = new Set<string>();
  private readonly columns = new Set<string>();
  private readonly types = new Set<string>();
  private readonly renamedTypes = new Set<string>();
  private readonly schemas = new Set<string>();
  /** `table.constraint` added NOT VALID in the current transaction. */
  private readonly notValid = new Set<string>();
  /** Tables strongly locked in the current transaction. */
  private readonly locked = new Set<string>();
  lockTimeoutSet = false;

  constructor(readonly statementCount: number) {}

  isNewTable(table: string): boolean { return this.tables.has(table); }
  isNewColumn(table: string, column: string): boolean { return this.tables.has(table) || this.columns.has(`${table}.${column}`); }
  isNewType(name: string): boolean { return this.types.has(name); }
  isRenamedType(name: string): boolean { return this.renamedTypes.has(name); }
  isNewSchema(name: string): boolean { return this.schemas.has(name); }
  addedNotValidInTransaction(table: string, constraint: string): boolean { return this.notValid.has(`${table}.${constraint}`); }
  lockedInTransaction(table: string): boolean { return this.locked.has(table); }

  /** Takes in what `stmt` did; called after the rules have seen it. */
  record(stmt: Statement): void {
    const node = stmt.node;
    if (endsTransaction(node)) {
      this.notValid.clear();
      this.locked.clear();
      return;
    }
    const timeout = lockTimeoutChange(node);
    if (timeout !== undefined) this.lockTimeoutSet = timeout;
    for (const t of strongLockTargets(node)) this.locked.add(t);

    const create = get(node, 'CreateStmt');
    if (create) this.tables.add(tableKey(create.relation));
    const createAs = get(node, 'CreateTableAsStmt');
    if (createAs?.into?.rel) this.tables.add(tableKey(createAs.into.rel));
    const schema = get(node, 'CreateSchemaStmt');
    if (schema?.schemaname) this.schemas.add(schema.schemaname);
    for (const names of [get(node, 'CreateEnumStmt')?.typeName, get(node, 'CreateDomainStmt')?.domainname, get(node, 'CreateRangeStmt')?.typeName]) {
      if (names) this.types.add(nameOf(names).key);
    }
    const composite = get(node, 'CompositeTypeStmt');
    if (composite?.typevar) this.types.add(tableKey(composite.typevar));

    for (const { table, cmd } of alterTableCommands(node)) {
      const col = addedColumn(cmd);
      if (col?.colname) this.columns.add(`${table}.${col.colname}`);
      const con = addedConstraint(cmd);
      if (con?.skip_validation && con.conname) this.notValid.add(`${table}.${con.conname}`);
    }

    const rename = get(node, 'RenameStmt');
    if (rename?.renameType === 'OBJECT_TABLE' && rename.newname) {
      const from = tableKey(rename.relation);
      if (this.tables.has(from)) this.tables.add(qualify(rename.relation?.schemaname, rename.newname));
    }
    if (rename?.renameType === 'OBJECT_COLUMN' && rename.subname && rename.newname) {
      const table = tableKey(rename.relation);
      if (this.isNewColumn(table, rename.subname)) this.columns.add(`${table}.${rename.newname}`);
    }
    if (rename?.renameType === 'OBJECT_TYPE' && rename.newname) {
      const from = nameOf(get(rename.object, 'List')?.items);
      const schema = from.key.slice(0, from.key.indexOf('.'));
      const to = qualify(schema, rename.newname);
      if (this.types.has(from.key)) this.types.add(to);
      this.renamedTypes.add(from.key).add(to);
    }
  }
}
