import { MigrationInterface, QueryRunner } from "typeorm";

/** Generated; one edit: TypeORM emitted each enum shared by two tables twice (create and drop). */
export class Governance1795317421634 implements MigrationInterface {
    name = 'Governance1795317421634'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TYPE "public"."review_decision_kind" AS ENUM('APPROVE', 'REJECT')
        `);
        await queryRunner.query(`
            CREATE TABLE "review_request" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "version_id" uuid NOT NULL,
                "reasons" jsonb NOT NULL,
                "required_approvals" integer NOT NULL,
                "package_sha256" character(64) NOT NULL,
                "outcome" "public"."review_decision_kind",
                "decided_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_d733798466b3d8663a13a96781c" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "IDX_1578b7580be2206e93b2a8ccc0" ON "review_request" ("version_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "review_decision" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "version_id" uuid NOT NULL,
                "reviewer_id" uuid NOT NULL,
                "decision" "public"."review_decision_kind" NOT NULL,
                "comment" text NOT NULL,
                "package_sha256" character(64) NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_64e856d49c6dc05ed774dbb218e" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "IDX_3363f4cc7ebc18b7bab82598b4" ON "review_decision" ("version_id", "reviewer_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "skill_channel" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "skill_id" uuid NOT NULL,
                "name" text NOT NULL,
                "version_id" uuid NOT NULL,
                "moved_by_id" uuid,
                CONSTRAINT "PK_40ab46835aa0aa78b687ae8ce59" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "IDX_596d5df79b856bce91359cd3c5" ON "skill_channel" ("skill_id", "name")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."webhook_event_type" AS ENUM(
                'REVIEW_REQUESTED',
                'REVIEW_DECIDED',
                'VERSION_PUBLISHED'
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "webhook" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "url" text NOT NULL,
                "events" "public"."webhook_event_type" array NOT NULL,
                "secret" text NOT NULL,
                "active" boolean NOT NULL DEFAULT true,
                "created_by_id" uuid,
                CONSTRAINT "PK_e6765510c2d078db49632b59020" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."webhook_delivery_status" AS ENUM('PENDING', 'SUCCEEDED', 'FAILED')
        `);
        await queryRunner.query(`
            CREATE TABLE "webhook_delivery" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "webhook_id" uuid NOT NULL,
                "event" "public"."webhook_event_type" NOT NULL,
                "audit_event_id" bigint NOT NULL,
                "payload" jsonb NOT NULL,
                "status" "public"."webhook_delivery_status" NOT NULL DEFAULT 'PENDING',
                "attempt_count" integer NOT NULL DEFAULT '0',
                "delivered_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_b1ae290239a778f12399db91354" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_4196d582849edee87b033af099" ON "webhook_delivery" ("webhook_id", "created_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "webhook_delivery_attempt" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "delivery_id" uuid NOT NULL,
                "attempt" integer NOT NULL,
                "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "status_code" integer,
                "error" text,
                "duration_ms" integer NOT NULL,
                CONSTRAINT "PK_e6efad829bd07e78a18fd0ad5d5" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "IDX_ed797bc562425ee61fc52b50af" ON "webhook_delivery_attempt" ("delivery_id", "attempt")
        `);
        await queryRunner.query(`
            ALTER TABLE "skill_version"
            ADD "replacement_skill_id" uuid
        `);
        await queryRunner.query(`
            ALTER TABLE "skill_channel"
            ADD CONSTRAINT "FK_b38486fe2470f62bc444335e465" FOREIGN KEY ("skill_id") REFERENCES "skill"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "skill_channel"
            ADD CONSTRAINT "FK_6adce1677a0deb2abdcee5bdbf8" FOREIGN KEY ("version_id") REFERENCES "skill_version"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "skill_channel" DROP CONSTRAINT "FK_6adce1677a0deb2abdcee5bdbf8"
        `);
        await queryRunner.query(`
            ALTER TABLE "skill_channel" DROP CONSTRAINT "FK_b38486fe2470f62bc444335e465"
        `);
        await queryRunner.query(`
            ALTER TABLE "skill_version" DROP COLUMN "replacement_skill_id"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_ed797bc562425ee61fc52b50af"
        `);
        await queryRunner.query(`
            DROP TABLE "webhook_delivery_attempt"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_4196d582849edee87b033af099"
        `);
        await queryRunner.query(`
            DROP TABLE "webhook_delivery"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."webhook_delivery_status"
        `);
        await queryRunner.query(`
            DROP TABLE "webhook"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."webhook_event_type"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_596d5df79b856bce91359cd3c5"
        `);
        await queryRunner.query(`
            DROP TABLE "skill_channel"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_3363f4cc7ebc18b7bab82598b4"
        `);
        await queryRunner.query(`
            DROP TABLE "review_decision"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_1578b7580be2206e93b2a8ccc0"
        `);
        await queryRunner.query(`
            DROP TABLE "review_request"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."review_decision_kind"
        `);
    }

}
