import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Hand-written: TypeORM cannot generate triggers. A version's plugin archive and each runtime policy
 * version are written once: Claude Code decides updates by version string, so the bytes behind a
 * version must never change. The database refuses to change or remove either, whoever asks.
 */
export class ImmutablePluginArchives1796545188797 implements MigrationInterface {
    name = 'ImmutablePluginArchives1796545188797'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE FUNCTION refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% rows are written once: % is refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
            END $$
        `);
        await queryRunner.query(`CREATE TRIGGER plugin_bundle_write_once BEFORE UPDATE OR DELETE ON "plugin_bundle" FOR EACH ROW EXECUTE FUNCTION refuse_rewrite()`);
        await queryRunner.query(`CREATE TRIGGER runtime_policy_write_once BEFORE UPDATE OR DELETE ON "runtime_policy" FOR EACH ROW EXECUTE FUNCTION refuse_rewrite()`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER runtime_policy_write_once ON "runtime_policy"`);
        await queryRunner.query(`DROP TRIGGER plugin_bundle_write_once ON "plugin_bundle"`);
        await queryRunner.query(`DROP FUNCTION refuse_rewrite()`);
    }
}
