import { Column, Entity, Index, ManyToOne } from "typeorm";
import { BaseEntity } from "../common/base.entity";
import { User } from "../identity/user.entity";

/**
 * The one-time code a loopback sign-in hands the CLI (through its 127.0.0.1 listener): exchanged,
 * once and within minutes, for an API token by the CLI that holds the PKCE verifier of `codeChallenge`.
 */
@Entity()
export class CliSignInCode extends BaseEntity {
  @Column({ type: "char", length: 64, unique: true })
  codeSha256: string;

  @ManyToOne(() => User, { onDelete: "CASCADE" })
  user: User;

  @Column({ type: "uuid" })
  userId: string;

  @Column({ type: "text" })
  codeChallenge: string;

  @Index()
  @Column({ type: "timestamptz" })
  expiresAt: Date;
}

/**
 * A device sign-in (RFC 8628) brokered for the CLI: the provider's device code stays here, and the
 * CLI polls with its own code (only the sha256 is stored). Each poll is one token request to the
 * provider, never sooner than `nextPollAt`.
 */
@Entity()
export class DeviceSignIn extends BaseEntity {
  @Column({ type: "char", length: 64, unique: true })
  deviceCodeSha256: string;

  @Column({ type: "text" })
  providerDeviceCode: string;

  @Column({ type: "int" })
  intervalSeconds: number;

  @Column({ type: "timestamptz" })
  nextPollAt: Date;

  @Index()
  @Column({ type: "timestamptz" })
  expiresAt: Date;
}
