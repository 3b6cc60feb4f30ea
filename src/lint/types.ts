import type { Node } from 'libpg-query';

/** How much a change can hurt: feeds the risk gate. */
export type Risk = 'additive' | 'risky' | 'destructive';
/** A finding's weight: a risk, a `notice` (advice that raises nothing) or a parse `error`. */
export type FindingSeverity = Risk | 'notice' | 'error';
/** A migration's weight: its worst finding's risk, or `invalid` when it does not parse. */
export type MigrationSeverity = Risk | 'invalid';

export interface Finding {
  /** A rule id (= its file under src/lint/rules), or `parse-error` / `missing-migration-sql`. */
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
}

/**
 * What the statements before this one did, in this migration. Table keys are `schema.name`
 * (`public` when unqualified), as `tableKey()` in ast.ts builds them.
 */
export interface LintContext {
  /** Top-level statements in the migration (all of them, not only those seen so far). */
  readonly statementCount: number;
  /** Created earlier in this migration (or renamed from such a table): empty, unknown to the previous release. */
  isNewTable(table: string): boolean;
  isNewColumn(table: string, column: string): boolean;
  isNewType(name: string): boolean;
  /** Renamed away earlier in this migration (`ALTER TYPE t RENAME TO t_old`): `t_old` or the old name `t`. */
  isRenamedType(name: string): boolean;
  isNewSchema(name: string): boolean;
  /** Added `NOT VALID` earlier in the same transaction. */
  addedNotValidInTransaction(table: string, constraint: string): boolean;
  /** An earlier statement of the same transaction took a strong lock on the table, still held. */
  lockedInTransaction(table: string): boolean;
  /** `SET lock_timeout` (non-zero) ran earlier in this migration. */
  readonly lockTimeoutSet: boolean;
}

export interface Rule {
  /** kebab-case; equals the rule's file name, doc page and test file. */
  id: string;
  severity: Exclude<FindingSeverity, 'error'>;
  /** One line: what the rule flags (README table, CLI help). */
  summary: string;
  /** The general safer way; a violation may give a more specific one. */
  safer: string;
  /** Report at most once per migration (advice about the migration as a whole). */
  oncePerMigration?: boolean;
  check(stmt: Statement, ctx: LintContext): Violation[];
}
