import { emailProblem, handleProblem, SkillyardError } from "@skillyard/core";
import { type EntityManager, In } from "typeorm";
import { AuditAction } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";
import { escapeLike } from "../common/sql";
import { type IdentityService, notifyViewerChanged } from "../identity/identity.service";
import { Membership, MembershipSource, TeamRole } from "../identity/membership.entity";
import { GlobalRole, User, UserKind } from "../identity/user.entity";
import { DirectoryGroup, DirectoryGroupMember, DirectoryUser } from "./directory.entities";
import { GroupMapping } from "./group-mapping.entity";
import type { DirectoryClaims } from "./oidc-client";
import type { SessionService } from "./session.service";

const TEAM_ROLE_RANK: Record<TeamRole, number> = { [TeamRole.MEMBER]: 1, [TeamRole.MAINTAINER]: 2 };
const ROLE_ORDER = Object.values(GlobalRole);
/** Handles made from a directory name keep room for a "-NNNNNN" suffix within the 39-character limit. */
const MAX_HANDLE_BASE = 32;

/**
 * Takes the directory lock for the rest of the caller's transaction. Everything that creates, links
 * or changes directory users takes it first, so two first sign-ins of one person (two tabs) or a
 * sign-in racing a SCIM request cannot create two users or pick one handle twice.
 */
export async function lockDirectory(em: EntityManager): Promise<void> {
  await em.query("SELECT pg_advisory_xact_lock(hashtext('skillyard_directory'))");
}

/** A handle from `preferred_username` or the email's local part: lowercase letters, digits and '-'. */
export function handleBase(candidates: readonly (string | null)[]): string {
  for (const raw of candidates) {
    if (!raw) continue;
    const local = raw.includes("@") ? raw.slice(0, raw.indexOf("@")) : raw;
    const base = local
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+/, "")
      .slice(0, MAX_HANDLE_BASE)
      .replace(/-+$/, "");
    if (base && !handleProblem(base)) return base;
  }
  return "user";
}

/** `base`, or `base-2`, `base-3`, … : the first handle nobody has. The caller holds the directory lock. */
export async function uniqueHandle(em: EntityManager, base: string): Promise<string> {
  const rows: { handle: string }[] = await em
    .createQueryBuilder(User, "u")
    .select("u.handle", "handle")
    .where("u.handle = :base OR u.handle LIKE :prefix", { base, prefix: `${escapeLike(base)}-%` })
    .getRawMany();
  const taken = new Set(rows.map((r) => r.handle));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

/**
 * Provisioning from the directory. At every sign-in the person is found by their directory
 * identity (issuer and subject), or a local user with the same verified email is linked (one person
 * stays one user, so the two-person rule keeps counting people), or a user is created. Then their
 * memberships and global roles follow their groups through the group mappings, but only the grants
 * the directory made: memberships with source DIRECTORY and the roles in `directoryRoles`. Grants
 * made by hand stay. Every change is audited and announced (viewer changed), so open sockets are
 * re-checked.
 */
export class DirectoryProvisioning {
  constructor(
    private readonly audit: AuditService,
    private readonly identity: IdentityService,
    private readonly sessions: SessionService,
  ) {}

  /** The user behind a sign-in, provisioned and with grants that follow `claims.groups`; ACCOUNT_DISABLED when deactivated. */
  async signIn(em: EntityManager, claims: DirectoryClaims): Promise<User> {
    await lockDirectory(em);
    if (!claims.email || emailProblem(claims.email)) {
      throw new SkillyardError("SSO_CLAIMS_INVALID", "The identity provider sent no email address for you; Skillyard needs one (scope `email`).");
    }
    const email = claims.email;
    let user = await em.findOneBy(User, { oidcIssuer: claims.issuer, oidcSubject: claims.subject });
    if (user) await this.refresh(em, user, { email, name: claims.name });
    else {
      const sameEmail = await em.createQueryBuilder(User, "u").where("lower(u.email) = lower(:email)", { email }).getOne();
      user = sameEmail ? await this.link(em, sameEmail, claims) : await this.create(em, claims, email);
    }
    if (user.deactivatedAt) throw new SkillyardError("ACCOUNT_DISABLED", "Your Skillyard account is deactivated; ask an admin.");
    const directory = await this.directoryUser(em, user.id);
    directory.claimedGroups = claims.groups;
    await em.save(directory);
    return this.applyGroups(em, user.id);
  }

  /** The user's directory row, created when missing. */
  async directoryUser(em: EntityManager, userId: string): Promise<DirectoryUser> {
    const existing = await em.findOneBy(DirectoryUser, { userId });
    return existing ?? em.save(em.create(DirectoryUser, { userId, scimUserName: null, scimExternalId: null, claimedGroups: [] }));
  }

  /**
   * Makes the user's directory grants match their groups now: those their last sign-in's claims
   * listed and the SCIM groups they are in. Locks the user's row, so concurrent applications (a
   * sign-in and a SCIM group change) take turns. Answers the user as saved.
   */
  async applyGroups(em: EntityManager, userId: string): Promise<User> {
    const user = await em.findOneOrFail(User, { where: { id: userId }, lock: { mode: "pessimistic_write" } });
    const groups = await this.groupsOf(em, userId);
    const mappings = groups.length ? await em.find(GroupMapping, { where: { group: In(groups) }, relations: { team: true } }) : [];
    const wantedTeams = new Map<string, { role: TeamRole; name: string }>();
    const wantedRoles = new Set<GlobalRole>();
    for (const mapping of mappings) {
      if (mapping.role) wantedRoles.add(mapping.role);
      if (mapping.team && mapping.teamRole) {
        const current = wantedTeams.get(mapping.team.id);
        if (!current || TEAM_ROLE_RANK[mapping.teamRole] > TEAM_ROLE_RANK[current.role])
          wantedTeams.set(mapping.team.id, { role: mapping.teamRole, name: mapping.team.name });
      }
    }
    // Service accounts hold no global role, whatever a directory says.
    if (user.kind === UserKind.SERVICE) wantedRoles.clear();
    let changed = false;
    const memberships = await em.find(Membership, { where: { userId }, relations: { team: true } });
    for (const membership of memberships) {
      // A membership given by hand stays as it is: the directory neither changes nor removes it.
      if (membership.source !== MembershipSource.DIRECTORY) continue;
      const wanted = wantedTeams.get(membership.teamId);
      const before = { team: membership.team.name, user: user.handle, role: membership.role, source: membership.source };
      if (!wanted) {
        await em.delete(Membership, { id: membership.id });
        await this.audit.record(em, { actorId: null, action: AuditAction.MEMBER_REMOVE, targetType: "Membership", targetId: membership.id, before });
        changed = true;
      } else if (wanted.role !== membership.role) {
        await em.update(Membership, membership.id, { role: wanted.role });
        await this.audit.record(em, {
          actorId: null,
          action: AuditAction.ROLE_CHANGE,
          targetType: "Membership",
          targetId: membership.id,
          before,
          after: { ...before, role: wanted.role },
        });
        changed = true;
      }
    }
    const held = new Set(memberships.map((m) => m.teamId));
    for (const [teamId, wanted] of wantedTeams) {
      if (held.has(teamId)) continue;
      const membership = await em.save(em.create(Membership, { teamId, userId, role: wanted.role, source: MembershipSource.DIRECTORY }));
      await this.audit.record(em, {
        actorId: null,
        action: AuditAction.MEMBER_ADD,
        targetType: "Membership",
        targetId: membership.id,
        after: { team: wanted.name, user: user.handle, role: wanted.role, source: MembershipSource.DIRECTORY },
      });
      changed = true;
    }
    // Roles: what an admin gave by hand stays; the directory's part becomes exactly what the groups grant.
    const manual = user.roles.filter((r) => !user.directoryRoles.includes(r));
    const roles = ROLE_ORDER.filter((r) => manual.includes(r) || wantedRoles.has(r));
    const directoryRoles = ROLE_ORDER.filter((r) => wantedRoles.has(r) && !manual.includes(r));
    if (roles.join() !== user.roles.join() || directoryRoles.join() !== user.directoryRoles.join()) {
      const before = { handle: user.handle, roles: user.roles, directoryRoles: user.directoryRoles };
      user.roles = roles;
      user.directoryRoles = directoryRoles;
      await em.save(user);
      if (before.roles.join() !== roles.join()) {
        await this.audit.record(em, {
          actorId: null,
          action: AuditAction.ROLE_CHANGE,
          targetType: "User",
          targetId: user.id,
          before,
          after: { handle: user.handle, roles, directoryRoles, source: MembershipSource.DIRECTORY },
        });
        changed = true;
      }
    }
    if (changed) await notifyViewerChanged(em, user.id);
    return user;
  }

  /** Users Skillyard knows to be in `group` (their last sign-in's claims, or SCIM): whom a mapping change concerns. */
  async usersInGroup(em: EntityManager, group: string): Promise<string[]> {
    const rows: { user_id: string }[] = await em.query(
      `SELECT user_id FROM directory_user WHERE $1 = ANY(claimed_groups)
       UNION
       SELECT m.user_id FROM directory_group_member m JOIN directory_group g ON g.id = m.group_id WHERE g.display_name = $1`,
      [group],
    );
    return rows.map((r) => r.user_id);
  }

  /**
   * Deactivates a person (SCIM): no sign-in from now on, and every session and token is revoked in
   * this transaction, so open sockets close at commit. Answers false when already deactivated.
   */
  async deactivate(em: EntityManager, user: User): Promise<boolean> {
    if (user.deactivatedAt) return false;
    user.deactivatedAt = new Date();
    await em.update(User, user.id, { deactivatedAt: user.deactivatedAt });
    const sessionsRevoked = await this.sessions.revokeEvery(em, user.id);
    const tokensRevoked = await this.identity.revokeEveryToken(em, user.id, null);
    await this.audit.record(em, {
      actorId: null,
      action: AuditAction.USER_DEACTIVATE,
      targetType: "User",
      targetId: user.id,
      before: { handle: user.handle, deactivatedAt: null },
      after: { handle: user.handle, deactivatedAt: user.deactivatedAt.toISOString(), sessionsRevoked, tokensRevoked },
    });
    return true;
  }

  /** Lets a deactivated person sign in again (their revoked tokens stay revoked). */
  async reactivate(em: EntityManager, user: User): Promise<boolean> {
    if (!user.deactivatedAt) return false;
    const before = { handle: user.handle, deactivatedAt: user.deactivatedAt.toISOString() };
    user.deactivatedAt = null;
    await em.update(User, user.id, { deactivatedAt: null });
    await this.audit.record(em, {
      actorId: null,
      action: AuditAction.USER_REACTIVATE,
      targetType: "User",
      targetId: user.id,
      before,
      after: { handle: user.handle },
    });
    return true;
  }

  private async groupsOf(em: EntityManager, userId: string): Promise<string[]> {
    const claimed = (await em.findOneBy(DirectoryUser, { userId }))?.claimedGroups ?? [];
    const pushed = await em
      .createQueryBuilder(DirectoryGroup, "g")
      .innerJoin(DirectoryGroupMember, "m", "m.groupId = g.id")
      .where("m.userId = :userId", { userId })
      .getMany();
    return [...new Set([...claimed, ...pushed.map((g) => g.displayName)])];
  }

  /** A returning person: the directory's email and name win (an email another user holds is left as it was). */
  private async refresh(em: EntityManager, user: User, fields: { email: string; name: string | null }): Promise<void> {
    const before = { email: user.email, name: user.name };
    if (fields.name && fields.name !== user.name) user.name = fields.name;
    if (fields.email.toLowerCase() !== user.email.toLowerCase()) {
      const taken = await em
        .createQueryBuilder(User, "u")
        .where("lower(u.email) = lower(:email) AND u.id <> :id", { email: fields.email, id: user.id })
        .getExists();
      if (!taken) user.email = fields.email;
    }
    if (before.email === user.email && before.name === user.name) return;
    await em.update(User, user.id, { email: user.email, name: user.name });
    await this.audit.record(em, {
      actorId: null,
      action: AuditAction.USER_UPDATE,
      targetType: "User",
      targetId: user.id,
      before: { handle: user.handle, ...before },
      after: { handle: user.handle, email: user.email, name: user.name },
    });
  }

  /**
   * A local user with the sign-in's email becomes this directory identity, when the provider verified
   * the email, the user is a person and no other directory identity holds them.
   */
  private async link(em: EntityManager, user: User, claims: DirectoryClaims): Promise<User> {
    if (user.oidcSubject !== null) {
      throw new SkillyardError("SSO_ACCOUNT_CONFLICT", "Your email belongs to a Skillyard user who signs in with another directory identity; ask an admin.");
    }
    if (user.kind !== UserKind.PERSON) throw new SkillyardError("SSO_ACCOUNT_CONFLICT", "Your email belongs to a service account; ask an admin.");
    if (!claims.emailVerified) {
      throw new SkillyardError("SSO_ACCOUNT_CONFLICT", "Your email is taken by a Skillyard user, and the identity provider does not say it is verified.");
    }
    user.oidcIssuer = claims.issuer;
    user.oidcSubject = claims.subject;
    user.name = claims.name ?? user.name;
    await em.update(User, user.id, { oidcIssuer: user.oidcIssuer, oidcSubject: user.oidcSubject, name: user.name });
    await this.audit.record(em, {
      actorId: null,
      action: AuditAction.USER_LINK,
      targetType: "User",
      targetId: user.id,
      after: { handle: user.handle, email: user.email, issuer: claims.issuer, subject: claims.subject },
    });
    return user;
  }

  private async create(em: EntityManager, claims: DirectoryClaims, email: string): Promise<User> {
    const handle = await uniqueHandle(em, handleBase([claims.preferredUsername, email]));
    const user = await em.save(
      em.create(User, {
        handle,
        email,
        name: claims.name,
        roles: [],
        directoryRoles: [],
        kind: UserKind.PERSON,
        oidcIssuer: claims.issuer,
        oidcSubject: claims.subject,
        deactivatedAt: null,
      }),
    );
    await this.audit.record(em, {
      actorId: null,
      action: AuditAction.USER_PROVISION,
      targetType: "User",
      targetId: user.id,
      after: { handle, email, name: claims.name, via: "SSO", issuer: claims.issuer, subject: claims.subject },
    });
    return user;
  }
}
