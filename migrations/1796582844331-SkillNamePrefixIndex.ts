import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Hand-written: TypeORM cannot generate operator-class indexes. Search matches a name prefix with
 * `name LIKE 'kube%'`: with text_pattern_ops that is a range scan of this btree whatever the
 * database's collation, where the trigram index fetched every name sharing a trigram with the prefix.
 */
export class SkillNamePrefixIndex1796582844331 implements MigrationInterface {
    name = 'SkillNamePrefixIndex1796582844331'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX "skill_name_prefix_idx" ON "skill" ("name" text_pattern_ops)`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "skill_name_prefix_idx"`);
    }
}
