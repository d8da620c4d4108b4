import { Column, Entity, Index, ManyToOne } from "typeorm";
import { BaseEntity } from "../common/base.entity";
import { User } from "../identity/user.entity";

/**
 * A console session, created when a person signs in through the identity provider. The browser
 * holds the secret in an HttpOnly cookie; only its sha256 is stored. A session works until it is
 * revoked (sign-out, deactivation), `expiresAt` (absolute), or SESSION_IDLE_MINUTES after
 * `lastSeenAt`, whichever comes first.
 */
@Entity("session")
export class Session extends BaseEntity {
  @Column({ type: "char", length: 64, unique: true })
  secretSha256: string;

  @ManyToOne(() => User, { onDelete: "CASCADE" })
  user: User;

  @Index()
  @Column({ type: "uuid" })
  userId: string;

  /** Sent back as X-CSRF-Token (and WebSocket `csrfToken`) with every request made with the cookie. */
  @Column({ type: "text" })
  csrfToken: string;

  /** The last request made with the session, written at most once a minute (the idle timeout is that coarse). */
  @Column({ type: "timestamptz" })
  lastSeenAt: Date;

  @Index()
  @Column({ type: "timestamptz" })
  expiresAt: Date;

  @Column({ type: "timestamptz", nullable: true })
  revokedAt: Date | null;

  /** The provider's ID token of the sign-in, for id_token_hint at sign-out; cleared then. */
  @Column({ type: "text", nullable: true })
  idToken: string | null;
}
