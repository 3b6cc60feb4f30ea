-- Emails are compared case-insensitively from now on: store them lower-cased
UPDATE "User" SET "email" = lower("email") WHERE "email" <> lower("email");

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "emailDomain" TEXT;

-- Backfill
UPDATE "User" SET "emailDomain" = split_part("email", '@', 2) WHERE "emailDomain" IS NULL;
