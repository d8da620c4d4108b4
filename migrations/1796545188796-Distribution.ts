import { MigrationInterface, QueryRunner } from "typeorm";

export class Distribution1796545188796 implements MigrationInterface {
    name = 'Distribution1796545188796'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "plugin_bundle" (
                "version_id" uuid NOT NULL,
                "sha256" character(64) NOT NULL,
                "size" integer NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "UQ_ad15e832ea51512e4c3055c0728" UNIQUE ("sha256"),
                CONSTRAINT "PK_4225828e6de55a8b411b9429481" PRIMARY KEY ("version_id")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "required_skill" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "skill_id" uuid NOT NULL,
                "team_id" uuid,
                "created_by_id" uuid,
                CONSTRAINT "PK_9369009fbfcfc2dcc0f3b412779" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_fc7785aa70a19d9949ac15997c" ON "required_skill" ("team_id")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "required_skill_org_uq" ON "required_skill" ("skill_id")
            WHERE "team_id" IS NULL
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "required_skill_team_uq" ON "required_skill" ("skill_id", "team_id")
            WHERE "team_id" IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE TABLE "runtime_policy" (
                "version" integer NOT NULL,
                "rules" jsonb NOT NULL,
                "plugin_sha256" character(64) NOT NULL,
                "plugin_size" integer NOT NULL,
                "created_by_id" uuid,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_c33c1ad355588400044a78e17ab" PRIMARY KEY ("version")
            )
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."distribution_credential_scope" AS ENUM('FULL', 'INGEST', 'CATALOG_READ')
        `);
        await queryRunner.query(`
            CREATE TABLE "distribution_credential" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "scope" "public"."distribution_credential_scope" NOT NULL,
                "team_id" uuid,
                "token_id" uuid NOT NULL,
                "secret" text NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "REL_271bfaa4c3fbd80d8fdf64bc3e" UNIQUE ("token_id"),
                CONSTRAINT "PK_13f14ec8e7cd0254e10093845ec" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "distribution_credential_org_uq" ON "distribution_credential" ("scope")
            WHERE "team_id" IS NULL
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "distribution_credential_team_uq" ON "distribution_credential" ("scope", "team_id")
            WHERE "team_id" IS NOT NULL
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."api_token_scope" AS ENUM('FULL', 'INGEST', 'CATALOG_READ')
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token"
            ADD "scope" "public"."api_token_scope" NOT NULL DEFAULT 'FULL'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."api_token_origin"
            ADD VALUE 'DISTRIBUTION'
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_6d9d5c59e3243dca62cf2760e7"
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'REQUIRED_SKILL_ADD'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'REQUIRED_SKILL_REMOVE'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'RUNTIME_POLICY_SET'
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_6d9d5c59e3243dca62cf2760e7" ON "audit_event" ("action", "at")
        `);
        await queryRunner.query(`
            ALTER TABLE "plugin_bundle"
            ADD CONSTRAINT "FK_4225828e6de55a8b411b9429481" FOREIGN KEY ("version_id") REFERENCES "skill_version"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "required_skill"
            ADD CONSTRAINT "FK_bf40cd07f06b80661590cd2053f" FOREIGN KEY ("skill_id") REFERENCES "skill"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "required_skill"
            ADD CONSTRAINT "FK_fc7785aa70a19d9949ac15997cb" FOREIGN KEY ("team_id") REFERENCES "team"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "required_skill"
            ADD CONSTRAINT "FK_95a87d1fba2f9cf2641aad4202c" FOREIGN KEY ("created_by_id") REFERENCES "user"("id") ON DELETE
            SET NULL ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "runtime_policy"
            ADD CONSTRAINT "FK_ea38471dc37a08e2e524cd16315" FOREIGN KEY ("created_by_id") REFERENCES "user"("id") ON DELETE
            SET NULL ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "distribution_credential"
            ADD CONSTRAINT "FK_70c3b103ee97a14dae17cd28b6c" FOREIGN KEY ("team_id") REFERENCES "team"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "distribution_credential"
            ADD CONSTRAINT "FK_271bfaa4c3fbd80d8fdf64bc3e1" FOREIGN KEY ("token_id") REFERENCES "api_token"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "distribution_credential" DROP CONSTRAINT "FK_271bfaa4c3fbd80d8fdf64bc3e1"
        `);
        await queryRunner.query(`
            ALTER TABLE "distribution_credential" DROP CONSTRAINT "FK_70c3b103ee97a14dae17cd28b6c"
        `);
        await queryRunner.query(`
            ALTER TABLE "runtime_policy" DROP CONSTRAINT "FK_ea38471dc37a08e2e524cd16315"
        `);
        await queryRunner.query(`
            ALTER TABLE "required_skill" DROP CONSTRAINT "FK_95a87d1fba2f9cf2641aad4202c"
        `);
        await queryRunner.query(`
            ALTER TABLE "required_skill" DROP CONSTRAINT "FK_fc7785aa70a19d9949ac15997cb"
        `);
        await queryRunner.query(`
            ALTER TABLE "required_skill" DROP CONSTRAINT "FK_bf40cd07f06b80661590cd2053f"
        `);
        await queryRunner.query(`
            ALTER TABLE "plugin_bundle" DROP CONSTRAINT "FK_4225828e6de55a8b411b9429481"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_6d9d5c59e3243dca62cf2760e7"
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
                'VERSION_REJECTED'
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
                'SERVICE_ACCOUNT'
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
            ALTER TABLE "api_token" DROP COLUMN "scope"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."api_token_scope"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."distribution_credential_team_uq"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."distribution_credential_org_uq"
        `);
        await queryRunner.query(`
            DROP TABLE "distribution_credential"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."distribution_credential_scope"
        `);
        await queryRunner.query(`
            DROP TABLE "runtime_policy"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."required_skill_team_uq"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."required_skill_org_uq"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_fc7785aa70a19d9949ac15997c"
        `);
        await queryRunner.query(`
            DROP TABLE "required_skill"
        `);
        await queryRunner.query(`
            DROP TABLE "plugin_bundle"
        `);
    }

}
