import { dropDatabase } from '../../../src/lint/rules/drop-database.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(dropDatabase, {
  flagged: [
    // Issue 16: DROP DATABASE.
    { sql: 'DROP DATABASE old_app;', message: /drops database old_app/ },
    { sql: 'DROP DATABASE IF EXISTS "old_app" WITH (FORCE);', message: /old_app/ },
  ],
  passes: ['DROP SCHEMA old_app;', 'CREATE DATABASE reports;'],
});
