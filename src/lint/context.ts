import {
  addedColumn,
  addedConstraint,
  alterTableCommands,
  dropTargets,
  get,
  lockTimeoutChange,
  nameOf,
  qualify,
  schemaOf,
  strongLockTargets,
  tableKey,
  tableName,
  transactionKind,
} from './ast.js';
import type { DatabaseFacts } from './databaseFacts.js';
import type { SchemaModel } from './schema.js';
import type { DroppedConstraint, LintContext, Statement, StatementRef } from './types.js';

/**
 * Objects made by the migrations of one deployment: empty when it runs, unknown to the previous
 * release, so exempt from the "existing table" rules. A migration linted on its own has its own.
 */
export class NewObjects {
  readonly tables = new Set<string>();
  readonly columns = new Set<string>();
  readonly types = new Set<string>();
  readonly schemas = new Set<string>();
  readonly indexes = new Set<string>();
  readonly constraints = new Set<string>();
}

/**
 * What one migration has done so far, statement by statement (squawk's and atlas's context), on
 * top of what the migrations before it built (`schema`): objects it or its deployment created are
 * exempt from "existing table" rules, and its statements run in one implicit transaction
 * (PostgreSQL runs a multi-statement query that way) until an explicit COMMIT.
 */
export class MigrationContext implements LintContext {
  private readonly renamedTypes = new Set<string>();
  /** `table.constraint` added NOT VALID in the current transaction. */
  private readonly notValid = new Set<string>();
  /** Tables strongly locked in the current transaction. */
  private readonly locked = new Set<string>();
  private readonly addedValues = new Map<string, string>();
  private readonly dropped = new Map<string, DroppedConstraint>();
  private readonly droppedTables = new Set<string>();
  private sessionTimeout = false;
  private sessionTimeoutAtBegin = false;
  private localTimeout: boolean | undefined;
  openBegin: StatementRef | undefined;

  constructor(
    readonly statementCount: number,
    readonly schema: SchemaModel,
    private readonly created: NewObjects = new NewObjects(),
    readonly database: DatabaseFacts | undefined = undefined,
  ) {}

  get lockTimeoutSet(): boolean {
    return this.localTimeout ?? this.sessionTimeout;
  }
  get enumValuesAddedInTransaction(): ReadonlyMap<string, string> {
    return this.addedValues;
  }
  /**
   * Not those of a table dropped afterwards (Prisma drops a table's foreign keys, then the table): drop-table tells.
   */
  get droppedConstraints(): readonly DroppedConstraint[] {
    return [...this.dropped.values()].filter((d) => !this.droppedTables.has(d.table));
  }

  isNewTable(table: string): boolean {
    return this.created.tables.has(table);
  }
  isNewColumn(table: string, column: string): boolean {
    return this.created.tables.has(table) || this.created.columns.has(`${table}.${column}`);
  }
  isNewType(name: string): boolean {
    return this.created.types.has(name);
  }
  isNewIndex(index: string): boolean {
    const on = this.schema.index(index)?.table;
    return this.created.indexes.has(index) || (on !== undefined && this.created.tables.has(on));
  }
  isNewConstraint(table: string, name: string): boolean {
    return this.created.tables.has(table) || this.created.constraints.has(`${table}.${name}`);
  }
  isRenamedType(name: string): boolean {
    return this.renamedTypes.has(name);
  }
  isNewSchema(name: string): boolean {
    return this.created.schemas.has(name);
  }
  addedNotValidInTransaction(table: string, constraint: string): boolean {
    return this.notValid.has(`${table}.${constraint}`);
  }
  lockedInTransaction(table: string): boolean {
    return this.locked.has(table);
  }

  /** Takes in what `stmt` did; called after the rules have seen it. */
  record(stmt: Statement): void {
    const node = stmt.node;
    const control = transactionKind(node);
    if (control === 'begin') {
      // Statements before a BEGIN join its block (PostgreSQL includes them retroactively).
      this.openBegin ??= { line: stmt.line, text: stmt.text };
      return;
    }
    if (control) return this.endTransaction(control === 'rollback');

    const timeout = lockTimeoutChange(node);
    if (timeout?.local) this.localTimeout = timeout.on;
    else if (timeout) {
      this.sessionTimeout = timeout.on;
      this.localTimeout = undefined;
    }
    for (const t of strongLockTargets(node)) this.locked.add(t);
    this.recordCreated(node);
    this.recordAlters(stmt);
    this.recordEnumValues(node);
    this.schema.apply(node);
  }

  private endTransaction(rollback: boolean): void {
    this.notValid.clear();
    this.locked.clear();
    this.addedValues.clear();
    this.localTimeout = undefined;
    if (rollback) this.sessionTimeout = this.sessionTimeoutAtBegin; // a rolled-back SET is undone too
    this.sessionTimeoutAtBegin = this.sessionTimeout;
    this.openBegin = undefined;
  }

  private recordCreated(node: Statement['node']): void {
    const create = get(node, 'CreateStmt');
    if (create) this.created.tables.add(tableKey(create.relation));
    const createAs = get(node, 'CreateTableAsStmt');
    if (createAs?.into?.rel) this.created.tables.add(tableKey(createAs.into.rel));
    const schema = get(node, 'CreateSchemaStmt');
    if (schema?.schemaname) this.created.schemas.add(schema.schemaname);
    const index = get(node, 'IndexStmt');
    if (index?.idxname) this.created.indexes.add(qualify(index.relation?.schemaname, index.idxname));
    for (const names of [
      get(node, 'CreateEnumStmt')?.typeName,
      get(node, 'CreateDomainStmt')?.domainname,
      get(node, 'CreateRangeStmt')?.typeName,
    ]) {
      if (names) this.created.types.add(nameOf(names).key);
    }
    const composite = get(node, 'CompositeTypeStmt');
    if (composite?.typevar) this.created.types.add(tableKey(composite.typevar));

    const rename = get(node, 'RenameStmt');
    if (rename?.renameType === 'OBJECT_TABLE' && rename.newname) {
      const from = tableKey(rename.relation);
      if (this.created.tables.has(from)) this.created.tables.add(qualify(rename.relation?.schemaname, rename.newname));
    }
    if (rename?.renameType === 'OBJECT_COLUMN' && rename.subname && rename.newname) {
      const table = tableKey(rename.relation);
      if (this.isNewColumn(table, rename.subname)) this.created.columns.add(`${table}.${rename.newname}`);
    }
    if (rename?.renameType === 'OBJECT_TYPE' && rename.newname) {
      const from = nameOf(get(rename.object, 'List')?.items);
      const to = qualify(schemaOf(from.key), rename.newname);
      if (this.created.types.has(from.key)) this.created.types.add(to);
      this.renamedTypes.add(from.key).add(to);
    }
  }

  /** A value added to an enum is not usable before its transaction commits, even when the type is as new. */
  private recordEnumValues(node: Statement['node']): void {
    const alter = get(node, 'AlterEnumStmt');
    if (alter?.newVal && alter.oldVal === undefined) this.addedValues.set(alter.newVal, nameOf(alter.typeName).name);
  }

  /** Columns and constraints added (new), constraints dropped and not added back, tables dropped. */
  private recordAlters(stmt: Statement): void {
    for (const { table, relation, cmd } of alterTableCommands(stmt.node)) {
      const col = addedColumn(cmd);
      if (col?.colname) this.created.columns.add(`${table}.${col.colname}`);
      if (cmd.subtype === 'AT_DropConstraint' && cmd.name && !this.isNewConstraint(table, cmd.name)) {
        this.dropped.set(`${table}.${cmd.name}`, {
          table,
          tableName: tableName(relation),
          name: cmd.name,
          facts: this.schema.constraint(table, cmd.name),
          at: { line: stmt.line, text: stmt.text },
        });
      }
      const con = addedConstraint(cmd);
      if (!con?.conname) continue;
      if (con.skip_validation) this.notValid.add(`${table}.${con.conname}`);
      this.created.constraints.add(`${table}.${con.conname}`);
      if (con.indexname) this.created.indexes.add(qualify(schemaOf(table), con.conname));
      this.dropped.delete(`${table}.${con.conname}`); // dropped and added back: replaced, never missing
    }
    if (get(stmt.node, 'DropStmt')?.removeType === 'OBJECT_TABLE')
      for (const { key } of dropTargets(stmt.node)) this.droppedTables.add(key);
  }
}
