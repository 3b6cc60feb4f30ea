import { alterTableCommands } from '../ast.js';
import type { Rule } from '../types.js';

export const validateInSameTransaction: Rule = {
  id: 'validate-in-same-transaction',
  severity: 'risky',
  kinds: ['AlterTableStmt'],
  summary:
    'VALIDATE CONSTRAINT in the same migration as ADD CONSTRAINT … NOT VALID (or another strong lock on the ' +
    'table) holds that lock through the whole validation',
  safer:
    'Validate in a later migration: on its own, VALIDATE CONSTRAINT takes only a SHARE UPDATE EXCLUSIVE ' +
    'lock and reads and writes go on while it scans.',
  check: (stmt, ctx) =>
    alterTableCommands(stmt.node)
      .filter(
        ({ table, cmd }) =>
          cmd.subtype === 'AT_ValidateConstraint' && !ctx.isNewTable(table) && ctx.lockedInTransaction(table),
      )
      .map(({ table, name, cmd }) => ({
        cost: { table, name, work: 'scan' as const, onlyLockTime: true },
        message: ctx.addedNotValidInTransaction(table, cmd.name ?? '')
          ? `validates ${cmd.name ?? ''} in the same transaction that added it NOT VALID: the strong lock ADD ` +
            `CONSTRAINT took on ${name} is held through the whole validation, so NOT VALID gains nothing`
          : `validates ${cmd.name ?? ''} after an earlier statement of the same transaction took a strong ` +
            `lock on ${name}: that lock is held through the whole validation`,
      })),
};
