import { addJsonColumn } from '../../../src/lint/rules/add-json-column.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(addJsonColumn, {
  flagged: [
    // Issue 16: adding a json (not jsonb) column.
    {
      sql: '-- AlterTable\nALTER TABLE "users" ADD COLUMN "properties" JSON;',
      line: 2,
      message: /adds users\.properties of type json: .*SELECT DISTINCT/,
    },
    { sql: "ALTER TABLE t ADD COLUMN history json[] NOT NULL DEFAULT '{}';", message: /json\[\]/ },
    { sql: 'ALTER TABLE t ADD COLUMN a pg_catalog.json, ADD COLUMN b json;', count: 2 },
  ],
  passes: [
    'ALTER TABLE "users" ADD COLUMN "properties" JSONB;',
    'CREATE TABLE t (doc json);',
    'CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN doc json;',
    'ALTER TABLE t ADD COLUMN doc app.json;',
  ],
});
