// A realistic corpus for measuring the migration lint's throughput: Prisma-style migrations,
// mostly additive DDL, with every kind of risky or destructive change mixed in. Deterministic.

export interface CorpusMigration {
  name: string;
  sql: string;
}

type Fragment = (t: string, n: number) => string[];

/** One fragment per lint rule: the statements a real migration would hold for that change. */
const RISKY: Fragment[] = [
  (t) => [`-- DropTable\nDROP TABLE "${t}_legacy"`],
  (t) => [`-- AlterTable\nALTER TABLE "${t}" DROP COLUMN "nickname"`],
  (t) => [`DROP SCHEMA "${t}_reporting" CASCADE`],
  (t) => [`-- DropEnum\nDROP TYPE "${t}_Mood"`],
  (t) => [`TRUNCATE "${t}_sessions"`],
  (t) => [`DELETE FROM "${t}" WHERE "deletedAt" IS NOT NULL`],
  (t) => [`UPDATE "${t}" SET "status" = 'active'`],
  (t) => [`-- AlterTable\nALTER TABLE "${t}" ALTER COLUMN "score" SET DATA TYPE BIGINT`],
  (t) => [`ALTER TABLE "${t}" RENAME COLUMN "title" TO "headline"`],
  (t, n) => [`ALTER TABLE "${t}" RENAME TO "${t}_v${n}"`],
  (t) => [`-- AlterTable\nALTER TABLE "${t}" ADD COLUMN "region" TEXT NOT NULL`],
  (t) => [`-- AlterTable\nALTER TABLE "${t}" ADD COLUMN "publicId" UUID NOT NULL DEFAULT gen_random_uuid()`],
  (t) => [`-- AlterTable\nALTER TABLE "${t}" ALTER COLUMN "email" SET NOT NULL`],
  (t) => [`-- CreateIndex\nCREATE INDEX "${t}_createdAt_idx" ON "${t}"("createdAt")`],
  (t) => [`-- CreateIndex\nCREATE UNIQUE INDEX "${t}_slug_key" ON "${t}"("slug")`],
  (t) => [
    `-- AddForeignKey\nALTER TABLE "${t}" ADD CONSTRAINT "${t}_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE`,
  ],
  (t) => [
    `-- AlterEnum\nBEGIN`,
    `CREATE TYPE "${t}_Role_new" AS ENUM ('USER', 'ADMIN')`,
    `ALTER TABLE "${t}" ALTER COLUMN "role" TYPE "${t}_Role_new" USING ("role"::text::"${t}_Role_new")`,
    `ALTER TYPE "${t}_Role" RENAME TO "${t}_Role_old"`,
    `ALTER TYPE "${t}_Role_new" RENAME TO "${t}_Role"`,
    `DROP TYPE "${t}_Role_old"`,
    'COMMIT',
  ],
  (t) => [
    `ALTER TABLE "${t}" ADD COLUMN "archived" BOOLEAN`,
    `CREATE INDEX CONCURRENTLY "${t}_archived_idx" ON "${t}"("archived")`,
  ],
  (t) => [
    `ALTER TABLE "${t}" ADD CONSTRAINT "${t}_score_check" CHECK ("score" >= 0) NOT VALID`,
    `ALTER TABLE "${t}" VALIDATE CONSTRAINT "${t}_score_check"`,
  ],
  (t) => [`DROP DATABASE "${t}_reports"`],
  (t) => [`ALTER SCHEMA "${t}_reporting" RENAME TO "${t}_reports"`],
  (t) => [`ALTER TYPE "${t}_Mood" RENAME VALUE 'meh' TO 'neutral'`],
  (t) => [`ALTER TABLE "${t}_audit" SET SCHEMA "archive"`],
  (t) => [`-- AlterTable\nALTER TABLE "${t}" ADD COLUMN "properties" JSON`],
  (t) => [`-- AlterTable\nALTER TABLE "${t}" ALTER COLUMN "title" DROP NOT NULL`],
  (t) => [`-- AlterTable\nALTER TABLE "${t}" ALTER COLUMN "status" DROP DEFAULT`],
  (t) => [`-- DropForeignKey\nALTER TABLE "${t}" DROP CONSTRAINT "${t}_ownerId_fkey"`],
  (t) => [`-- DropIndex\nDROP INDEX "${t}_createdAt_idx"`],
  (t) => [`REINDEX INDEX "${t}_createdAt_idx"`],
  (t) => [`ALTER TABLE "${t}_events" DETACH PARTITION "${t}_events_2024"`],
  (t, n) => [
    `ALTER TABLE "${t}" ADD COLUMN "before${n}" TEXT`,
    'COMMIT',
    `ALTER TABLE "${t}" ADD COLUMN "after${n}" TEXT`,
  ],
  (t) => [`DELETE FROM "${t}_sessions" WHERE "expiresAt" < now()`, `VACUUM "${t}_sessions"`],
  (t) => [
    `-- AlterEnum\nALTER TYPE "${t}_Role" ADD VALUE 'GUEST'`,
    `-- AlterTable\nALTER TABLE "${t}" ALTER COLUMN "role" SET DEFAULT 'GUEST'`,
  ],
];

/** Prisma's shape for a new model: the table, its indexes, its foreign key to an existing table. */
function newTable(t: string, columns: number): string[] {
  const cols = Array.from(
    { length: columns },
    (_, i) =>
      `    "field${i}" ${['TEXT', 'INTEGER', 'BOOLEAN NOT NULL DEFAULT false', 'TIMESTAMP(3)', 'DOUBLE PRECISION'][i % 5]}`,
  );
  return [
    `-- CreateTable\nCREATE TABLE "${t}" (\n    "id" SERIAL NOT NULL,\n    "userId" INTEGER NOT NULL,\n${cols.join(',\n')},\n    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,\n\n    CONSTRAINT "${t}_pkey" PRIMARY KEY ("id")\n)`,
    `-- CreateIndex\nCREATE INDEX "${t}_userId_idx" ON "${t}"("userId")`,
    `-- CreateIndex\nCREATE UNIQUE INDEX "${t}_field0_key" ON "${t}"("field0")`,
    `-- AddForeignKey\nALTER TABLE "${t}" ADD CONSTRAINT "${t}_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE`,
  ];
}

/** Additive changes to existing tables, behind a lock_timeout. */
function additiveChanges(t: string, n: number): string[] {
  return [
    "SET lock_timeout = '5s'",
    `-- AlterTable\nALTER TABLE "${t}" ADD COLUMN "note${n}" TEXT`,
    `ALTER TABLE "${t}" ADD COLUMN "flag${n}" BOOLEAN NOT NULL DEFAULT false`,
    `ALTER TABLE "${t}" ALTER COLUMN "note${n}" SET DEFAULT 'n/a'`,
    `-- CreateEnum\nCREATE TYPE "Kind${n}" AS ENUM ('a', 'b', 'c')`,
    `ALTER TYPE "Kind${n}" ADD VALUE 'd'`,
    `COMMENT ON COLUMN "${t}"."note${n}" IS 'free text, é ü 🚜'`,
  ];
}

/** Small deterministic PRNG (mulberry32), so every run lints the same corpus. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * At least `statements` statements across many migrations (folder-style names, sorted as Prisma
 * applies them). About one migration in three carries a risky or destructive change, cycling
 * through every lint rule; the rest are additive: new tables with indexes and foreign keys, new
 * columns, enums. Some migrations are a lone CREATE INDEX CONCURRENTLY, as the lint advises.
 */
export function generateLintCorpus(statements: number): CorpusMigration[] {
  const random = prng(42);
  const out: CorpusMigration[] = [];
  const tables: string[] = [];
  let count = 0;
  let riskyTurn = 0;
  for (let n = 0; count < statements; n++) {
    const t = `model_${n}`;
    const existing = tables[Math.floor(random() * tables.length)] ?? 'users';
    let stmts: string[];
    const roll = random();
    if (n === 0 || roll < 0.4) {
      stmts = newTable(t, 3 + Math.floor(random() * 8));
      tables.push(t);
      if (random() < 0.5) stmts.push(...additiveChanges(existing, n));
    } else if (roll < 0.65) {
      stmts = additiveChanges(existing, n);
    } else if (roll < 0.7) {
      stmts = [`-- CreateIndex\nCREATE INDEX CONCURRENTLY "${existing}_n${n}_idx" ON "${existing}"("createdAt")`];
    } else {
      const fragment = RISKY[riskyTurn++ % RISKY.length] as Fragment;
      stmts = [...newTable(t, 3), ...fragment(existing, n)];
      tables.push(t);
    }
    const name = `${String(20200101000000 + n * 100).padStart(14, '0')}_${stmts.length > 1 ? 'change' : 'index'}_${n}`;
    out.push({ name, sql: `${stmts.join(';\n\n')};\n` });
    count += stmts.length;
  }
  return out;
}
