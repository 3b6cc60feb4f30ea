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
ALTER TABLE "satshot_tokens" ADD CONSTRAINT "satshot_tokens_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
