import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Generated, then hand-edited in one place: webhook_event_type is shared by webhook.events and
 * webhook_delivery.event, and TypeORM's generator wrote its change once per column (adding the value
 * twice, and in down() dropping the type while the other column still used it).
 */
export class Usage1796549543795 implements MigrationInterface {
    name = 'Usage1796549543795'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "usage_daily" (
                "day" date NOT NULL,
                "skill_key" text NOT NULL,
                "version" text NOT NULL,
                "team" text NOT NULL,
                "skill_id" uuid,
                "invocations" integer NOT NULL DEFAULT '0',
                "successes" integer NOT NULL DEFAULT '0',
                "failures" integer NOT NULL DEFAULT '0',
                CONSTRAINT "PK_ec3bb90045b17384df4bcd0843a" PRIMARY KEY ("day", "skill_key", "version", "team")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_d9ebc070ccef2b47810c148c10" ON "usage_daily" ("day")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_c0221c61455cd34c5180a03f3b" ON "usage_daily" ("skill_id", "day")
        `);
        await queryRunner.query(`
            CREATE TABLE "usage_weekly_user" (
                "skill_key" text NOT NULL,
                "week" date NOT NULL,
                "team" text NOT NULL,
                "user_hash" bigint NOT NULL,
                CONSTRAINT "PK_3afe4cee84ba944b24ca6cffead" PRIMARY KEY ("skill_key", "week", "team", "user_hash")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "usage_weekly" (
                "week" date NOT NULL,
                "skill_key" text NOT NULL,
                "skill_id" uuid,
                "invocations" integer NOT NULL DEFAULT '0',
                CONSTRAINT "PK_d49bc77e3532943869a71bef08f" PRIMARY KEY ("week", "skill_key")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "unmanaged_skill" (
                "key" text NOT NULL,
                "name" text NOT NULL,
                "source" text NOT NULL,
                "plugin" text,
                "marketplace" text,
                "first_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_ebe806a444cfc926bfa472f72b3" PRIMARY KEY ("key")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "usage_salt" (
                "id" integer NOT NULL,
                "salt" bytea NOT NULL,
                CONSTRAINT "PK_646e00437a5fdd1a8686d173abd" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."quality_review_outcome" AS ENUM('PASS', 'NEEDS_WORK', 'PULL')
        `);
        await queryRunner.query(`
            CREATE TABLE "quality_review" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "skill_id" uuid NOT NULL,
                "version_id" uuid NOT NULL,
                "outcome" "public"."quality_review_outcome" NOT NULL,
                "notes" text NOT NULL,
                "reviewer_id" uuid,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_f8c0db3c935d7c183278dd9580b" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_ddb874128d6cbe006d2c4dbe47" ON "quality_review" ("skill_id", "created_at")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."platform_update_kind" AS ENUM('RUNTIME_IMAGE', 'CLAUDE_CODE', 'OTHER')
        `);
        await queryRunner.query(`
            CREATE TABLE "platform_update" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "kind" "public"."platform_update_kind" NOT NULL,
                "description" text NOT NULL,
                "created_by_id" uuid,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_6654708b735f12923eccaec737b" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_5f95ed15859e9d12a982d59856" ON "platform_update" ("created_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "quality_review_notice" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "skill_id" uuid NOT NULL,
                "due_since" TIMESTAMP WITH TIME ZONE NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_e7cc28cf2f9e71244048c0a2664" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "IDX_de22d9a8dd6e1787858f3ebe7d" ON "quality_review_notice" ("skill_id", "due_since")
        `);
        await queryRunner.query(`
            ALTER TABLE "skill"
            ADD "usage_weekly" double precision NOT NULL DEFAULT '0'
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."usage_tier" AS ENUM('HIGH', 'MEDIUM', 'LOW')
        `);
        await queryRunner.query(`
            ALTER TABLE "skill"
            ADD "usage_tier" "public"."usage_tier" NOT NULL DEFAULT 'LOW'
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_6d9d5c59e3243dca62cf2760e7"
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'USAGE_TIER_CHANGE'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'QUALITY_REVIEW_DUE'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'QUALITY_REVIEW'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'PLATFORM_UPDATE'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."webhook_event_type"
            ADD VALUE 'QUALITY_REVIEW_DUE'
        `);
        await queryRunner.query(`
            CREATE INDEX "skill_usage_keyset_idx" ON "skill" ("usage_weekly", "id")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_6d9d5c59e3243dca62cf2760e7" ON "audit_event" ("action", "at")
        `);
        await queryRunner.query(`
            ALTER TABLE "quality_review"
            ADD CONSTRAINT "FK_b01cce6504056b8ac002bd33bb9" FOREIGN KEY ("skill_id") REFERENCES "skill"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "quality_review"
            ADD CONSTRAINT "FK_2b5425747113960a4ba46dabe95" FOREIGN KEY ("version_id") REFERENCES "skill_version"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "quality_review"
            ADD CONSTRAINT "FK_7779101087277e3d3a73796de86" FOREIGN KEY ("reviewer_id") REFERENCES "user"("id") ON DELETE
            SET NULL ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "platform_update"
            ADD CONSTRAINT "FK_390fa9e3c45b25c606a2e687c8f" FOREIGN KEY ("created_by_id") REFERENCES "user"("id") ON DELETE
            SET NULL ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "quality_review_notice"
            ADD CONSTRAINT "FK_0a5b7e69498fc78028f934b848c" FOREIGN KEY ("skill_id") REFERENCES "skill"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "quality_review_notice" DROP CONSTRAINT "FK_0a5b7e69498fc78028f934b848c"
        `);
        await queryRunner.query(`
            ALTER TABLE "platform_update" DROP CONSTRAINT "FK_390fa9e3c45b25c606a2e687c8f"
        `);
        await queryRunner.query(`
            ALTER TABLE "quality_review" DROP CONSTRAINT "FK_7779101087277e3d3a73796de86"
        `);
        await queryRunner.query(`
            ALTER TABLE "quality_review" DROP CONSTRAINT "FK_2b5425747113960a4ba46dabe95"
        `);
        await queryRunner.query(`
            ALTER TABLE "quality_review" DROP CONSTRAINT "FK_b01cce6504056b8ac002bd33bb9"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_6d9d5c59e3243dca62cf2760e7"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."skill_usage_keyset_idx"
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."webhook_event_type_old" AS ENUM(
                'REVIEW_REQUESTED',
                'REVIEW_DECIDED',
                'VERSION_PUBLISHED'
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
                'RUNTIME_POLICY_SET'
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
            ALTER TABLE "skill" DROP COLUMN "usage_tier"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."usage_tier"
        `);
        await queryRunner.query(`
            ALTER TABLE "skill" DROP COLUMN "usage_weekly"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_de22d9a8dd6e1787858f3ebe7d"
        `);
        await queryRunner.query(`
            DROP TABLE "quality_review_notice"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_5f95ed15859e9d12a982d59856"
        `);
        await queryRunner.query(`
            DROP TABLE "platform_update"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."platform_update_kind"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_ddb874128d6cbe006d2c4dbe47"
        `);
        await queryRunner.query(`
            DROP TABLE "quality_review"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."quality_review_outcome"
        `);
        await queryRunner.query(`
            DROP TABLE "usage_salt"
        `);
        await queryRunner.query(`
            DROP TABLE "unmanaged_skill"
        `);
        await queryRunner.query(`
            DROP TABLE "usage_weekly"
        `);
        await queryRunner.query(`
            DROP TABLE "usage_weekly_user"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_c0221c61455cd34c5180a03f3b"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_d9ebc070ccef2b47810c148c10"
        `);
        await queryRunner.query(`
            DROP TABLE "usage_daily"
        `);
    }

}
