import { MigrationInterface, QueryRunner } from "typeorm";

export class DownloadRollup1796582190138 implements MigrationInterface {
    name = 'DownloadRollup1796582190138'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "download_rollup" (
                "id" smallint NOT NULL,
                "watermark" bigint NOT NULL,
                CONSTRAINT "download_rollup_one_row" CHECK ("id" = 1),
                CONSTRAINT "PK_cfb675824c341f60d9c4c523fcb" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            ALTER TABLE "skill_version"
            ADD "download_count" integer NOT NULL DEFAULT '0'
        `);
        // Installs before this migration are already in skill.download_count (it was raised in their
        // transaction): they get xact_id 0, below the first watermark (1), so no roll-up counts them
        // again. Every later row gets its transaction's id (>= 3, never below the watermark), so every
        // install from here on is counted by a roll-up, once.
        await queryRunner.query(`
            ALTER TABLE "install"
            ADD "xact_id" bigint NOT NULL DEFAULT 0
        `);
        await queryRunner.query(`
            ALTER TABLE "install"
            ALTER COLUMN "xact_id" SET DEFAULT txid_current()
        `);
        await queryRunner.query(`
            INSERT INTO "download_rollup" ("id", "watermark") VALUES (1, 1)
        `);
        // Versions had no counter: theirs start from the whole log.
        await queryRunner.query(`
            UPDATE "skill_version" v SET "download_count" = c.n
              FROM (SELECT "version_id", count(*)::int AS n FROM "install" GROUP BY "version_id") c
             WHERE v."id" = c."version_id"
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_fb1c52a27c3f1b617af08ba862" ON "install" ("xact_id")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."IDX_fb1c52a27c3f1b617af08ba862"
        `);
        await queryRunner.query(`
            ALTER TABLE "install" DROP COLUMN "xact_id"
        `);
        await queryRunner.query(`
            ALTER TABLE "skill_version" DROP COLUMN "download_count"
        `);
        await queryRunner.query(`
            DROP TABLE "download_rollup"
        `);
    }

}
