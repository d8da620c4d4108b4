import { MigrationInterface, QueryRunner } from "typeorm";

export class Foundation1795313479123 implements MigrationInterface {
    name = 'Foundation1795313479123'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TYPE "public"."global_role" AS ENUM('ADMIN', 'REVIEWER')
        `);
        await queryRunner.query(`
            CREATE TABLE "user" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "handle" text NOT NULL,
                "email" text NOT NULL,
                "roles" "public"."global_role" array NOT NULL DEFAULT '{}',
                CONSTRAINT "UQ_53197e5dba5dbaf94d29c8edbd3" UNIQUE ("handle"),
                CONSTRAINT "UQ_e12875dfb3b1d92d7d7c5377e22" UNIQUE ("email"),
                CONSTRAINT "PK_cace4a159ff9f2512dd42373760" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "api_token" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "user_id" uuid NOT NULL,
                "name" text NOT NULL,
                "secret_sha256" character(64) NOT NULL,
                "prefix" text NOT NULL,
                "last_used_at" TIMESTAMP WITH TIME ZONE,
                "revoked_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "UQ_4039679ccc03102a7cdd02350a0" UNIQUE ("secret_sha256"),
                CONSTRAINT "PK_d862311c568d175c26f41bc6f98" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_1725c5ea908ff009f6ab3fa34f" ON "api_token" ("user_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "team" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "name" text NOT NULL,
                CONSTRAINT "UQ_cf461f5b40cf1a2b8876011e1e1" UNIQUE ("name"),
                CONSTRAINT "PK_f57d8293406df4af348402e4b74" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."team_role" AS ENUM('MEMBER', 'MAINTAINER')
        `);
        await queryRunner.query(`
            CREATE TABLE "membership" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "team_id" uuid NOT NULL,
                "user_id" uuid NOT NULL,
                "role" "public"."team_role" NOT NULL DEFAULT 'MEMBER',
                CONSTRAINT "PK_83c1afebef3059472e7c37e8de8" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_e9c72e8d29784031c96f5c6af8" ON "membership" ("user_id")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "IDX_4a615d95cce15a23bc04e67885" ON "membership" ("team_id", "user_id")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."permission_risk" AS ENUM('LOW', 'MEDIUM', 'HIGH', 'CRITICAL')
        `);
        await queryRunner.query(`
            CREATE TABLE "permission" (
                "name" text NOT NULL,
                "description" text NOT NULL,
                "risk" "public"."permission_risk" NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_240853a0c3353c25fb12434ad33" PRIMARY KEY ("name")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "skill" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "name" text NOT NULL,
                "name_skeleton" text NOT NULL,
                "team_id" uuid NOT NULL,
                "description" text NOT NULL DEFAULT '',
                "category" text NOT NULL DEFAULT 'general',
                "tags" text array NOT NULL DEFAULT '{}',
                "latest_version_id" uuid,
                "download_count" integer NOT NULL DEFAULT '0',
                "rating_average" double precision NOT NULL DEFAULT '0',
                "rating_count" integer NOT NULL DEFAULT '0',
                "search_vector" tsvector,
                "last_published_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "UQ_0f49a593960360f6f85b692aca8" UNIQUE ("name"),
                CONSTRAINT "UQ_5b4f8e11ae115907a7e53614a2a" UNIQUE ("name_skeleton"),
                CONSTRAINT "PK_a0d33334424e64fb78dc3ce7196" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_3c1ee001dc9f87eb3d1d97eee4" ON "skill" ("team_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_e5a17be1e8e11183678396adb7" ON "skill" ("category")
        `);
        await queryRunner.query(`
            CREATE INDEX "skill_recent_keyset_idx" ON "skill" ("last_published_at", "id")
        `);
        await queryRunner.query(`
            CREATE INDEX "skill_rating_keyset_idx" ON "skill" ("rating_average", "id")
        `);
        await queryRunner.query(`
            CREATE INDEX "skill_downloads_keyset_idx" ON "skill" ("download_count", "id")
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."version_status" AS ENUM(
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
            CREATE TABLE "skill_version" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "skill_id" uuid NOT NULL,
                "version" text NOT NULL,
                "status" "public"."version_status" NOT NULL,
                "status_reason" text,
                "manifest" jsonb NOT NULL,
                "package_sha256" character(64) NOT NULL,
                "package_size" integer NOT NULL,
                "readme" text,
                "files" jsonb NOT NULL DEFAULT '[]',
                "published_by_id" uuid NOT NULL,
                "published_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_05167d59ac7599128e22400172d" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_ac0ec00415b9d09601cd66b9cd" ON "skill_version" ("status")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_22ee766d7004db9e826dc684fe" ON "skill_version" ("package_sha256")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "IDX_b092a67a88a386b3613957f9f7" ON "skill_version" ("skill_id", "version")
        `);
        await queryRunner.query(`
            CREATE TABLE "version_dependency" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "version_id" uuid NOT NULL,
                "dependency_skill_id" uuid NOT NULL,
                "range" text NOT NULL,
                CONSTRAINT "PK_42288bf5e29108ff9dae1d9565f" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_8de3de288c863c6e15796e5609" ON "version_dependency" ("dependency_skill_id")
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "IDX_ab8dea1721226b4f86a4d8a73b" ON "version_dependency" ("version_id", "dependency_skill_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "version_permission" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "version_id" uuid NOT NULL,
                "name" text NOT NULL,
                "catalogue_entry_name" text NOT NULL,
                CONSTRAINT "PK_481c2353ee2f65b44f1579a2df3" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "IDX_606777aec6d4042508e741ce0c" ON "version_permission" ("version_id", "name")
        `);
        await queryRunner.query(`
            CREATE TABLE "install" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "tenant_id" uuid NOT NULL,
                "skill_id" uuid NOT NULL,
                "version_id" uuid NOT NULL,
                "installed_by_id" uuid,
                "transitive" boolean NOT NULL DEFAULT false,
                CONSTRAINT "PK_8bee0f0fde031cab0536a096362" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_6e857c63299a44ab107672e168" ON "install" ("version_id")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_e030a6472c8e3b19bd41ff5548" ON "install" ("tenant_id", "created_at")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_b72cba2426ec8108ccb182a3a3" ON "install" ("skill_id", "created_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "review" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "skill_id" uuid NOT NULL,
                "user_id" uuid NOT NULL,
                "rating" smallint NOT NULL,
                "text" text NOT NULL DEFAULT '',
                CONSTRAINT "review_rating_range" CHECK (
                    "rating" BETWEEN 1 AND 5
                ),
                CONSTRAINT "PK_2e4299a343a81574217255c00ca" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE UNIQUE INDEX "IDX_2a7503fb64998292e4a3772ca2" ON "review" ("skill_id", "user_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "package_blob" (
                "sha256" character(64) NOT NULL,
                "size" integer NOT NULL,
                "uploaded_by_id" uuid,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_e767909ea7492606f54dfc344a2" PRIMARY KEY ("sha256")
            )
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token"
            ADD CONSTRAINT "FK_1725c5ea908ff009f6ab3fa34fd" FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "membership"
            ADD CONSTRAINT "FK_b03fe5cd64dbd43afdc8ee69e61" FOREIGN KEY ("team_id") REFERENCES "team"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "membership"
            ADD CONSTRAINT "FK_e9c72e8d29784031c96f5c6af8d" FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "skill"
            ADD CONSTRAINT "FK_3c1ee001dc9f87eb3d1d97eee4b" FOREIGN KEY ("team_id") REFERENCES "team"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "skill_version"
            ADD CONSTRAINT "FK_cc60ddfa05199614c5f207609d0" FOREIGN KEY ("skill_id") REFERENCES "skill"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "skill_version"
            ADD CONSTRAINT "FK_5ad15d751e10c9552a41a938668" FOREIGN KEY ("published_by_id") REFERENCES "user"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "version_dependency"
            ADD CONSTRAINT "FK_d8bc9bbb8b3ac97ad63f04f1291" FOREIGN KEY ("version_id") REFERENCES "skill_version"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "version_dependency"
            ADD CONSTRAINT "FK_8de3de288c863c6e15796e5609b" FOREIGN KEY ("dependency_skill_id") REFERENCES "skill"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "version_permission"
            ADD CONSTRAINT "FK_548870834e49063010d8d1a6244" FOREIGN KEY ("version_id") REFERENCES "skill_version"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "version_permission"
            ADD CONSTRAINT "FK_a26dcba92cb47cf9e5d3ffb6750" FOREIGN KEY ("catalogue_entry_name") REFERENCES "permission"("name") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "install"
            ADD CONSTRAINT "FK_a029f7a44020480ca9081ad478a" FOREIGN KEY ("tenant_id") REFERENCES "team"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "install"
            ADD CONSTRAINT "FK_9a14277a5e1ba4ba3b6ead7a9db" FOREIGN KEY ("skill_id") REFERENCES "skill"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "install"
            ADD CONSTRAINT "FK_6e857c63299a44ab107672e168a" FOREIGN KEY ("version_id") REFERENCES "skill_version"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "install"
            ADD CONSTRAINT "FK_bd73b82d97176bbbee49fc7dc10" FOREIGN KEY ("installed_by_id") REFERENCES "user"("id") ON DELETE
            SET NULL ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "review"
            ADD CONSTRAINT "FK_3c41d187ef38550ca52380195eb" FOREIGN KEY ("skill_id") REFERENCES "skill"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "review"
            ADD CONSTRAINT "FK_81446f2ee100305f42645d4d6c2" FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "package_blob"
            ADD CONSTRAINT "FK_88e0e77e1040e3b84ea99b0082f" FOREIGN KEY ("uploaded_by_id") REFERENCES "user"("id") ON DELETE
            SET NULL ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "package_blob" DROP CONSTRAINT "FK_88e0e77e1040e3b84ea99b0082f"
        `);
        await queryRunner.query(`
            ALTER TABLE "review" DROP CONSTRAINT "FK_81446f2ee100305f42645d4d6c2"
        `);
        await queryRunner.query(`
            ALTER TABLE "review" DROP CONSTRAINT "FK_3c41d187ef38550ca52380195eb"
        `);
        await queryRunner.query(`
            ALTER TABLE "install" DROP CONSTRAINT "FK_bd73b82d97176bbbee49fc7dc10"
        `);
        await queryRunner.query(`
            ALTER TABLE "install" DROP CONSTRAINT "FK_6e857c63299a44ab107672e168a"
        `);
        await queryRunner.query(`
            ALTER TABLE "install" DROP CONSTRAINT "FK_9a14277a5e1ba4ba3b6ead7a9db"
        `);
        await queryRunner.query(`
            ALTER TABLE "install" DROP CONSTRAINT "FK_a029f7a44020480ca9081ad478a"
        `);
        await queryRunner.query(`
            ALTER TABLE "version_permission" DROP CONSTRAINT "FK_a26dcba92cb47cf9e5d3ffb6750"
        `);
        await queryRunner.query(`
            ALTER TABLE "version_permission" DROP CONSTRAINT "FK_548870834e49063010d8d1a6244"
        `);
        await queryRunner.query(`
            ALTER TABLE "version_dependency" DROP CONSTRAINT "FK_8de3de288c863c6e15796e5609b"
        `);
        await queryRunner.query(`
            ALTER TABLE "version_dependency" DROP CONSTRAINT "FK_d8bc9bbb8b3ac97ad63f04f1291"
        `);
        await queryRunner.query(`
            ALTER TABLE "skill_version" DROP CONSTRAINT "FK_5ad15d751e10c9552a41a938668"
        `);
        await queryRunner.query(`
            ALTER TABLE "skill_version" DROP CONSTRAINT "FK_cc60ddfa05199614c5f207609d0"
        `);
        await queryRunner.query(`
            ALTER TABLE "skill" DROP CONSTRAINT "FK_3c1ee001dc9f87eb3d1d97eee4b"
        `);
        await queryRunner.query(`
            ALTER TABLE "membership" DROP CONSTRAINT "FK_e9c72e8d29784031c96f5c6af8d"
        `);
        await queryRunner.query(`
            ALTER TABLE "membership" DROP CONSTRAINT "FK_b03fe5cd64dbd43afdc8ee69e61"
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token" DROP CONSTRAINT "FK_1725c5ea908ff009f6ab3fa34fd"
        `);
        await queryRunner.query(`
            DROP TABLE "package_blob"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_2a7503fb64998292e4a3772ca2"
        `);
        await queryRunner.query(`
            DROP TABLE "review"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_b72cba2426ec8108ccb182a3a3"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_e030a6472c8e3b19bd41ff5548"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_6e857c63299a44ab107672e168"
        `);
        await queryRunner.query(`
            DROP TABLE "install"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_606777aec6d4042508e741ce0c"
        `);
        await queryRunner.query(`
            DROP TABLE "version_permission"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_ab8dea1721226b4f86a4d8a73b"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_8de3de288c863c6e15796e5609"
        `);
        await queryRunner.query(`
            DROP TABLE "version_dependency"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_b092a67a88a386b3613957f9f7"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_22ee766d7004db9e826dc684fe"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_ac0ec00415b9d09601cd66b9cd"
        `);
        await queryRunner.query(`
            DROP TABLE "skill_version"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."version_status"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."skill_downloads_keyset_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."skill_rating_keyset_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."skill_recent_keyset_idx"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_e5a17be1e8e11183678396adb7"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_3c1ee001dc9f87eb3d1d97eee4"
        `);
        await queryRunner.query(`
            DROP TABLE "skill"
        `);
        await queryRunner.query(`
            DROP TABLE "permission"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."permission_risk"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_4a615d95cce15a23bc04e67885"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_e9c72e8d29784031c96f5c6af8"
        `);
        await queryRunner.query(`
            DROP TABLE "membership"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."team_role"
        `);
        await queryRunner.query(`
            DROP TABLE "team"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_1725c5ea908ff009f6ab3fa34f"
        `);
        await queryRunner.query(`
            DROP TABLE "api_token"
        `);
        await queryRunner.query(`
            DROP TABLE "user"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."global_role"
        `);
    }

}
