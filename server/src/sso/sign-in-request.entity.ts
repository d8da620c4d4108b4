import { Column, Entity, Index } from "typeorm";
import { BaseEntity } from "../common/base.entity";

/** Where a sign-in at the provider comes back to: the console (a session), or the CLI's loopback listener (a token). */
export enum SignInKind {
  CONSOLE = "CONSOLE",
  CLI = "CLI",
}

/**
 * A sign-in sent to the provider and not back yet: what the callback must check (state, nonce,
 * PKCE verifier) and where it goes next. Bound to the browser that started it by the sha256 of a
 * short-lived cookie; used once (the callback deletes it before anything else), and refused after
 * `expiresAt`.
 */
@Entity()
export class SignInRequest extends BaseEntity {
  @Column({ type: "char", length: 64, unique: true })
  stateSha256: string;

  @Column({ type: "char", length: 64 })
  browserSha256: string;

  @Column({ type: "text" })
  nonce: string;

  @Column({ type: "text" })
  codeVerifier: string;

  @Column({ type: "enum", enum: SignInKind, enumName: "sign_in_kind" })
  kind: SignInKind;

  /** CONSOLE: the path under /admin to land on. */
  @Column({ type: "text", nullable: true })
  returnTo: string | null;

  /** CLI: the loopback port, the CLI's own state and its PKCE challenge (S256) for the one-time code. */
  @Column({ type: "int", nullable: true })
  cliPort: number | null;

  @Column({ type: "text", nullable: true })
  cliState: string | null;

  @Column({ type: "text", nullable: true })
  cliCodeChallenge: string | null;

  @Index()
  @Column({ type: "timestamptz" })
  expiresAt: Date;
}
