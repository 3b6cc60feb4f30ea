-- BROKEN ON PURPOSE (release v2-broken-migration): v2's migration with the foreign key
-- hand-written against the Prisma model name "User" instead of the mapped table "users".
-- PostgreSQL rejects it (42P01, relation "User" does not exist), whatever the data, and
-- prisma migrate deploy prints "No such table: User" and exits 1.
-- Prisma Migrate does not wrap a migration in a transaction on PostgreSQL: the WebAssembly
-- schema engine splits the script on every semicolon (even inside comments and string
-- literals, so keep them out of these comments) and runs the pieces one by one. The
-- statements before the failing one stay applied: users."satshotConnected" and
-- satshot_tokens exist afterwards, and _prisma_migrations keeps this migration with
-- finished_at NULL (a failed migration: later deploys stop with P3009 until it is resolved).

-- AlterTable
ALTER TABLE "users" ADD COLUMN "satshotConnected" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "satshot_tokens" (
    "id" SERIAL NOT NULL,
    "userId" INTEGER NOT NULL,
    "token" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "satshot_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "satshot_tokens_userId_idx" ON "satshot_tokens"("userId");

-- AddForeignKey
ALTER TABLE "satshot_tokens" ADD CONSTRAINT "satshot_tokens_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
