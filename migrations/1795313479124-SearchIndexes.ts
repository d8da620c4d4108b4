import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Hand-written: TypeORM cannot generate extensions or GIN operator-class indexes. The entity
 * declares these index names with `synchronize: false`, so generated migrations leave them alone.
 */
export class SearchIndexes1795313479124 implements MigrationInterface {
    name = 'SearchIndexes1795313479124'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
        await queryRunner.query(`CREATE INDEX "skill_search_vector_idx" ON "skill" USING GIN ("search_vector")`);
        await queryRunner.query(`CREATE INDEX "skill_name_trgm_idx" ON "skill" USING GIN ("name" gin_trgm_ops)`);
        await queryRunner.query(`CREATE INDEX "skill_tags_idx" ON "skill" USING GIN ("tags")`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "skill_tags_idx"`);
        await queryRunner.query(`DROP INDEX "skill_name_trgm_idx"`);
        await queryRunner.query(`DROP INDEX "skill_search_vector_idx"`);
    }
}
