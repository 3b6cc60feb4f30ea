import { addedColumn, addedConstraint, alterTableCommands, columnConstraints, tableName } from '../ast.js';
import type { Constraint } from 'libpg-query';
import type { Rule, Violation } from '../types.js';

const named = (c: Constraint) => (c.conname ? ` ${c.conname}` : '');

export const constraintWithoutNotValid: Rule = {
  id: 'constraint-without-not-valid',
  severity: 'risky',
  kinds: ['AlterTableStmt'],
  summary:
    'A FOREIGN KEY or CHECK added to an existing table without NOT VALID checks every row under a strong ' +
    'lock and fails on violating rows',
  safer:
    'Add it with NOT VALID (only new and updated rows are checked; the lock is brief), then `ALTER TABLE … ' +
    'VALIDATE CONSTRAINT …` in a later migration: validating lets reads and writes go on.',
  check: (stmt, ctx) => {
    const out: Violation[] = [];
    for (const { table, name, cmd } of alterTableCommands(stmt.node)) {
      if (ctx.isNewTable(table)) continue;
      const con = addedConstraint(cmd);
      if (con && !con.skip_validation && con.contype === 'CONSTR_FOREIGN') {
        out.push({
          message:
            `adds foreign key${named(con)} on ${name} without NOT VALID: every existing row is checked while ` +
            `writes to ${name} and ${tableName(con.pktable)} wait, and it fails if one has no match`,
          cost: { table, name, work: 'scan', onlyLockTime: true },
        });
      }
      if (con && !con.skip_validation && con.contype === 'CONSTR_CHECK') {
        out.push({
          message:
            `adds check${named(con)} on ${name} without NOT VALID: every existing row is checked while reads ` +
            `and writes wait, and it fails if one violates it`,
          cost: { table, name, work: 'scan', onlyLockTime: true },
        });
      }
      const col = addedColumn(cmd);
      const inline = col
        ? columnConstraints(col).find((c) => c.contype === 'CONSTR_FOREIGN' || c.contype === 'CONSTR_CHECK')
        : undefined;
      if (col && inline) {
        const what = inline.contype === 'CONSTR_FOREIGN' ? `a foreign key to ${tableName(inline.pktable)}` : 'a check';
        out.push({
          message:
            `adds column ${name}.${col.colname ?? ''} with ${what}, validated against every existing row ` +
            `under a strong lock`,
          safer:
            'Add the column without the constraint, then ADD CONSTRAINT … NOT VALID, and VALIDATE ' +
            'CONSTRAINT in a later migration.',
          cost: { table, name, work: 'scan', onlyLockTime: true },
        });
      }
    }
    return out;
  },
};
