import { MigrationInterface, QueryRunner } from "typeorm";

/** Generated; one edit: TypeORM emitted the shared test_run_status enum twice (both tables use it). */
export class TestRuns1795315651500 implements MigrationInterface {
    name = 'TestRuns1795315651500'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TYPE "public"."test_run_status" AS ENUM(
                'QUEUED',
                'RUNNING',
                'PASSED',
                'FAILED',
                'TIMEOUT',
                'MEMORY_LIMIT',
                'ERROR',
                'INFRA_ERROR'
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "test_run" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "version_id" uuid NOT NULL,
                "status" "public"."test_run_status" NOT NULL DEFAULT 'QUEUED',
                "reason" text,
                "passed" integer NOT NULL DEFAULT '0',
                "failed" integer NOT NULL DEFAULT '0',
                "skipped" integer NOT NULL DEFAULT '0',
                "pass_rate" double precision,
                "tests" jsonb NOT NULL DEFAULT '[]',
                "exit_code" integer,
                "log_bytes" integer NOT NULL DEFAULT '0',
                "log_truncated" boolean NOT NULL DEFAULT false,
                "attempts" integer NOT NULL DEFAULT '0',
                "job_id" uuid,
                "started_at" TIMESTAMP WITH TIME ZONE,
                "finished_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_011c050f566e9db509a0fadb9b9" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_9dbee2c7652b05fbcf59ccc41a" ON "test_run" ("status")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_1a1b390317631eff6cffccd576" ON "test_run" ("version_id", "created_at")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."test_run_event_kind" AS ENUM('LOG', 'STATUS')
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."log_stream" AS ENUM('STDOUT', 'STDERR')
        `);
        await queryRunner.query(`
            CREATE TABLE "test_run_event" (
                "id" BIGSERIAL NOT NULL,
                "run_id" uuid NOT NULL,
                "seq" integer NOT NULL,
                "kind" "public"."test_run_event_kind" NOT NULL,
                "stream" "public"."log_stream",
                "text" text,
                "status" "public"."test_run_status",
                "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_f4c6137e9d4305ab0f3d2227c69" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "IDX_4a158723b87bba97d104d898ca" ON "test_run_event" ("run_id", "seq")
        `);
        await queryRunner.query(`
            ALTER TABLE "test_run"
            ADD CONSTRAINT "FK_b78832aec4db704fe13038587f7" FOREIGN KEY ("version_id") REFERENCES "skill_version"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "test_run" DROP CONSTRAINT "FK_b78832aec4db704fe13038587f7"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_4a158723b87bba97d104d898ca"
        `);
        await queryRunner.query(`
            DROP TABLE "test_run_event"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."log_stream"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."test_run_event_kind"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_1a1b390317631eff6cffccd576"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_9dbee2c7652b05fbcf59ccc41a"
        `);
        await queryRunner.query(`
            DROP TABLE "test_run"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."test_run_status"
        `);
    }

}
