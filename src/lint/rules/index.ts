import type { Rule } from '../types.js';
import { addColumnNotNullWithoutDefault } from './add-column-not-null-without-default.js';
import { addColumnVolatileDefault } from './add-column-volatile-default.js';
import { addJsonColumn } from './add-json-column.js';
import { cannotRunInTransaction } from './cannot-run-in-transaction.js';
import { changeColumnType } from './change-column-type.js';
import { concurrentlyInTransaction } from './concurrently-in-transaction.js';
import { constraintWithoutNotValid } from './constraint-without-not-valid.js';
import { createIndexWithoutConcurrently } from './create-index-without-concurrently.js';
import { deleteRows } from './delete-rows.js';
import { detachPartitionWithoutConcurrently } from './detach-partition-without-concurrently.js';
import { dropColumn } from './drop-column.js';
import { dropConstraint } from './drop-constraint.js';
import { dropDatabase } from './drop-database.js';
import { dropDefault } from './drop-default.js';
import { dropIndexWithoutConcurrently } from './drop-index-without-concurrently.js';
import { dropNotNull } from './drop-not-null.js';
import { dropSchema } from './drop-schema.js';
import { dropTable } from './drop-table.js';
import { dropType } from './drop-type.js';
import { enumValueRemoval } from './enum-value-removal.js';
import { enumValueUsedInTransaction } from './enum-value-used-in-transaction.js';
import { missingLockTimeout } from './missing-lock-timeout.js';
import { reindexWithoutConcurrently } from './reindex-without-concurrently.js';
import { renameColumn } from './rename-column.js';
import { renameEnumValue } from './rename-enum-value.js';
import { renameSchema } from './rename-schema.js';
import { renameTable } from './rename-table.js';
import { setNotNull } from './set-not-null.js';
import { setSchema } from './set-schema.js';
import { transactionControl } from './transaction-control.js';
import { truncateTable } from './truncate-table.js';
import { uniqueOnExistingTable } from './unique-on-existing-table.js';
import { updateExistingValues } from './update-existing-values.js';
import { updateWholeTable } from './update-whole-table.js';
import { validateInSameTransaction } from './validate-in-same-transaction.js';

/** Every rule, explicitly; findings on one statement come in this order. A new rule goes here. */
export const rules: readonly Rule[] = [
  // destructive: can lose data
  dropDatabase,
  dropTable,
  dropColumn,
  dropSchema,
  dropType,
  truncateTable,
  deleteRows,
  // risky: long or strong locks, table rewrites, failures on existing data, the previous release broken
  updateWholeTable,
  updateExistingValues,
  changeColumnType,
  renameColumn,
  renameTable,
  renameSchema,
  renameEnumValue,
  setSchema,
  addColumnNotNullWithoutDefault,
  addColumnVolatileDefault,
  addJsonColumn,
  setNotNull,
  dropNotNull,
  dropDefault,
  dropConstraint,
  createIndexWithoutConcurrently,
  dropIndexWithoutConcurrently,
  reindexWithoutConcurrently,
  detachPartitionWithoutConcurrently,
  uniqueOnExistingTable,
  constraintWithoutNotValid,
  enumValueRemoval,
  validateInSameTransaction,
  // error: fails, or commits only part of itself, as Prisma runs it (one implicit transaction)
  transactionControl,
  concurrentlyInTransaction,
  cannotRunInTransaction,
  enumValueUsedInTransaction,
  // notice: advice that raises nothing
  missingLockTimeout,
];
