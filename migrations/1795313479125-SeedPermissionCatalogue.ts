import { MigrationInterface, QueryRunner } from "typeorm";

/** Hand-written data migration: the default permission catalogue (admins can edit it later). */
const DEFAULT_PERMISSIONS: [name: string, risk: string, description: string][] = [
    ["filesystem:tmp", "LOW", "Read and write a private temporary folder that is discarded after the run."],
    ["filesystem:read", "MEDIUM", "Read files in the workspace the agent runs in."],
    ["database:read", "MEDIUM", "Run read-only queries against company databases."],
    ["filesystem:write", "HIGH", "Create, change and delete files in the workspace."],
    ["database:write", "HIGH", "Insert, update and delete rows in company databases."],
    ["network:outbound", "HIGH", "Open connections to hosts outside the sandbox (web fetch, APIs)."],
    ["secrets:read", "CRITICAL", "Read credentials and secrets from the secret store or environment."],
    ["shell:exec", "CRITICAL", "Run arbitrary shell commands."],
];

export class SeedPermissionCatalogue1795313479125 implements MigrationInterface {
    name = 'SeedPermissionCatalogue1795313479125'

    public async up(queryRunner: QueryRunner): Promise<void> {
        for (const [name, risk, description] of DEFAULT_PERMISSIONS) {
            await queryRunner.query(
                `INSERT INTO "permission" ("name", "risk", "description") VALUES ($1, $2, $3) ON CONFLICT ("name") DO NOTHING`,
                [name, risk, description],
            );
        }
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DELETE FROM "permission" WHERE "name" = ANY($1)`, [DEFAULT_PERMISSIONS.map(([name]) => name)]);
    }
}
