import { changeColumnType } from '../../../src/lint/rules/change-column-type.js';
import { ruleTable } from '../ruleTable.js';

/** Prisma's shape of the table the type changes below apply to, made by an earlier migration. */
const created = [
  `CREATE TABLE "t" (
    "id" SERIAL NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "slug" varchar,
    "note" TEXT,
    "price" DECIMAL(10,2) NOT NULL,
    "ratio" NUMERIC(6),
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "atz" TIMESTAMPTZ(3),
    "net" cidr,
    "code" CHAR(4),
    "tags" VARCHAR(20)[],
    CONSTRAINT "t_pkey" PRIMARY KEY ("id")
);`,
];

ruleTable(changeColumnType, {
  flagged: [
    {
      sql: '-- AlterTable\nALTER TABLE "messages" ALTER COLUMN "body" SET DATA TYPE VARCHAR(500);',
      line: 2,
      message: /type of messages\.body: unless the change only widens \(the lint did not see the column made/,
    },
    { sql: 'ALTER TABLE t ALTER COLUMN a TYPE bigint, ALTER COLUMN b TYPE text USING b::text;', count: 2 },
    { sql: 'ALTER TABLE "users" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");' },
    // With the history known: changes that rewrite, or narrow (every value is checked).
    {
      before: created,
      sql: 'ALTER TABLE "t" ALTER COLUMN "id" SET DATA TYPE BIGINT;',
      message: /changes t\.id from int4 to int8: PostgreSQL rewrites/,
    },
    {
      before: created,
      sql: 'ALTER TABLE "t" ALTER COLUMN "name" SET DATA TYPE VARCHAR(50);',
      message: /from varchar\(100\) to varchar\(50\)/,
    },
    {
      before: created,
      sql: 'ALTER TABLE "t" ALTER COLUMN "note" SET DATA TYPE VARCHAR(255);',
      message: /from text to varchar\(255\)/,
    },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "slug" SET DATA TYPE VARCHAR(255);' },
    {
      before: created,
      sql: 'ALTER TABLE "t" ALTER COLUMN "price" SET DATA TYPE DECIMAL(12,3);',
      message: /numeric\(10,2\) to numeric\(12,3\)/,
    },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "price" SET DATA TYPE DECIMAL(9,2);' },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "at" SET DATA TYPE TIMESTAMP(0);' },
    {
      before: created,
      sql: 'ALTER TABLE "t" ALTER COLUMN "at" SET DATA TYPE TIMESTAMPTZ(3);',
      message: /timestamp\(3\) to timestamptz\(3\)/,
    },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "net" SET DATA TYPE inet USING host("net")::inet;' },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "name" SET DATA TYPE TEXT COLLATE "C";' },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "code" SET DATA TYPE TEXT;' },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "code" SET DATA TYPE CHAR;' },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "tags" SET DATA TYPE TEXT;' },
    {
      before: [...created, 'ALTER TABLE "t" ALTER COLUMN "name" SET DATA TYPE TEXT;'],
      sql: 'ALTER TABLE "t" ALTER COLUMN "name" SET DATA TYPE VARCHAR(100);',
      message: /from text to varchar\(100\)/,
    },
    {
      before: [...created, 'ALTER TABLE "t" RENAME COLUMN "note" TO "body";'],
      sql: 'ALTER TABLE "t" ALTER COLUMN "body" SET DATA TYPE INTEGER USING "body"::integer;',
      message: /t\.body from text to int4/,
    },
    {
      before: [...created, 'ALTER TABLE "t" RENAME TO "things";'],
      sql: 'ALTER TABLE "things" ALTER COLUMN "ratio" SET DATA TYPE NUMERIC(5);',
      message: /things\.ratio from numeric\(6\) to numeric\(5\)/,
    },
  ],
  passes: [
    'CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a TYPE bigint;',
    'ALTER TABLE t ALTER COLUMN a SET DEFAULT 0;',
    'ALTER DOMAIN d SET NOT NULL;',
    // Issue 16: PostgreSQL changes these without a rewrite, and old code reads them as before.
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "name" SET DATA TYPE TEXT;' },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "name" SET DATA TYPE VARCHAR(255);' },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "name" TYPE character varying;' },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "slug" SET DATA TYPE TEXT;' },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "note" SET DATA TYPE VARCHAR;' },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "price" SET DATA TYPE DECIMAL(12,2);' },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "price" SET DATA TYPE NUMERIC;' },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "ratio" SET DATA TYPE NUMERIC(8,0);' },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "at" SET DATA TYPE TIMESTAMP(6);' },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "at" SET DATA TYPE TIMESTAMP;' },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "atz" SET DATA TYPE TIMESTAMPTZ(6);' },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "net" SET DATA TYPE inet;' },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "tags" SET DATA TYPE VARCHAR(40)[];' },
    { before: created, sql: 'ALTER TABLE "t" ALTER COLUMN "code" SET DATA TYPE CHAR(4);' },
    {
      before: [...created, 'ALTER TABLE "t" ADD COLUMN "extra" VARCHAR(10);'],
      sql: 'ALTER TABLE "t" ALTER COLUMN "extra" SET DATA TYPE VARCHAR(20);',
    },
    {
      before: [...created, 'ALTER TABLE "t" RENAME COLUMN "name" TO "title";'],
      sql: 'ALTER TABLE "t" ALTER COLUMN "title" SET DATA TYPE TEXT;',
    },
    {
      before: [...created, 'ALTER TABLE "t" SET SCHEMA "app";'],
      sql: 'ALTER TABLE "app"."t" ALTER COLUMN "name" SET DATA TYPE TEXT;',
    },
  ],
});
