import { MigrationInterface, QueryRunner } from "typeorm";

export class AuditLog1795317336968 implements MigrationInterface {
    name = 'AuditLog1795317336968'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TYPE "public"."audit_action" AS ENUM(
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
                'WEBHOOK_DELETE'
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "audit_event" (
                "id" BIGSERIAL NOT NULL,
                "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "actor_id" uuid,
                "action" "public"."audit_action" NOT NULL,
                "target_type" text NOT NULL,
                "target_id" text NOT NULL,
                "skill_id" uuid,
                "before" jsonb,
                "after" jsonb,
                CONSTRAINT "PK_481efbe8b0a403efe3f47a6528f" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_6d9d5c59e3243dca62cf2760e7" ON "audit_event" ("action", "at")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_95c13ddc56526af4c3c02c6a89" ON "audit_event" ("actor_id", "at")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_4094a779cc456f6607d28813c4" ON "audit_event" ("skill_id", "at")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."IDX_4094a779cc456f6607d28813c4"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_95c13ddc56526af4c3c02c6a89"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_6d9d5c59e3243dca62cf2760e7"
        `);
        await queryRunner.query(`
            DROP TABLE "audit_event"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."audit_action"
        `);
    }

}
