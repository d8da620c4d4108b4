import { MigrationInterface, QueryRunner } from "typeorm";

export class SingleSignOn1796596514997 implements MigrationInterface {
    name = 'SingleSignOn1796596514997'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "cli_sign_in_code" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "code_sha256" character(64) NOT NULL,
                "user_id" uuid NOT NULL,
                "code_challenge" text NOT NULL,
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "UQ_cb3cf9f7cb5bb89330627a7a7e1" UNIQUE ("code_sha256"),
                CONSTRAINT "PK_6f512aa50085af9cbc03810d39c" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_17e1b2569ef1d5ce9389a5d253" ON "cli_sign_in_code" ("expires_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "device_sign_in" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "device_code_sha256" character(64) NOT NULL,
                "provider_device_code" text NOT NULL,
                "interval_seconds" integer NOT NULL,
                "next_poll_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "UQ_b65f5d29ed6412ea67193326325" UNIQUE ("device_code_sha256"),
                CONSTRAINT "PK_1addbcc0f10715b351435655d11" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_14b2e6197a39d586c481097d70" ON "device_sign_in" ("expires_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "directory_user" (
                "user_id" uuid NOT NULL,
                "scim_user_name" text,
                "scim_external_id" text,
                "claimed_groups" text array NOT NULL DEFAULT '{}',
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "UQ_d42eb1df98f265e56ff23365590" UNIQUE ("scim_user_name"),
                CONSTRAINT "PK_5c3453bddc281900eb2f232c34e" PRIMARY KEY ("user_id")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "directory_group" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "display_name" text NOT NULL,
                "external_id" text,
                CONSTRAINT "UQ_9f6f14d5e9eb09b6be8f7b63b89" UNIQUE ("display_name"),
                CONSTRAINT "PK_f4e02dfe66614e12f56e574c68e" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "directory_group_member" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "group_id" uuid NOT NULL,
                "user_id" uuid NOT NULL,
                CONSTRAINT "PK_f88e4353d8b43970a5eb01e8d7e" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_6e719a978210f52bc0eaf04d33" ON "directory_group_member" ("user_id")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "IDX_536a57081c86ed3edc1a9cbd5f" ON "directory_group_member" ("group_id", "user_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "group_mapping" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "group" text NOT NULL,
                "team_id" uuid,
                "team_role" "public"."team_role",
                "role" "public"."global_role",
                CONSTRAINT "group_mapping_team_or_role" CHECK (
                    (
                        "team_id" IS NOT NULL
                        AND "team_role" IS NOT NULL
                        AND "role" IS NULL
                    )
                    OR (
                        "team_id" IS NULL
                        AND "team_role" IS NULL
                        AND "role" IS NOT NULL
                    )
                ),
                CONSTRAINT "PK_8151ba1320e14ea02b6f006417a" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "group_mapping_role_uq" ON "group_mapping" ("group", "role")
            WHERE "role" IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "group_mapping_team_uq" ON "group_mapping" ("group", "team_id")
            WHERE "team_id" IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE TABLE "session" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "secret_sha256" character(64) NOT NULL,
                "user_id" uuid NOT NULL,
                "csrf_token" text NOT NULL,
                "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "revoked_at" TIMESTAMP WITH TIME ZONE,
                "id_token" text,
                CONSTRAINT "UQ_e180889607c548f28da9dfbb4c8" UNIQUE ("secret_sha256"),
                CONSTRAINT "PK_f55da76ac1c3ac420f444d2ff11" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_30e98e8746699fb9af235410af" ON "session" ("user_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_2223e981900a413ce4ce6386f9" ON "session" ("expires_at")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."sign_in_kind" AS ENUM('CONSOLE', 'CLI')
        `);
        await queryRunner.query(`
            CREATE TABLE "sign_in_request" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "state_sha256" character(64) NOT NULL,
                "browser_sha256" character(64) NOT NULL,
                "nonce" text NOT NULL,
                "code_verifier" text NOT NULL,
                "kind" "public"."sign_in_kind" NOT NULL,
                "return_to" text,
                "cli_port" integer,
                "cli_state" text,
                "cli_code_challenge" text,
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "UQ_16271821741be3687a028d29d07" UNIQUE ("state_sha256"),
                CONSTRAINT "PK_6e659051a9dd54034898ed07666" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_782671470a8936d41f230b300f" ON "sign_in_request" ("expires_at")
        `);
        await queryRunner.query(`
            ALTER TABLE "user"
            ADD "name" text
        `);
        await queryRunner.query(`
            ALTER TABLE "user"
            ADD "deactivated_at" TIMESTAMP WITH TIME ZONE
        `);
        await queryRunner.query(`
            ALTER TABLE "user"
            ADD "oidc_issuer" text
        `);
        await queryRunner.query(`
            ALTER TABLE "user"
            ADD "oidc_subject" text
        `);
        await queryRunner.query(`
            ALTER TABLE "user"
            ADD "directory_roles" "public"."global_role" array NOT NULL DEFAULT '{}'
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."membership_source" AS ENUM('MANUAL', 'DIRECTORY')
        `);
        await queryRunner.query(`
            ALTER TABLE "membership"
            ADD "source" "public"."membership_source" NOT NULL DEFAULT 'MANUAL'
        `);
        await queryRunner.query(`
            ALTER TABLE "review_decision"
            ADD "session_id" uuid
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_6d9d5c59e3243dca62cf2760e7"
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'USER_PROVISION'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'USER_LINK'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'USER_UPDATE'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'USER_DEACTIVATE'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'USER_REACTIVATE'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'GROUP_MAPPING_SET'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'GROUP_MAPPING_DELETE'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'DIRECTORY_GROUP_CHANGE'
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "IDX_5c1646aa0870e968803b423202" ON "user" ("oidc_issuer", "oidc_subject")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_6d9d5c59e3243dca62cf2760e7" ON "audit_event" ("action", "at")
        `);
        await queryRunner.query(`
            ALTER TABLE "cli_sign_in_code"
            ADD CONSTRAINT "FK_63d78876b58cf406e5710c86d67" FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "directory_user"
            ADD CONSTRAINT "FK_5c3453bddc281900eb2f232c34e" FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "directory_group_member"
            ADD CONSTRAINT "FK_78dddf8f03749f04124a7d63355" FOREIGN KEY ("group_id") REFERENCES "directory_group"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "directory_group_member"
            ADD CONSTRAINT "FK_6e719a978210f52bc0eaf04d33b" FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "group_mapping"
            ADD CONSTRAINT "FK_da32cba4dc106f39b12897368e5" FOREIGN KEY ("team_id") REFERENCES "team"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "session"
            ADD CONSTRAINT "FK_30e98e8746699fb9af235410aff" FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "session" DROP CONSTRAINT "FK_30e98e8746699fb9af235410aff"
        `);
        await queryRunner.query(`
            ALTER TABLE "group_mapping" DROP CONSTRAINT "FK_da32cba4dc106f39b12897368e5"
        `);
        await queryRunner.query(`
            ALTER TABLE "directory_group_member" DROP CONSTRAINT "FK_6e719a978210f52bc0eaf04d33b"
        `);
        await queryRunner.query(`
            ALTER TABLE "directory_group_member" DROP CONSTRAINT "FK_78dddf8f03749f04124a7d63355"
        `);
        await queryRunner.query(`
            ALTER TABLE "directory_user" DROP CONSTRAINT "FK_5c3453bddc281900eb2f232c34e"
        `);
        await queryRunner.query(`
            ALTER TABLE "cli_sign_in_code" DROP CONSTRAINT "FK_63d78876b58cf406e5710c86d67"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_6d9d5c59e3243dca62cf2760e7"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_5c1646aa0870e968803b423202"
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
                'EVAL_DRIFT',
                'TOKEN_EXPIRING'
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
            ALTER TABLE "review_decision" DROP COLUMN "session_id"
        `);
        await queryRunner.query(`
            ALTER TABLE "membership" DROP COLUMN "source"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."membership_source"
        `);
        await queryRunner.query(`
            ALTER TABLE "user" DROP COLUMN "directory_roles"
        `);
        await queryRunner.query(`
            ALTER TABLE "user" DROP COLUMN "oidc_subject"
        `);
        await queryRunner.query(`
            ALTER TABLE "user" DROP COLUMN "oidc_issuer"
        `);
        await queryRunner.query(`
            ALTER TABLE "user" DROP COLUMN "deactivated_at"
        `);
        await queryRunner.query(`
            ALTER TABLE "user" DROP COLUMN "name"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_782671470a8936d41f230b300f"
        `);
        await queryRunner.query(`
            DROP TABLE "sign_in_request"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."sign_in_kind"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_2223e981900a413ce4ce6386f9"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_30e98e8746699fb9af235410af"
        `);
        await queryRunner.query(`
            DROP TABLE "session"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."group_mapping_team_uq"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."group_mapping_role_uq"
        `);
        await queryRunner.query(`
            DROP TABLE "group_mapping"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_536a57081c86ed3edc1a9cbd5f"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_6e719a978210f52bc0eaf04d33"
        `);
        await queryRunner.query(`
            DROP TABLE "directory_group_member"
        `);
        await queryRunner.query(`
            DROP TABLE "directory_group"
        `);
        await queryRunner.query(`
            DROP TABLE "directory_user"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_14b2e6197a39d586c481097d70"
        `);
        await queryRunner.query(`
            DROP TABLE "device_sign_in"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_17e1b2569ef1d5ce9389a5d253"
        `);
        await queryRunner.query(`
            DROP TABLE "cli_sign_in_code"
        `);
    }

}
