import { describe, expect, it } from 'vitest';
import { parseMigration } from '../../src/lint/parse.js';
import { describeObject, statementEffects, type StatementEffects } from '../../src/postgres/statementEffects.js';

/** Each statement's effects, with objects described as the evidence says them. */
function effects(sql: string) {
  const parsed = parseMigration(sql);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return parsed.statements.map((s) => {
    const e: StatementEffects = statementEffects(s.node);
    if ('expect' in e)
      return {
        expect: e.expect.map((x) => `${x.present ? '+' : '-'} ${describeObject(x.object, 'public')}`),
        undo: e.undo,
      };
    return e;
  });
}

describe('what each statement Prisma generates leaves in the catalogs', () => {
  it("reads v2's migration (farm-chat): a column, a table with its columns, an index, a foreign key", () => {
    expect(
      effects(`-- AlterTable
ALTER TABLE "users" ADD COLUMN "satshotConnected" BOOLEAN NOT NULL DEFAULT false;
-- CreateTable
CREATE TABLE "satshot_tokens" ("id" SERIAL NOT NULL, "userId" INTEGER NOT NULL, "token" TEXT NOT NULL, CONSTRAINT "satshot_tokens_pkey" PRIMARY KEY ("id"));
-- CreateIndex
CREATE INDEX "satshot_tokens_userId_idx" ON "satshot_tokens"("userId");
-- AddForeignKey
ALTER TABLE "satshot_tokens" ADD CONSTRAINT "satshot_tokens_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;`),
    ).toEqual([
      {
        expect: ['+ column public.users.satshotConnected'],
        undo: 'ALTER TABLE "users" DROP COLUMN "satshotConnected";',
      },
      {
        expect: [
          '+ table public.satshot_tokens',
          '+ column public.satshot_tokens.id',
          '+ column public.satshot_tokens.userId',
          '+ column public.satshot_tokens.token',
        ],
        undo: 'DROP TABLE "satshot_tokens";',
      },
      { expect: ['+ index public.satshot_tokens_userId_idx'], undo: 'DROP INDEX "satshot_tokens_userId_idx";' },
      {
        expect: ['+ constraint satshot_tokens_userId_fkey on public.satshot_tokens'],
        undo: 'ALTER TABLE "satshot_tokens" DROP CONSTRAINT "satshot_tokens_userId_fkey";',
      },
    ]);
  });

  it('reads drops (which no SQL undoes), renames (which SQL undoes) and enums', () => {
    expect(
      effects(`DROP TABLE "legacy_sessions"; DROP INDEX "app"."old_idx"; ALTER TABLE "users" DROP COLUMN "fax", DROP CONSTRAINT "users_fax_check";
ALTER TABLE "users" RENAME COLUMN "name" TO "fullName"; ALTER INDEX "a_idx" RENAME TO "b_idx"; ALTER TABLE "t" RENAME CONSTRAINT "c1" TO "c2"; ALTER TABLE "t" RENAME TO "u";
CREATE TYPE "Role" AS ENUM ('FARMER', 'AGRONOMIST'); ALTER TYPE "Role" ADD VALUE 'ADMIN'; ALTER TYPE "Role" RENAME TO "Role_old"; DROP TYPE "Role_old";`),
    ).toEqual([
      { expect: ['- table public.legacy_sessions'], undo: undefined },
      { expect: ['- index app.old_idx'], undo: undefined },
      { expect: ['- column public.users.fax', '- constraint users_fax_check on public.users'], undo: undefined },
      {
        expect: ['- column public.users.name', '+ column public.users.fullName'],
        undo: 'ALTER TABLE "users" RENAME COLUMN "fullName" TO "name";',
      },
      { expect: ['- index public.a_idx', '+ index public.b_idx'], undo: 'ALTER INDEX "b_idx" RENAME TO "a_idx";' },
      {
        expect: ['- constraint c1 on public.t', '+ constraint c2 on public.t'],
        undo: 'ALTER TABLE "t" RENAME CONSTRAINT "c2" TO "c1";',
      },
      { expect: ['- table public.t', '+ table public.u'], undo: 'ALTER TABLE "u" RENAME TO "t";' },
      { expect: ['+ type public.Role'], undo: 'DROP TYPE "Role";' },
      { expect: ["+ value 'ADMIN' of enum public.Role"], undo: undefined },
      { expect: ['- type public.Role', '+ type public.Role_old'], undo: 'ALTER TYPE "Role_old" RENAME TO "Role";' },
      { expect: ['- type public.Role_old'], undo: undefined },
    ]);
  });

  it('reads nullability and defaults, undoing several sub-commands newest first', () => {
    expect(
      effects(
        'ALTER TABLE "users" ALTER COLUMN "name" SET NOT NULL, ALTER COLUMN "bio" DROP NOT NULL; ALTER TABLE "users" ALTER COLUMN "plan" SET DEFAULT \'free\';',
      ),
    ).toEqual([
      {
        expect: ['+ NOT NULL on public.users.name', '- NOT NULL on public.users.bio'],
        undo: 'ALTER TABLE "users" ALTER COLUMN "bio" SET NOT NULL; ALTER TABLE "users" ALTER COLUMN "name" DROP NOT NULL;',
      },
      { expect: ['+ a default on public.users.plan'], undo: undefined },
    ]);
  });

  it('knows BEGIN and SET change nothing kept, and says what it cannot check', () => {
    expect(effects(`BEGIN; SET lock_timeout = '5s'; COMMIT;`)).toEqual([
      { noEffect: true },
      { noEffect: true },
      { noEffect: true },
    ]);
    const unknown = effects(
      `UPDATE "users" SET "plan" = 'free'; ALTER TABLE "users" ALTER COLUMN "plan" SET DATA TYPE TEXT; CREATE INDEX ON "users"("plan"); ALTER TABLE "t" ADD CHECK (x > 0);`,
    );
    expect(unknown).toEqual([
      { unknown: expect.stringContaining('UpdateStmt') },
      { unknown: expect.stringContaining('AT_AlterColumnType') },
      { unknown: 'an index without a name cannot be found in the catalogs' },
      { unknown: 'a constraint without a name cannot be found in the catalogs' },
    ]);
  });
});
