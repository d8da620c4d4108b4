import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Generated, then hand-edited:
 * - up() adds api_token.scopes nullable, fills it (and expires_at) from each existing token's old
 *   scope and its owner's roles, and only then makes it NOT NULL and drops the old column;
 * - webhook_event_type is shared by two columns, and the generator wrote its change once per column
 *   (the value added twice in up(); in down() the type dropped while the other column used it);
 * - down() puts every token's scope back and clears what the old types cannot hold.
 */
export class GranularApiTokens1796593004957 implements MigrationInterface {
    name = 'GranularApiTokens1796593004957'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TYPE "public"."token_scope" AS ENUM(
                'READ',
                'PUBLISH',
                'REVIEW',
                'ADMIN',
                'INGEST',
                'CATALOG_READ'
            )
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token"
            ADD "scopes" "public"."token_scope" array
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token"
            ADD "publish_team_ids" uuid array
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token"
            ADD "expires_at" TIMESTAMP WITH TIME ZONE
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token"
            ADD "allowed_cidrs" cidr array
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token"
            ADD "expiry_warned_at" TIMESTAMP WITH TIME ZONE
        `);
        // Existing tokens: a FULL token gets the scopes its owner's roles allow (what sessionScopes
        // gives: READ and PUBLISH, REVIEW for reviewing people, ADMIN for admins; service accounts
        // hold no role), the narrow ones keep their one scope. Each expires 90 days from now, except
        // the deployment's bootstrap token and the distribution tokens on every machine, which never
        // expire (see ApiToken).
        await queryRunner.query(`
            UPDATE "api_token" t SET
                "scopes" = CASE t."scope"
                    WHEN 'INGEST' THEN ARRAY['INGEST']::"public"."token_scope"[]
                    WHEN 'CATALOG_READ' THEN ARRAY['CATALOG_READ']::"public"."token_scope"[]
                    ELSE ARRAY['READ', 'PUBLISH']::"public"."token_scope"[]
                        || CASE WHEN u."kind" = 'PERSON' AND u."roles" && ARRAY['REVIEWER', 'ADMIN']::"public"."global_role"[]
                                THEN ARRAY['REVIEW']::"public"."token_scope"[] ELSE ARRAY[]::"public"."token_scope"[] END
                        || CASE WHEN 'ADMIN' = ANY (u."roles") THEN ARRAY['ADMIN']::"public"."token_scope"[] ELSE ARRAY[]::"public"."token_scope"[] END
                END,
                "expires_at" = CASE WHEN t."origin" IN ('BOOTSTRAP', 'DISTRIBUTION') THEN NULL ELSE now() + interval '90 days' END
            FROM "user" u
            WHERE u."id" = t."user_id"
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token"
            ALTER COLUMN "scopes" SET NOT NULL
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token" DROP COLUMN "scope"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."api_token_scope"
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."api_token_origin"
            ADD VALUE 'SSO'
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_6d9d5c59e3243dca62cf2760e7"
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'TOKEN_EXPIRING'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."webhook_event_type"
            ADD VALUE 'TOKEN_EXPIRING'
        `);
        await queryRunner.query(`
            DROP INDEX "public"."distribution_credential_team_uq"
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."distribution_credential_scope"
            RENAME TO "distribution_credential_scope_old"
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."distribution_credential_scope" AS ENUM('CATALOG_READ', 'INGEST')
        `);
        await queryRunner.query(`
            ALTER TABLE "distribution_credential"
            ALTER COLUMN "scope" TYPE "public"."distribution_credential_scope" USING "scope"::"text"::"public"."distribution_credential_scope"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."distribution_credential_scope_old"
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_6d9d5c59e3243dca62cf2760e7" ON "audit_event" ("action", "at")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "distribution_credential_team_uq" ON "distribution_credential" ("scope", "team_id")
            WHERE "team_id" IS NOT NULL
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token"
            ADD CONSTRAINT "api_token_expires_unless_bootstrap_or_distribution" CHECK (
                    "expires_at" IS NOT NULL
                    OR coalesce("origin" IN ('BOOTSTRAP', 'DISTRIBUTION'), false)
                )
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        // The audit log is append-only: its TOKEN_EXPIRING entries cannot be dropped, nor kept under the old type.
        const [{ announced }] = (await queryRunner.query(
            `SELECT count(*)::int AS announced FROM "audit_event" WHERE "action" = 'TOKEN_EXPIRING'`,
        )) as { announced: number }[];
        if (announced > 0) {
            throw new Error(`${announced} TOKEN_EXPIRING audit entries exist; the audit log keeps them, so this migration cannot be reverted.`);
        }
        // Deliveries of the event go (they are not the audit record), and webhooks stop asking for it.
        await queryRunner.query(`
            DELETE FROM "webhook_delivery_attempt" WHERE "delivery_id" IN (SELECT "id" FROM "webhook_delivery" WHERE "event" = 'TOKEN_EXPIRING')
        `);
        await queryRunner.query(`
            DELETE FROM "webhook_delivery" WHERE "event" = 'TOKEN_EXPIRING'
        `);
        await queryRunner.query(`
            UPDATE "webhook" SET "events" = array_remove("events", 'TOKEN_EXPIRING'),
                "active" = "active" AND "events" <> ARRAY['TOKEN_EXPIRING']::"public"."webhook_event_type"[]
            WHERE 'TOKEN_EXPIRING' = ANY ("events")
        `);
        // Tokens from a single sign-on were created by their own user, as SELF tokens are.
        await queryRunner.query(`
            UPDATE "api_token" SET "origin" = 'SELF' WHERE "origin" = 'SSO'
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token" DROP CONSTRAINT "api_token_expires_unless_bootstrap_or_distribution"
        `);
        // The old single scope: INGEST and CATALOG_READ tokens keep theirs, every other token is FULL.
        await queryRunner.query(`
            CREATE TYPE "public"."api_token_scope" AS ENUM('FULL', 'INGEST', 'CATALOG_READ')
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token"
            ADD "scope" "public"."api_token_scope" NOT NULL DEFAULT 'FULL'
        `);
        await queryRunner.query(`
            UPDATE "api_token" SET "scope" = CASE
                WHEN "scopes" = ARRAY['INGEST']::"public"."token_scope"[] THEN 'INGEST'::"public"."api_token_scope"
                WHEN "scopes" = ARRAY['CATALOG_READ']::"public"."token_scope"[] THEN 'CATALOG_READ'::"public"."api_token_scope"
                ELSE 'FULL'::"public"."api_token_scope"
            END
        `);
        await queryRunner.query(`
            DROP INDEX "public"."distribution_credential_team_uq"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_6d9d5c59e3243dca62cf2760e7"
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."distribution_credential_scope_old" AS ENUM('FULL', 'INGEST', 'CATALOG_READ')
        `);
        await queryRunner.query(`
            ALTER TABLE "distribution_credential"
            ALTER COLUMN "scope" TYPE "public"."distribution_credential_scope_old" USING "scope"::"text"::"public"."distribution_credential_scope_old"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."distribution_credential_scope"
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."distribution_credential_scope_old"
            RENAME TO "distribution_credential_scope"
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "distribution_credential_team_uq" ON "distribution_credential" USING btree ("scope", "team_id")
            WHERE (team_id IS NOT NULL)
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."webhook_event_type_old" AS ENUM(
                'REVIEW_REQUESTED',
                'REVIEW_DECIDED',
                'VERSION_PUBLISHED',
                'QUALITY_REVIEW_DUE'
            )
        `);
        await queryRunner.query(`
            ALTER TABLE "webhook_delivery"
            ALTER COLUMN "event" TYPE "public"."webhook_event_type_old" USING "event"::"text"::"public"."webhook_event_type_old"
        `);
        await queryRunner.query(`
            ALTER TABLE "webhook"
            ALTER COLUMN "events" TYPE "public"."webhook_event_type_old" [] USING "events"::"text"::"public"."webhook_event_type_old" []
        `);
        await queryRunner.query(`
            DROP TYPE "public"."webhook_event_type"
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."webhook_event_type_old"
            RENAME TO "webhook_event_type"
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."audit_action_old" AS ENUM(
                'USER_CREATE',
                'TEAM_CREATE',
                'MEMBER_ADD',
                'ROLE_CHANGE',
                'TOKEN_CREATE',
                'TOKEN_REVOKE',
                'PERMISSION_EDIT',
                'PUBLISH',
                'TEST_OUTCOME',
                'REVIEW_REQUESTED',
                'APPROVE',
                'REJECT',
                'VERSION_PUBLISHED',
                'CHANNEL_MOVE',
                'YANK',
                'DEPRECATE',
                'WEBHOOK_CREATE',
                'WEBHOOK_DELETE',
                'MEMBER_REMOVE',
                'INVITATION_CREATE',
                'INVITATION_REDEEM',
                'VERSION_TESTING',
                'VERSION_REJECTED',
                'REQUIRED_SKILL_ADD',
                'REQUIRED_SKILL_REMOVE',
                'RUNTIME_POLICY_SET',
                'USAGE_TIER_CHANGE',
                'QUALITY_REVIEW_DUE',
                'QUALITY_REVIEW',
                'PLATFORM_UPDATE',
                'VERSION_EVALUATING',
                'EVAL_OUTCOME',
                'EVAL_DRIFT'
            )
        `);
        await queryRunner.query(`
            ALTER TABLE "audit_event"
            ALTER COLUMN "action" TYPE "public"."audit_action_old" USING "action"::"text"::"public"."audit_action_old"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."audit_action"
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action_old"
            RENAME TO "audit_action"
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_6d9d5c59e3243dca62cf2760e7" ON "audit_event" USING btree ("action", "at")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."api_token_origin_old" AS ENUM(
                'BOOTSTRAP',
                'INVITATION',
                'SELF',
                'SERVICE_ACCOUNT',
                'DISTRIBUTION'
            )
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token"
            ALTER COLUMN "origin" TYPE "public"."api_token_origin_old" USING "origin"::"text"::"public"."api_token_origin_old"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."api_token_origin"
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."api_token_origin_old"
            RENAME TO "api_token_origin"
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token" DROP COLUMN "expiry_warned_at"
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token" DROP COLUMN "allowed_cidrs"
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token" DROP COLUMN "expires_at"
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token" DROP COLUMN "publish_team_ids"
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token" DROP COLUMN "scopes"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."token_scope"
        `);
    }

}
