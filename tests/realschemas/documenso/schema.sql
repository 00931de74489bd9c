-- documenso/documenso @ 75330166cc00b29c14399bc2e391e4b4d8080c00, AGPL-3.0-only (see SOURCE.md, LICENSE).
-- packages/prisma/migrations/*/migration.sql concatenated in name order, unchanged;
-- a ";" is added after each file because some files end without one.

-- ==== migrations/20230404095503_initial_migration/migration.sql
-- CreateEnum
CREATE TYPE "IdentityProvider" AS ENUM ('DOCUMENSO', 'GOOGLE');

-- CreateEnum
CREATE TYPE "DocumentStatus" AS ENUM ('DRAFT', 'PENDING', 'COMPLETED');

-- CreateEnum
CREATE TYPE "ReadStatus" AS ENUM ('NOT_OPENED', 'OPENED');

-- CreateEnum
CREATE TYPE "SendStatus" AS ENUM ('NOT_SENT', 'SENT');

-- CreateEnum
CREATE TYPE "SigningStatus" AS ENUM ('NOT_SIGNED', 'SIGNED');

-- CreateEnum
CREATE TYPE "FieldType" AS ENUM ('SIGNATURE', 'FREE_SIGNATURE', 'DATE', 'TEXT');

-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "name" TEXT,
    "email" TEXT NOT NULL,
    "emailVerified" TIMESTAMP(3),
    "password" TEXT,
    "source" TEXT,
    "identityProvider" "IdentityProvider" NOT NULL DEFAULT 'DOCUMENSO',

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Account" (
    "id" TEXT NOT NULL,
    "userId" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "providerAccountId" TEXT NOT NULL,
    "refresh_token" TEXT,
    "access_token" TEXT,
    "expires_at" INTEGER,
    "token_type" TEXT,
    "scope" TEXT,
    "id_token" TEXT,
    "session_state" TEXT,

    CONSTRAINT "Account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL,
    "sessionToken" TEXT NOT NULL,
    "userId" INTEGER NOT NULL,
    "expires" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Document" (
    "id" SERIAL NOT NULL,
    "created" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "userId" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "status" "DocumentStatus" NOT NULL DEFAULT 'DRAFT',
    "document" TEXT NOT NULL,

    CONSTRAINT "Document_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Recipient" (
    "id" SERIAL NOT NULL,
    "documentId" INTEGER NOT NULL,
    "email" VARCHAR(255) NOT NULL,
    "name" VARCHAR(255) NOT NULL DEFAULT '',
    "token" TEXT NOT NULL,
    "expired" TIMESTAMP(3),
    "readStatus" "ReadStatus" NOT NULL DEFAULT 'NOT_OPENED',
    "signingStatus" "SigningStatus" NOT NULL DEFAULT 'NOT_SIGNED',
    "sendStatus" "SendStatus" NOT NULL DEFAULT 'NOT_SENT',

    CONSTRAINT "Recipient_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Field" (
    "id" SERIAL NOT NULL,
    "documentId" INTEGER NOT NULL,
    "recipientId" INTEGER,
    "type" "FieldType" NOT NULL,
    "page" INTEGER NOT NULL,
    "positionX" INTEGER NOT NULL DEFAULT 0,
    "positionY" INTEGER NOT NULL DEFAULT 0,
    "customText" TEXT NOT NULL,
    "inserted" BOOLEAN NOT NULL,

    CONSTRAINT "Field_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Signature" (
    "id" SERIAL NOT NULL,
    "created" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "recipientId" INTEGER NOT NULL,
    "fieldId" INTEGER NOT NULL,
    "signatureImageAsBase64" TEXT,
    "typedSignature" TEXT,

    CONSTRAINT "Signature_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE UNIQUE INDEX "Account_provider_providerAccountId_key" ON "Account"("provider", "providerAccountId");

-- CreateIndex
CREATE UNIQUE INDEX "Session_sessionToken_key" ON "Session"("sessionToken");

-- CreateIndex
CREATE UNIQUE INDEX "Signature_fieldId_key" ON "Signature"("fieldId");

-- AddForeignKey
ALTER TABLE "Account" ADD CONSTRAINT "Account_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Document" ADD CONSTRAINT "Document_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Recipient" ADD CONSTRAINT "Recipient_documentId_fkey" FOREIGN KEY ("documentId") REFERENCES "Document"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Field" ADD CONSTRAINT "Field_documentId_fkey" FOREIGN KEY ("documentId") REFERENCES "Document"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Field" ADD CONSTRAINT "Field_recipientId_fkey" FOREIGN KEY ("recipientId") REFERENCES "Recipient"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Signature" ADD CONSTRAINT "Signature_recipientId_fkey" FOREIGN KEY ("recipientId") REFERENCES "Recipient"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Signature" ADD CONSTRAINT "Signature_fieldId_fkey" FOREIGN KEY ("fieldId") REFERENCES "Field"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

;
-- ==== migrations/20230411134605_doc_208/migration.sql
-- DropForeignKey
ALTER TABLE "Signature" DROP CONSTRAINT "Signature_recipientId_fkey";

-- AddForeignKey
ALTER TABLE "Signature" ADD CONSTRAINT "Signature_recipientId_fkey" FOREIGN KEY ("recipientId") REFERENCES "Recipient"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20230421134018_doc_214_add_signed_at_field/migration.sql
-- AlterTable
ALTER TABLE "Recipient" ADD COLUMN     "signedAt" TIMESTAMP(3);

;
-- ==== migrations/20230505085625_create_subscription_table/migration.sql
-- CreateEnum
CREATE TYPE "SubscriptionStatus" AS ENUM ('ACTIVE', 'INACTIVE');

-- CreateTable
CREATE TABLE "Subscription" (
    "id" SERIAL NOT NULL,
    "status" "SubscriptionStatus" NOT NULL DEFAULT 'INACTIVE',
    "planId" TEXT,
    "priceId" TEXT,
    "customerId" TEXT,
    "periodEnd" TIMESTAMP(3),
    "userId" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Subscription_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Subscription_userId_idx" ON "Subscription"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "Subscription_planId_customerId_key" ON "Subscription"("planId", "customerId");

-- AddForeignKey
ALTER TABLE "Subscription" ADD CONSTRAINT "Subscription_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20230505085908_update_unique_constraint/migration.sql
/*
  Warnings:

  - A unique constraint covering the columns `[customerId]` on the table `Subscription` will be added. If there are existing duplicate values, this will fail.

*/
-- DropIndex
DROP INDEX "Subscription_planId_customerId_key";

-- CreateIndex
CREATE UNIQUE INDEX "Subscription_customerId_key" ON "Subscription"("customerId");

;
-- ==== migrations/20230505091928_add_past_due_value/migration.sql
-- AlterEnum
ALTER TYPE "SubscriptionStatus" ADD VALUE 'PAST_DUE';

;
-- ==== migrations/20230605122017_password_reset/migration.sql
-- CreateTable
CREATE TABLE "PasswordResetToken" (
    "id" SERIAL NOT NULL,
    "token" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "userId" INTEGER NOT NULL,

    CONSTRAINT "PasswordResetToken_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "PasswordResetToken_token_key" ON "PasswordResetToken"("token");

-- AddForeignKey
ALTER TABLE "PasswordResetToken" ADD CONSTRAINT "PasswordResetToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

;
-- ==== migrations/20230605164015_expire_password_reset_token/migration.sql
/*
  Warnings:

  - Added the required column `expiry` to the `PasswordResetToken` table without a default value. This is not possible if the table is not empty.

*/
-- AlterTable
ALTER TABLE "PasswordResetToken" ADD COLUMN     "expiry" TIMESTAMP(3) NOT NULL;

;
-- ==== migrations/20230617040606_add_name_field/migration.sql
-- AlterEnum
ALTER TYPE "FieldType" ADD VALUE 'NAME';

;
-- ==== migrations/20230617041623_add_email_field/migration.sql
-- AlterEnum
ALTER TYPE "FieldType" ADD VALUE 'EMAIL';

;
-- ==== migrations/20230621130930_add_width_and_height_for_fields/migration.sql
-- AlterTable
ALTER TABLE "Field" ADD COLUMN     "height" INTEGER NOT NULL DEFAULT -1,
ADD COLUMN     "width" INTEGER NOT NULL DEFAULT -1;

;
-- ==== migrations/20230621131348_add_document_id_and_email_index/migration.sql
/*
  Warnings:

  - A unique constraint covering the columns `[documentId,email]` on the table `Recipient` will be added. If there are existing duplicate values, this will fail.

*/
-- CreateIndex
CREATE UNIQUE INDEX "Recipient_documentId_email_key" ON "Recipient"("documentId", "email");

;
-- ==== migrations/20230621133446_migrate_field_position_to_float/migration.sql
-- AlterTable
ALTER TABLE "Field" ALTER COLUMN "positionX" SET DEFAULT 0,
ALTER COLUMN "positionX" SET DATA TYPE DECIMAL(65,30),
ALTER COLUMN "positionY" SET DEFAULT 0,
ALTER COLUMN "positionY" SET DATA TYPE DECIMAL(65,30),
ALTER COLUMN "height" SET DEFAULT -1,
ALTER COLUMN "height" SET DATA TYPE DECIMAL(65,30),
ALTER COLUMN "width" SET DEFAULT -1,
ALTER COLUMN "width" SET DATA TYPE DECIMAL(65,30);

;
-- ==== migrations/20230829165148_user_sharing_link/migration.sql
-- CreateTable
CREATE TABLE "Share" (
    "id" SERIAL NOT NULL,
    "userId" INTEGER NOT NULL,
    "link" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "documentId" INTEGER,

    CONSTRAINT "Share_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Share_link_key" ON "Share"("link");

-- AddForeignKey
ALTER TABLE "Share" ADD CONSTRAINT "Share_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Share" ADD CONSTRAINT "Share_documentId_fkey" FOREIGN KEY ("documentId") REFERENCES "Document"("id") ON DELETE SET NULL ON UPDATE CASCADE;

;
-- ==== migrations/20230829180915_recipient_id_for_user_id/migration.sql
/*
  Warnings:

  - You are about to drop the column `userId` on the `Share` table. All the data in the column will be lost.
  - Added the required column `recipientId` to the `Share` table without a default value. This is not possible if the table is not empty.

*/
-- DropForeignKey
ALTER TABLE "Share" DROP CONSTRAINT "Share_userId_fkey";

-- AlterTable
ALTER TABLE "Share" DROP COLUMN "userId",
ADD COLUMN     "recipientId" INTEGER NOT NULL;

-- AddForeignKey
ALTER TABLE "Share" ADD CONSTRAINT "Share_recipientId_fkey" FOREIGN KEY ("recipientId") REFERENCES "Recipient"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

;
-- ==== migrations/20230830053354_add_service_user/migration.sql
INSERT INTO "User" ("email", "name") VALUES (
  'serviceaccount@documenso.com',
  'Service Account'
) ON CONFLICT DO NOTHING;

;
-- ==== migrations/20230901083000_add_user_signature_column/migration.sql
-- AlterTable
ALTER TABLE "User" ADD COLUMN     "signature" TEXT;

;
-- ==== migrations/20230907041233_add_document_data_table/migration.sql
-- CreateEnum
CREATE TYPE "DocumentDataType" AS ENUM ('S3_PATH', 'BYTES', 'BYTES_64');

-- CreateTable
CREATE TABLE "DocumentData" (
    "id" TEXT NOT NULL,
    "type" "DocumentDataType" NOT NULL,
    "data" TEXT NOT NULL,
    "initialData" TEXT NOT NULL,
    "documentId" INTEGER NOT NULL,

    CONSTRAINT "DocumentData_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "DocumentData_documentId_key" ON "DocumentData"("documentId");

-- AddForeignKey
ALTER TABLE "DocumentData" ADD CONSTRAINT "DocumentData_documentId_fkey" FOREIGN KEY ("documentId") REFERENCES "Document"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20230907074451_insert_old_data_into_document_data_table/migration.sql
INSERT INTO
  "DocumentData" ("id", "type", "data", "initialData", "documentId") (
    SELECT
      CAST(gen_random_uuid() AS TEXT),
      'BYTES_64',
      d."document",
      d."document",
      d."id"
    FROM
      "Document" d
    WHERE
      d."id" IS NOT NULL
      AND d."document" IS NOT NULL
  );

;
-- ==== migrations/20230907075057_user_roles/migration.sql
-- CreateEnum
CREATE TYPE "Role" AS ENUM ('ADMIN', 'USER');

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "roles" "Role"[] DEFAULT ARRAY['USER']::"Role"[];

;
-- ==== migrations/20230907080056_add_created_at_and_updated_at_columns/migration.sql
-- AlterTable
ALTER TABLE "Document" ADD COLUMN "createdAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Document" ADD COLUMN "updatedAt" TIMESTAMP(3);

-- DefaultValues
UPDATE "Document"
SET
  "createdAt" = COALESCE("created"::TIMESTAMP, NOW()),
  "updatedAt" = COALESCE("created"::TIMESTAMP, NOW());

-- AlterColumn
ALTER TABLE "Document" ALTER COLUMN "createdAt" SET DEFAULT NOW();
ALTER TABLE "Document" ALTER COLUMN "createdAt" SET NOT NULL;

-- AlterColumn
ALTER TABLE "Document" ALTER COLUMN "updatedAt" SET DEFAULT NOW();
ALTER TABLE "Document" ALTER COLUMN "updatedAt" SET NOT NULL;

;
-- ==== migrations/20230907082622_remove_old_document_data/migration.sql
/*
  Warnings:

  - You are about to drop the column `document` on the `Document` table. All the data in the column will be lost.

*/
-- AlterTable
ALTER TABLE "Document" DROP COLUMN "document";

;
-- ==== migrations/20230912011344_reverse_document_data_relation/migration.sql
-- DropForeignKey
ALTER TABLE "DocumentData" DROP CONSTRAINT "DocumentData_documentId_fkey";

-- DropIndex
DROP INDEX "DocumentData_documentId_key";

-- AlterTable
ALTER TABLE "Document" ADD COLUMN "documentDataId" TEXT;

-- Reverse relation foreign key ids
UPDATE "Document" SET "documentDataId" = "DocumentData"."id" FROM "DocumentData" WHERE "Document"."id" = "DocumentData"."documentId";

-- AlterColumn
ALTER TABLE "Document" ALTER COLUMN "documentDataId" SET NOT NULL;

-- AlterTable
ALTER TABLE "DocumentData" DROP COLUMN "documentId";

-- CreateIndex
CREATE UNIQUE INDEX "Document_documentDataId_key" ON "Document"("documentDataId");

-- AddForeignKey
ALTER TABLE "Document" ADD CONSTRAINT "Document_documentDataId_fkey" FOREIGN KEY ("documentDataId") REFERENCES "DocumentData"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20230914031347_remove_redundant_created_column/migration.sql
/*
  Warnings:

  - You are about to drop the column `created` on the `Document` table. All the data in the column will be lost.

*/
-- AlterTable
ALTER TABLE "Document" DROP COLUMN "created";

;
-- ==== migrations/20230917190854_password_reset_token/migration.sql
DROP TABLE IF EXISTS "PasswordResetToken" CASCADE;

-- CreateTable
CREATE TABLE "PasswordResetToken" (
    "id" SERIAL NOT NULL,
    "token" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiry" TIMESTAMP(3) NOT NULL,
    "userId" INTEGER NOT NULL,

    CONSTRAINT "PasswordResetToken_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "PasswordResetToken_token_key" ON "PasswordResetToken"("token");

-- AddForeignKey
ALTER TABLE "PasswordResetToken" ADD CONSTRAINT "PasswordResetToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

;
-- ==== migrations/20230918111438_update_subscription_constraints_and_columns/migration.sql
/*
  Warnings:

  - A unique constraint covering the columns `[userId]` on the table `Subscription` will be added. If there are existing duplicate values, this will fail.
  - Made the column `customerId` on table `Subscription` required. This step will fail if there are existing NULL values in that column.

*/

DELETE FROM "Subscription"
WHERE "customerId" IS NULL;

-- AlterTable
ALTER TABLE "Subscription" ADD COLUMN     "cancelAtPeriodEnd" BOOLEAN NOT NULL DEFAULT false,
ALTER COLUMN "customerId" SET NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "Subscription_userId_key" ON "Subscription"("userId");

;
-- ==== migrations/20230920052232_document_meta/migration.sql
-- AlterTable
ALTER TABLE "Document" ADD COLUMN     "documentMetaId" TEXT;

-- CreateTable
CREATE TABLE "DocumentMeta" (
    "id" TEXT NOT NULL,
    "customEmailSubject" TEXT,
    "customEmailBody" TEXT,

    CONSTRAINT "DocumentMeta_pkey" PRIMARY KEY ("id")
);

-- AddForeignKey
ALTER TABLE "Document" ADD CONSTRAINT "Document_documentMetaId_fkey" FOREIGN KEY ("documentMetaId") REFERENCES "DocumentMeta"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20230920060743_update_share_link_schema/migration.sql
/*
  Warnings:

  - You are about to drop the `Share` table. If the table is not empty, all the data it contains will be lost.

*/
-- DropForeignKey
ALTER TABLE "Share" DROP CONSTRAINT "Share_documentId_fkey";

-- DropForeignKey
ALTER TABLE "Share" DROP CONSTRAINT "Share_recipientId_fkey";

-- DropTable
DROP TABLE "Share";

-- CreateTable
CREATE TABLE "DocumentShareLink" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    "slug" TEXT NOT NULL,
    "documentId" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DocumentShareLink_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "DocumentShareLink_slug_key" ON "DocumentShareLink"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "DocumentShareLink_documentId_email_key" ON "DocumentShareLink"("documentId", "email");

-- AddForeignKey
ALTER TABLE "DocumentShareLink" ADD CONSTRAINT "DocumentShareLink_documentId_fkey" FOREIGN KEY ("documentId") REFERENCES "Document"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

;
-- ==== migrations/20230920124941_fix_documentmeta_relation/migration.sql
/*
  Warnings:

  - A unique constraint covering the columns `[documentMetaId]` on the table `Document` will be added. If there are existing duplicate values, this will fail.

*/
-- CreateIndex
CREATE UNIQUE INDEX "Document_documentMetaId_key" ON "Document"("documentMetaId");

;
-- ==== migrations/20230922121421_fix_document_meta_schema/migration.sql
/*
  Warnings:

  - You are about to drop the column `documentMetaId` on the `Document` table. All the data in the column will be lost.
  - You are about to drop the column `customEmailBody` on the `DocumentMeta` table. All the data in the column will be lost.
  - You are about to drop the column `customEmailSubject` on the `DocumentMeta` table. All the data in the column will be lost.
  - A unique constraint covering the columns `[documentId]` on the table `DocumentMeta` will be added. If there are existing duplicate values, this will fail.
  - Added the required column `documentId` to the `DocumentMeta` table without a default value. This is not possible if the table is not empty.

*/
-- DropForeignKey
ALTER TABLE "Document" DROP CONSTRAINT "Document_documentMetaId_fkey";

-- DropIndex
DROP INDEX "Document_documentMetaId_key";

-- AlterTable
ALTER TABLE "DocumentMeta"
ADD COLUMN     "documentId" INTEGER,
ADD COLUMN     "message" TEXT,
ADD COLUMN     "subject" TEXT;

-- Migrate data
UPDATE "DocumentMeta" SET "documentId" = (
  SELECT "id" FROM "Document" WHERE "Document"."documentMetaId" = "DocumentMeta"."id"
);

-- Migrate data
UPDATE "DocumentMeta" SET "message" = "customEmailBody";

-- Migrate data
UPDATE "DocumentMeta" SET "subject" = "customEmailSubject";

-- Prune data
DELETE FROM "DocumentMeta" WHERE "documentId" IS NULL;

-- AlterTable
ALTER TABLE "Document" DROP COLUMN "documentMetaId";

-- AlterTable
ALTER TABLE "DocumentMeta" 
DROP COLUMN "customEmailBody",
DROP COLUMN "customEmailSubject";

-- AlterColumn
ALTER TABLE "DocumentMeta" ALTER COLUMN "documentId" SET NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "DocumentMeta_documentId_key" ON "DocumentMeta"("documentId");

-- AddForeignKey
ALTER TABLE "DocumentMeta" ADD CONSTRAINT "DocumentMeta_documentId_fkey" FOREIGN KEY ("documentId") REFERENCES "Document"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20231013012902_add_document_share_link_delete_cascade/migration.sql
-- DropForeignKey
ALTER TABLE "DocumentShareLink" DROP CONSTRAINT "DocumentShareLink_documentId_fkey";

-- AddForeignKey
ALTER TABLE "DocumentShareLink" ADD CONSTRAINT "DocumentShareLink_documentId_fkey" FOREIGN KEY ("documentId") REFERENCES "Document"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20231025074705_add_email_confirmation_registration/migration.sql
-- CreateTable
CREATE TABLE "VerificationToken" (
    "id" SERIAL NOT NULL,
    "identifier" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "expires" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "userId" INTEGER NOT NULL,

    CONSTRAINT "VerificationToken_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "VerificationToken_token_key" ON "VerificationToken"("token");

-- AddForeignKey
ALTER TABLE "VerificationToken" ADD CONSTRAINT "VerificationToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

;
-- ==== migrations/20231028094931_add_user_timestamp_columns/migration.sql
-- AlterTable
ALTER TABLE "User" ADD COLUMN     "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "lastSignedIn" TIMESTAMP(3) NOT NULL DEFAULT '1970-01-01 00:00:00 +00:00',
ADD COLUMN     "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

;
-- ==== migrations/20231028095542_use_now_for_last_signed_in/migration.sql
-- AlterTable
ALTER TABLE "User" ALTER COLUMN "lastSignedIn" SET DEFAULT CURRENT_TIMESTAMP;

;
-- ==== migrations/20231030055821_add_database_indexes/migration.sql
-- CreateIndex
CREATE INDEX "Document_userId_idx" ON "Document"("userId");

-- CreateIndex
CREATE INDEX "Document_status_idx" ON "Document"("status");

-- CreateIndex
CREATE INDEX "Field_documentId_idx" ON "Field"("documentId");

-- CreateIndex
CREATE INDEX "Field_recipientId_idx" ON "Field"("recipientId");

-- CreateIndex
CREATE INDEX "Recipient_documentId_idx" ON "Recipient"("documentId");

-- CreateIndex
CREATE INDEX "Recipient_token_idx" ON "Recipient"("token");

-- CreateIndex
CREATE INDEX "Signature_recipientId_idx" ON "Signature"("recipientId");

-- CreateIndex
CREATE INDEX "User_email_idx" ON "User"("email");

;
-- ==== migrations/20231031072857_verify_existing_users/migration.sql
UPDATE "User"
SET "emailVerified" = CURRENT_TIMESTAMP
WHERE "emailVerified" IS NULL;

;
-- ==== migrations/20231103044612_add_completed_date/migration.sql
-- AlterTable
ALTER TABLE "Document" ADD COLUMN     "completedAt" TIMESTAMP(3);

UPDATE "Document" SET "completedAt" = "updatedAt" WHERE "status" = 'COMPLETED';

;
-- ==== migrations/20231105184518_add_2fa/migration.sql
-- AlterTable
ALTER TABLE "User" ADD COLUMN     "twoFactorBackupCodes" TEXT,
ADD COLUMN     "twoFactorEnabled" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "twoFactorSecret" TEXT;

;
-- ==== migrations/20231123132053_public_api_api_token/migration.sql
-- CreateEnum
CREATE TYPE "ApiTokenAlgorithm" AS ENUM ('SHA512');

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "algorithm" "ApiTokenAlgorithm" NOT NULL DEFAULT 'SHA512',
    "expires" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "userId" INTEGER NOT NULL,

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_token_key" ON "ApiToken"("token");

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

;
-- ==== migrations/20231202134005_deletedocuments/migration.sql
-- AlterTable
ALTER TABLE "Document" ADD COLUMN     "deletedAt" TIMESTAMP(3);

;
-- ==== migrations/20231202220928_add_recipient_roles/migration.sql
-- CreateEnum
CREATE TYPE "RecipientRole" AS ENUM ('CC', 'SIGNER', 'VIEWER', 'APPROVER');

-- AlterTable
ALTER TABLE "Recipient" ADD COLUMN     "role" "RecipientRole" NOT NULL DEFAULT 'SIGNER';

;
-- ==== migrations/20231205000309_add_cascade_delete_for_verification_tokens/migration.sql
-- DropForeignKey
ALTER TABLE "VerificationToken" DROP CONSTRAINT "VerificationToken_userId_fkey";

-- AddForeignKey
ALTER TABLE "VerificationToken" ADD CONSTRAINT "VerificationToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20231206073509_add_multple_subscriptions/migration.sql
/*
  Warnings:

  - A unique constraint covering the columns `[planId]` on the table `Subscription` will be added. If there are existing duplicate values, this will fail.
  - A unique constraint covering the columns `[customerId]` on the table `User` will be added. If there are existing duplicate values, this will fail.
  - Made the column `planId` on table `Subscription` required. This step will fail if there are existing NULL values in that column.
  - Made the column `priceId` on table `Subscription` required. This step will fail if there are existing NULL values in that column.

*/
-- Custom migration statement
DELETE FROM "Subscription" WHERE "planId" IS NULL OR "priceId" IS NULL;

-- DropIndex
DROP INDEX "Subscription_customerId_key";

-- DropIndex
DROP INDEX "Subscription_userId_key";

-- AlterTable
ALTER TABLE "Subscription" ALTER COLUMN "planId" SET NOT NULL,
ALTER COLUMN "priceId" SET NOT NULL;

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "customerId" TEXT;
ALTER TABLE "Subscription" DROP COLUMN "customerId";

-- CreateIndex
CREATE UNIQUE INDEX "Subscription_planId_key" ON "Subscription"("planId");

-- CreateIndex
CREATE UNIQUE INDEX "User_customerId_key" ON "User"("customerId");

;
-- ==== migrations/20231207134820_add_document_meta_dateformat_timezone/migration.sql
-- AlterTable
ALTER TABLE "DocumentMeta" ADD COLUMN     "dateFormat" TEXT DEFAULT 'yyyy-MM-dd hh:mm a',
ADD COLUMN     "timezone" TEXT DEFAULT 'Etc/UTC';

;
-- ==== migrations/20231220124343_add_cascade_delete_user_apitoken/migration.sql
-- DropForeignKey
ALTER TABLE "ApiToken" DROP CONSTRAINT "ApiToken_userId_fkey";

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20231221101005_add_templates/migration.sql
/*
  Warnings:

  - A unique constraint covering the columns `[templateId,email]` on the table `Recipient` will be added. If there are existing duplicate values, this will fail.

*/
-- CreateEnum
CREATE TYPE "TemplateType" AS ENUM ('PUBLIC', 'PRIVATE');

-- DropForeignKey
ALTER TABLE "Field" DROP CONSTRAINT "Field_recipientId_fkey";

-- AlterTable
ALTER TABLE "Field" ADD COLUMN     "templateId" INTEGER,
ALTER COLUMN "documentId" DROP NOT NULL;

-- AlterTable
-- Add CHECK constraint to ensure that only one of the two columns is set
ALTER TABLE "Field" ADD CONSTRAINT "Field_templateId_documentId_check" CHECK (
    ("templateId" IS NULL AND "documentId" IS NOT NULL) OR
    ("templateId" IS NOT NULL AND "documentId" IS NULL)
);

-- AlterTable
ALTER TABLE "Recipient" ADD COLUMN     "templateId" INTEGER,
ALTER COLUMN "documentId" DROP NOT NULL;

-- AlterTable
-- Add CHECK constraint to ensure that only one of the two columns is set
ALTER TABLE "Recipient" ADD CONSTRAINT "Recipient_templateId_documentId_check" CHECK (
    ("templateId" IS NULL AND "documentId" IS NOT NULL) OR
    ("templateId" IS NOT NULL AND "documentId" IS NULL)
);

-- CreateTable
CREATE TABLE "Template" (
    "id" SERIAL NOT NULL,
    "type" "TemplateType" NOT NULL DEFAULT 'PRIVATE',
    "title" TEXT NOT NULL,
    "userId" INTEGER NOT NULL,
    "templateDocumentDataId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Template_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Template_templateDocumentDataId_key" ON "Template"("templateDocumentDataId");

-- CreateIndex
CREATE INDEX "Field_templateId_idx" ON "Field"("templateId");

-- CreateIndex
CREATE INDEX "Recipient_templateId_idx" ON "Recipient"("templateId");

-- CreateIndex
CREATE UNIQUE INDEX "Recipient_templateId_email_key" ON "Recipient"("templateId", "email");

-- AddForeignKey
ALTER TABLE "Recipient" ADD CONSTRAINT "Recipient_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "Template"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Field" ADD CONSTRAINT "Field_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "Template"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Field" ADD CONSTRAINT "Field_recipientId_fkey" FOREIGN KEY ("recipientId") REFERENCES "Recipient"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Template" ADD CONSTRAINT "Template_templateDocumentDataId_fkey" FOREIGN KEY ("templateDocumentDataId") REFERENCES "DocumentData"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Template" ADD CONSTRAINT "Template_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20240115031508_add_password_to_document_meta/migration.sql
-- AlterTable
ALTER TABLE "DocumentMeta" ADD COLUMN     "password" TEXT;

;
-- ==== migrations/20240131004516_add_user_security_audit_logs/migration.sql
-- CreateEnum
CREATE TYPE "UserSecurityAuditLogType" AS ENUM ('ACCOUNT_PROFILE_UPDATE', 'ACCOUNT_SSO_LINK', 'AUTH_2FA_DISABLE', 'AUTH_2FA_ENABLE', 'PASSWORD_RESET', 'PASSWORD_UPDATE', 'SIGN_OUT', 'SIGN_IN', 'SIGN_IN_FAIL', 'SIGN_IN_2FA_FAIL');

-- CreateTable
CREATE TABLE "UserSecurityAuditLog" (
    "id" SERIAL NOT NULL,
    "userId" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "type" "UserSecurityAuditLogType" NOT NULL,
    "userAgent" TEXT,
    "ipAddress" TEXT,

    CONSTRAINT "UserSecurityAuditLog_pkey" PRIMARY KEY ("id")
);

-- AddForeignKey
ALTER TABLE "UserSecurityAuditLog" ADD CONSTRAINT "UserSecurityAuditLog_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20240131132916_verify_paid_users/migration.sql
UPDATE "User"
SET "emailVerified" = NOW()
FROM "Subscription"
WHERE "User"."id" = "Subscription"."userId"
AND "Subscription"."status" = 'ACTIVE'
AND "User"."emailVerified" IS NULL

;
-- ==== migrations/20240205040421_add_teams/migration.sql
/*
  Warnings:

  - A unique constraint covering the columns `[teamId]` on the table `Subscription` will be added. If there are existing duplicate values, this will fail.

*/
-- CreateEnum
CREATE TYPE "TeamMemberRole" AS ENUM ('ADMIN', 'MANAGER', 'MEMBER');

-- CreateEnum
CREATE TYPE "TeamMemberInviteStatus" AS ENUM ('ACCEPTED', 'PENDING');

-- AlterTable
ALTER TABLE "Document" ADD COLUMN     "teamId" INTEGER;

-- AlterTable
ALTER TABLE "Subscription" ADD COLUMN     "teamId" INTEGER,
ALTER COLUMN "userId" DROP NOT NULL;

-- CreateTable
CREATE TABLE "Team" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "customerId" TEXT,
    "ownerUserId" INTEGER NOT NULL,

    CONSTRAINT "Team_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TeamPending" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "customerId" TEXT NOT NULL,
    "ownerUserId" INTEGER NOT NULL,

    CONSTRAINT "TeamPending_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TeamMember" (
    "id" SERIAL NOT NULL,
    "teamId" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "role" "TeamMemberRole" NOT NULL,
    "userId" INTEGER NOT NULL,

    CONSTRAINT "TeamMember_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TeamEmail" (
    "teamId" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,

    CONSTRAINT "TeamEmail_pkey" PRIMARY KEY ("teamId")
);

-- CreateTable
CREATE TABLE "TeamEmailVerification" (
    "teamId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TeamEmailVerification_pkey" PRIMARY KEY ("teamId")
);

-- CreateTable
CREATE TABLE "TeamTransferVerification" (
    "teamId" INTEGER NOT NULL,
    "userId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "clearPaymentMethods" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "TeamTransferVerification_pkey" PRIMARY KEY ("teamId")
);

-- CreateTable
CREATE TABLE "TeamMemberInvite" (
    "id" SERIAL NOT NULL,
    "teamId" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "email" TEXT NOT NULL,
    "status" "TeamMemberInviteStatus" NOT NULL DEFAULT 'PENDING',
    "role" "TeamMemberRole" NOT NULL,
    "token" TEXT NOT NULL,

    CONSTRAINT "TeamMemberInvite_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Team_url_key" ON "Team"("url");

-- CreateIndex
CREATE UNIQUE INDEX "Team_customerId_key" ON "Team"("customerId");

-- CreateIndex
CREATE UNIQUE INDEX "TeamPending_url_key" ON "TeamPending"("url");

-- CreateIndex
CREATE UNIQUE INDEX "TeamPending_customerId_key" ON "TeamPending"("customerId");

-- CreateIndex
CREATE UNIQUE INDEX "TeamMember_userId_teamId_key" ON "TeamMember"("userId", "teamId");

-- CreateIndex
CREATE UNIQUE INDEX "TeamEmail_teamId_key" ON "TeamEmail"("teamId");

-- CreateIndex
CREATE UNIQUE INDEX "TeamEmail_email_key" ON "TeamEmail"("email");

-- CreateIndex
CREATE UNIQUE INDEX "TeamEmailVerification_teamId_key" ON "TeamEmailVerification"("teamId");

-- CreateIndex
CREATE UNIQUE INDEX "TeamEmailVerification_token_key" ON "TeamEmailVerification"("token");

-- CreateIndex
CREATE UNIQUE INDEX "TeamTransferVerification_teamId_key" ON "TeamTransferVerification"("teamId");

-- CreateIndex
CREATE UNIQUE INDEX "TeamTransferVerification_token_key" ON "TeamTransferVerification"("token");

-- CreateIndex
CREATE UNIQUE INDEX "TeamMemberInvite_token_key" ON "TeamMemberInvite"("token");

-- CreateIndex
CREATE UNIQUE INDEX "TeamMemberInvite_teamId_email_key" ON "TeamMemberInvite"("teamId", "email");

-- CreateIndex
CREATE UNIQUE INDEX "Subscription_teamId_key" ON "Subscription"("teamId");

-- AddForeignKey
ALTER TABLE "Subscription" ADD CONSTRAINT "Subscription_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Document" ADD CONSTRAINT "Document_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Team" ADD CONSTRAINT "Team_ownerUserId_fkey" FOREIGN KEY ("ownerUserId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TeamPending" ADD CONSTRAINT "TeamPending_ownerUserId_fkey" FOREIGN KEY ("ownerUserId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TeamMember" ADD CONSTRAINT "TeamMember_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TeamMember" ADD CONSTRAINT "TeamMember_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TeamEmail" ADD CONSTRAINT "TeamEmail_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TeamEmailVerification" ADD CONSTRAINT "TeamEmailVerification_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TeamTransferVerification" ADD CONSTRAINT "TeamTransferVerification_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TeamMemberInvite" ADD CONSTRAINT "TeamMemberInvite_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "Subscription"
ADD CONSTRAINT teamId_or_userId_check
CHECK (
  (
    "teamId" IS NOT NULL
    AND "userId" IS NULL
  )
  OR (
    "teamId" IS NULL
    AND "userId" IS NOT NULL
  )
);

;
-- ==== migrations/20240205120648_create_delete_account/migration.sql
-- Create deleted@documenso.com
DO $$
BEGIN  
  IF NOT EXISTS (SELECT 1 FROM "public"."User" WHERE "email" = 'deleted-account@documenso.com') THEN  
    INSERT INTO
      "public"."User" (
        "email",
        "emailVerified",
        "password",
        "createdAt",
        "updatedAt",
        "lastSignedIn",
        "roles",
        "identityProvider",
        "twoFactorEnabled"
      )
    VALUES
      (
        'deleted-account@documenso.com',
        NOW(),
        NULL,
        NOW(),
        NOW(),
        NOW(),
        ARRAY['USER'::TEXT]::"public"."Role" [],
        CAST('GOOGLE'::TEXT AS "public"."IdentityProvider"),
        FALSE
      );
  END IF;  
END $$

;
-- ==== migrations/20240206051948_add_teams_templates/migration.sql
-- AlterTable
ALTER TABLE "Template" ADD COLUMN     "teamId" INTEGER;

-- AddForeignKey
ALTER TABLE "Template" ADD CONSTRAINT "Template_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20240206111230_add_document_meta_redirect_url/migration.sql
-- AlterTable
ALTER TABLE "DocumentMeta" ADD COLUMN     "redirectUrl" TEXT;

;
-- ==== migrations/20240206131417_add_user_webhooks/migration.sql
-- CreateEnum
CREATE TYPE "WebhookTriggerEvents" AS ENUM ('DOCUMENT_CREATED', 'DOCUMENT_SIGNED');

-- CreateTable
CREATE TABLE "Webhook" (
    "id" SERIAL NOT NULL,
    "webhookUrl" TEXT NOT NULL,
    "eventTriggers" "WebhookTriggerEvents"[],
    "secret" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "userId" INTEGER NOT NULL,

    CONSTRAINT "Webhook_pkey" PRIMARY KEY ("id")
);

-- AddForeignKey
ALTER TABLE "Webhook" ADD CONSTRAINT "Webhook_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20240208135802_make_expiry_date_optional_api_tokens/migration.sql
-- AlterTable
ALTER TABLE "ApiToken" ALTER COLUMN "expires" DROP NOT NULL;

;
-- ==== migrations/20240209023519_add_document_audit_logs/migration.sql
/*
  Warnings:

  - A unique constraint covering the columns `[secondaryId]` on the table `Field` will be added. If there are existing duplicate values, this will fail.
  - The required column `secondaryId` was added to the `Field` table with a prisma-level default value. This is not possible if the table is not empty. Please add this column as optional, then populate it before making it required.

*/
-- AlterTable
ALTER TABLE "Field" ADD COLUMN     "secondaryId" TEXT;

-- Set all null secondaryId fields to a uuid
UPDATE "Field" SET "secondaryId" = gen_random_uuid()::text WHERE "secondaryId" IS NULL;

-- Restrict the Field to required
ALTER TABLE "Field" ALTER COLUMN "secondaryId" SET NOT NULL;

-- CreateTable
CREATE TABLE "DocumentAuditLog" (
    "id" TEXT NOT NULL,
    "documentId" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "type" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "name" TEXT,
    "email" TEXT,
    "userId" INTEGER,
    "userAgent" TEXT,
    "ipAddress" TEXT,

    CONSTRAINT "DocumentAuditLog_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Field_secondaryId_key" ON "Field"("secondaryId");

-- AddForeignKey
ALTER TABLE "DocumentAuditLog" ADD CONSTRAINT "DocumentAuditLog_documentId_fkey" FOREIGN KEY ("documentId") REFERENCES "Document"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20240220115435_add_public_profile_url_bio/migration.sql
/*
  Warnings:

  - A unique constraint covering the columns `[profileURL]` on the table `User` will be added. If there are existing duplicate values, this will fail.

*/
-- AlterTable
ALTER TABLE "User" ADD COLUMN     "profileURL" TEXT;

-- CreateTable
CREATE TABLE "UserProfile" (
    "profileURL" TEXT NOT NULL,
    "profileBio" TEXT,

    CONSTRAINT "UserProfile_pkey" PRIMARY KEY ("profileURL")
);

-- CreateIndex
CREATE UNIQUE INDEX "UserProfile_profileURL_key" ON "UserProfile"("profileURL");

-- CreateIndex
CREATE UNIQUE INDEX "User_profileURL_key" ON "User"("profileURL");

-- AddForeignKey
ALTER TABLE "User" ADD CONSTRAINT "User_profileURL_fkey" FOREIGN KEY ("profileURL") REFERENCES "UserProfile"("profileURL") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20240221055920_support_team_tokens/migration.sql
-- AlterTable
ALTER TABLE "ApiToken" ADD COLUMN     "teamId" INTEGER,
ALTER COLUMN "userId" DROP NOT NULL;

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20240222183156_display_banner/migration.sql
-- CreateTable
CREATE TABLE "Banner" (
    "id" SERIAL NOT NULL,
    "text" TEXT NOT NULL,
    "customHTML" TEXT NOT NULL,
    "userId" INTEGER,

    CONSTRAINT "Banner_pkey" PRIMARY KEY ("id")
);

-- AddForeignKey
ALTER TABLE "Banner" ADD CONSTRAINT "Banner_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

;
-- ==== migrations/20240222183231_banner_show/migration.sql
-- AlterTable
ALTER TABLE "Banner" ADD COLUMN     "show" BOOLEAN NOT NULL DEFAULT false;

;
-- ==== migrations/20240222185936_remove_custom/migration.sql
/*
  Warnings:

  - You are about to drop the column `customHTML` on the `Banner` table. All the data in the column will be lost.

*/
-- AlterTable
ALTER TABLE "Banner" DROP COLUMN "customHTML";

;
-- ==== migrations/20240222230527_change_banner_to_site_settings_model/migration.sql
/*
  Warnings:

  - You are about to drop the `Banner` table. If the table is not empty, all the data it contains will be lost.

*/
-- DropForeignKey
ALTER TABLE "Banner" DROP CONSTRAINT "Banner_userId_fkey";

-- DropTable
DROP TABLE "Banner";

-- CreateTable
CREATE TABLE "SiteSettings" (
    "id" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT false,
    "data" JSONB NOT NULL,
    "lastModifiedByUserId" INTEGER,
    "lastModifiedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SiteSettings_pkey" PRIMARY KEY ("id")
);

-- AddForeignKey
ALTER TABLE "SiteSettings" ADD CONSTRAINT "SiteSettings_lastModifiedByUserId_fkey" FOREIGN KEY ("lastModifiedByUserId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

;
-- ==== migrations/20240222230604_add_site_banner_to_site_settings/migration.sql
INSERT INTO "SiteSettings" ("id", "enabled", "data")
VALUES (
    'site.banner',
    FALSE,
    jsonb_build_object(
      'content',
      'This is a test banner',
      'bgColor',
      '#000000',
      'textColor',
      '#ffffff'
    )
  );
;
-- ==== migrations/20240224085633_extend_webhook_trigger_events/migration.sql
-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "WebhookTriggerEvents" ADD VALUE 'DOCUMENT_SENT';
ALTER TYPE "WebhookTriggerEvents" ADD VALUE 'DOCUMENT_OPENED';
ALTER TYPE "WebhookTriggerEvents" ADD VALUE 'DOCUMENT_COMPLETED';

;
-- ==== migrations/20240226035048_add_recipient_referential_action_for_fields/migration.sql
-- DropForeignKey
ALTER TABLE "Field" DROP CONSTRAINT "Field_recipientId_fkey";

-- AddForeignKey
ALTER TABLE "Field" ADD CONSTRAINT "Field_recipientId_fkey" FOREIGN KEY ("recipientId") REFERENCES "Recipient"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20240227003622_migrate_to_cuids_for_webhooks/migration.sql
/*
  Warnings:

  - The primary key for the `Webhook` table will be changed. If it partially fails, the table could be left without primary key constraint.

*/
-- AlterTable
ALTER TABLE "Webhook" DROP CONSTRAINT "Webhook_pkey",
ALTER COLUMN "id" DROP DEFAULT,
ALTER COLUMN "id" SET DATA TYPE TEXT,
ADD CONSTRAINT "Webhook_pkey" PRIMARY KEY ("id");
DROP SEQUENCE "Webhook_id_seq";

;
-- ==== migrations/20240227015420_add_webhook_call_table/migration.sql
-- CreateEnum
CREATE TYPE "WebhookCallStatus" AS ENUM ('SUCCESS', 'FAILED');

-- CreateTable
CREATE TABLE "WebhookCall" (
    "id" TEXT NOT NULL,
    "status" "WebhookCallStatus" NOT NULL,
    "url" TEXT NOT NULL,
    "requestBody" JSONB NOT NULL,
    "responseCode" INTEGER NOT NULL,
    "responseHeaders" JSONB,
    "responseBody" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "webhookId" TEXT NOT NULL,

    CONSTRAINT "WebhookCall_pkey" PRIMARY KEY ("id")
);

-- AddForeignKey
ALTER TABLE "WebhookCall" ADD CONSTRAINT "WebhookCall_webhookId_fkey" FOREIGN KEY ("webhookId") REFERENCES "Webhook"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20240227023747_add_team_webhooks/migration.sql
-- AlterTable
ALTER TABLE "Webhook" ADD COLUMN     "teamId" INTEGER;

-- AddForeignKey
ALTER TABLE "Webhook" ADD CONSTRAINT "Webhook_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20240227031228_add_event_to_webhook_call_model/migration.sql
/*
  Warnings:

  - Added the required column `event` to the `WebhookCall` table without a default value. This is not possible if the table is not empty.

*/
-- AlterTable
ALTER TABLE "WebhookCall" ADD COLUMN     "event" "WebhookTriggerEvents" NOT NULL;

;
-- ==== migrations/20240227111633_rework_user_profiles/migration.sql
/*
  Warnings:

  - You are about to drop the column `profileURL` on the `User` table. All the data in the column will be lost.
  - The primary key for the `UserProfile` table will be changed. If it partially fails, the table could be left without primary key constraint.
  - You are about to drop the column `profileBio` on the `UserProfile` table. All the data in the column will be lost.
  - You are about to drop the column `profileURL` on the `UserProfile` table. All the data in the column will be lost.
  - A unique constraint covering the columns `[url]` on the table `User` will be added. If there are existing duplicate values, this will fail.
  - Added the required column `id` to the `UserProfile` table without a default value. This is not possible if the table is not empty.

*/
-- DropForeignKey
ALTER TABLE "User" DROP CONSTRAINT "User_profileURL_fkey";

-- DropIndex
DROP INDEX "User_profileURL_key";

-- DropIndex
DROP INDEX "UserProfile_profileURL_key";

-- AlterTable
ALTER TABLE "User" DROP COLUMN "profileURL",
ADD COLUMN     "url" TEXT;

-- AlterTable
ALTER TABLE "UserProfile" DROP CONSTRAINT "UserProfile_pkey",
DROP COLUMN "profileBio",
DROP COLUMN "profileURL",
ADD COLUMN     "bio" TEXT,
ADD COLUMN     "id" INTEGER NOT NULL,
ADD CONSTRAINT "UserProfile_pkey" PRIMARY KEY ("id");

-- CreateIndex
CREATE UNIQUE INDEX "User_url_key" ON "User"("url");

-- AddForeignKey
ALTER TABLE "UserProfile" ADD CONSTRAINT "UserProfile_id_fkey" FOREIGN KEY ("id") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20240306060259_add_passkeys/migration.sql
-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "UserSecurityAuditLogType" ADD VALUE 'PASSKEY_CREATED';
ALTER TYPE "UserSecurityAuditLogType" ADD VALUE 'PASSKEY_DELETED';
ALTER TYPE "UserSecurityAuditLogType" ADD VALUE 'PASSKEY_UPDATED';
ALTER TYPE "UserSecurityAuditLogType" ADD VALUE 'SIGN_IN_PASSKEY_FAIL';

-- CreateTable
CREATE TABLE "Passkey" (
    "id" TEXT NOT NULL,
    "userId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "credentialId" BYTEA NOT NULL,
    "credentialPublicKey" BYTEA NOT NULL,
    "counter" BIGINT NOT NULL,
    "credentialDeviceType" TEXT NOT NULL,
    "credentialBackedUp" BOOLEAN NOT NULL,
    "transports" TEXT[],

    CONSTRAINT "Passkey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AnonymousVerificationToken" (
    "id" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AnonymousVerificationToken_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "AnonymousVerificationToken_id_key" ON "AnonymousVerificationToken"("id");

-- CreateIndex
CREATE UNIQUE INDEX "AnonymousVerificationToken_token_key" ON "AnonymousVerificationToken"("token");

-- AddForeignKey
ALTER TABLE "Passkey" ADD CONSTRAINT "Passkey_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20240311113243_add_document_auth/migration.sql
-- AlterTable
ALTER TABLE "Document" ADD COLUMN     "authOptions" JSONB;

-- AlterTable
ALTER TABLE "Recipient" ADD COLUMN     "authOptions" JSONB;

;
-- ==== migrations/20240327074701_add_secondary_verification_id/migration.sql
/*
  Warnings:

  - A unique constraint covering the columns `[secondaryId]` on the table `VerificationToken` will be added. If there are existing duplicate values, this will fail.
  - The required column `secondaryId` was added to the `VerificationToken` table with a prisma-level default value. This is not possible if the table is not empty. Please add this column as optional, then populate it before making it required.

*/
-- AlterTable
ALTER TABLE "VerificationToken" ADD COLUMN     "secondaryId" TEXT;

-- Set all null secondaryId fields to a uuid
UPDATE "VerificationToken" SET "secondaryId" = gen_random_uuid()::text WHERE "secondaryId" IS NULL;

-- Restrict the VerificationToken to required
ALTER TABLE "VerificationToken" ALTER COLUMN "secondaryId" SET NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "VerificationToken_secondaryId_key" ON "VerificationToken"("secondaryId");

;
-- ==== migrations/20240408083413_add_form_values_column/migration.sql
-- AlterTable
ALTER TABLE "Document" ADD COLUMN     "formValues" JSONB;

;
-- ==== migrations/20240408142543_add_recipient_document_delete/migration.sql
-- AlterTable
ALTER TABLE "Recipient" ADD COLUMN     "documentDeletedAt" TIMESTAMP(3);

-- Hard delete all PENDING documents that have been soft deleted
DELETE FROM "Document" WHERE "deletedAt" IS NOT NULL AND "status" = 'PENDING';

-- Update all recipients who are the owner of the document and where the document has deletedAt set to not null
UPDATE "Recipient"
SET "documentDeletedAt" = "Document"."deletedAt"
FROM "Document", "User"
WHERE "Recipient"."documentId" = "Document"."id"
AND "Recipient"."email" = "User"."email"
AND "Document"."deletedAt" IS NOT NULL;

;
-- ==== migrations/20240413202001_add_oidc_auth/migration.sql
ALTER TYPE "IdentityProvider" ADD VALUE IF NOT EXISTS 'OIDC';
;
-- ==== migrations/20240418140819_remove_impossible_field_optional_states/migration.sql
/*
  Warnings:

  - Made the column `recipientId` on table `Field` required. This step will fail if there are existing NULL values in that column.

*/
-- Drop all Fields where the recipientId is null
DELETE FROM "Field" WHERE "recipientId" IS NULL;

-- AlterTable
ALTER TABLE "Field" ALTER COLUMN "recipientId" SET NOT NULL;

;
-- ==== migrations/20240424072655_update_foreign_key_constraints/migration.sql
-- DropForeignKey
ALTER TABLE "PasswordResetToken" DROP CONSTRAINT "PasswordResetToken_userId_fkey";

-- DropForeignKey
ALTER TABLE "Signature" DROP CONSTRAINT "Signature_fieldId_fkey";

-- DropForeignKey
ALTER TABLE "Team" DROP CONSTRAINT "Team_ownerUserId_fkey";

-- DropForeignKey
ALTER TABLE "TeamMember" DROP CONSTRAINT "TeamMember_userId_fkey";

-- AddForeignKey
ALTER TABLE "PasswordResetToken" ADD CONSTRAINT "PasswordResetToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Signature" ADD CONSTRAINT "Signature_fieldId_fkey" FOREIGN KEY ("fieldId") REFERENCES "Field"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Team" ADD CONSTRAINT "Team_ownerUserId_fkey" FOREIGN KEY ("ownerUserId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TeamMember" ADD CONSTRAINT "TeamMember_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20240503072448_add_more_field_types/migration.sql
-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "FieldType" ADD VALUE 'NUMBER';
ALTER TYPE "FieldType" ADD VALUE 'RADIO';
ALTER TYPE "FieldType" ADD VALUE 'CHECKBOX';
ALTER TYPE "FieldType" ADD VALUE 'DROPDOWN';

;
-- ==== migrations/20240507131804_add_field_meta_for_advanced_fields/migration.sql
-- AlterTable
ALTER TABLE "Field" ADD COLUMN     "fieldMeta" JSONB;

;
-- ==== migrations/20240508150017_add_template_settings/migration.sql
-- AlterTable
ALTER TABLE "Template" ADD COLUMN     "authOptions" JSONB;

-- CreateTable
CREATE TABLE "TemplateMeta" (
    "id" TEXT NOT NULL,
    "subject" TEXT,
    "message" TEXT,
    "timezone" TEXT DEFAULT 'Etc/UTC',
    "password" TEXT,
    "dateFormat" TEXT DEFAULT 'yyyy-MM-dd hh:mm a',
    "templateId" INTEGER NOT NULL,
    "redirectUrl" TEXT,

    CONSTRAINT "TemplateMeta_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "TemplateMeta_templateId_key" ON "TemplateMeta"("templateId");

-- AddForeignKey
ALTER TABLE "TemplateMeta" ADD CONSTRAINT "TemplateMeta_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "Template"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20240516022236_add_background_job_models/migration.sql
-- CreateEnum
CREATE TYPE "BackgroundJobStatus" AS ENUM ('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED');

-- CreateEnum
CREATE TYPE "BackgroundJobTaskStatus" AS ENUM ('PENDING', 'COMPLETED', 'FAILED');

-- CreateTable
CREATE TABLE "BackgroundJob" (
    "id" TEXT NOT NULL,
    "status" "BackgroundJobStatus" NOT NULL DEFAULT 'PENDING',
    "retried" INTEGER NOT NULL DEFAULT 0,
    "maxRetries" INTEGER NOT NULL DEFAULT 3,
    "jobId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "submittedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastRetriedAt" TIMESTAMP(3),

    CONSTRAINT "BackgroundJob_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BackgroundJobTask" (
    "id" TEXT NOT NULL,
    "status" "BackgroundJobTaskStatus" NOT NULL DEFAULT 'PENDING',
    "result" JSONB,
    "retried" INTEGER NOT NULL DEFAULT 0,
    "maxRetries" INTEGER NOT NULL DEFAULT 3,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "jobId" TEXT NOT NULL,

    CONSTRAINT "BackgroundJobTask_pkey" PRIMARY KEY ("id")
);

-- AddForeignKey
ALTER TABLE "BackgroundJobTask" ADD CONSTRAINT "BackgroundJobTask_jobId_fkey" FOREIGN KEY ("jobId") REFERENCES "BackgroundJob"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20240516030441_add_more_timestamp_columns_for_background_jobs/migration.sql
/*
  Warnings:

  - Added the required column `updatedAt` to the `BackgroundJob` table without a default value. This is not possible if the table is not empty.

*/
-- AlterTable
ALTER TABLE "BackgroundJob" ADD COLUMN     "completedAt" TIMESTAMP(3),
ADD COLUMN     "updatedAt" TIMESTAMP(3) NOT NULL;

;
-- ==== migrations/20240516032317_capture_payload_for_background_job/migration.sql
-- AlterTable
ALTER TABLE "BackgroundJob" ADD COLUMN     "payload" JSONB;

;
-- ==== migrations/20240516034546_update_background_job_task_model/migration.sql
/*
  Warnings:

  - Added the required column `name` to the `BackgroundJobTask` table without a default value. This is not possible if the table is not empty.

*/
-- AlterTable
ALTER TABLE "BackgroundJobTask" ADD COLUMN     "completedAt" TIMESTAMP(3),
ADD COLUMN     "name" TEXT NOT NULL;

;
-- ==== migrations/20240530055436_add_template_direct_links/migration.sql
/*
  Warnings:

  - Added the required column `source` to the `Document` table without a default value. This is not possible if the table is not empty.

*/
-- CreateEnum
CREATE TYPE "DocumentSource" AS ENUM ('DOCUMENT', 'TEMPLATE', 'TEMPLATE_DIRECT_LINK');

-- AlterTable
ALTER TABLE "Document" ADD COLUMN     "source" "DocumentSource",
ADD COLUMN     "templateId" INTEGER;

-- Custom: UpdateTable
UPDATE "Document" SET "source" = 'DOCUMENT' WHERE "source" IS NULL;

-- Custom: AlterColumn
ALTER TABLE "Document" ALTER COLUMN     "source" SET NOT NULL;

-- CreateTable
CREATE TABLE "TemplateDirectLink" (
    "id" TEXT NOT NULL,
    "templateId" INTEGER NOT NULL,
    "token" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "enabled" BOOLEAN NOT NULL,
    "directTemplateRecipientId" INTEGER NOT NULL,

    CONSTRAINT "TemplateDirectLink_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "TemplateDirectLink_id_key" ON "TemplateDirectLink"("id");

-- CreateIndex
CREATE UNIQUE INDEX "TemplateDirectLink_templateId_key" ON "TemplateDirectLink"("templateId");

-- CreateIndex
CREATE UNIQUE INDEX "TemplateDirectLink_token_key" ON "TemplateDirectLink"("token");

-- AddForeignKey
ALTER TABLE "Document" ADD CONSTRAINT "Document_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "Template"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TemplateDirectLink" ADD CONSTRAINT "TemplateDirectLink_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "Template"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20240530120101_add_missing_fields_to_account_model_for_oidc/migration.sql
-- AlterTable
ALTER TABLE "Account" ADD COLUMN     "created_at" INTEGER,
ADD COLUMN     "ext_expires_in" INTEGER;

;
-- ==== migrations/20240606060033_add_public_profiles/migration.sql
/*
  Warnings:

  - The primary key for the `UserProfile` table will be changed. If it partially fails, the table could be left without primary key constraint.
  - A unique constraint covering the columns `[userId]` on the table `UserProfile` will be added. If there are existing duplicate values, this will fail.
  - Added the required column `userId` to the `UserProfile` table without a default value. This is not possible if the table is not empty.

*/

-- Custom (Drop duplicate)
UPDATE "User"
SET "url" = NULL
WHERE "User"."url" IN (
  SELECT "UserTeamUrl"."url"
  FROM (
    SELECT "url"
    FROM "User"
    WHERE "User"."url" IS NOT null
    UNION ALL
    SELECT "url"
    FROM "Team"
    WHERE "Team"."url" IS NOT null
  ) as "UserTeamUrl"
  GROUP BY "UserTeamUrl"."url"
  HAVING COUNT("UserTeamUrl"."url") > 1
);

-- Custom (Drop existing profiles since they're not used)
DELETE FROM "UserProfile";

-- DropForeignKey
ALTER TABLE "UserProfile" DROP CONSTRAINT "UserProfile_id_fkey";

-- AlterTable
ALTER TABLE "Template" ADD COLUMN     "publicDescription" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "publicTitle" TEXT NOT NULL DEFAULT '';

-- AlterTable
ALTER TABLE "UserProfile" DROP CONSTRAINT "UserProfile_pkey",
ADD COLUMN     "enabled" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "userId" INTEGER NOT NULL,
ALTER COLUMN "id" SET DATA TYPE TEXT,
ADD CONSTRAINT "UserProfile_pkey" PRIMARY KEY ("id");

-- CreateTable
CREATE TABLE "TeamProfile" (
    "id" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT false,
    "teamId" INTEGER NOT NULL,
    "bio" TEXT,

    CONSTRAINT "TeamProfile_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "TeamProfile_teamId_key" ON "TeamProfile"("teamId");

-- CreateIndex
CREATE UNIQUE INDEX "UserProfile_userId_key" ON "UserProfile"("userId");

-- AddForeignKey
ALTER TABLE "UserProfile" ADD CONSTRAINT "UserProfile_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TeamProfile" ADD CONSTRAINT "TeamProfile_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20240627050809_add_avatar_image_model/migration.sql
-- AlterTable
ALTER TABLE "Team" ADD COLUMN     "avatarImageId" TEXT;

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "avatarImageId" TEXT;

-- CreateTable
CREATE TABLE "AvatarImage" (
    "id" TEXT NOT NULL,
    "bytes" TEXT NOT NULL,

    CONSTRAINT "AvatarImage_pkey" PRIMARY KEY ("id")
);

-- AddForeignKey
ALTER TABLE "User" ADD CONSTRAINT "User_avatarImageId_fkey" FOREIGN KEY ("avatarImageId") REFERENCES "AvatarImage"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Team" ADD CONSTRAINT "Team_avatarImageId_fkey" FOREIGN KEY ("avatarImageId") REFERENCES "AvatarImage"("id") ON DELETE SET NULL ON UPDATE CASCADE;

;
-- ==== migrations/20240712031001_add_external_id_column/migration.sql
-- AlterTable
ALTER TABLE "Document" ADD COLUMN     "externalId" TEXT;

-- AlterTable
ALTER TABLE "Template" ADD COLUMN     "externalId" TEXT;

;
-- ==== migrations/20240713043633_decline_team_invite/migration.sql
-- AlterEnum
ALTER TYPE "TeamMemberInviteStatus" ADD VALUE 'DECLINED';

;
-- ==== migrations/20240730094430_add_document_visibility_scope_per_role/migration.sql
-- AlterTable
ALTER TABLE "Document" ADD COLUMN     "visibility" TEXT;

;
-- ==== migrations/20240802124021_signing_order/migration.sql
-- CreateEnum
CREATE TYPE "DocumentSigningOrder" AS ENUM ('PARALLEL', 'SEQUENTIAL');

-- AlterTable
ALTER TABLE "DocumentMeta" ADD COLUMN     "signingOrder" "DocumentSigningOrder" NOT NULL DEFAULT 'PARALLEL';

;
-- ==== migrations/20240802163841_recipient_signing_order/migration.sql
-- AlterTable
ALTER TABLE "Recipient" ADD COLUMN     "signingOrder" INTEGER;

;
-- ==== migrations/20240812065352_add_initials_field_type/migration.sql
-- AlterEnum
ALTER TYPE "FieldType" ADD VALUE 'INITIALS';

;
-- ==== migrations/20240826094312_add_document_visibility_enum/migration.sql
/*
  Warnings:

  - The `visibility` column on the `Document` table would be dropped and recreated. This will lead to data loss if there is data in the column.

*/
-- CreateEnum
CREATE TYPE "DocumentVisibility" AS ENUM ('EVERYONE', 'MANAGER_AND_ABOVE', 'ADMIN');

-- AlterTable
ALTER TABLE "Document" DROP COLUMN "visibility",
ADD COLUMN     "visibility" "DocumentVisibility" NOT NULL DEFAULT 'EVERYONE';

;
-- ==== migrations/20240828014236_add_completed_flag_for_verification_tokens/migration.sql
-- AlterTable
ALTER TABLE "TeamEmailVerification" ADD COLUMN     "completed" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "TeamTransferVerification" ADD COLUMN     "completed" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "VerificationToken" ADD COLUMN     "completed" BOOLEAN NOT NULL DEFAULT false;

;
-- ==== migrations/20240913024015_add_signing_order_to_template_meta/migration.sql
-- AlterTable
ALTER TABLE "TemplateMeta" ADD COLUMN     "signingOrder" "DocumentSigningOrder" DEFAULT 'PARALLEL';

;
-- ==== migrations/20240920084713_add_typed_signature_option/migration.sql
-- AlterTable
ALTER TABLE "DocumentMeta" ADD COLUMN     "enabledTypedSignature" BOOLEAN NOT NULL DEFAULT false;

;
-- ==== migrations/20241017035042_rename_typed_signature_option/migration.sql
/*
  Warnings:

  - You are about to drop the column `enabledTypedSignature` on the `DocumentMeta` table. All the data in the column will be lost.

*/
-- AlterTable
ALTER TABLE "DocumentMeta" DROP COLUMN "enabledTypedSignature",
ADD COLUMN     "typedSignatureEnabled" BOOLEAN NOT NULL DEFAULT false;

;
-- ==== migrations/20241021133616_add_global_team_settings/migration.sql
-- CreateTable
CREATE TABLE "TeamGlobalSettings" (
    "teamId" INTEGER NOT NULL,
    "documentVisibility" "DocumentVisibility" NOT NULL DEFAULT 'EVERYONE',
    "includeSenderDetails" BOOLEAN NOT NULL DEFAULT true
);

-- CreateIndex
CREATE UNIQUE INDEX "TeamGlobalSettings_teamId_key" ON "TeamGlobalSettings"("teamId");

-- AddForeignKey
ALTER TABLE "TeamGlobalSettings" ADD CONSTRAINT "TeamGlobalSettings_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20241101103425_add_language_column_for_documents_and_templates/migration.sql
-- AlterTable
ALTER TABLE "DocumentMeta" ADD COLUMN     "language" TEXT NOT NULL DEFAULT 'en';

-- AlterTable
ALTER TABLE "TemplateMeta" ADD COLUMN     "language" TEXT NOT NULL DEFAULT 'en';

;
-- ==== migrations/20241101112106_enable_typed_signature_by_default/migration.sql
-- AlterTable
ALTER TABLE "DocumentMeta" ALTER COLUMN "typedSignatureEnabled" SET DEFAULT true;

;
-- ==== migrations/20241107034521_add_branding_to_team_settings/migration.sql
-- AlterTable
ALTER TABLE "TeamGlobalSettings" ADD COLUMN     "brandingCompanyDetails" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "brandingEnabled" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "brandingHidePoweredBy" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "brandingLogo" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "brandingUrl" TEXT NOT NULL DEFAULT '';

;
-- ==== migrations/20241107095908_add_document_email_setting/migration.sql
-- CreateEnum
CREATE TYPE "DocumentDistributionMethod" AS ENUM ('EMAIL', 'NONE');

-- AlterTable
ALTER TABLE "DocumentMeta" ADD COLUMN     "distributionMethod" "DocumentDistributionMethod" NOT NULL DEFAULT 'EMAIL',
ADD COLUMN     "emailSettings" JSONB;

-- AlterTable
ALTER TABLE "TemplateMeta" ADD COLUMN     "distributionMethod" "DocumentDistributionMethod" NOT NULL DEFAULT 'EMAIL',
ADD COLUMN     "emailSettings" JSONB;

;
-- ==== migrations/20241107223943_add_document_language_preference/migration.sql
-- AlterTable
ALTER TABLE "TeamGlobalSettings" ADD COLUMN     "documentLanguage" TEXT NOT NULL DEFAULT 'en';

;
-- ==== migrations/20241112223435_add_rejection_status_and_reason_to_recipient_schema/migration.sql
-- AlterEnum
ALTER TYPE "SigningStatus" ADD VALUE 'REJECTED';

-- AlterTable
ALTER TABLE "Recipient" ADD COLUMN     "rejectionReason" TEXT;

;
-- ==== migrations/20241119123601_add_typed_signature_team_global_settings/migration.sql
-- AlterTable
ALTER TABLE "TeamGlobalSettings" ADD COLUMN     "typedSignatureEnabled" BOOLEAN NOT NULL DEFAULT true;

;
-- ==== migrations/20241122081012_download_document_without_certificate/migration.sql
-- AlterTable
ALTER TABLE "TeamGlobalSettings" ADD COLUMN     "includeSigningCertificate" BOOLEAN NOT NULL DEFAULT true;

;
-- ==== migrations/20241126014353_add_typed_signature_setting_to_templates/migration.sql
-- Existing templates should not have this enabled by default.
-- AlterTable
ALTER TABLE "TemplateMeta" ADD COLUMN     "typedSignatureEnabled" BOOLEAN NOT NULL DEFAULT false;

-- New templates should have this enabled by default.
-- AlterTable
ALTER TABLE "TemplateMeta" ALTER COLUMN "typedSignatureEnabled" SET DEFAULT true;

;
-- ==== migrations/20241203223835_add_document_rejected_webhook_enum/migration.sql
-- AlterEnum
ALTER TYPE "WebhookTriggerEvents" ADD VALUE 'DOCUMENT_REJECTED';

;
-- ==== migrations/20241217103826_add_disabled_property_user_table/migration.sql
-- AlterTable
ALTER TABLE "User" ADD COLUMN     "disabled" BOOLEAN NOT NULL DEFAULT false;

;
-- ==== migrations/20241231121013_add_visibility_to_template/migration.sql
-- AlterTable
ALTER TABLE "Template" ADD COLUMN     "visibility" "DocumentVisibility" NOT NULL DEFAULT 'EVERYONE';

;
-- ==== migrations/20250108133544_add_assistant_recipient_role/migration.sql
-- AlterEnum
ALTER TYPE "RecipientRole" ADD VALUE 'ASSISTANT';

;
-- ==== migrations/20250124135853_add_cancelled_event_webhooks/migration.sql
-- AlterEnum
ALTER TYPE "WebhookTriggerEvents" ADD VALUE 'DOCUMENT_CANCELLED';

;
-- ==== migrations/20250217120859_add_session_fields/migration.sql
/*
  Warnings:

  - You are about to drop the column `expires` on the `Session` table. All the data in the column will be lost.
  - Added the required column `expiresAt` to the `Session` table without a default value. This is not possible if the table is not empty.
  - Added the required column `updatedAt` to the `Session` table without a default value. This is not possible if the table is not empty.

*/
-- AlterTable
ALTER TABLE "Account" ADD COLUMN     "password" TEXT;

-- AlterTable
ALTER TABLE "Session" DROP COLUMN "expires",
ADD COLUMN     "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "expiresAt" TIMESTAMP(3) NOT NULL,
ADD COLUMN     "ipAddress" TEXT,
ADD COLUMN     "updatedAt" TIMESTAMP(3) NOT NULL,
ADD COLUMN     "userAgent" TEXT;

;
-- ==== migrations/20250311103458_add_rejected_document_status/migration.sql
-- AlterEnum
ALTER TYPE "DocumentStatus" ADD VALUE 'REJECTED';

;
-- ==== migrations/20250313015104_add_signatures_toggle/migration.sql
-- AlterTable
ALTER TABLE "DocumentMeta" ADD COLUMN     "drawSignatureEnabled" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "uploadSignatureEnabled" BOOLEAN NOT NULL DEFAULT true;

-- AlterTable
ALTER TABLE "TeamGlobalSettings" ADD COLUMN     "drawSignatureEnabled" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "uploadSignatureEnabled" BOOLEAN NOT NULL DEFAULT true;

-- AlterTable
ALTER TABLE "TemplateMeta" ADD COLUMN     "drawSignatureEnabled" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "uploadSignatureEnabled" BOOLEAN NOT NULL DEFAULT true;

;
-- ==== migrations/20250318072444_add_document_folders/migration.sql
-- AlterTable
ALTER TABLE "Document" ADD COLUMN     "folderId" INTEGER;

-- CreateTable
CREATE TABLE "Folder" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "userId" INTEGER NOT NULL,
    "teamId" INTEGER,
    "parentId" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Folder_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Folder_userId_idx" ON "Folder"("userId");

-- CreateIndex
CREATE INDEX "Folder_teamId_idx" ON "Folder"("teamId");

-- CreateIndex
CREATE INDEX "Folder_parentId_idx" ON "Folder"("parentId");

-- CreateIndex
CREATE INDEX "Document_folderId_idx" ON "Document"("folderId");

-- AddForeignKey
ALTER TABLE "Folder" ADD CONSTRAINT "Folder_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Folder" ADD CONSTRAINT "Folder_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Folder" ADD CONSTRAINT "Folder_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Folder"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Document" ADD CONSTRAINT "Document_folderId_fkey" FOREIGN KEY ("folderId") REFERENCES "Folder"("id") ON DELETE SET NULL ON UPDATE CASCADE;

;
-- ==== migrations/20250320113205_add_dictate_signing_order_meta_field/migration.sql
-- AlterTable
ALTER TABLE "DocumentMeta" ADD COLUMN     "allowDictateNextSigner" BOOLEAN NOT NULL DEFAULT false;

;
-- ==== migrations/20250320113413_add_signing_order_dictate_meta_field_to_templates/migration.sql
-- AlterTable
ALTER TABLE "TemplateMeta" ADD COLUMN     "allowDictateNextSigner" BOOLEAN NOT NULL DEFAULT false;

;
-- ==== migrations/20250324135010_model_folder_update_id_type_and_add_pinned_property/migration.sql
/*
  Warnings:

  - The primary key for the `Folder` table will be changed. If it partially fails, the table could be left without primary key constraint.

*/
-- DropForeignKey
ALTER TABLE "Document" DROP CONSTRAINT "Document_folderId_fkey";

-- DropForeignKey
ALTER TABLE "Folder" DROP CONSTRAINT "Folder_parentId_fkey";

-- AlterTable
ALTER TABLE "Document" ALTER COLUMN "folderId" SET DATA TYPE TEXT;

-- AlterTable
ALTER TABLE "Folder" DROP CONSTRAINT "Folder_pkey",
ADD COLUMN     "pinned" BOOLEAN NOT NULL DEFAULT false,
ALTER COLUMN "id" DROP DEFAULT,
ALTER COLUMN "id" SET DATA TYPE TEXT,
ALTER COLUMN "parentId" SET DATA TYPE TEXT,
ADD CONSTRAINT "Folder_pkey" PRIMARY KEY ("id");
DROP SEQUENCE "Folder_id_seq";

-- AddForeignKey
ALTER TABLE "Folder" ADD CONSTRAINT "Folder_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Folder"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Document" ADD CONSTRAINT "Document_folderId_fkey" FOREIGN KEY ("folderId") REFERENCES "Folder"("id") ON DELETE SET NULL ON UPDATE CASCADE;

;
-- ==== migrations/20250328135807_add_folder_visibility/migration.sql
-- AlterTable
ALTER TABLE "Folder" ADD COLUMN     "visibility" "DocumentVisibility" NOT NULL DEFAULT 'EVERYONE';

;
-- ==== migrations/20250404111643_add_folder_type_and_template_folders/migration.sql
/*
  Warnings:

  - Added the required column `type` to the `Folder` table without a default value. This is not possible if the table is not empty.

*/
-- CreateEnum
CREATE TYPE "FolderType" AS ENUM ('DOCUMENT', 'TEMPLATE');

-- AlterTable
ALTER TABLE "Folder" ADD COLUMN     "type" "FolderType" NOT NULL;

-- AlterTable
ALTER TABLE "Template" ADD COLUMN     "folderId" TEXT;

-- CreateIndex
CREATE INDEX "Folder_type_idx" ON "Folder"("type");

-- AddForeignKey
ALTER TABLE "Template" ADD CONSTRAINT "Template_folderId_fkey" FOREIGN KEY ("folderId") REFERENCES "Folder"("id") ON DELETE SET NULL ON UPDATE CASCADE;

;
-- ==== migrations/20250407124054_add_delete_oncascade_folder/migration.sql
-- DropForeignKey
ALTER TABLE "Document" DROP CONSTRAINT "Document_folderId_fkey";

-- DropForeignKey
ALTER TABLE "Template" DROP CONSTRAINT "Template_folderId_fkey";

-- AddForeignKey
ALTER TABLE "Document" ADD CONSTRAINT "Document_folderId_fkey" FOREIGN KEY ("folderId") REFERENCES "Folder"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Template" ADD CONSTRAINT "Template_folderId_fkey" FOREIGN KEY ("folderId") REFERENCES "Folder"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20250423062206_add_legacy_field_insertion_column/migration.sql
-- AlterTable
ALTER TABLE "Document" ADD COLUMN     "useLegacyFieldInsertion" BOOLEAN NOT NULL DEFAULT true;

-- AlterTable
ALTER TABLE "Template" ADD COLUMN     "useLegacyFieldInsertion" BOOLEAN NOT NULL DEFAULT true;

;
-- ==== migrations/20250423062248_set_legacy_field_insert_default_to_false/migration.sql
-- AlterTable
ALTER TABLE "Document" ALTER COLUMN "useLegacyFieldInsertion" SET DEFAULT false;

-- AlterTable
ALTER TABLE "Template" ALTER COLUMN "useLegacyFieldInsertion" SET DEFAULT false;

;
-- ==== migrations/20250425015123_add_qr_token_to_document/migration.sql
-- AlterTable
ALTER TABLE "Document" ADD COLUMN     "qrToken" TEXT;

;
-- ==== migrations/20250501123616_add_embedded_authoring_team_flag/migration.sql
-- AlterTable
ALTER TABLE "TeamGlobalSettings" ADD COLUMN     "allowEmbeddedAuthoring" BOOLEAN NOT NULL DEFAULT false;

;
-- ==== migrations/20250522054049_add_id_generator/migration.sql
/*
 * Copyright 2024 Viascom Ltd liab. Co
 *
 * Licensed to the Apache Software Foundation (ASF) under one
 * or more contributor license agreements.  See the NOTICE file
 * distributed with this work for additional information
 * regarding copyright ownership.  The ASF licenses this file
 * to you under the Apache License, Version 2.0 (the
 * "License"); you may not use this file except in compliance
 * with the License.  You may obtain a copy of the License at
 *
 *   http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing,
 * software distributed under the License is distributed on an
 * "AS IS" BASIS, WITHOUT WARRANTIES OR CONDITIONS OF ANY
 * KIND, either express or implied.  See the License for the
 * specific language governing permissions and limitations
 * under the License.
 */

CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- The `nanoid()` function generates a compact, URL-friendly unique identifier.
-- Based on the given size and alphabet, it creates a randomized string that's ideal for
-- use-cases requiring small, unpredictable IDs (e.g., URL shorteners, generated file names, etc.).
-- While it comes with a default configuration, the function is designed to be flexible,
-- allowing for customization to meet specific needs.
DROP FUNCTION IF EXISTS nanoid(int, text, float);
CREATE OR REPLACE FUNCTION nanoid(
    size int DEFAULT 21, -- The number of symbols in the NanoId String. Must be greater than 0.
    alphabet text DEFAULT '_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', -- The symbols used in the NanoId String. Must contain between 1 and 255 symbols.
    additionalBytesFactor float DEFAULT 1.6 -- The additional bytes factor used for calculating the step size. Must be equal or greater then 1.
)
    RETURNS text -- A randomly generated NanoId String
    LANGUAGE plpgsql
    VOLATILE
    PARALLEL SAFE
    -- Uncomment the following line if you have superuser privileges
    -- LEAKPROOF
AS
$$
DECLARE
    alphabetArray  text[];
    alphabetLength int := 64;
    mask           int := 63;
    step           int := 34;
BEGIN
    IF size IS NULL OR size < 1 THEN
        RAISE EXCEPTION 'The size must be defined and greater than 0!';
    END IF;

    IF alphabet IS NULL OR length(alphabet) = 0 OR length(alphabet) > 255 THEN
        RAISE EXCEPTION 'The alphabet can''t be undefined, zero or bigger than 255 symbols!';
    END IF;

    IF additionalBytesFactor IS NULL OR additionalBytesFactor < 1 THEN
        RAISE EXCEPTION 'The additional bytes factor can''t be less than 1!';
    END IF;

    alphabetArray := regexp_split_to_array(alphabet, '');
    alphabetLength := array_length(alphabetArray, 1);
    mask := (2 << cast(floor(log(alphabetLength - 1) / log(2)) as int)) - 1;
    step := cast(ceil(additionalBytesFactor * mask * size / alphabetLength) AS int);

    IF step > 1024 THEN
        step := 1024; -- The step size % can''t be bigger then 1024!
    END IF;

    RETURN nanoid_optimized(size, alphabet, mask, step);
END
$$;

-- Generates an optimized random string of a specified size using the given alphabet, mask, and step.
-- This optimized version is designed for higher performance and lower memory overhead.
-- No checks are performed! Use it only if you really know what you are doing.
DROP FUNCTION IF EXISTS nanoid_optimized(int, text, int, int);
CREATE OR REPLACE FUNCTION nanoid_optimized(
    size int, -- The desired length of the generated string.
    alphabet text, -- The set of characters to choose from for generating the string.
    mask int, -- The mask used for mapping random bytes to alphabet indices. Should be `(2^n) - 1` where `n` is a power of 2 less than or equal to the alphabet size.
    step int -- The number of random bytes to generate in each iteration. A larger value may speed up the function but increase memory usage.
)
    RETURNS text -- A randomly generated NanoId String
    LANGUAGE plpgsql
    VOLATILE
    PARALLEL SAFE
    -- Uncomment the following line if you have superuser privileges
    -- LEAKPROOF
AS
$$
DECLARE
    idBuilder      text := '';
    counter        int  := 0;
    bytes          bytea;
    alphabetIndex  int;
    alphabetArray  text[];
    alphabetLength int  := 64;
BEGIN
    alphabetArray := regexp_split_to_array(alphabet, '');
    alphabetLength := array_length(alphabetArray, 1);

    LOOP
        bytes := gen_random_bytes(step);
        FOR counter IN 0..step - 1
            LOOP
                alphabetIndex := (get_byte(bytes, counter) & mask) + 1;
                IF alphabetIndex <= alphabetLength THEN
                    idBuilder := idBuilder || alphabetArray[alphabetIndex];
                    IF length(idBuilder) = size THEN
                        RETURN idBuilder;
                    END IF;
                END IF;
            END LOOP;
    END LOOP;
END
$$;

-- CUSTOM FUNCTION FOR GENERIC PREFIXED IDS
CREATE OR REPLACE FUNCTION generate_prefix_id(prefix TEXT)
RETURNS TEXT AS $$
BEGIN
  RETURN prefix || '_' || nanoid(16, 'abcdefhiklmnorstuvwxyz');
END;
$$ LANGUAGE plpgsql VOLATILE;

-- CUSTOM FUNCTION FOR GENERIC IDS
CREATE OR REPLACE FUNCTION generate_id()
RETURNS TEXT AS $$
BEGIN
  RETURN nanoid(16, 'abcdefhiklmnorstuvwxyz');
END;
$$ LANGUAGE plpgsql VOLATILE;

;
-- ==== migrations/20250522054050_add_organisations/migration.sql
/*
 * Organisation migration
 *
 * High level summary:
 * 1. Create a personal organisation for all users and move their personal entities (documents/templates/etc) into it
 * 2. Create an organisation for each user subscription, group teams with no subscriptions into these organisations
 * 3. Create an organisation for all teams with subscriptions
 *
 * Search "CUSTOM_CHANGE" to find areas where custom changes to the migration have occurred.
 *
 * POST MIGRATION REQUIREMENTS:
 * - Move individual subscriptions into personal organisations and delete the original organisation
 * - Set claims for all organisations
 * - Todo: orgs check for anything else.
 */

/*
 * Clean up subscriptions prior to full migration:
 * - Ensure each user has a maximum of 1 subscription tied to the "User" table
 * - Move the customerId from the teams/users into the subscription itself
 */
-- [CUSTOM_CHANGE_START]
WITH subscriptions_to_delete AS (
  SELECT
    id,
    ROW_NUMBER() OVER (
      PARTITION BY "userId"
      ORDER BY
        (status = 'ACTIVE') DESC,  -- Prioritize active subscriptions
        "updatedAt" DESC          -- Then by most recently updated
    ) AS rn
  FROM "Subscription" s
  WHERE s."userId" IS NOT NULL
),
to_delete AS (
  SELECT id
  FROM subscriptions_to_delete
  WHERE rn > 1
)
DELETE FROM "Subscription"
WHERE id IN (SELECT id FROM to_delete);

-- Add customerId to Subscription
ALTER TABLE "Subscription" ADD COLUMN "customerId" TEXT;

-- Move customerId from User to Subscription
UPDATE "Subscription" s
SET "customerId" = u."customerId"
FROM "User" u
WHERE s."userId" = u."id";

-- Move customerId from Team to Subscription
UPDATE "Subscription" s
SET "customerId" = t."customerId"
FROM "Team" t
WHERE s."teamId" = t."id";

-- Remove any subscriptions with missing customerId
DELETE FROM "Subscription"
WHERE "customerId" IS NULL;

-- Make customerId not null
ALTER TABLE "Subscription" ALTER COLUMN "customerId" SET NOT NULL;

-- [CUSTOM_CHANGE_END]

-- DropForeignKey
ALTER TABLE "Subscription" DROP CONSTRAINT "Subscription_teamId_fkey";
ALTER TABLE "Subscription" DROP CONSTRAINT "Subscription_userId_fkey";

-- DropIndex
DROP INDEX "Subscription_teamId_key";
DROP INDEX "Subscription_userId_idx";

-- DropConstraints
ALTER TABLE "Subscription" DROP CONSTRAINT "teamid_or_userid_check";

/*
 * Before starting the real migration, we want to do the following:
 * - Give every user a team with their personal entities (documents, templates, webhooks, profile, apiTokens)
 * - The team is temporary and tagged with a "isPersonal" boolean
*/
-- [CUSTOM_CHANGE_START]

-- 1. Ensure all users have a URL by setting a default CUID
UPDATE "User"
SET "url" = generate_id()
WHERE "url" IS NULL;

-- 2. Make User URL required
ALTER TABLE "User" ALTER COLUMN "url" SET NOT NULL;

-- 3. Add temp isPersonal boolean to Team table with default false
ALTER TABLE "Team" ADD COLUMN "isPersonal" BOOLEAN NOT NULL DEFAULT false;

-- 4. Create a personal team for every user
INSERT INTO "Team" ("name", "url", "createdAt", "ownerUserId", "avatarImageId", "isPersonal")
SELECT
'Personal Team',
"url", -- Use the user's URL directly
NOW(),
"id",
"avatarImageId",
true -- Set isPersonal to true for these personal teams
FROM "User" u;

-- 5. Add each user as an ADMIN member of their own team
INSERT INTO "TeamMember" ("teamId", "userId", "role", "createdAt")
SELECT t."id", u."id", 'ADMIN', NOW()
FROM "User" u
JOIN "Team" t ON t."ownerUserId" = u."id"
WHERE t."isPersonal" = true;

-- 6. Migrate user's documents to their personal team
UPDATE "Document"
SET
"teamId" = t."id"
FROM "Team" t, "TeamMember" tm
WHERE tm."teamId" = t."id"
AND tm."userId" = "Document"."userId"
AND "Document"."userId" = t."ownerUserId"
AND "Document"."teamId" IS NULL
AND t."isPersonal" = true;

-- 7. Migrate user's templates to their team
UPDATE "Template"
SET
"teamId" = t."id"
FROM "Team" t, "TeamMember" tm
WHERE tm."teamId" = t."id"
AND tm."userId" = "Template"."userId"
AND "Template"."userId" = t."ownerUserId"
AND "Template"."teamId" IS NULL
AND t."isPersonal" = true;

-- 8. Migrate user's folders to their team
UPDATE "Folder" f
SET "teamId" = t."id"
FROM "Team" t
WHERE f."userId" = t."ownerUserId" AND f."teamId" IS NULL AND t."isPersonal" = true;

-- 9. Migrate user's webhooks to their team
UPDATE "Webhook" w
SET "teamId" = t."id"
FROM "Team" t
WHERE w."userId" = t."ownerUserId" AND w."teamId" IS NULL AND t."isPersonal" = true;

-- 10. Migrate user's API tokens to their team
UPDATE "ApiToken" apiToken
SET "teamId" = t."id"
FROM "Team" t
WHERE apiToken."userId" = t."ownerUserId" AND apiToken."teamId" IS NULL AND t."isPersonal" = true;

-- 11. Migrate user's team profiles to their team
INSERT INTO "TeamProfile" ("id", "enabled", "bio", "teamId")
SELECT
  gen_random_uuid(),
  up."enabled",
  up."bio",
  t."id" AS teamId
FROM "UserProfile" up
JOIN "User" u ON u."id" = up."userId"
JOIN "Team" t ON t."ownerUserId" = u."id" AND t."isPersonal" = TRUE;

-- [CUSTOM_CHANGE_END]

-- CreateEnum
CREATE TYPE "OrganisationGroupType" AS ENUM ('INTERNAL_ORGANISATION', 'INTERNAL_TEAM', 'CUSTOM');

-- CreateEnum
CREATE TYPE "OrganisationMemberRole" AS ENUM ('ADMIN', 'MANAGER', 'MEMBER');

-- CreateEnum
CREATE TYPE "OrganisationMemberInviteStatus" AS ENUM ('ACCEPTED', 'PENDING', 'DECLINED');

-- CreateEnum
CREATE TYPE "OrganisationType" AS ENUM ('PERSONAL', 'ORGANISATION');

-- DropForeignKey
ALTER TABLE "Document" DROP CONSTRAINT "Document_teamId_fkey";

-- DropForeignKey
ALTER TABLE "Team" DROP CONSTRAINT "Team_ownerUserId_fkey";

-- DropForeignKey
ALTER TABLE "TeamGlobalSettings" DROP CONSTRAINT "TeamGlobalSettings_teamId_fkey";

-- DropForeignKey
ALTER TABLE "TeamMemberInvite" DROP CONSTRAINT "TeamMemberInvite_teamId_fkey";

-- DropForeignKey
ALTER TABLE "TeamPending" DROP CONSTRAINT "TeamPending_ownerUserId_fkey";

-- DropForeignKey
ALTER TABLE "TeamTransferVerification" DROP CONSTRAINT "TeamTransferVerification_teamId_fkey";

-- DropForeignKey
ALTER TABLE "UserProfile" DROP CONSTRAINT "UserProfile_userId_fkey";

-- DropIndex
DROP INDEX "Team_customerId_key";

-- DropIndex
DROP INDEX "TeamGlobalSettings_teamId_key";

-- DropIndex
DROP INDEX "User_customerId_key";

-- DropIndex
DROP INDEX "User_url_key";

-- DropTable
DROP TABLE "UserProfile";

-- AlterTable
ALTER TABLE "Folder" ALTER COLUMN "teamId" SET NOT NULL;

-- AlterTable
ALTER TABLE "Webhook" ALTER COLUMN "teamId" SET NOT NULL;

-- AlterTable
ALTER TABLE "ApiToken" ALTER COLUMN "teamId" SET NOT NULL;

-- AlterTable
ALTER TABLE "Document" ALTER COLUMN "teamId" SET NOT NULL;

-- AlterTable
ALTER TABLE "Subscription" ADD COLUMN     "organisationId" TEXT; -- [CUSTOM_CHANGE] This is supposed to be NOT NULL (we reapply it at the end)

-- AlterTable
ALTER TABLE "Team" DROP COLUMN "customerId",
ADD COLUMN     "organisationId" TEXT, -- [CUSTOM_CHANGE] This is supposed to be NOT NULL (we reapply it at the end)
ADD COLUMN     "teamGlobalSettingsId" TEXT; -- [CUSTOM_CHANGE] This is supposed to be NOT NULL (we reapply it at the end)

-- AlterTable
ALTER TABLE "TeamGlobalSettings" DROP COLUMN "allowEmbeddedAuthoring",
DROP COLUMN "brandingHidePoweredBy",
ADD COLUMN     "id" TEXT, -- [CUSTOM_CHANGE] Supposed to be NOT NULL but we apply it after generating default IDs
ALTER COLUMN "documentVisibility" DROP NOT NULL,
ALTER COLUMN "documentVisibility" DROP DEFAULT,
ALTER COLUMN "includeSenderDetails" DROP NOT NULL,
ALTER COLUMN "includeSenderDetails" DROP DEFAULT,
ALTER COLUMN "brandingCompanyDetails" DROP NOT NULL,
ALTER COLUMN "brandingCompanyDetails" DROP DEFAULT,
ALTER COLUMN "brandingEnabled" DROP NOT NULL,
ALTER COLUMN "brandingEnabled" DROP DEFAULT,
ALTER COLUMN "brandingLogo" DROP NOT NULL,
ALTER COLUMN "brandingLogo" DROP DEFAULT,
ALTER COLUMN "brandingUrl" DROP NOT NULL,
ALTER COLUMN "brandingUrl" DROP DEFAULT,
ALTER COLUMN "documentLanguage" DROP NOT NULL,
ALTER COLUMN "documentLanguage" DROP DEFAULT,
ALTER COLUMN "typedSignatureEnabled" DROP NOT NULL,
ALTER COLUMN "typedSignatureEnabled" DROP DEFAULT,
ALTER COLUMN "includeSigningCertificate" DROP NOT NULL,
ALTER COLUMN "includeSigningCertificate" DROP DEFAULT,
ALTER COLUMN "drawSignatureEnabled" DROP NOT NULL,
ALTER COLUMN "drawSignatureEnabled" DROP DEFAULT,
ALTER COLUMN "uploadSignatureEnabled" DROP NOT NULL,
ALTER COLUMN "uploadSignatureEnabled" DROP DEFAULT;

-- [CUSTOM_CHANGE] Generate IDs for existing TeamGlobalSettings records. We link it later.
UPDATE "TeamGlobalSettings" SET "id" = generate_prefix_id('team_setting') WHERE "id" IS NULL;

-- [CUSTOM_CHANGE] Make the id column NOT NULL and add primary key
ALTER TABLE "TeamGlobalSettings"
ALTER COLUMN "id" SET NOT NULL,
ADD CONSTRAINT "TeamGlobalSettings_pkey" PRIMARY KEY ("id");

-- AlterTable
ALTER TABLE "Template" ALTER COLUMN "teamId" SET NOT NULL;

-- AlterTable
ALTER TABLE "User" DROP COLUMN "customerId";

-- DropTable
DROP TABLE "TeamMemberInvite";

-- DropTable
DROP TABLE "TeamPending";

-- DropTable
DROP TABLE "TeamTransferVerification";

-- DropEnum
DROP TYPE "TeamMemberInviteStatus";

-- CreateTable
CREATE TABLE "SubscriptionClaim" (
    "id" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "name" TEXT NOT NULL,
    "locked" BOOLEAN NOT NULL DEFAULT false,
    "teamCount" INTEGER NOT NULL,
    "memberCount" INTEGER NOT NULL,
    "flags" JSONB NOT NULL,

    CONSTRAINT "SubscriptionClaim_pkey" PRIMARY KEY ("id")
);

-- Todo: orgs validate prior to release
-- [CUSTOM_CHANGE] Insert default subscription claims
INSERT INTO "SubscriptionClaim" ("id", "name", "locked", "teamCount", "memberCount", "flags", "createdAt", "updatedAt")
VALUES
  ('free', 'Free', true, 1, 1, '{}'::jsonb, NOW(), NOW()),
  ('individual', 'Individual', true, 1, 1, '{"unlimitedDocuments": true}'::jsonb, NOW(), NOW()),
  ('team', 'Teams', true, 1, 5, '{"unlimitedDocuments": true, "allowCustomBranding": true, "embedSigning": true}'::jsonb, NOW(), NOW()),
  ('platform', 'Platform', true, 1, 0, '{"unlimitedDocuments": true, "allowCustomBranding": true, "hidePoweredBy": true, "embedAuthoring": false, "embedAuthoringWhiteLabel": true, "embedSigning": false, "embedSigningWhiteLabel": true}'::jsonb, NOW(), NOW()),
  ('enterprise', 'Enterprise', true, 0, 0, '{"unlimitedDocuments": true, "allowCustomBranding": true, "hidePoweredBy": true, "embedAuthoring": true, "embedAuthoringWhiteLabel": true, "embedSigning": true, "embedSigningWhiteLabel": true, "cfr21": true}'::jsonb, NOW(), NOW()),
  ('earlyAdopter', 'Early Adopter', true, 0, 0, '{"unlimitedDocuments": true, "allowCustomBranding": true, "hidePoweredBy": true, "embedSigning": true, "embedSigningWhiteLabel": true}'::jsonb, NOW(), NOW());

-- CreateTable
CREATE TABLE "OrganisationClaim" (
    "id" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "originalSubscriptionClaimId" TEXT,
    "teamCount" INTEGER NOT NULL,
    "memberCount" INTEGER NOT NULL,
    "flags" JSONB NOT NULL,

    CONSTRAINT "OrganisationClaim_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Organisation" (
    "id" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "type" "OrganisationType" NOT NULL,
    "name" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "avatarImageId" TEXT,
    "customerId" TEXT,
    "ownerUserId" INTEGER NOT NULL,
    "organisationClaimId" TEXT, -- [CUSTOM_CHANGE] Is supposed to be NOT NULL (we reapply it at the end)
    "organisationGlobalSettingsId" TEXT, -- [CUSTOM_CHANGE] Is supposed to be NOT NULL (we reapply it at the end)
    "teamId" INTEGER, -- [CUSTOM_CHANGE] This is a temporary column for migration purposes.

    CONSTRAINT "Organisation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrganisationMember" (
    "id" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "userId" INTEGER NOT NULL,
    "organisationId" TEXT NOT NULL,

    CONSTRAINT "OrganisationMember_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrganisationMemberInvite" (
    "id" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "email" TEXT NOT NULL,
    "token" TEXT NOT NULL,
    "status" "OrganisationMemberInviteStatus" NOT NULL DEFAULT 'PENDING',
    "organisationId" TEXT NOT NULL,
    "organisationRole" "OrganisationMemberRole" NOT NULL,

    CONSTRAINT "OrganisationMemberInvite_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrganisationGroup" (
    "id" TEXT NOT NULL,
    "name" TEXT,
    "type" "OrganisationGroupType" NOT NULL,
    "organisationRole" "OrganisationMemberRole" NOT NULL,
    "organisationId" TEXT NOT NULL,

    CONSTRAINT "OrganisationGroup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrganisationGroupMember" (
    "id" TEXT NOT NULL,
    "groupId" TEXT NOT NULL,
    "organisationMemberId" TEXT NOT NULL,

    CONSTRAINT "OrganisationGroupMember_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TeamGroup" (
    "id" TEXT NOT NULL,
    "organisationGroupId" TEXT NOT NULL,
    "teamRole" "TeamMemberRole" NOT NULL,
    "teamId" INTEGER NOT NULL,

    CONSTRAINT "TeamGroup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrganisationGlobalSettings" (
    "id" TEXT NOT NULL,
    "documentVisibility" "DocumentVisibility" NOT NULL DEFAULT 'EVERYONE',
    "documentLanguage" TEXT NOT NULL DEFAULT 'en',
    "includeSenderDetails" BOOLEAN NOT NULL DEFAULT true,
    "includeSigningCertificate" BOOLEAN NOT NULL DEFAULT true,
    "typedSignatureEnabled" BOOLEAN NOT NULL DEFAULT true,
    "uploadSignatureEnabled" BOOLEAN NOT NULL DEFAULT true,
    "drawSignatureEnabled" BOOLEAN NOT NULL DEFAULT true,
    "brandingEnabled" BOOLEAN NOT NULL DEFAULT false,
    "brandingLogo" TEXT NOT NULL DEFAULT '',
    "brandingUrl" TEXT NOT NULL DEFAULT '',
    "brandingCompanyDetails" TEXT NOT NULL DEFAULT '',
    "organisationId" TEXT, -- [CUSTOM_CHANGE] This is a temporary column for migration purposes.

    CONSTRAINT "OrganisationGlobalSettings_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Organisation_url_key" ON "Organisation"("url");

-- CreateIndex
CREATE UNIQUE INDEX "Organisation_customerId_key" ON "Organisation"("customerId");

-- CreateIndex
CREATE UNIQUE INDEX "Organisation_organisationClaimId_key" ON "Organisation"("organisationClaimId");

-- CreateIndex
CREATE UNIQUE INDEX "Organisation_organisationGlobalSettingsId_key" ON "Organisation"("organisationGlobalSettingsId");

-- CreateIndex
CREATE UNIQUE INDEX "OrganisationMember_userId_organisationId_key" ON "OrganisationMember"("userId", "organisationId");

-- CreateIndex
CREATE UNIQUE INDEX "OrganisationMemberInvite_token_key" ON "OrganisationMemberInvite"("token");

-- CreateIndex
CREATE UNIQUE INDEX "OrganisationGroupMember_organisationMemberId_groupId_key" ON "OrganisationGroupMember"("organisationMemberId", "groupId");

-- CreateIndex
CREATE UNIQUE INDEX "TeamGroup_teamId_organisationGroupId_key" ON "TeamGroup"("teamId", "organisationGroupId");

-- CreateIndex
CREATE UNIQUE INDEX "Subscription_organisationId_key" ON "Subscription"("organisationId");

-- CreateIndex
CREATE INDEX "Subscription_organisationId_idx" ON "Subscription"("organisationId");

-- CreateIndex
CREATE UNIQUE INDEX "Team_teamGlobalSettingsId_key" ON "Team"("teamGlobalSettingsId");

-- CreateIndex
CREATE INDEX "Template_userId_idx" ON "Template"("userId");

-- AddForeignKey
ALTER TABLE "Subscription" ADD CONSTRAINT "Subscription_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Document" ADD CONSTRAINT "Document_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Organisation" ADD CONSTRAINT "Organisation_organisationClaimId_fkey" FOREIGN KEY ("organisationClaimId") REFERENCES "OrganisationClaim"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Organisation" ADD CONSTRAINT "Organisation_avatarImageId_fkey" FOREIGN KEY ("avatarImageId") REFERENCES "AvatarImage"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Organisation" ADD CONSTRAINT "Organisation_ownerUserId_fkey" FOREIGN KEY ("ownerUserId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Organisation" ADD CONSTRAINT "Organisation_organisationGlobalSettingsId_fkey" FOREIGN KEY ("organisationGlobalSettingsId") REFERENCES "OrganisationGlobalSettings"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrganisationMember" ADD CONSTRAINT "OrganisationMember_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrganisationMember" ADD CONSTRAINT "OrganisationMember_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrganisationMemberInvite" ADD CONSTRAINT "OrganisationMemberInvite_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrganisationGroup" ADD CONSTRAINT "OrganisationGroup_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrganisationGroupMember" ADD CONSTRAINT "OrganisationGroupMember_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "OrganisationGroup"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrganisationGroupMember" ADD CONSTRAINT "OrganisationGroupMember_organisationMemberId_fkey" FOREIGN KEY ("organisationMemberId") REFERENCES "OrganisationMember"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TeamGroup" ADD CONSTRAINT "TeamGroup_organisationGroupId_fkey" FOREIGN KEY ("organisationGroupId") REFERENCES "OrganisationGroup"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TeamGroup" ADD CONSTRAINT "TeamGroup_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Team" ADD CONSTRAINT "Team_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Team" ADD CONSTRAINT "Team_teamGlobalSettingsId_fkey" FOREIGN KEY ("teamGlobalSettingsId") REFERENCES "TeamGlobalSettings"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- [CUSTOM_CHANGE] FROM HERE ON IT'S ALL CUSTOM

/*
 * The current state of the migration is that:
 * - All users have a team with their personal entities excluding subscriptions
 * - All entities should be tied into teams
 *
 * Our goal is now to migrate organisations
 *
 * If subscription is attached to user account, that means it is either:
 * - Individual
 * - Platform
 * - Enterprise
 * - Early Adopter
 *
 * If subscription is attached to a team, that means it is:
 * - Team
 *
 * Note: We will handle moving Individual plans into personal organisations as a part of a
 * secondary migration script since we need the Stripe price IDs
 *
*/

/*
 * Handle creating free personal organisations
 *
 * Criteria for "personal team":
 * - Team is "isPersonal" is true
 */
WITH personal_organisations AS (
  INSERT INTO "Organisation" (
    "id", "createdAt", "updatedAt", "type", "name", "url", "avatarImageId", "ownerUserId", "teamId", "customerId"
  )
  SELECT
    generate_prefix_id('org'),
    t."createdAt",
    NOW(),
    'PERSONAL'::"OrganisationType",
    'Personal Organisation',
    u."url",
    t."avatarImageId",
    t."ownerUserId",
    t."id",
    s."customerId"
  FROM "Team" t
  JOIN "User" u ON u."id" = t."ownerUserId"
  LEFT JOIN "Subscription" s ON s."teamId" = t."id"
  WHERE t."isPersonal"
  RETURNING "id", "ownerUserId", "teamId", "customerId"
)
UPDATE "Team" t
SET "organisationId" = o."id"
FROM personal_organisations o
WHERE o."teamId" = t."id";

/*
 * Handle creating organisations for teams with "teams plan" subscriptions
 *
 * Criteria for "teams plan" team:
 * - Team has a subscription
 */
WITH team_plan_organisations AS (
  INSERT INTO "Organisation" (
    "id", "createdAt", "updatedAt", "type", "name", "url", "avatarImageId", "ownerUserId", "teamId", "customerId"
  )
  SELECT
    generate_prefix_id('org'),
    t."createdAt",
    NOW(),
    'ORGANISATION'::"OrganisationType",
    t."name",
    generate_id(),
    t."avatarImageId",
    t."ownerUserId",
    t."id",
    s."customerId"
  FROM "Team" t
  LEFT JOIN "Subscription" s ON s."teamId" = t."id"
  WHERE s."teamId" IS NOT NULL
  RETURNING "id", "ownerUserId", "teamId", "customerId"
)
UPDATE "Team" t
SET "organisationId" = o."id"
FROM team_plan_organisations o
WHERE o."teamId" = t."id";

/*
 * Handle account level subscriptions
 *
 * Goal:
 * - Create a single organisation for each user subscription
 * - Move all non personal teams without subscriptions into the newly created organisation
 * - Move user subscription to the organisation
 *
 * Plan:
 * 1. Create organisation for every user who still has a subscription attached to the user
 * 2. Find all teams that are not yet linked to an organisation
 * 3. Link the team into the organisation of the owner which is NOT personal
 *
 */
WITH users_to_migrate AS (
  SELECT u."id" AS user_id, s."customerId" AS customer_id
  FROM "User" u
  JOIN "Subscription" s ON s."userId" = u."id"
),
new_orgs AS (
  INSERT INTO "Organisation" (
    "id", "createdAt", "updatedAt", "type", "name", "url", "ownerUserId", "customerId"
  )
  SELECT
    generate_prefix_id('org'),
    NOW(),
    NOW(),
    'ORGANISATION'::"OrganisationType",
    'Organisation Name',
    generate_id(),
    u.user_id,
    u.customer_id
  FROM users_to_migrate u
  RETURNING "id", "ownerUserId", "customerId"
),
update_teams AS (
  UPDATE "Team" t
  SET "organisationId" = o."id"
  FROM new_orgs o
  WHERE
    t."ownerUserId" = o."ownerUserId"
    AND t."organisationId" IS NULL
    AND t."isPersonal" = FALSE
)
UPDATE "Subscription" s
SET "organisationId" = o."id"
FROM new_orgs o
WHERE s."userId" = o."ownerUserId";

-- Create 3 internal groups for each organisation (ADMIN, MANAGER, MEMBER)
WITH org_groups AS (
  SELECT
    o.id as org_id,
    unnest(ARRAY[
      'ADMIN'::"OrganisationMemberRole",
      'MANAGER'::"OrganisationMemberRole",
      'MEMBER'::"OrganisationMemberRole"
    ]) as role
  FROM "Organisation" o
)
INSERT INTO "OrganisationGroup" ("id", "type", "organisationRole", "organisationId")
SELECT
  generate_prefix_id('org_group'),
  'INTERNAL_ORGANISATION'::"OrganisationGroupType",
  og.role,
  og.org_id
FROM org_groups og;

-- Create TeamGlobalSettings for all teams that do not have a teamGlobalSettingsId
INSERT INTO "TeamGlobalSettings" ("id", "teamId")
SELECT
  generate_prefix_id('team_setting'),
  t."id"
FROM "Team" t
WHERE t."teamGlobalSettingsId" IS NULL;

-- Update teams with their corresponding teamGlobalSettingsId
UPDATE "Team" t
SET "teamGlobalSettingsId" = tgs."id"
FROM "TeamGlobalSettings" tgs
WHERE tgs."teamId" = t."id" AND t."teamGlobalSettingsId" IS NULL;

-- Create default OrganisationGlobalSettings for all organisations
INSERT INTO "OrganisationGlobalSettings" ("id", "organisationId")
SELECT
  generate_prefix_id('org_setting'),
  o."id"
FROM "Organisation" o
WHERE o."organisationGlobalSettingsId" IS NULL;

-- Update organisations with their corresponding organisationGlobalSettingsId
UPDATE "Organisation" o
SET "organisationGlobalSettingsId" = ogs."id"
FROM "OrganisationGlobalSettings" ogs
WHERE ogs."organisationId" = o."id" AND o."organisationGlobalSettingsId" IS NULL;

-- Create TeamGlobalSettings for all teams missing it
WITH teams_to_update AS (
  SELECT "id" AS team_id, generate_prefix_id('team_setting') AS settings_id
  FROM "Team"
  WHERE "teamGlobalSettingsId" IS NULL
),
new_team_settings AS (
  INSERT INTO "TeamGlobalSettings" ("id")
  SELECT settings_id FROM teams_to_update
  RETURNING "id"
)
UPDATE "Team" t
SET "teamGlobalSettingsId" = ttu.settings_id
FROM teams_to_update ttu
WHERE t."id" = ttu.team_id;

-- Create OrganisationClaim for every organisation, use the default "FREE" claim
WITH orgs_to_update AS (
  SELECT "id" AS org_id, generate_prefix_id('org_claim') AS claim_id
  FROM "Organisation"
  WHERE "organisationClaimId" IS NULL
),
new_claims AS (
  INSERT INTO "OrganisationClaim" (
    "id",
    "createdAt",
    "updatedAt",
    "originalSubscriptionClaimId",
    "teamCount",
    "memberCount",
    "flags"
  )
  SELECT
    claim_id,
    now(),
    now(),
    'free',
    1,
    1,
    '{}'::jsonb
  FROM orgs_to_update
  RETURNING "id" AS claim_id
)
UPDATE "Organisation" o
SET "organisationClaimId" = otu.claim_id
FROM orgs_to_update otu
WHERE o."id" = otu.org_id;

-- Create 2 TeamGroups to assign the internal Organisation Admin/Manager groups to teams
WITH org_internal_groups AS (
  SELECT
    og.id as group_id,
    og."organisationId",
    og."organisationRole",
    t.id as team_id
  FROM "OrganisationGroup" og
  JOIN "Team" t ON t."organisationId" = og."organisationId"
  WHERE og.type = 'INTERNAL_ORGANISATION'
  AND og."organisationRole" IN ('ADMIN', 'MANAGER')
)
INSERT INTO "TeamGroup" ("id", "teamId", "organisationGroupId", "teamRole")
SELECT
  generate_prefix_id('team_group'),
  oig.team_id,
  oig.group_id,
  'ADMIN'::"TeamMemberRole" -- Org Admins/Managers will be Team ADMINS
FROM org_internal_groups oig;

-- Temp columns for the following procedure
ALTER TABLE "OrganisationGroup" ADD COLUMN temp_team_id INT;
ALTER TABLE "OrganisationGroup" ADD COLUMN temp_team_role TEXT;

WITH team_internal_groups AS (
  -- Step 1: Create all team+role combinations
  SELECT
      t.id as team_id,
      t."organisationId",
      unnest(ARRAY[
        'ADMIN'::"TeamMemberRole",
        'MANAGER'::"TeamMemberRole",
        'MEMBER'::"TeamMemberRole"
      ]) as team_role
  FROM "Team" t
),
created_org_groups AS (
  -- Step 2: Create OrganisationGroups with temp data
  INSERT INTO "OrganisationGroup" (
    "id",
    "type",
    "organisationRole",
    "organisationId",
    temp_team_id,
    temp_team_role
  )
  SELECT
    generate_prefix_id('org_group'),
    'INTERNAL_TEAM'::"OrganisationGroupType",
    'MEMBER'::"OrganisationMemberRole",
    tig."organisationId",
    tig.team_id,
    tig.team_role::TEXT
  FROM team_internal_groups tig
  RETURNING "id", temp_team_id, temp_team_role
)
-- Step 3: Create TeamGroups using the temp data
INSERT INTO "TeamGroup" ("id", "organisationGroupId", "teamRole", "teamId")
SELECT
  generate_prefix_id('team_group'),
  cog."id",
  cog.temp_team_role::"TeamMemberRole",
  cog.temp_team_id
FROM created_org_groups cog;

-- Clean up temp columns
ALTER TABLE "OrganisationGroup" DROP COLUMN temp_team_id;
ALTER TABLE "OrganisationGroup" DROP COLUMN temp_team_role;

-- Create OrganisationMembers for each unique user-organisation combination
-- This ensures only one OrganisationMember per user per organisation, even if they belong to multiple teams
INSERT INTO "OrganisationMember" ("id", "createdAt", "updatedAt", "userId", "organisationId")
SELECT DISTINCT
  generate_prefix_id('member'),
  MIN(tm."createdAt"),
  NOW(),
  tm."userId",
  t."organisationId"
FROM "TeamMember" tm
JOIN "Team" t ON t."id" = tm."teamId"
GROUP BY tm."userId", t."organisationId";

-- Create OrganisationMembers for Organisations with 0 members
-- This can only occur for platform/enterprise/earlyAdopter/individual plans where they have 0 teams
-- So we create an OrganisationMember for the owner user
INSERT INTO "OrganisationMember" ("id", "createdAt", "updatedAt", "userId", "organisationId")
SELECT
  generate_prefix_id('member'),
  NOW(),
  NOW(),
  o."ownerUserId",
  o."id"
FROM "Organisation" o
WHERE o."id" NOT IN (SELECT "organisationId" FROM "OrganisationMember");

-- Add users to the appropriate INTERNAL_TEAM groups based on their team membership and role
-- This creates OrganisationGroupMember records to link users to their team-specific groups
-- Skip organisation owners as they are handled separately
INSERT INTO "OrganisationGroupMember" ("id", "groupId", "organisationMemberId")
SELECT
  generate_prefix_id('group_member'),
  og."id",
  om."id"
FROM "TeamMember" tm
JOIN "Team" t ON t."id" = tm."teamId"
JOIN "Organisation" o ON o."id" = t."organisationId"
JOIN "OrganisationMember" om ON om."userId" = tm."userId" AND om."organisationId" = t."organisationId"
JOIN "TeamGroup" tg ON tg."teamId" = t."id" AND tg."teamRole" = tm."role"
JOIN "OrganisationGroup" og ON og."id" = tg."organisationGroupId" AND og."type" = 'INTERNAL_TEAM'::"OrganisationGroupType"
WHERE tm."userId" != o."ownerUserId";

-- Add organisation owners to the INTERNAL_ORGANISATION ADMIN group
INSERT INTO "OrganisationGroupMember" ("id", "groupId", "organisationMemberId")
SELECT
  generate_prefix_id('group_member'),
  og."id",
  om."id"
FROM "Organisation" o
JOIN "OrganisationMember" om ON om."organisationId" = o."id" AND om."userId" = o."ownerUserId"
JOIN "OrganisationGroup" og ON og."organisationId" = o."id"
  AND og."type" = 'INTERNAL_ORGANISATION'::"OrganisationGroupType"
  AND og."organisationRole" = 'ADMIN'::"OrganisationMemberRole";

-- Add all other organisation members to the INTERNAL_ORGANISATION MEMBER group
INSERT INTO "OrganisationGroupMember" ("id", "groupId", "organisationMemberId")
SELECT
  generate_prefix_id('group_member'),
  og."id",
  om."id"
FROM "Organisation" o
JOIN "OrganisationMember" om ON om."organisationId" = o."id" AND om."userId" != o."ownerUserId"
JOIN "OrganisationGroup" og ON og."organisationId" = o."id"
  AND og."type" = 'INTERNAL_ORGANISATION'::"OrganisationGroupType"
  AND og."organisationRole" = 'MEMBER'::"OrganisationMemberRole";

-- Migrate team subscriptions to the organisation level
UPDATE "Subscription" s
SET "organisationId" = t."organisationId"
FROM "Team" t
WHERE s."teamId" = t."id" AND s."teamId" IS NOT NULL;

-- Drop team member related entities (DropForeignKey/DropTable)
ALTER TABLE "TeamMember" DROP CONSTRAINT "TeamMember_teamId_fkey";
ALTER TABLE "TeamMember" DROP CONSTRAINT "TeamMember_userId_fkey";
DROP TABLE "TeamMember";

-- Drop temp columns
ALTER TABLE "Organisation" DROP COLUMN "teamId";
ALTER TABLE "Team" DROP COLUMN "isPersonal";
ALTER TABLE "TeamGlobalSettings" DROP COLUMN "teamId";
ALTER TABLE "OrganisationGlobalSettings" DROP COLUMN "organisationId";

-- REAPPLY NOT NULL to any temporary nullable columns
ALTER TABLE "Team" ALTER COLUMN "organisationId" SET NOT NULL;
ALTER TABLE "Team" ALTER COLUMN "teamGlobalSettingsId" SET NOT NULL;
ALTER TABLE "Subscription" ALTER COLUMN "organisationId" SET NOT NULL;
ALTER TABLE "Organisation" ALTER COLUMN "organisationClaimId" SET NOT NULL;
ALTER TABLE "Organisation" ALTER COLUMN "organisationGlobalSettingsId" SET NOT NULL;

-- Drop columns
ALTER TABLE "Team" DROP COLUMN "ownerUserId";
ALTER TABLE "User" DROP COLUMN "url";
ALTER TABLE "Subscription" DROP COLUMN "teamId";
ALTER TABLE "Subscription" DROP COLUMN "userId";

;
-- ==== migrations/20250611052525_add_session_revoke_enum/migration.sql
-- AlterEnum
ALTER TYPE "UserSecurityAuditLogType" ADD VALUE 'SESSION_REVOKED';

;
-- ==== migrations/20250710050651_add_email_domains/migration.sql
-- [CUSTOM_MIGRATION] Required to fill in missing rows for `emailDocumentSettings` column.
ALTER TABLE "OrganisationGlobalSettings" ADD COLUMN     "emailDocumentSettings" JSONB;

-- [CUSTOM_CHANGE] Insert default values for `emailDocumentSettings` column.
UPDATE "OrganisationGlobalSettings"
SET "emailDocumentSettings" = '{
  "recipientSigningRequest": true,
  "recipientRemoved": true,
  "recipientSigned": true,
  "documentPending": true,
  "documentCompleted": true,
  "documentDeleted": true,
  "ownerDocumentCompleted": true
}'::jsonb
WHERE "emailDocumentSettings" IS NULL;

-- CreateEnum
CREATE TYPE "EmailDomainStatus" AS ENUM ('PENDING', 'ACTIVE');

-- AlterTable
ALTER TABLE "DocumentMeta" ADD COLUMN     "emailId" TEXT,
ADD COLUMN     "emailReplyTo" TEXT;

-- AlterTable
ALTER TABLE "OrganisationGlobalSettings" ADD COLUMN     "documentDateFormat" TEXT NOT NULL DEFAULT 'yyyy-MM-dd hh:mm a',
ADD COLUMN     "documentTimezone" TEXT,
ADD COLUMN     "emailId" TEXT,
ADD COLUMN     "emailReplyTo" TEXT;

-- [CUSTOM_MIGRATION] Set the `emailDocumentSettings` column back to not null.
ALTER TABLE "OrganisationGlobalSettings" ALTER COLUMN "emailDocumentSettings" SET NOT NULL;

-- AlterTable
ALTER TABLE "TeamGlobalSettings" ADD COLUMN     "documentDateFormat" TEXT,
ADD COLUMN     "documentTimezone" TEXT,
ADD COLUMN     "emailDocumentSettings" JSONB,
ADD COLUMN     "emailId" TEXT,
ADD COLUMN     "emailReplyTo" TEXT;

-- AlterTable
ALTER TABLE "TemplateMeta" ADD COLUMN     "emailId" TEXT,
ADD COLUMN     "emailReplyTo" TEXT;

-- CreateTable
CREATE TABLE "EmailDomain" (
    "id" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "status" "EmailDomainStatus" NOT NULL DEFAULT 'PENDING',
    "selector" TEXT NOT NULL,
    "domain" TEXT NOT NULL,
    "publicKey" TEXT NOT NULL,
    "privateKey" TEXT NOT NULL,
    "organisationId" TEXT NOT NULL,

    CONSTRAINT "EmailDomain_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "OrganisationEmail" (
    "id" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "email" TEXT NOT NULL,
    "emailName" TEXT NOT NULL,
    "emailDomainId" TEXT NOT NULL,
    "organisationId" TEXT NOT NULL,

    CONSTRAINT "OrganisationEmail_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "EmailDomain_selector_key" ON "EmailDomain"("selector");

-- CreateIndex
CREATE UNIQUE INDEX "EmailDomain_domain_key" ON "EmailDomain"("domain");

-- CreateIndex
CREATE UNIQUE INDEX "OrganisationEmail_email_key" ON "OrganisationEmail"("email");

-- AddForeignKey
ALTER TABLE "OrganisationGlobalSettings" ADD CONSTRAINT "OrganisationGlobalSettings_emailId_fkey" FOREIGN KEY ("emailId") REFERENCES "OrganisationEmail"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TeamGlobalSettings" ADD CONSTRAINT "TeamGlobalSettings_emailId_fkey" FOREIGN KEY ("emailId") REFERENCES "OrganisationEmail"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EmailDomain" ADD CONSTRAINT "EmailDomain_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrganisationEmail" ADD CONSTRAINT "OrganisationEmail_emailDomainId_fkey" FOREIGN KEY ("emailDomainId") REFERENCES "EmailDomain"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrganisationEmail" ADD CONSTRAINT "OrganisationEmail_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20250714060452_update_folder_delete_cascade/migration.sql
-- DropForeignKey
ALTER TABLE "Document" DROP CONSTRAINT "Document_folderId_fkey";

-- DropForeignKey
ALTER TABLE "Template" DROP CONSTRAINT "Template_folderId_fkey";

-- AddForeignKey
ALTER TABLE "Document" ADD CONSTRAINT "Document_folderId_fkey" FOREIGN KEY ("folderId") REFERENCES "Folder"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Template" ADD CONSTRAINT "Template_folderId_fkey" FOREIGN KEY ("folderId") REFERENCES "Folder"("id") ON DELETE SET NULL ON UPDATE CASCADE;

;
-- ==== migrations/20250721085125_include_audit_trail_log/migration.sql
-- AlterTable
ALTER TABLE "OrganisationGlobalSettings" ADD COLUMN     "includeAuditLog" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "TeamGlobalSettings" ADD COLUMN     "includeAuditLog" BOOLEAN;

;
-- ==== migrations/20250807011918_add_organisation_sso_portal/migration.sql
/*
  Warnings:

  - A unique constraint covering the columns `[organisationAuthenticationPortalId]` on the table `Organisation` will be added. If there are existing duplicate values, this will fail.
  - Added the required column `organisationAuthenticationPortalId` to the `Organisation` table without a default value. This is not possible if the table is not empty.

*/
-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "UserSecurityAuditLogType" ADD VALUE 'ACCOUNT_SSO_UNLINK';
ALTER TYPE "UserSecurityAuditLogType" ADD VALUE 'ORGANISATION_SSO_LINK';
ALTER TYPE "UserSecurityAuditLogType" ADD VALUE 'ORGANISATION_SSO_UNLINK';

-- AlterTable
ALTER TABLE "Account" ADD COLUMN     "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- [CUSTOM_CHANGE] This is supposed to be NOT NULL but we reapply it at the end.
ALTER TABLE "Organisation" ADD COLUMN     "organisationAuthenticationPortalId" TEXT;

-- AlterTable
ALTER TABLE "VerificationToken" ADD COLUMN     "metadata" JSONB;

-- CreateTable
CREATE TABLE "OrganisationAuthenticationPortal" (
    "id" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT false,
    "clientId" TEXT NOT NULL DEFAULT '',
    "clientSecret" TEXT NOT NULL DEFAULT '',
    "wellKnownUrl" TEXT NOT NULL DEFAULT '',
    "defaultOrganisationRole" "OrganisationMemberRole" NOT NULL DEFAULT 'MEMBER',
    "autoProvisionUsers" BOOLEAN NOT NULL DEFAULT true,
    "allowedDomains" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "organisationId" TEXT, -- [CUSTOM_CHANGE] This is a temporary column for migration purposes.

    CONSTRAINT "OrganisationAuthenticationPortal_pkey" PRIMARY KEY ("id")
);

-- [CUSTOM_CHANGE] Create default OrganisationAuthenticationPortal for all organisations
INSERT INTO "OrganisationAuthenticationPortal" ("id", "enabled", "clientId", "clientSecret", "wellKnownUrl", "defaultOrganisationRole", "autoProvisionUsers", "allowedDomains", "organisationId")
SELECT
  generate_prefix_id('org_sso'),
  false,
  '',
  '',
  '',
  'MEMBER',
  true,
  ARRAY[]::TEXT[],
  o."id"
FROM "Organisation" o
WHERE o."organisationAuthenticationPortalId" IS NULL;

-- [CUSTOM_CHANGE] Update organisations with their corresponding organisationAuthenticationPortalId
UPDATE "Organisation" o
SET "organisationAuthenticationPortalId" = oap."id"
FROM "OrganisationAuthenticationPortal" oap
WHERE oap."organisationId" = o."id" AND o."organisationAuthenticationPortalId" IS NULL;

-- CreateIndex
CREATE UNIQUE INDEX "Organisation_organisationAuthenticationPortalId_key" ON "Organisation"("organisationAuthenticationPortalId");

-- AddForeignKey
ALTER TABLE "Organisation" ADD CONSTRAINT "Organisation_organisationAuthenticationPortalId_fkey" FOREIGN KEY ("organisationAuthenticationPortalId") REFERENCES "OrganisationAuthenticationPortal"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- [CUSTOM_CHANGE] Reapply NOT NULL constraint.
ALTER TABLE "Organisation" ALTER COLUMN "organisationAuthenticationPortalId" SET NOT NULL;

-- [CUSTOM_CHANGE] Drop temporary column.
ALTER TABLE "OrganisationAuthenticationPortal" DROP COLUMN "organisationId";
;
-- ==== migrations/20250917042725_remove_recipient_unique_email_constraints/migration.sql
-- DropIndex
DROP INDEX "Recipient_documentId_email_key";

-- DropIndex
DROP INDEX "Recipient_templateId_email_key";

;
-- ==== migrations/20250918070643_remove_template_metadata/migration.sql
-- DropForeignKey
ALTER TABLE "TemplateMeta" DROP CONSTRAINT "TemplateMeta_templateId_fkey";

-- AlterTable
ALTER TABLE "DocumentMeta" ADD COLUMN     "templateId" INTEGER,
ALTER COLUMN "documentId" DROP NOT NULL;

-- [CUSTOM_CHANGE] Migrate existing TemplateMeta to DocumentMeta
INSERT INTO "DocumentMeta" (
  "id",
  "subject",
  "message",
  "timezone",
  "password",
  "dateFormat",
  "redirectUrl",
  "signingOrder",
  "allowDictateNextSigner",
  "typedSignatureEnabled",
  "uploadSignatureEnabled",
  "drawSignatureEnabled",
  "language",
  "distributionMethod",
  "emailSettings",
  "emailReplyTo",
  "emailId",
  "templateId"
)
SELECT
  gen_random_uuid()::text, -- Generate new CUID-like IDs to avoid collisions
  "subject",
  "message",
  "timezone",
  "password",
  "dateFormat",
  "redirectUrl",
  "signingOrder",
  "allowDictateNextSigner",
  "typedSignatureEnabled",
  "uploadSignatureEnabled",
  "drawSignatureEnabled",
  "language",
  "distributionMethod",
  "emailSettings",
  "emailReplyTo",
  "emailId",
  "templateId"
FROM "TemplateMeta";

-- DropTable
DROP TABLE "TemplateMeta";

-- CreateIndex
CREATE UNIQUE INDEX "DocumentMeta_templateId_key" ON "DocumentMeta"("templateId");

-- AddForeignKey
ALTER TABLE "DocumentMeta" ADD CONSTRAINT "DocumentMeta_templateId_fkey" FOREIGN KEY ("templateId") REFERENCES "Template"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20250918070645_add_envelopes/migration.sql
/*
  Warnings:

  - You are about to drop the column `documentId` on the `DocumentAuditLog` table. All the data in the column will be lost.
  - You are about to drop the column `documentId` on the `DocumentMeta` table. All the data in the column will be lost.
  - You are about to drop the column `password` on the `DocumentMeta` table. All the data in the column will be lost.
  - You are about to drop the column `templateId` on the `DocumentMeta` table. All the data in the column will be lost.
  - You are about to drop the column `documentId` on the `DocumentShareLink` table. All the data in the column will be lost.
  - You are about to drop the column `documentId` on the `Field` table. All the data in the column will be lost.
  - You are about to drop the column `templateId` on the `Field` table. All the data in the column will be lost.
  - You are about to drop the column `documentId` on the `Recipient` table. All the data in the column will be lost.
  - You are about to drop the column `templateId` on the `Recipient` table. All the data in the column will be lost.
  - You are about to drop the column `templateId` on the `TemplateDirectLink` table. All the data in the column will be lost.
  - You are about to drop the `Document` table. If the table is not empty, all the data it contains will be lost.
  - You are about to drop the `Template` table. If the table is not empty, all the data it contains will be lost.
  - A unique constraint covering the columns `[envelopeId,email]` on the table `DocumentShareLink` will be added. If there are existing duplicate values, this will fail.
  - A unique constraint covering the columns `[envelopeId,email]` on the table `Recipient` will be added. If there are existing duplicate values, this will fail.
  - A unique constraint covering the columns `[envelopeId]` on the table `TemplateDirectLink` will be added. If there are existing duplicate values, this will fail.
  - Added the required column `envelopeId` to the `DocumentAuditLog` table without a default value. This is not possible if the table is not empty.
  - Added the required column `envelopeId` to the `DocumentShareLink` table without a default value. This is not possible if the table is not empty.
  - Added the required column `envelopeId` to the `Field` table without a default value. This is not possible if the table is not empty.
  - Added the required column `envelopeItemId` to the `Field` table without a default value. This is not possible if the table is not empty.
  - Added the required column `envelopeId` to the `Recipient` table without a default value. This is not possible if the table is not empty.
  - Added the required column `envelopeId` to the `TemplateDirectLink` table without a default value. This is not possible if the table is not empty.

*/
-- CreateEnum
CREATE TYPE "EnvelopeType" AS ENUM ('DOCUMENT', 'TEMPLATE');

-- DropForeignKey
ALTER TABLE "Document" DROP CONSTRAINT "Document_documentDataId_fkey";

-- DropForeignKey
ALTER TABLE "Document" DROP CONSTRAINT "Document_folderId_fkey";

-- DropForeignKey
ALTER TABLE "Document" DROP CONSTRAINT "Document_teamId_fkey";

-- DropForeignKey
ALTER TABLE "Document" DROP CONSTRAINT "Document_templateId_fkey";

-- DropForeignKey
ALTER TABLE "Document" DROP CONSTRAINT "Document_userId_fkey";

-- DropForeignKey
ALTER TABLE "DocumentAuditLog" DROP CONSTRAINT "DocumentAuditLog_documentId_fkey";

-- DropForeignKey
ALTER TABLE "DocumentMeta" DROP CONSTRAINT "DocumentMeta_documentId_fkey";

-- DropForeignKey
ALTER TABLE "DocumentMeta" DROP CONSTRAINT "DocumentMeta_templateId_fkey";

-- DropForeignKey
ALTER TABLE "DocumentShareLink" DROP CONSTRAINT "DocumentShareLink_documentId_fkey";

-- DropForeignKey
ALTER TABLE "Field" DROP CONSTRAINT "Field_documentId_fkey";

-- DropForeignKey
ALTER TABLE "Field" DROP CONSTRAINT "Field_templateId_fkey";

-- DropForeignKey
ALTER TABLE "Recipient" DROP CONSTRAINT "Recipient_documentId_fkey";

-- DropForeignKey
ALTER TABLE "Recipient" DROP CONSTRAINT "Recipient_templateId_fkey";

-- DropForeignKey
ALTER TABLE "Template" DROP CONSTRAINT "Template_folderId_fkey";

-- DropForeignKey
ALTER TABLE "Template" DROP CONSTRAINT "Template_teamId_fkey";

-- DropForeignKey
ALTER TABLE "Template" DROP CONSTRAINT "Template_templateDocumentDataId_fkey";

-- DropForeignKey
ALTER TABLE "Template" DROP CONSTRAINT "Template_userId_fkey";

-- DropForeignKey
ALTER TABLE "TemplateDirectLink" DROP CONSTRAINT "TemplateDirectLink_templateId_fkey";

-- DropIndex
DROP INDEX "DocumentMeta_documentId_key";

-- DropIndex
DROP INDEX "DocumentMeta_templateId_key";

-- DropIndex
DROP INDEX "DocumentShareLink_documentId_email_key";

-- DropIndex
DROP INDEX "Field_documentId_idx";

-- DropIndex
DROP INDEX "Field_templateId_idx";

-- DropIndex
DROP INDEX "Recipient_documentId_idx";

-- DropIndex
DROP INDEX "Recipient_templateId_idx";

-- DropIndex
DROP INDEX "TemplateDirectLink_templateId_key";

-- [CUSTOM_CHANGE] Create DocumentMeta records for Documents that don't have them
INSERT INTO "DocumentMeta" ("id", "documentId")
SELECT
  gen_random_uuid(),
  id
FROM "Document"
WHERE "id" NOT IN (SELECT "documentId" FROM "DocumentMeta" WHERE "documentId" IS NOT NULL);

-- [CUSTOM_CHANGE] Create DocumentMeta records for Templates that don't have them
INSERT INTO "DocumentMeta" ("id", "templateId")
SELECT
  gen_random_uuid(),
  id
FROM "Template"
WHERE "id" NOT IN (SELECT "templateId" FROM "DocumentMeta" WHERE "templateId" IS NOT NULL);

-- AlterTable
ALTER TABLE "DocumentAuditLog" ADD COLUMN     "envelopeId" TEXT;

-- AlterTable
ALTER TABLE "DocumentShareLink" ADD COLUMN     "envelopeId" TEXT;

-- AlterTable
ALTER TABLE "Field" ADD COLUMN     "envelopeId" TEXT,
ADD COLUMN     "envelopeItemId" TEXT;

-- AlterTable
ALTER TABLE "Recipient" ADD COLUMN     "envelopeId" TEXT;

-- AlterTable
ALTER TABLE "TemplateDirectLink" ADD COLUMN     "envelopeId" TEXT;

-- CreateTable
CREATE TABLE "Envelope" (
    "id" TEXT NOT NULL,
    "secondaryId" TEXT NOT NULL,
    "externalId" TEXT,
    "type" "EnvelopeType" NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "completedAt" TIMESTAMP(3),
    "deletedAt" TIMESTAMP(3),
    "title" TEXT NOT NULL,
    "status" "DocumentStatus" NOT NULL DEFAULT 'DRAFT',
    "source" "DocumentSource" NOT NULL,
    "qrToken" TEXT,
    "internalVersion" INTEGER NOT NULL,
    "useLegacyFieldInsertion" BOOLEAN NOT NULL DEFAULT false,
    "authOptions" JSONB,
    "formValues" JSONB,
    "visibility" "DocumentVisibility" NOT NULL DEFAULT 'EVERYONE',
    "templateType" "TemplateType" NOT NULL DEFAULT 'PRIVATE',
    "publicTitle" TEXT NOT NULL DEFAULT '',
    "publicDescription" TEXT NOT NULL DEFAULT '',
    "templateId" INTEGER,
    "userId" INTEGER NOT NULL,
    "teamId" INTEGER NOT NULL,
    "folderId" TEXT,
    "documentMetaId" TEXT NOT NULL,

    CONSTRAINT "Envelope_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "EnvelopeItem" (
    "id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "documentDataId" TEXT NOT NULL,
    "envelopeId" TEXT NOT NULL,
    "order" INTEGER NOT NULL,

    CONSTRAINT "EnvelopeItem_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Counter" (
    "id" TEXT NOT NULL,
    "value" INTEGER NOT NULL,

    CONSTRAINT "Counter_pkey" PRIMARY KEY ("id")
);

-- [CUSTOM_CHANGE] Initialize Counter table for document and template IDs
INSERT INTO "Counter" ("id", "value") VALUES ('document', (SELECT COALESCE(MAX("id"), 0) FROM "Document"));
INSERT INTO "Counter" ("id", "value") VALUES ('template', (SELECT COALESCE(MAX("id"), 0) FROM "Template"));

-- [CUSTOM_CHANGE] Migrate Documents to Envelopes
INSERT INTO "Envelope" (
    "id",
    "secondaryId",
    "externalId",
    "type",
    "createdAt",
    "updatedAt",
    "completedAt",
    "deletedAt",
    "title",
    "status",
    "source",
    "qrToken",
    "internalVersion",
    "useLegacyFieldInsertion",
    "authOptions",
    "formValues",
    "visibility",
    "templateType",
    "publicTitle",
    "publicDescription",
    "templateId",
    "userId",
    "teamId",
    "folderId",
    "documentMetaId"
)
SELECT
    generate_prefix_id('envelope'),
    'document_' || d."id", -- Create legacy ID for documents
    d."externalId",
    'DOCUMENT'::"EnvelopeType",
    d."createdAt",
    d."updatedAt",
    d."completedAt",
    d."deletedAt",
    d."title",
    d."status",
    d."source",
    d."qrToken",
    1,
    d."useLegacyFieldInsertion",
    d."authOptions",
    d."formValues",
    d."visibility",
    'PRIVATE',
    '',
    '',
    d."templateId",
    d."userId",
    d."teamId",
    d."folderId",
    dm."id"
FROM "Document" d
LEFT JOIN "DocumentMeta" dm ON dm."documentId" = d."id";

-- [CUSTOM_CHANGE] Migrate Templates to Envelopes
INSERT INTO "Envelope" (
    "id",
    "secondaryId",
    "externalId",
    "type",
    "createdAt",
    "updatedAt",
    "completedAt",
    "deletedAt",
    "title",
    "status",
    "source",
    "qrToken",
    "internalVersion",
    "useLegacyFieldInsertion",
    "authOptions",
    "formValues",
    "visibility",
    "templateType",
    "publicTitle",
    "publicDescription",
    "templateId",
    "userId",
    "teamId",
    "folderId",
    "documentMetaId"
)
SELECT
    generate_prefix_id('envelope'),
    'template_' || t."id", -- Create legacy ID for templates
    t."externalId",
    'TEMPLATE'::"EnvelopeType",
    t."createdAt",
    t."updatedAt",
    NULL,
    NULL,
    t."title",
    'DRAFT',
    'TEMPLATE'::"DocumentSource",
    NULL,
    1,
    t."useLegacyFieldInsertion",
    t."authOptions",
    NULL,
    t."visibility",
    t."type",
    t."publicTitle",
    t."publicDescription",
    NULL,
    t."userId",
    t."teamId",
    t."folderId",
    dm."id"
FROM "Template" t
LEFT JOIN "DocumentMeta" dm ON dm."templateId" = t."id";

-- [CUSTOM_CHANGE] Create EnvelopeItems for Documents
INSERT INTO "EnvelopeItem" ("id", "title", "documentDataId", "envelopeId", "order")
SELECT
    generate_prefix_id('envelope_item'),
    d."title",
    d."documentDataId",
    e."id",
    1
FROM "Document" d
JOIN "Envelope" e ON e."secondaryId" = 'document_' || d."id";

-- [CUSTOM_CHANGE] Create EnvelopeItems for Templates
INSERT INTO "EnvelopeItem" ("id", "title", "documentDataId", "envelopeId", "order")
SELECT
    generate_prefix_id('envelope_item'),
    t."title",
    t."templateDocumentDataId",
    e."id",
    1
FROM "Template" t
JOIN "Envelope" e ON e."secondaryId" = 'template_' || t."id";

-- [CUSTOM_CHANGE] Update DocumentAuditLog with envelope IDs
UPDATE "DocumentAuditLog"
SET "envelopeId" = e."id"
FROM "Document" d
JOIN "Envelope" e ON e."secondaryId" = 'document_' || d."id"
WHERE "DocumentAuditLog"."documentId" = d."id";

-- [CUSTOM_CHANGE] Update Recipients for Documents
UPDATE "Recipient"
SET "envelopeId" = e."id"
FROM "Document" d
JOIN "Envelope" e ON e."secondaryId" = 'document_' || d."id"
WHERE "Recipient"."documentId" = d."id";

-- [CUSTOM_CHANGE] Update Recipients for Templates
UPDATE "Recipient"
SET "envelopeId" = e."id"
FROM "Template" t
JOIN "Envelope" e ON e."secondaryId" = 'template_' || t."id"
WHERE "Recipient"."templateId" = t."id";

-- [CUSTOM_CHANGE] Update Fields for Documents
UPDATE "Field"
SET "envelopeId" = e."id", "envelopeItemId" = ei."id"
FROM "Document" d
JOIN "Envelope" e ON e."secondaryId" = 'document_' || d."id"
JOIN "EnvelopeItem" ei ON ei."envelopeId" = e."id"
WHERE "Field"."documentId" = d."id";

-- [CUSTOM_CHANGE] Update Fields for Templates
UPDATE "Field"
SET "envelopeId" = e."id", "envelopeItemId" = ei."id"
FROM "Template" t
JOIN "Envelope" e ON e."secondaryId" = 'template_' || t."id"
JOIN "EnvelopeItem" ei ON ei."envelopeId" = e."id"
WHERE "Field"."templateId" = t."id";

-- [CUSTOM_CHANGE] Update DocumentShareLink
UPDATE "DocumentShareLink"
SET "envelopeId" = e."id"
FROM "Document" d
JOIN "Envelope" e ON e."secondaryId" = 'document_' || d."id"
WHERE "DocumentShareLink"."documentId" = d."id";

-- [CUSTOM_CHANGE] Update TemplateDirectLink
UPDATE "TemplateDirectLink"
SET "envelopeId" = e."id"
FROM "Template" t
JOIN "Envelope" e ON e."secondaryId" = 'template_' || t."id"
WHERE "TemplateDirectLink"."templateId" = t."id";

-- DropTable
DROP TABLE "Document";

-- DropTable
DROP TABLE "Template";

-- AlterTable
ALTER TABLE "DocumentMeta" DROP COLUMN "documentId",
DROP COLUMN "password",
DROP COLUMN "templateId";

-- AlterTable
ALTER TABLE "DocumentAuditLog" DROP COLUMN "documentId",
ALTER COLUMN "envelopeId" SET NOT NULL;

-- AlterTable
ALTER TABLE "DocumentShareLink" DROP COLUMN "documentId",
ALTER COLUMN "envelopeId" SET NOT NULL;

-- AlterTable
ALTER TABLE "Field" DROP COLUMN "documentId",
DROP COLUMN "templateId",
ALTER COLUMN "envelopeId" SET NOT NULL,
ALTER COLUMN "envelopeItemId" SET NOT NULL;

-- AlterTable
ALTER TABLE "Recipient" DROP COLUMN "documentId",
DROP COLUMN "templateId",
ALTER COLUMN     "envelopeId" SET NOT NULL;

-- AlterTable
ALTER TABLE "TemplateDirectLink" DROP COLUMN "templateId",
ALTER COLUMN     "envelopeId" SET NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "Envelope_secondaryId_key" ON "Envelope"("secondaryId");

-- CreateIndex
CREATE UNIQUE INDEX "Envelope_documentMetaId_key" ON "Envelope"("documentMetaId");

-- CreateIndex
CREATE UNIQUE INDEX "EnvelopeItem_documentDataId_key" ON "EnvelopeItem"("documentDataId");

-- CreateIndex
CREATE UNIQUE INDEX "DocumentShareLink_envelopeId_email_key" ON "DocumentShareLink"("envelopeId", "email");

-- CreateIndex
CREATE INDEX "Field_envelopeId_idx" ON "Field"("envelopeId");

-- CreateIndex
CREATE INDEX "Recipient_envelopeId_idx" ON "Recipient"("envelopeId");

-- CreateIndex
CREATE UNIQUE INDEX "TemplateDirectLink_envelopeId_key" ON "TemplateDirectLink"("envelopeId");

-- AddForeignKey
ALTER TABLE "Envelope" ADD CONSTRAINT "Envelope_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Envelope" ADD CONSTRAINT "Envelope_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Envelope" ADD CONSTRAINT "Envelope_folderId_fkey" FOREIGN KEY ("folderId") REFERENCES "Folder"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Envelope" ADD CONSTRAINT "Envelope_documentMetaId_fkey" FOREIGN KEY ("documentMetaId") REFERENCES "DocumentMeta"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EnvelopeItem" ADD CONSTRAINT "EnvelopeItem_documentDataId_fkey" FOREIGN KEY ("documentDataId") REFERENCES "DocumentData"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "EnvelopeItem" ADD CONSTRAINT "EnvelopeItem_envelopeId_fkey" FOREIGN KEY ("envelopeId") REFERENCES "Envelope"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DocumentAuditLog" ADD CONSTRAINT "DocumentAuditLog_envelopeId_fkey" FOREIGN KEY ("envelopeId") REFERENCES "Envelope"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Recipient" ADD CONSTRAINT "Recipient_envelopeId_fkey" FOREIGN KEY ("envelopeId") REFERENCES "Envelope"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Field" ADD CONSTRAINT "Field_envelopeItemId_fkey" FOREIGN KEY ("envelopeItemId") REFERENCES "EnvelopeItem"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Field" ADD CONSTRAINT "Field_envelopeId_fkey" FOREIGN KEY ("envelopeId") REFERENCES "Envelope"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DocumentShareLink" ADD CONSTRAINT "DocumentShareLink_envelopeId_fkey" FOREIGN KEY ("envelopeId") REFERENCES "Envelope"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TemplateDirectLink" ADD CONSTRAINT "TemplateDirectLink_envelopeId_fkey" FOREIGN KEY ("envelopeId") REFERENCES "Envelope"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20251023021213_add_envelope_attachments/migration.sql
-- CreateTable
CREATE TABLE "EnvelopeAttachment" (
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "data" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "envelopeId" TEXT NOT NULL,

    CONSTRAINT "EnvelopeAttachment_pkey" PRIMARY KEY ("id")
);

-- AddForeignKey
ALTER TABLE "EnvelopeAttachment" ADD CONSTRAINT "EnvelopeAttachment_envelopeId_fkey" FOREIGN KEY ("envelopeId") REFERENCES "Envelope"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20251023021214_add_envelope_item_limits/migration.sql
-- AlterTable
ALTER TABLE "SubscriptionClaim" ADD COLUMN     "envelopeItemCount" INTEGER;
ALTER TABLE "OrganisationClaim" ADD COLUMN     "envelopeItemCount" INTEGER;

-- Update ALL subscriptions to have 5 envelope items
UPDATE "SubscriptionClaim" SET "envelopeItemCount" = 5;

-- Override platform and enterprise claims to have 10 envelope items
UPDATE "SubscriptionClaim" SET "envelopeItemCount" = 10 WHERE "id" = 'platform';
UPDATE "SubscriptionClaim" SET "envelopeItemCount" = 10 WHERE "id" = 'enterprise';

-- Update ALL organisations to have 5 envelope items
UPDATE "OrganisationClaim" SET "envelopeItemCount" = 5;

-- Override platform and enterprise organisations to have 10 envelope items
UPDATE "OrganisationClaim" SET "envelopeItemCount" = 10 WHERE "originalSubscriptionClaimId" = 'platform';
UPDATE "OrganisationClaim" SET "envelopeItemCount" = 10 WHERE "originalSubscriptionClaimId" = 'enterprise';

ALTER TABLE "SubscriptionClaim" ALTER COLUMN "envelopeItemCount" SET NOT NULL;
ALTER TABLE "OrganisationClaim" ALTER COLUMN "envelopeItemCount" SET NOT NULL;

;
-- ==== migrations/20251101000330_add_new_webhook_events/migration.sql
-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "WebhookTriggerEvents" ADD VALUE 'DOCUMENT_RECIPIENT_COMPLETED';
ALTER TYPE "WebhookTriggerEvents" ADD VALUE 'DOCUMENT_REMINDER_SENT';
ALTER TYPE "WebhookTriggerEvents" ADD VALUE 'TEMPLATE_CREATED';
ALTER TYPE "WebhookTriggerEvents" ADD VALUE 'TEMPLATE_UPDATED';
ALTER TYPE "WebhookTriggerEvents" ADD VALUE 'TEMPLATE_DELETED';
ALTER TYPE "WebhookTriggerEvents" ADD VALUE 'TEMPLATE_USED';

;
-- ==== migrations/20251112224336_add_database_indexes/migration.sql
-- CreateIndex
CREATE INDEX "Envelope_folderId_idx" ON "Envelope"("folderId");

-- CreateIndex
CREATE INDEX "Envelope_teamId_idx" ON "Envelope"("teamId");

-- CreateIndex
CREATE INDEX "Envelope_userId_idx" ON "Envelope"("userId");

-- CreateIndex
CREATE INDEX "EnvelopeAttachment_envelopeId_idx" ON "EnvelopeAttachment"("envelopeId");

-- CreateIndex
CREATE INDEX "EnvelopeItem_envelopeId_idx" ON "EnvelopeItem"("envelopeId");

-- CreateIndex
CREATE INDEX "Field_envelopeItemId_idx" ON "Field"("envelopeItemId");

-- CreateIndex
CREATE INDEX "OrganisationGroup_organisationId_idx" ON "OrganisationGroup"("organisationId");

-- CreateIndex
CREATE INDEX "OrganisationGroupMember_groupId_idx" ON "OrganisationGroupMember"("groupId");

-- CreateIndex
CREATE INDEX "OrganisationGroupMember_organisationMemberId_idx" ON "OrganisationGroupMember"("organisationMemberId");

-- CreateIndex
CREATE INDEX "Session_userId_idx" ON "Session"("userId");

-- CreateIndex
CREATE INDEX "Session_sessionToken_idx" ON "Session"("sessionToken");

-- CreateIndex
CREATE INDEX "Team_organisationId_idx" ON "Team"("organisationId");

-- CreateIndex
CREATE INDEX "TeamGroup_teamId_idx" ON "TeamGroup"("teamId");

-- CreateIndex
CREATE INDEX "TeamGroup_organisationGroupId_idx" ON "TeamGroup"("organisationGroupId");

;
-- ==== migrations/20251126053402_add_insights_indexes/migration.sql
-- CreateIndex
CREATE INDEX "Envelope_type_idx" ON "Envelope"("type");

-- CreateIndex
CREATE INDEX "Envelope_status_idx" ON "Envelope"("status");

-- CreateIndex
CREATE INDEX "Envelope_createdAt_idx" ON "Envelope"("createdAt");

-- CreateIndex
CREATE INDEX "Organisation_name_idx" ON "Organisation"("name");

-- CreateIndex
CREATE INDEX "Organisation_ownerUserId_idx" ON "Organisation"("ownerUserId");

-- CreateIndex
CREATE INDEX "OrganisationMember_organisationId_idx" ON "OrganisationMember"("organisationId");

-- CreateIndex
CREATE INDEX "Recipient_email_idx" ON "Recipient"("email");

-- CreateIndex
CREATE INDEX "Recipient_signedAt_idx" ON "Recipient"("signedAt");

-- CreateIndex
CREATE INDEX "Team_name_idx" ON "Team"("name");

;
-- ==== migrations/20251201000000_add_ai_features_enabled/migration.sql
-- AlterTable
ALTER TABLE "OrganisationGlobalSettings" ADD COLUMN "aiFeaturesEnabled" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "TeamGlobalSettings" ADD COLUMN "aiFeaturesEnabled" BOOLEAN;


;
-- ==== migrations/20251202122345_add_default_recipients/migration.sql
-- AlterTable
ALTER TABLE "OrganisationGlobalSettings" ADD COLUMN     "defaultRecipients" JSONB;

-- AlterTable
ALTER TABLE "TeamGlobalSettings" ADD COLUMN     "defaultRecipients" JSONB;

;
-- ==== migrations/20251203095514_delegate_document_ownership/migration.sql
-- AlterTable
ALTER TABLE "OrganisationGlobalSettings" ADD COLUMN     "delegateDocumentOwnership" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "TeamGlobalSettings" ADD COLUMN     "delegateDocumentOwnership" BOOLEAN;

;
-- ==== migrations/20260113022858_add_envelope_id_index_to_document_audit_log_table/migration.sql
-- CreateIndex
CREATE INDEX IF NOT EXISTS "DocumentAuditLog_envelopeId_idx" ON "DocumentAuditLog"("envelopeId");

;
-- ==== migrations/20260219091107_add_recipient_expirations/migration.sql
-- AlterEnum
ALTER TYPE "WebhookTriggerEvents" ADD VALUE 'RECIPIENT_EXPIRED';

-- AlterTable
ALTER TABLE "DocumentMeta" ADD COLUMN     "envelopeExpirationPeriod" JSONB;

-- AlterTable
ALTER TABLE "OrganisationGlobalSettings" ADD COLUMN     "envelopeExpirationPeriod" JSONB;

-- AlterTable
ALTER TABLE "Recipient" ADD COLUMN     "expirationNotifiedAt" TIMESTAMP(3),
ADD COLUMN     "expiresAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "TeamGlobalSettings" ADD COLUMN     "envelopeExpirationPeriod" JSONB;

-- CreateIndex
CREATE INDEX "Recipient_expiresAt_idx" ON "Recipient"("expiresAt");

;
-- ==== migrations/20260219141233_add_rate_limit_table/migration.sql
-- CreateTable
CREATE TABLE "RateLimit" (
    "key" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "bucket" TIMESTAMP(3) NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RateLimit_pkey" PRIMARY KEY ("key","action","bucket")
);

-- CreateIndex
CREATE INDEX "RateLimit_createdAt_idx" ON "RateLimit"("createdAt");

;
-- ==== migrations/20260224000000_add_email_domain_last_verified_at/migration.sql
-- AlterTable
ALTER TABLE "EmailDomain" ADD COLUMN "lastVerifiedAt" TIMESTAMP(3);

;
-- ==== migrations/20260302223702_optimize_recipient_indexes/migration.sql
-- CreateExtension
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- CreateIndex
CREATE INDEX IF NOT EXISTS "Recipient_email_documentDeletedAt_envelopeId_idx" ON "Recipient"("email", "documentDeletedAt", "envelopeId");

-- CreateIndex
CREATE INDEX IF NOT EXISTS "Recipient_email_envelopeId_idx" ON "Recipient"("email", "envelopeId");

-- CreateIndex
CREATE INDEX IF NOT EXISTS "Recipient_email_signingStatus_envelopeId_role_idx" ON "Recipient"("email", "signingStatus", "envelopeId", "role");

-- CreateIndex
CREATE INDEX IF NOT EXISTS "Recipient_email_trgm_idx" ON "Recipient" USING GIN ("email" gin_trgm_ops);

-- CreateIndex
CREATE INDEX IF NOT EXISTS "Recipient_name_trgm_idx" ON "Recipient" USING GIN ("name" gin_trgm_ops);

;
-- ==== migrations/20260311000000_add_organisation_template_type/migration.sql
ALTER TYPE "TemplateType" ADD VALUE 'ORGANISATION';

;
-- ==== migrations/20260401000000_add_reminder_settings/migration.sql
-- AlterTable
ALTER TABLE "DocumentMeta" ADD COLUMN     "reminderSettings" JSONB;

-- AlterTable
ALTER TABLE "OrganisationGlobalSettings" ADD COLUMN     "reminderSettings" JSONB;

-- AlterTable
ALTER TABLE "TeamGlobalSettings" ADD COLUMN     "reminderSettings" JSONB;

-- AlterTable
ALTER TABLE "Recipient" ADD COLUMN     "sentAt" TIMESTAMP(3),
ADD COLUMN     "lastReminderSentAt" TIMESTAMP(3),
ADD COLUMN     "nextReminderAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "Recipient_nextReminderAt_idx" ON "Recipient"("nextReminderAt");

;
-- ==== migrations/20260408052212_add_set_null_for_audit_log_foreign_key/migration.sql
-- DropForeignKey
ALTER TABLE "DocumentAuditLog" DROP CONSTRAINT "DocumentAuditLog_envelopeId_fkey";

-- AlterTable
ALTER TABLE "DocumentAuditLog" ALTER COLUMN "envelopeId" DROP NOT NULL;

-- AddForeignKey
ALTER TABLE "DocumentAuditLog" ADD CONSTRAINT "DocumentAuditLog_envelopeId_fkey" FOREIGN KEY ("envelopeId") REFERENCES "Envelope"("id") ON DELETE SET NULL ON UPDATE CASCADE;

;
-- ==== migrations/20260504000000_add_allow_personal_organisations_to_auth_portal/migration.sql
-- AlterTable
-- Add the column with a temporary default of `true` so that all existing rows
-- (representing organisations created before this feature) are backfilled to
-- `true` — preserving the historical behaviour of creating personal
-- organisations for SSO-provisioned users.
ALTER TABLE "OrganisationAuthenticationPortal" ADD COLUMN "allowPersonalOrganisations" BOOLEAN NOT NULL DEFAULT true;

-- Switch the column default to `false` so that any organisations created from
-- now on opt out of personal-organisation creation by default.
ALTER TABLE "OrganisationAuthenticationPortal" ALTER COLUMN "allowPersonalOrganisations" SET DEFAULT false;

;
-- ==== migrations/20260507043737_add_custom_css_branding/migration.sql
-- AlterTable
ALTER TABLE "OrganisationGlobalSettings" ADD COLUMN     "brandingColors" JSONB,
ADD COLUMN     "brandingCss" TEXT NOT NULL DEFAULT '';

-- AlterTable
ALTER TABLE "TeamGlobalSettings" ADD COLUMN     "brandingColors" JSONB,
ADD COLUMN     "brandingCss" TEXT;

;
-- ==== migrations/20260525103410_add_signature_level_and_csc_tables/migration.sql
-- AlterTable
-- Add the column with a temporary DEFAULT so Postgres backfills existing rows
-- to 'SES' (the only level the instance supported before this migration). The
-- DEFAULT is then dropped so future INSERTs must specify signatureLevel
-- explicitly via resolveSignatureLevel — the column carries no DB-level default
-- by design (see packages/lib/server-only/signature-level/resolve-signature-level.ts).
ALTER TABLE "Envelope" ADD COLUMN "signatureLevel" TEXT NOT NULL DEFAULT 'SES';
ALTER TABLE "Envelope" ALTER COLUMN "signatureLevel" DROP DEFAULT;

-- CreateTable
CREATE TABLE "CscCredential" (
    "id" TEXT NOT NULL,
    "providerId" TEXT NOT NULL,
    "credentialId" TEXT NOT NULL,
    "certCache" BYTEA,
    "signatureAlgorithm" TEXT NOT NULL,
    "keyType" TEXT NOT NULL,
    "digestAlgorithm" TEXT NOT NULL,
    "keyLenBits" INTEGER,
    "signAlgoParams" TEXT,
    "serviceTokenCiphertext" BYTEA,
    "serviceTokenExpiresAt" TIMESTAMP(3),
    "recipientId" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CscCredential_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CscSession" (
    "id" TEXT NOT NULL,
    "envelopeId" TEXT NOT NULL,
    "signingTime" TIMESTAMP(3) NOT NULL,
    "itemsJson" JSONB NOT NULL,
    "encryptedSad" BYTEA,
    "sadExpiresAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "recipientId" INTEGER NOT NULL,

    CONSTRAINT "CscSession_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "CscCredential_recipientId_key" ON "CscCredential"("recipientId");

-- CreateIndex
CREATE UNIQUE INDEX "CscSession_recipientId_key" ON "CscSession"("recipientId");

-- AddForeignKey
ALTER TABLE "CscCredential" ADD CONSTRAINT "CscCredential_recipientId_fkey" FOREIGN KEY ("recipientId") REFERENCES "Recipient"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CscSession" ADD CONSTRAINT "CscSession_recipientId_fkey" FOREIGN KEY ("recipientId") REFERENCES "Recipient"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20260529132406_add_org_rate_limits/migration.sql
-- AlterTable
-- Add the new columns with temporary defaults to backfill existing rows, then
-- drop the defaults so the columns match the schema (required, no default).
ALTER TABLE "OrganisationClaim" ADD COLUMN     "apiQuota" INTEGER,
ADD COLUMN     "apiRateLimits" JSONB NOT NULL DEFAULT '[]'::jsonb,
ADD COLUMN     "documentQuota" INTEGER,
ADD COLUMN     "documentRateLimits" JSONB NOT NULL DEFAULT '[]'::jsonb,
ADD COLUMN     "emailQuota" INTEGER,
ADD COLUMN     "emailRateLimits" JSONB NOT NULL DEFAULT '[]'::jsonb,
ADD COLUMN     "recipientCount" INTEGER NOT NULL DEFAULT 0;

ALTER TABLE "OrganisationClaim" ALTER COLUMN "apiRateLimits" DROP DEFAULT,
ALTER COLUMN "documentRateLimits" DROP DEFAULT,
ALTER COLUMN "emailRateLimits" DROP DEFAULT,
ALTER COLUMN "recipientCount" DROP DEFAULT;

-- AlterTable
ALTER TABLE "SubscriptionClaim" ADD COLUMN     "apiQuota" INTEGER,
ADD COLUMN     "apiRateLimits" JSONB NOT NULL DEFAULT '[]'::jsonb,
ADD COLUMN     "documentQuota" INTEGER,
ADD COLUMN     "documentRateLimits" JSONB NOT NULL DEFAULT '[]'::jsonb,
ADD COLUMN     "emailQuota" INTEGER,
ADD COLUMN     "emailRateLimits" JSONB NOT NULL DEFAULT '[]'::jsonb,
ADD COLUMN     "recipientCount" INTEGER NOT NULL DEFAULT 0;

ALTER TABLE "SubscriptionClaim" ALTER COLUMN "apiRateLimits" DROP DEFAULT,
ALTER COLUMN "documentRateLimits" DROP DEFAULT,
ALTER COLUMN "emailRateLimits" DROP DEFAULT,
ALTER COLUMN "recipientCount" DROP DEFAULT;

-- CreateTable
CREATE TABLE "OrganisationMonthlyStat" (
    "id" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "organisationId" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "documentCount" INTEGER NOT NULL DEFAULT 0,
    "emailCount" INTEGER NOT NULL DEFAULT 0,
    "apiCount" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "OrganisationMonthlyStat_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "OrganisationMonthlyStat_organisationId_idx" ON "OrganisationMonthlyStat"("organisationId");

-- CreateIndex
CREATE UNIQUE INDEX "OrganisationMonthlyStat_organisationId_period_key" ON "OrganisationMonthlyStat"("organisationId", "period");

-- AddForeignKey
ALTER TABLE "OrganisationMonthlyStat" ADD CONSTRAINT "OrganisationMonthlyStat_organisationId_fkey" FOREIGN KEY ("organisationId") REFERENCES "Organisation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

;
-- ==== migrations/20260603015431_add_email_reports_stat/migration.sql
-- AlterTable
ALTER TABLE "OrganisationMonthlyStat" ADD COLUMN     "emailReports" INTEGER NOT NULL DEFAULT 0;

;
-- ==== migrations/20260604143030_add_email_transports/migration.sql
-- CreateEnum
CREATE TYPE "EmailTransportType" AS ENUM ('SMTP_AUTH', 'SMTP_API', 'RESEND', 'MAILCHANNELS');

-- AlterTable
ALTER TABLE "OrganisationClaim" ADD COLUMN     "emailTransportId" TEXT;

-- AlterTable
ALTER TABLE "SubscriptionClaim" ADD COLUMN     "emailTransportId" TEXT;

-- CreateTable
CREATE TABLE "EmailTransport" (
    "id" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "name" TEXT NOT NULL,
    "type" "EmailTransportType" NOT NULL,
    "fromName" TEXT NOT NULL,
    "fromAddress" TEXT NOT NULL,
    "config" TEXT NOT NULL,

    CONSTRAINT "EmailTransport_pkey" PRIMARY KEY ("id")
);

-- AddForeignKey
ALTER TABLE "SubscriptionClaim" ADD CONSTRAINT "SubscriptionClaim_emailTransportId_fkey" FOREIGN KEY ("emailTransportId") REFERENCES "EmailTransport"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "OrganisationClaim" ADD CONSTRAINT "OrganisationClaim_emailTransportId_fkey" FOREIGN KEY ("emailTransportId") REFERENCES "EmailTransport"("id") ON DELETE SET NULL ON UPDATE CASCADE;

;
-- ==== migrations/20260616120000_add_cancelled_document_status/migration.sql
ALTER TYPE "DocumentStatus" ADD VALUE 'CANCELLED';

;
-- ==== migrations/20260622120000_add_recipient_reminder_count/migration.sql
-- AlterTable
ALTER TABLE "Recipient" ADD COLUMN     "reminderCount" INTEGER NOT NULL DEFAULT 0;

;
