import { dropSchema } from '../../../src/lint/rules/drop-schema.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(dropSchema, {
  flagged: [
    { sql: 'DROP SCHEMA legacy;', message: /drops schema legacy/ },
    { sql: 'DROP SCHEMA IF EXISTS legacy CASCADE;', message: /CASCADE: every table/ },
    { sql: 'DROP SCHEMA a, b;', count: 2 },
  ],
  passes: [
    'CREATE SCHEMA scratch;\nDROP SCHEMA scratch;',
    'DROP TABLE legacy.t;',
    'CREATE SCHEMA IF NOT EXISTS reporting;',
  ],
});
