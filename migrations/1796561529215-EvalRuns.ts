import { MigrationInterface, QueryRunner } from "typeorm";

export class EvalRuns1796561529215 implements MigrationInterface {
    name = 'EvalRuns1796561529215'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TYPE "public"."eval_run_purpose" AS ENUM(
                'GATE',
                'INFORMATIONAL',
                'BASELINE',
                'REEVALUATION'
            )
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."eval_run_status" AS ENUM(
                'QUEUED',
                'RUNNING',
                'PASSED',
                'FAILED',
                'ERROR',
                'INFRA_ERROR'
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "eval_run" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "version_id" uuid NOT NULL,
                "suite_version_id" uuid NOT NULL,
                "purpose" "public"."eval_run_purpose" NOT NULL,
                "status" "public"."eval_run_status" NOT NULL DEFAULT 'QUEUED',
                "reason" text,
                "score" double precision,
                "min_score" double precision NOT NULL,
                "case_count" integer NOT NULL,
                "unscored_cases" integer NOT NULL DEFAULT '0',
                "baseline_run_id" uuid,
                "baseline_score" double precision,
                "previous_score" double precision,
                "regressed" boolean NOT NULL DEFAULT false,
                "judge_calls" integer NOT NULL DEFAULT '0',
                "log_bytes" integer NOT NULL DEFAULT '0',
                "log_truncated" boolean NOT NULL DEFAULT false,
                "attempts" integer NOT NULL DEFAULT '0',
                "job_id" uuid,
                "started_at" TIMESTAMP WITH TIME ZONE,
                "finished_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_a59abb68a50d700ffc1624d96a9" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_8e22efbd7bedd0d9787fdcd63b" ON "eval_run" ("status")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_10a33ba4a7ccbb66f30729b011" ON "eval_run" ("version_id", "created_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "eval_case_result" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "run_id" uuid NOT NULL,
                "index" integer NOT NULL,
                "name" text NOT NULL,
                "weight" double precision NOT NULL,
                "input" jsonb NOT NULL,
                "output" text,
                "exit_code" integer,
                "timed_out" boolean NOT NULL DEFAULT false,
                "truncated" boolean NOT NULL DEFAULT false,
                "duration_ms" integer,
                "graders" jsonb NOT NULL DEFAULT '[]',
                "rubric" text,
                "judge_score" double precision,
                "judge_reason" text,
                "score" double precision,
                "passed" boolean NOT NULL DEFAULT false,
                "reason" text,
                CONSTRAINT "PK_96f98f4c05819c262d6f8f64b39" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "IDX_3a54d682e74dc2171da2dd3d9b" ON "eval_case_result" ("run_id", "index")
        `);
        await queryRunner.query(`
            ALTER TABLE "skill_version"
            ADD "eval_suite" jsonb
        `);
        await queryRunner.query(`
            ALTER TABLE "quality_review"
            ADD "eval_run_id" uuid
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."version_status"
            ADD VALUE 'EVALUATING'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."test_run_event_kind"
            ADD VALUE 'CASE'
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_6d9d5c59e3243dca62cf2760e7"
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'VERSION_EVALUATING'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'EVAL_OUTCOME'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'EVAL_DRIFT'
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_6d9d5c59e3243dca62cf2760e7" ON "audit_event" ("action", "at")
        `);
        await queryRunner.query(`
            ALTER TABLE "eval_run"
            ADD CONSTRAINT "FK_7eb5e2021c12cb0adbb2c0652bf" FOREIGN KEY ("version_id") REFERENCES "skill_version"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "eval_run"
            ADD CONSTRAINT "FK_1742210daa46b4200eb8c0fa80e" FOREIGN KEY ("suite_version_id") REFERENCES "skill_version"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "eval_case_result"
            ADD CONSTRAINT "FK_bb8f9ce6120e0c6877639d98d61" FOREIGN KEY ("run_id") REFERENCES "eval_run"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "quality_review"
            ADD CONSTRAINT "FK_1f118f48fbefea56f94163092be" FOREIGN KEY ("eval_run_id") REFERENCES "eval_run"("id") ON DELETE
            SET NULL ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "quality_review" DROP CONSTRAINT "FK_1f118f48fbefea56f94163092be"
        `);
        await queryRunner.query(`
            ALTER TABLE "eval_case_result" DROP CONSTRAINT "FK_bb8f9ce6120e0c6877639d98d61"
        `);
        await queryRunner.query(`
            ALTER TABLE "eval_run" DROP CONSTRAINT "FK_1742210daa46b4200eb8c0fa80e"
        `);
        await queryRunner.query(`
            ALTER TABLE "eval_run" DROP CONSTRAINT "FK_7eb5e2021c12cb0adbb2c0652bf"
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
                'VERSION_REJECTED',
                'REQUIRED_SKILL_ADD',
                'REQUIRED_SKILL_REMOVE',
                'RUNTIME_POLICY_SET',
                'USAGE_TIER_CHANGE',
                'QUALITY_REVIEW_DUE',
                'QUALITY_REVIEW',
                'PLATFORM_UPDATE'
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
            CREATE TYPE "public"."test_run_event_kind_old" AS ENUM('LOG', 'STATUS')
        `);
        await queryRunner.query(`
            ALTER TABLE "test_run_event"
            ALTER COLUMN "kind" TYPE "public"."test_run_event_kind_old" USING "kind"::"text"::"public"."test_run_event_kind_old"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."test_run_event_kind"
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."test_run_event_kind_old"
            RENAME TO "test_run_event_kind"
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."version_status_old" AS ENUM(
                'UPLOADED',
                'TESTING',
                'AWAITING_REVIEW',
                'PUBLISHED',
                'REJECTED',
                'DEPRECATED',
                'YANKED'
            )
        `);
        await queryRunner.query(`
            ALTER TABLE "skill_version"
            ALTER COLUMN "status" TYPE "public"."version_status_old" USING "status"::"text"::"public"."version_status_old"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."version_status"
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."version_status_old"
            RENAME TO "version_status"
        `);
        await queryRunner.query(`
            ALTER TABLE "quality_review" DROP COLUMN "eval_run_id"
        `);
        await queryRunner.query(`
            ALTER TABLE "skill_version" DROP COLUMN "eval_suite"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_3a54d682e74dc2171da2dd3d9b"
        `);
        await queryRunner.query(`
            DROP TABLE "eval_case_result"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_10a33ba4a7ccbb66f30729b011"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_8e22efbd7bedd0d9787fdcd63b"
        `);
        await queryRunner.query(`
            DROP TABLE "eval_run"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."eval_run_status"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."eval_run_purpose"
        `);
    }

}
