import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, OneToOne, PrimaryGeneratedColumn } from "typeorm";
import { ApiToken, TokenScope } from "../identity/api-token.entity";
import { Team } from "../identity/team.entity";

/** The scopes of the tokens distribution issues. */
export const DISTRIBUTION_SCOPES = [TokenScope.CATALOG_READ, TokenScope.INGEST] as const;
export type DistributionScope = (typeof DISTRIBUTION_SCOPES)[number];

/**
 * A narrow token that generated Claude Code settings carry to every machine: CATALOG_READ (one per
 * installation, for REQUIRE_AUTH_FOR_READ) or INGEST (one per team: telemetry whose resource has no
 * team attribute is attributed to the team whose token sent it). Unlike every other token,
 * the secret is kept: settings are generated again and again and must carry the same one. Each can
 * do nothing but its one thing, and is on every machine anyway; rotating revokes it and makes a new one.
 */
@Entity()
@Index("distribution_credential_team_uq", ["scope", "teamId"], { unique: true, where: `"team_id" IS NOT NULL` })
@Index("distribution_credential_org_uq", ["scope"], { unique: true, where: `"team_id" IS NULL` })
export class DistributionCredential {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  /** Its own enum type (values of token_scope): TypeORM's generator creates a shared one twice. */
  @Column({ type: "enum", enum: DISTRIBUTION_SCOPES, enumName: "distribution_credential_scope" })
  scope: DistributionScope;

  @ManyToOne(() => Team, { onDelete: "CASCADE" })
  team: Team | null;

  /** The team an INGEST token reports for; null for CATALOG_READ and for settings without a team. */
  @Column({ type: "uuid", nullable: true })
  teamId: string | null;

  @OneToOne(() => ApiToken, { onDelete: "CASCADE" })
  @JoinColumn()
  token: ApiToken;

  @Column({ type: "uuid" })
  tokenId: string;

  @Column({ type: "text" })
  secret: string;

  @CreateDateColumn({ type: "timestamptz" })
  createdAt: Date;
}
