import type { Node, RangeVar } from 'libpg-query';
import { alterTableCommands, calledFunctions, get, kindOf } from './ast.js';
import { parseMigration } from './parse.js';

/**
 * Which existing rows a set of migrations can depend on: the rehearsal copies the whole schema but
 * only those tables' rows. Everything a statement's outcome can depend on must be named in it
 * (its RangeVars); anything that can reach further (a user function, a trigger, a DO block, a
 * domain's check over every table using it) makes the migration `opaque`: the rehearsal then copies
 * every row. The catalog part (views, triggers, foreign keys, partitions, which functions are
 * built in) is the activity's: src/postgres/rehearsalScope.ts.
 */
export interface DataNeeds {
  /** Every relation named anywhere, as written (schema absent when unqualified). */
  named: RelationRef[];
  /**
   * Relations whose rows are written or rewritten in a way foreign keys and triggers see: DML targets, type changes.
   */
  modified: RelationRef[];
  /** Functions called anywhere, as written, lower-case (`now`, `app.fn`). */
  functions: string[];
  /** Tables the migrations create: not in production, so nothing of theirs to copy. */
  created: RelationRef[];
  /** Why the whole database's rows are needed: set when the statements reach beyond what they name. */
  opaque?: string;
}

export interface RelationRef {
  schema?: string;
  name: string;
}

/**
 * Statements whose outcome depends only on the rows of the relations they name (and, for the
 * `modified` ones, on those tables' foreign-key neighbours and triggers, which the catalog checks).
 */
const NAMED_ONLY = new Set<string>([
  'AlterTableStmt',
  'IndexStmt',
  'CreateStmt',
  'CreateTableAsStmt',
  'RenameStmt',
  'DropStmt',
  'CommentStmt',
  'GrantStmt',
  'GrantRoleStmt',
  'AlterOwnerStmt',
  'AlterObjectSchemaStmt',
  'CreateEnumStmt',
  'AlterEnumStmt',
  'CompositeTypeStmt',
  'DefineStmt',
  'CreateSeqStmt',
  'AlterSeqStmt',
  'CreateSchemaStmt',
  'CreateExtensionStmt',
  'ViewStmt',
  'CreateTrigStmt',
  'CreateFunctionStmt',
  'ReindexStmt',
  'ClusterStmt',
  'VacuumStmt',
  'TransactionStmt',
  'VariableSetStmt',
  'LockStmt',
  'SelectStmt',
  'InsertStmt',
  'UpdateStmt',
  'DeleteStmt',
  'MergeStmt',
  'TruncateStmt',
  'CreatePolicyStmt',
  'AlterPolicyStmt',
]);

const relationOf = (rel: RangeVar | undefined): RelationRef | undefined =>
  rel?.relname ? { ...(rel.schemaname ? { schema: rel.schemaname } : {}), name: rel.relname } : undefined;

/** The relations whose rows a statement writes (or rewrites with a new type): foreign keys and triggers see them. */
function modifiedBy(node: Node): RelationRef[] {
  const target =
    get(node, 'InsertStmt')?.relation ??
    get(node, 'UpdateStmt')?.relation ??
    get(node, 'DeleteStmt')?.relation ??
    get(node, 'MergeStmt')?.relation;
  if (target) return [relationOf(target)].filter((r) => r !== undefined);
  const truncate = get(node, 'TruncateStmt');
  if (truncate) return (truncate.relations ?? []).map((n) => relationOf(get(n, 'RangeVar'))).filter((r) => !!r);
  const retyped = alterTableCommands(node).filter(({ cmd }) => cmd.subtype === 'AT_AlterColumnType');
  const alter = get(node, 'AlterTableStmt');
  return retyped.length > 0 && alter ? [relationOf(alter.relation)].filter((r) => r !== undefined) : [];
}

/** What a statement reaches beyond the relations it names, or undefined. */
function reachesBeyond(node: Node): string | undefined {
  const kind = kindOf(node);
  if (!NAMED_ONLY.has(kind)) return `a ${kind.replace(/Stmt$/, '')} statement`;
  const alter = get(node, 'AlterTableStmt');
  // ALTER TYPE … (composite) and ALTER DOMAIN reach every table using the type.
  if (
    alter &&
    alter.objtype !== 'OBJECT_TABLE' &&
    alter.objtype !== 'OBJECT_INDEX' &&
    alter.objtype !== 'OBJECT_SEQUENCE'
  ) {
    return `ALTER ${String(alter.objtype).replace('OBJECT_', '')} (every table using it)`;
  }
  return undefined;
}

/**
 * Every relation a statement names. Not through `walk`: a field typed RangeVar (`relation`,
 * `pktable`, `into.rel`) holds the body unwrapped, so a RangeVar is known by its `relname`.
 */
function relationsIn(node: unknown, out: RelationRef[] = []): RelationRef[] {
  if (Array.isArray(node)) for (const n of node) relationsIn(n, out);
  else if (node !== null && typeof node === 'object') {
    const ref = typeof (node as RangeVar).relname === 'string' ? relationOf(node as RangeVar) : undefined;
    if (ref) out.push(ref);
    for (const v of Object.values(node)) relationsIn(v, out);
  }
  return out;
}

/** What the given migrations' statements need, read from their text; a migration that does not parse is opaque. */
export function dataNeedsOf(migrations: readonly { name: string; sql: string }[]): DataNeeds {
  const named: RelationRef[] = [];
  const modified: RelationRef[] = [];
  const created: RelationRef[] = [];
  const functions = new Set<string>();
  let trigger: string | undefined;
  const needs = (opaque?: string): DataNeeds => ({
    named,
    modified,
    functions: [...functions],
    created,
    ...(opaque ? { opaque } : {}),
  });
  for (const m of migrations) {
    const parsed = parseMigration(m.sql);
    if (!parsed.ok) return needs(`${m.name} does not parse`);
    for (const { node, line } of parsed.statements) {
      const beyond = reachesBeyond(node);
      if (beyond) return needs(`${m.name} line ${line}: ${beyond}`);
      named.push(...relationsIn(node));
      const table = relationOf(get(node, 'CreateStmt')?.relation ?? get(node, 'CreateTableAsStmt')?.into?.rel);
      if (table) created.push(table);
      // A trigger the migrations create fires on their later writes, and the catalog does not know it yet.
      if (get(node, 'CreateTrigStmt')) trigger ??= `${m.name} line ${line}: a trigger created, then rows written`;
      modified.push(...modifiedBy(node));
      for (const f of calledFunctions(node)) functions.add(f);
    }
  }
  return needs(trigger && modified.length > 0 ? trigger : undefined);
}
