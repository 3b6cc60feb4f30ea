import type { Node } from 'libpg-query';
import type { NodeKind } from './ast.js';
import type { DatabaseFacts } from './databaseFacts.js';
import type { ConstraintFacts, SchemaModel } from './schema.js';

/** How much a change can hurt: feeds the risk gate. */
export type Risk = 'additive' | 'risky' | 'destructive';
/**
 * A finding's weight: a risk, a `notice` (advice that raises nothing) or an `error`: the migration
 * does not parse, or cannot run as Prisma runs it (it fails, or commits only part of itself).
 */
export type FindingSeverity = Risk | 'notice' | 'error';
/** A migration's weight: its worst finding's risk, or `invalid` when a finding is an `error`. */
export type MigrationSeverity = Risk | 'invalid';

export interface Finding {
  /**
   * A rule id (= its file under src/lint/rules), or `parse-error`,
   * `missing-migration-sql`, `migration-too-large`, `findings-truncated`.
   */
  rule: string;
  severity: FindingSeverity;
  /** The migration file, e.g. `prisma/migrations/20260101000000_init/migration.sql`. */
  file: string;
  /** 1-based line of the statement's first token (of the error for a parse error). */
  line: number;
  /** The statement's SQL, trimmed and bounded. */
  statement: string;
  /** Why it is flagged. */
  message: string;
  /** The safer way to do it. */
  safer: string;
  /** The existing table (`schema.table`) whose rows the statement removes: dropped, emptied or deleted from. */
  removesRowsOf?: string;
}

export interface MigrationLint {
  name: string;
  severity: MigrationSeverity;
  findings: Finding[];
}

export interface LintReport {
  migrations: MigrationLint[];
  /** Whether the live database's facts were used: its server version, or why they could not be read. */
  database?: { serverVersion: string; tables: number } | { error: string };
}

/** One parsed top-level statement of a migration. */
export interface Statement {
  /** The parse tree, e.g. `{ AlterTableStmt: {...} }`. */
  node: Node;
  /** 0-based position in the migration. */
  index: number;
  line: number;
  text: string;
}

/** What a rule reports; the linter adds rule, severity, file, line and statement. */
export interface Violation {
  message: string;
  /** The existing table (`schema.table`) whose rows the statement removes. */
  removesRowsOf?: string;
  /** Overrides the rule's general advice when the fix depends on the statement. */
  safer?: string;
  /** The existing table whose size the finding's cost depends on: the live database's facts say how big it is. */
  cost?: TableCost;
}

/**
 * What a finding costs on an existing table, for the live database's facts (databaseFacts.ts):
 * a rewrite, a scan or an index build takes time in proportion to its size, under a lock; `rows`
 * only tells how many rows are at stake.
 */
export interface TableCost {
  /** Key of the table (`schema.name`). */
  table: string;
  /** The table as written. */
  name: string;
  work: 'rewrite' | 'scan' | 'index' | 'rows';
  /**
   * The finding is only about that time under a lock: on a table at or under the size threshold it
   * becomes a notice. False when it is also about data or the previous release (a type change).
   */
  onlyLockTime: boolean;
}

/** An earlier statement a finding given at the end of the migration points at. */
export interface StatementRef {
  line: number;
  text: string;
}

/** A constraint the migration dropped and did not add back under the same name. */
export interface DroppedConstraint {
  /** Key of its table. */
  table: string;
  /** The table as written. */
  tableName: string;
  name: string;
  /** What the migrations so far said about it, when they made it. */
  facts: ConstraintFacts | undefined;
  at: StatementRef;
}

/**
 * What the statements before this one did: in this migration, and (`schema`) in the migrations
 * before it. Table keys are `schema.name` (`public` when unqualified), as `tableKey()` in ast.ts
 * builds them.
 */
export interface LintContext {
  /** Top-level statements in the migration (all of them, not only those seen so far). */
  readonly statementCount: number;
  /** What the migrations so far built: column types, NOT NULL, constraints and whether they are validated, indexes. */
  readonly schema: Pick<SchemaModel, 'column' | 'constraint' | 'index' | 'hasValidNotNullCheck'>;
  /**
   * Created earlier in this migration, or in an earlier migration of the same deployment (or
   * renamed from such a table): empty, unknown to the previous release.
   */
  isNewTable(table: string): boolean;
  isNewColumn(table: string, column: string): boolean;
  isNewType(name: string): boolean;
  /** An index (key `schema.name`) created as `isNewTable` says, or on such a table. */
  isNewIndex(index: string): boolean;
  /** A constraint added as `isNewTable` says, or on such a table. */
  isNewConstraint(table: string, name: string): boolean;
  /** Renamed away earlier in this migration (`ALTER TYPE t RENAME TO t_old`): `t_old` or the old name `t`. */
  isRenamedType(name: string): boolean;
  isNewSchema(name: string): boolean;
  /** Added `NOT VALID` earlier in the same transaction. */
  addedNotValidInTransaction(table: string, constraint: string): boolean;
  /** An earlier statement of the same transaction took a strong lock on the table, still held. */
  lockedInTransaction(table: string): boolean;
  /**
   * `SET lock_timeout` (non-zero) ran earlier in this migration
   * and still holds (a `SET LOCAL` ends with its transaction).
   */
  readonly lockTimeoutSet: boolean;
  /** The explicit `BEGIN` whose transaction block is still open, if any. */
  readonly openBegin: StatementRef | undefined;
  /** Values added with `ALTER TYPE … ADD VALUE` earlier in the current transaction: label → type. */
  readonly enumValuesAddedInTransaction: ReadonlyMap<string, string>;
  /**
   * Constraints of existing tables this migration dropped and did not add back (complete once the migration is seen).
   */
  readonly droppedConstraints: readonly DroppedConstraint[];
  /** What the live database's catalog said, when the lint was given one (`--database-url-env`, a deployment). */
  readonly database: DatabaseFacts | undefined;
}

export interface Rule {
  /** kebab-case; equals the rule's file name, doc page and test file. */
  id: string;
  /** `error` for what fails or half-commits when Prisma runs the migration (it makes the migration `invalid`). */
  severity: FindingSeverity;
  /** One line: what the rule flags (README table, CLI help). */
  summary: string;
  /** The general safer way; a violation may give a more specific one. */
  safer: string;
  /** Report at most once per migration (advice about the migration as a whole). */
  oncePerMigration?: boolean;
  /**
   * The statement kinds `check` looks at (`AlterTableStmt`, …),
   * so it is not called for others; absent: every statement.
   */
  kinds?: readonly NodeKind[];
  check(stmt: Statement, ctx: LintContext): Violation[];
  /** Findings only the whole migration shows (a BEGIN never committed), each at the earlier statement `at`. */
  end?(ctx: LintContext): (Violation & { at: StatementRef })[];
}
