import { MigrationInterface, QueryRunner } from "typeorm";

export class UsageTeamSkills1796553451150 implements MigrationInterface {
    name = 'UsageTeamSkills1796553451150'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "usage_team_skill" (
                "skill_id" uuid NOT NULL,
                "team" text NOT NULL,
                "first_invoked_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_44c9413bee147ed81a2f34cf1fe" PRIMARY KEY ("skill_id", "team")
            )
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP TABLE "usage_team_skill"
        `);
    }

}
