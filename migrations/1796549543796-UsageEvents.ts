import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Hand-written: TypeORM cannot declare a partitioned table. Raw usage events live in daily range
 * partitions (made on first use by UsageEventStore and dropped whole past USAGE_RAW_RETENTION_DAYS);
 * the primary key (day, session_id, sequence) makes an exporter's retry of a stored record a no-op.
 * No entity maps it: only UsageIngestService and UsageEventStore touch it, with SQL.
 */
export class UsageEvents1796549543796 implements MigrationInterface {
    name = 'UsageEvents1796549543796'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "usage_event" (
                "day" date NOT NULL,
                "session_id" text NOT NULL,
                "sequence" bigint NOT NULL,
                "kind" text NOT NULL,
                "at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "team" text NOT NULL,
                "user_hash" text,
                "skill_name" text,
                "skill_source" text,
                "plugin" text,
                "marketplace" text,
                "plugin_version" text,
                "success" boolean,
                "skill_key" text,
                "skill_id" uuid,
                "version" text,
                CONSTRAINT "PK_usage_event" PRIMARY KEY ("day", "session_id", "sequence")
            ) PARTITION BY RANGE ("day")
        `);
        await queryRunner.query(`CREATE INDEX "usage_event_session_idx" ON "usage_event" ("session_id", "kind")`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "usage_event"`);
    }
}
