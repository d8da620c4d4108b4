import { randomBytes } from "node:crypto";
import { type DataSource, type EntityManager, In } from "typeorm";
import { sameSecret } from "../common/same-secret";
import { hashSecret } from "../identity/api-token.service";
import { sessionScopes } from "../identity/viewer";
import type { User } from "../identity/user.entity";
import type { Viewer } from "../identity/viewer";
import { Session } from "./session.entity";

/** NOTIFY channel: a console session was revoked (payload: its id). Every process closes its sockets. */
export const SESSION_REVOKED_CHANNEL = "skillyard_session_revoked";

/** lastSeenAt is written at most this often: the idle timeout is measured to about a minute. */
const TOUCH_INTERVAL_MS = 60_000;

export interface SessionTimeouts {
  idleMinutes: number;
  maxHours: number;
}

/** A session that works now, with its user as they are now. */
export interface LiveSession {
  session: Session;
  user: User;
  /** When it ends if no request comes before: SESSION_IDLE_MINUTES after the last one, never after expiresAt. */
  idleExpiresAt: Date;
}

/**
 * Server-side console sessions. A session works while it is not revoked, before its absolute
 * expiry, within the idle timeout of its last request, and while its user is not deactivated; every
 * check reads the row, so a revocation on one replica holds on all of them at the next request.
 */
export class SessionService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly timeouts: SessionTimeouts,
  ) {}

  /** A new session for `user` in the caller's transaction; the secret (the cookie's value) is not stored. */
  async create(em: EntityManager, user: User, idToken: string | null): Promise<{ session: Session; secret: string }> {
    const secret = `sks_${randomBytes(32).toString("base64url")}`;
    const now = new Date();
    const session = await em.save(
      em.create(Session, {
        secretSha256: hashSecret(secret),
        userId: user.id,
        csrfToken: randomBytes(32).toString("base64url"),
        lastSeenAt: now,
        expiresAt: new Date(now.getTime() + this.timeouts.maxHours * 3600_000),
        revokedAt: null,
        idToken,
      }),
    );
    // Rows nobody can use any more are dropped here, a week after they stopped working.
    const week = new Date(now.getTime() - 7 * 86400_000);
    await em
      .createQueryBuilder()
      .delete()
      .from(Session)
      .where("expiresAt < :week OR revokedAt < :week OR lastSeenAt < :idleWeek", {
        week,
        idleWeek: new Date(week.getTime() - this.timeouts.idleMinutes * 60_000),
      })
      .execute();
    return { session, secret };
  }

  /**
   * The live session behind a cookie's secret, or null. Counts as activity: lastSeenAt moves to now
   * when it is more than a minute old (one conditional UPDATE, so concurrent requests write once).
   */
  async authenticate(secret: string | undefined): Promise<LiveSession | null> {
    if (!secret) return null;
    const now = new Date();
    const digest = hashSecret(secret);
    const session = await this.live(now).andWhere("session.secretSha256 = :digest", { digest }).getOne();
    // The lookup is by digest; compare again in constant time so timing says nothing about near misses.
    if (!session || !sameSecret(session.secretSha256, digest)) return null;
    if (now.getTime() - session.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
      await this.dataSource
        .createQueryBuilder()
        .update(Session)
        .set({ lastSeenAt: now })
        .where("id = :id AND lastSeenAt < :threshold", { id: session.id, threshold: new Date(now.getTime() - TOUCH_INTERVAL_MS) })
        .execute();
      session.lastSeenAt = now;
    }
    return { session, user: session.user, idleExpiresAt: this.idleExpiresAt(session) };
  }

  /** The viewer a live session acts as: its user with every scope their roles allow. */
  viewerOf(live: { session: Session; user: User }): Viewer {
    return { user: live.user, tokenId: null, sessionId: live.session.id, scopes: sessionScopes(live.user), publishTeamIds: null };
  }

  /** The viewer of a session as it is now (roles re-read), without counting as activity; null once it stopped working. */
  async viewerOfSession(sessionId: string): Promise<Viewer | null> {
    const session = await this.live(new Date()).andWhere("session.id = :sessionId", { sessionId }).getOne();
    return session ? this.viewerOf({ session, user: session.user }) : null;
  }

  /** Which of `sessionIds` still work (idle or absolute expiry ends a session without any notification). */
  async working(sessionIds: readonly string[]): Promise<Set<string>> {
    if (sessionIds.length === 0) return new Set();
    const rows = await this.live(new Date())
      .andWhere({ id: In([...sessionIds]) })
      .select("session.id")
      .getMany();
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Revokes one session in the caller's transaction and answers it as it was (its ID token, for the
   * provider's sign-out), or null when it was not working. At commit every process closes its sockets.
   */
  async revoke(em: EntityManager, sessionId: string): Promise<Session | null> {
    const session = await em.findOne(Session, { where: { id: sessionId }, lock: { mode: "pessimistic_write" } });
    if (!session || session.revokedAt) return null;
    await em.update(Session, session.id, { revokedAt: new Date(), idToken: null });
    await em.query(`SELECT pg_notify('${SESSION_REVOKED_CHANNEL}', $1)`, [session.id]);
    return session;
  }

  /** Revokes every working session of a user in the caller's transaction (deactivation); answers how many. */
  async revokeEvery(em: EntityManager, userId: string): Promise<number> {
    const revoked = await em
      .createQueryBuilder()
      .update(Session)
      .set({ revokedAt: new Date(), idToken: null })
      .where("userId = :userId AND revokedAt IS NULL", { userId })
      .returning(["id"])
      .execute();
    const ids = (revoked.raw as { id: string }[]).map((r) => r.id);
    for (const id of ids) await em.query(`SELECT pg_notify('${SESSION_REVOKED_CHANNEL}', $1)`, [id]);
    return ids.length;
  }

  /** True when `given` is the session's CSRF token (constant time). */
  csrfMatches(session: Session, given: unknown): boolean {
    return typeof given === "string" && given !== "" && sameSecret(given, session.csrfToken);
  }

  private idleExpiresAt(session: Session): Date {
    return new Date(Math.min(session.lastSeenAt.getTime() + this.timeouts.idleMinutes * 60_000, session.expiresAt.getTime()));
  }

  /** Sessions that work at `now`, with their users. */
  private live(now: Date) {
    return this.dataSource
      .getRepository(Session)
      .createQueryBuilder("session")
      .innerJoinAndSelect("session.user", "user")
      .where("session.revokedAt IS NULL AND session.expiresAt > :now AND session.lastSeenAt > :idleSince AND user.deactivatedAt IS NULL", {
        now,
        idleSince: new Date(now.getTime() - this.timeouts.idleMinutes * 60_000),
      });
  }
}
