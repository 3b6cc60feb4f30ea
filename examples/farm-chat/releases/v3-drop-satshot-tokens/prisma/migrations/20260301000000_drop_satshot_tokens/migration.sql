/*
  Warnings:

  - You are about to drop the `satshot_tokens` table. If the table is not empty, all the data it contains will be lost.

*/
-- DropForeignKey
ALTER TABLE "satshot_tokens" DROP CONSTRAINT "satshot_tokens_userId_fkey";

-- DropTable
DROP TABLE "satshot_tokens";
