import type { AlterTableCmd, ColumnDef, Constraint, Node, RangeVar, TypeName } from 'libpg-query';

// The only place that knows the shape of libpg-query's tree. Rules ask questions through these.

type KeysOfUnion<T> = T extends unknown ? keyof T : never;
/** A node's kind, e.g. `AlterTableStmt`. */
export type NodeKind = KeysOfUnion<Node>;
export type NodeBody<K extends NodeKind> = Extract<Node, { [P in K]: unknown }>[K];

/** The body of `node` when it is of `kind`: `get(n, 'DropStmt')?.removeType`. */
export function get<K extends NodeKind>(node: Node | undefined, kind: K): NodeBody<K> | undefined {
  return node !== undefined && kind in node ? (node as unknown as Record<K, NodeBody<K>>)[kind] : undefined;
}

export function kindOf(node: Node): NodeKind {
  for (const k in node) return k as NodeKind;
  throw new Error('empty parse node');
}

/** `schema.name`, `public` when unqualified: the key of tables, types and indexes in a LintContext. */
export function qualify(schema: string | undefined, name: string): string {
  return `${schema ?? 'public'}.${name}`;
}

/** The schema of a key: `app` of `app.users`. */
export function schemaOf(key: string): string {
  return key.slice(0, key.indexOf('.'));
}

export function tableKey(rel: RangeVar | undefined): string {
  return qualify(rel?.schemaname, rel?.relname ?? '');
}

/** As written: `users` or `app.users`. */
export function tableName(rel: RangeVar | undefined): string {
  return rel?.schemaname ? `${rel.schemaname}.${rel.relname ?? ''}` : (rel?.relname ?? '');
}

export function stringValue(node: Node | undefined): string | undefined {
  return get(node, 'String')?.sval;
}

/** A qualified name given as String nodes (`["app","role"]`) → `app.role`, plus the key form. */
export function nameOf(parts: readonly Node[] | undefined): { name: string; key: string } {
  const names = (parts ?? []).map((p) => stringValue(p) ?? '');
  const last = names[names.length - 1] ?? '';
  const schema = names.length > 1 ? names[names.length - 2] : undefined;
  return { name: names.join('.'), key: qualify(schema, last) };
}

/** The objects a DROP names: tables and indexes as lists, types as TypeName, schemas as String. */
export function dropTargets(node: Node): { name: string; key: string }[] {
  const drop = get(node, 'DropStmt');
  if (!drop) return [];
  return (drop.objects ?? []).map((o) => {
    const list = get(o, 'List');
    if (list) return nameOf(list.items);
    const type = get(o, 'TypeName');
    if (type) return nameOf(type.names);
    const s = stringValue(o) ?? '';
    return { name: s, key: s };
  });
}

export interface TableCommand {
  table: string;
  name: string;
  relation: RangeVar | undefined;
  cmd: AlterTableCmd;
}

/** The sub-commands of an `ALTER TABLE` (not ALTER INDEX/VIEW/SEQUENCE), each with its table. */
export function alterTableCommands(node: Node): TableCommand[] {
  const alter = get(node, 'AlterTableStmt');
  if (!alter || (alter.objtype !== undefined && alter.objtype !== 'OBJECT_TABLE')) return [];
  const table = tableKey(alter.relation);
  const name = tableName(alter.relation);
  const out: TableCommand[] = [];
  for (const c of alter.cmds ?? []) {
    const cmd = get(c, 'AlterTableCmd');
    if (cmd) out.push({ table, name, relation: alter.relation, cmd });
  }
  return out;
}

/** `ADD COLUMN`'s definition. */
export function addedColumn(cmd: AlterTableCmd): ColumnDef | undefined {
  return cmd.subtype === 'AT_AddColumn' ? get(cmd.def, 'ColumnDef') : undefined;
}

/** `ADD CONSTRAINT`'s definition. */
export function addedConstraint(cmd: AlterTableCmd): Constraint | undefined {
  return cmd.subtype === 'AT_AddConstraint' ? get(cmd.def, 'Constraint') : undefined;
}

export function columnConstraints(col: ColumnDef): Constraint[] {
  const out: Constraint[] = [];
  for (const c of col.constraints ?? []) {
    const con = get(c, 'Constraint');
    if (con) out.push(con);
  }
  return out;
}

/** The serial types: an integer type with a sequence (nextval) default, and NOT NULL. */
export const SERIAL_TYPES: ReadonlyMap<string, string> = new Map([
  ['serial', 'int4'],
  ['serial4', 'int4'],
  ['serial2', 'int2'],
  ['smallserial', 'int2'],
  ['serial8', 'int8'],
  ['bigserial', 'int8'],
]);

/** The column's type name as written, lower-case and unqualified: `bigserial`, `int4`, `text`. */
export function columnType(col: ColumnDef): string {
  const names = col.typeName?.names ?? [];
  return (stringValue(names[names.length - 1]) ?? '').toLowerCase();
}

/** Visits every node under `node` (depth-first, the node itself first). */
export function walk(node: unknown, visit: (kind: string, body: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, visit);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [k, v] of Object.entries(node)) {
    // A parse node is a one-key object whose key starts upper-case; anything else is a field.
    if (k.charCodeAt(0) >= 65 && k.charCodeAt(0) <= 90 && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      visit(k, v as Record<string, unknown>);
    }
    walk(v, visit);
  }
}

/** The functions called anywhere in `node`, as written: `now`, `pg_catalog.now`, `public.myfn` (lower-case). */
export function calledFunctions(node: Node | undefined): string[] {
  const out: string[] = [];
  walk(node, (kind, body) => {
    if (kind !== 'FuncCall') return;
    const names = ((body.funcname as Node[] | undefined) ?? []).map((n) => stringValue(n) ?? '');
    if (names.length > 0) out.push(names.join('.').toLowerCase());
  });
  return out;
}

/** Sub-commands that take only SHARE UPDATE EXCLUSIVE: reads and writes go on. */
const WEAK_ALTER_TABLE = new Set<string>([
  'AT_ValidateConstraint',
  'AT_SetStatistics',
  'AT_SetOptions',
  'AT_ResetOptions',
  'AT_ClusterOn',
  'AT_DropCluster',
  'AT_SetRelOptions',
  'AT_ResetRelOptions',
  'AT_DetachPartitionFinalize',
]);

/**
 * Tables (keys) on which the statement takes a lock that blocks writes or reads (SHARE, SHARE ROW
 * EXCLUSIVE, ACCESS EXCLUSIVE), held until the transaction ends. Empty for everything else.
 */
export function strongLockTargets(node: Node): string[] {
  const cmds = alterTableCommands(node);
  if (cmds.length > 0) {
    const out = new Set<string>();
    for (const { table, cmd } of cmds) {
      if (WEAK_ALTER_TABLE.has(cmd.subtype ?? '')) continue;
      if (cmd.subtype === 'AT_DetachPartition' && get(cmd.def, 'PartitionCmd')?.concurrent) continue;
      out.add(table);
      const fk = addedConstraint(cmd);
      // SHARE ROW EXCLUSIVE on the referenced table
      if (fk?.contype === 'CONSTR_FOREIGN') out.add(tableKey(fk.pktable));
    }
    return [...out];
  }
  const rename = get(node, 'RenameStmt');
  if (
    rename?.relation &&
    ['OBJECT_TABLE', 'OBJECT_COLUMN', 'OBJECT_TABCONSTRAINT', 'OBJECT_TRIGGER'].includes(rename.renameType ?? '')
  ) {
    return [tableKey(rename.relation)];
  }
  const index = get(node, 'IndexStmt');
  if (index) return index.concurrent ? [] : [tableKey(index.relation)];
  const drop = get(node, 'DropStmt');
  if (drop) {
    if (drop.removeType === 'OBJECT_TABLE' || (drop.removeType === 'OBJECT_INDEX' && !drop.concurrent)) {
      return dropTargets(node).map((t) => t.key);
    }
    return [];
  }
  const relations = (list: Node[] | undefined) => (list ?? []).map((n) => tableKey(get(n, 'RangeVar')));
  const truncate = get(node, 'TruncateStmt');
  if (truncate) return relations(truncate.relations);
  const lock = get(node, 'LockStmt');
  if (lock) return relations(lock.relations);
  const trigger = get(node, 'CreateTrigStmt');
  if (trigger) return [tableKey(trigger.relation)];
  const refresh = get(node, 'RefreshMatViewStmt');
  if (refresh) return refresh.concurrent ? [] : [tableKey(refresh.relation)];
  const reindex = get(node, 'ReindexStmt');
  if (reindex?.relation && !isConcurrentOption(reindex.params)) return [tableKey(reindex.relation)];
  return [];
}

/** `(CONCURRENTLY)` among REINDEX's options, not `(CONCURRENTLY false)` (or off, 0). */
export function isConcurrentOption(params: Node[] | undefined): boolean {
  return (params ?? []).some((p) => {
    const opt = get(p, 'DefElem');
    return opt?.defname === 'concurrently' && optionIsOn(opt.arg);
  });
}

/** A Boolean option as PostgreSQL's defGetBoolean reads it: no value, true, on or 1 (false, off and 0 turn it off). */
function optionIsOn(arg: Node | undefined): boolean {
  if (arg === undefined) return true;
  const i = get(arg, 'Integer');
  if (i) return (i.ival ?? 0) !== 0;
  const v = (stringValue(arg) ?? '').toLowerCase();
  return v !== 'false' && v !== 'off';
}

/** A change of `lock_timeout`: on (non-zero) or off, for the session or (`SET LOCAL`) the current transaction. */
export interface LockTimeoutChange {
  on: boolean;
  local: boolean;
}

/**
 * What a statement does to `lock_timeout`, or `undefined` when it is about something else. Knows
 * `SET [LOCAL]`, `RESET` and `SELECT set_config('lock_timeout', …, is_local)`.
 */
export function lockTimeoutChange(node: Node): LockTimeoutChange | undefined {
  const set = get(node, 'VariableSetStmt');
  if (set) {
    if (set.name !== 'lock_timeout' && set.kind !== 'VAR_RESET_ALL') return undefined;
    const local = set.is_local === true;
    if (set.kind !== 'VAR_SET_VALUE') return { on: false, local };
    return { on: !isZero(set.args?.[0]), local };
  }
  const select = get(node, 'SelectStmt');
  for (const t of select?.targetList ?? []) {
    const call = get(get(t, 'ResTarget')?.val, 'FuncCall');
    const fn = call?.funcname ? stringValue(call.funcname[call.funcname.length - 1]) : undefined;
    if (fn !== 'set_config' || constText(call?.args?.[0]) !== 'lock_timeout') continue;
    const local = get(call?.args?.[2], 'A_Const')?.boolval?.boolval === true;
    return { on: !isZero(call?.args?.[1]), local };
  }
  return undefined;
}

function constText(node: Node | undefined): string | undefined {
  const c = get(node, 'A_Const');
  if (!c) return undefined;
  if (c.sval) return c.sval.sval ?? '';
  if (c.ival) return String(c.ival.ival ?? 0);
  return undefined;
}

function isZero(node: Node | undefined): boolean {
  const v = constText(node)?.trim();
  return v === undefined || /^0+(\s*(ms|s|min|h|d))?$/i.test(v);
}

/**
 * What a transaction-control statement does: `begin`, `commit`, `rollback`,
 * or `two-phase` (PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED).
 */
export type TransactionKind = 'begin' | 'commit' | 'rollback' | 'two-phase';

export function transactionKind(node: Node): TransactionKind | undefined {
  switch (get(node, 'TransactionStmt')?.kind) {
    case 'TRANS_STMT_BEGIN':
    case 'TRANS_STMT_START':
      return 'begin';
    case 'TRANS_STMT_COMMIT':
      return 'commit';
    case 'TRANS_STMT_ROLLBACK':
      return 'rollback';
    case 'TRANS_STMT_PREPARE':
    case 'TRANS_STMT_COMMIT_PREPARED':
    case 'TRANS_STMT_ROLLBACK_PREPARED':
      return 'two-phase';
    default:
      return undefined;
  }
}

/** A column type as written: `varchar` with modifiers `[255]`, `numeric` `[12, 2]`, `text` `[]`. */
export interface TypeRef {
  /** Lower-case, unqualified, as the parser names it (`int4`, `varchar`, `timestamp`, `text`). */
  name: string;
  /** `pg_catalog` for the SQL-standard spellings (`VARCHAR`, `TIMESTAMP`), else as written. */
  schema?: string;
  /** Integer modifiers; `undefined` when one is not a plain integer. */
  mods: number[] | undefined;
  array: boolean;
}

export function typeRef(typeName: TypeName | undefined): TypeRef {
  const names = (typeName?.names ?? []).map((n) => stringValue(n) ?? '');
  const mods: number[] = [];
  let plain = true;
  for (const m of typeName?.typmods ?? []) {
    const ival = get(m, 'A_Const')?.ival;
    if (ival) mods.push(ival.ival ?? 0);
    else plain = false;
  }
  return {
    name: (names[names.length - 1] ?? '').toLowerCase(),
    ...(names.length > 1 ? { schema: names[names.length - 2] } : {}),
    mods: plain ? mods : undefined,
    array: (typeName?.arrayBounds?.length ?? 0) > 0,
  };
}

/** `varchar(255)`, `numeric(12,2)[]`: for messages. */
export function typeText(t: TypeRef): string {
  return `${t.name}${t.mods?.length ? `(${t.mods.join(',')})` : ''}${t.array ? '[]' : ''}`;
}

/** The string constants anywhere under `node` (`'GUEST'` in `SET DEFAULT 'GUEST'`, a WHERE, a VALUES list). */
export function stringConstants(node: Node | undefined): string[] {
  const out: string[] = [];
  walk(node, (kind, body) => {
    if (kind !== 'A_Const') return;
    const sval = (body.sval as { sval?: string } | undefined)?.sval;
    if (sval !== undefined) out.push(sval);
  });
  return out;
}
