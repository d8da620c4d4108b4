import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Generated; one edit: the `review` table (ratings) is renamed to `rating` with its constraints and
 * index renamed to the names TypeORM derives for the new table, where the generator would have
 * created an empty `rating` table and left the rows behind.
 */

export class TrustAndIdentity1796539163038 implements MigrationInterface {
    name = 'TrustAndIdentity1796539163038'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "invitation" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "user_id" uuid NOT NULL,
                "code_sha256" character(64) NOT NULL,
                "created_by_id" uuid,
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "redeemed_at" TIMESTAMP WITH TIME ZONE,
                "superseded_at" TIMESTAMP WITH TIME ZONE,
                "token_id" uuid,
                CONSTRAINT "UQ_38b844f4a4cc598dc848d673f8e" UNIQUE ("code_sha256"),
                CONSTRAINT "PK_beb994737756c0f18a1c1f8669c" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_dbf801c80100c878509602456f" ON "invitation" ("user_id")
        `);
        // Hand-written (see the header): the table keeps its rows under its new name.
        await queryRunner.query(`ALTER TABLE "review" RENAME TO "rating"`);
        await queryRunner.query(`ALTER TABLE "rating" RENAME CONSTRAINT "review_rating_range" TO "rating_value_range"`);
        await queryRunner.query(`ALTER TABLE "rating" RENAME CONSTRAINT "PK_2e4299a343a81574217255c00ca" TO "PK_ecda8ad32645327e4765b43649e"`);
        await queryRunner.query(`ALTER INDEX "public"."IDX_2a7503fb64998292e4a3772ca2" RENAME TO "IDX_b0393e542c066cd3769b08f868"`);
        await queryRunner.query(`ALTER TABLE "rating" RENAME CONSTRAINT "FK_3c41d187ef38550ca52380195eb" TO "FK_17a1d5e9d41c3038da5993d5903"`);
        await queryRunner.query(`ALTER TABLE "rating" RENAME CONSTRAINT "FK_81446f2ee100305f42645d4d6c2" TO "FK_17618c8d69b7e2e287bf9f8fbb3"`);
        await queryRunner.query(`
            CREATE TYPE "public"."user_kind" AS ENUM('PERSON', 'SERVICE')
        `);
        await queryRunner.query(`
            ALTER TABLE "user"
            ADD "kind" "public"."user_kind" NOT NULL DEFAULT 'PERSON'
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."api_token_origin" AS ENUM(
                'BOOTSTRAP',
                'INVITATION',
                'SELF',
                'SERVICE_ACCOUNT'
            )
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token"
            ADD "origin" "public"."api_token_origin"
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token"
            ADD "created_by_id" uuid
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token"
            ADD "invitation_id" uuid
        `);
        await queryRunner.query(`
            ALTER TABLE "review_decision"
            ADD "token_id" uuid
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_6d9d5c59e3243dca62cf2760e7"
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'MEMBER_REMOVE'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'INVITATION_CREATE'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'INVITATION_REDEEM'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'VERSION_TESTING'
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action"
            ADD VALUE 'VERSION_REJECTED'
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_6d9d5c59e3243dca62cf2760e7" ON "audit_event" ("action", "at")
        `);
        await queryRunner.query(`
            ALTER TABLE "invitation"
            ADD CONSTRAINT "FK_dbf801c80100c878509602456ff" FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "invitation" DROP CONSTRAINT "FK_dbf801c80100c878509602456ff"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_6d9d5c59e3243dca62cf2760e7"
        `);
        await queryRunner.query(`
            CREATE TYPE "public"."audit_action_old" AS ENUM(
                'USER_CREATE',
                'TEAM_CREATE',
                'MEMBER_ADD',
                'ROLE_CHANGE',
                'TOKEN_CREATE',
                'TOKEN_REVOKE',
                'PERMISSION_EDIT',
                'PUBLISH',
                'TEST_OUTCOME',
                'REVIEW_REQUESTED',
                'APPROVE',
                'REJECT',
                'VERSION_PUBLISHED',
                'CHANNEL_MOVE',
                'YANK',
                'DEPRECATE',
                'WEBHOOK_CREATE',
                'WEBHOOK_DELETE'
            )
        `);
        await queryRunner.query(`
            ALTER TABLE "audit_event"
            ALTER COLUMN "action" TYPE "public"."audit_action_old" USING "action"::"text"::"public"."audit_action_old"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."audit_action"
        `);
        await queryRunner.query(`
            ALTER TYPE "public"."audit_action_old"
            RENAME TO "audit_action"
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_6d9d5c59e3243dca62cf2760e7" ON "audit_event" USING btree ("action", "at")
        `);
        await queryRunner.query(`
            ALTER TABLE "review_decision" DROP COLUMN "token_id"
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token" DROP COLUMN "invitation_id"
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token" DROP COLUMN "created_by_id"
        `);
        await queryRunner.query(`
            ALTER TABLE "api_token" DROP COLUMN "origin"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."api_token_origin"
        `);
        await queryRunner.query(`
            ALTER TABLE "user" DROP COLUMN "kind"
        `);
        await queryRunner.query(`
            DROP TYPE "public"."user_kind"
        `);
        await queryRunner.query(`ALTER TABLE "rating" RENAME CONSTRAINT "FK_17618c8d69b7e2e287bf9f8fbb3" TO "FK_81446f2ee100305f42645d4d6c2"`);
        await queryRunner.query(`ALTER TABLE "rating" RENAME CONSTRAINT "FK_17a1d5e9d41c3038da5993d5903" TO "FK_3c41d187ef38550ca52380195eb"`);
        await queryRunner.query(`ALTER INDEX "public"."IDX_b0393e542c066cd3769b08f868" RENAME TO "IDX_2a7503fb64998292e4a3772ca2"`);
        await queryRunner.query(`ALTER TABLE "rating" RENAME CONSTRAINT "PK_ecda8ad32645327e4765b43649e" TO "PK_2e4299a343a81574217255c00ca"`);
        await queryRunner.query(`ALTER TABLE "rating" RENAME CONSTRAINT "rating_value_range" TO "review_rating_range"`);
        await queryRunner.query(`ALTER TABLE "rating" RENAME TO "review"`);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_dbf801c80100c878509602456f"
        `);
        await queryRunner.query(`
            DROP TABLE "invitation"
        `);
    }

}
