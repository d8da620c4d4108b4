import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Hand-written: TypeORM cannot generate triggers. A published name@version must mean the same bytes
 * forever, so the database itself refuses to change a version's contents (only its lifecycle columns
 * may change) or to delete it (which would free the version number for different bytes).
 */
export class ImmutableSkillVersions1795313479126 implements MigrationInterface {
    name = 'ImmutableSkillVersions1795313479126'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE FUNCTION skill_version_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    RAISE EXCEPTION 'skill versions are never deleted (name@version stays taken)' USING ERRCODE = 'restrict_violation';
                END IF;
                IF (NEW.skill_id, NEW.version, NEW.manifest, NEW.package_sha256, NEW.package_size, NEW.readme, NEW.files, NEW.published_by_id)
                   IS DISTINCT FROM (OLD.skill_id, OLD.version, OLD.manifest, OLD.package_sha256, OLD.package_size, OLD.readme, OLD.files, OLD.published_by_id) THEN
                    RAISE EXCEPTION 'skill versions are immutable: only their status may change' USING ERRCODE = 'restrict_violation';
                END IF;
                RETURN NEW;
            END $$
        `);
        await queryRunner.query(`CREATE TRIGGER skill_version_immutable BEFORE UPDATE OR DELETE ON "skill_version" FOR EACH ROW EXECUTE FUNCTION skill_version_immutable()`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TRIGGER skill_version_immutable ON "skill_version"`);
        await queryRunner.query(`DROP FUNCTION skill_version_immutable()`);
    }
}
