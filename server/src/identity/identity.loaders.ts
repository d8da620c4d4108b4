import { In, IsNull, MoreThan, type DataSource } from "typeorm";
import { batchLoader, byKey, groupBy } from "../common/loader-utils";
import { ApiToken } from "./api-token.entity";
import { Invitation } from "./invitation.entity";
import { Membership } from "./membership.entity";
import { Team } from "./team.entity";
import { User } from "./user.entity";

/** Per-request loaders for people, teams, memberships and credentials. */
export function createIdentityLoaders(dataSource: DataSource) {
  const em = dataSource.manager;
  return {
    userById: batchLoader<string, User | null>(async (ids) => byKey(ids, await em.findBy(User, { id: In([...ids]) }), (u) => u.id)),
    teamById: batchLoader<string, Team | null>(async (ids) => byKey(ids, await em.findBy(Team, { id: In([...ids]) }), (t) => t.id)),
    /** Each user's memberships with their teams (installSkill picks the tenant from them; the visibility check reads them too). */
    membershipsByUserId: batchLoader<string, Membership[]>(async (userIds) =>
      groupBy(
        userIds,
        await em.find(Membership, { where: { userId: In([...userIds]) }, relations: { team: true }, order: { createdAt: "ASC" } }),
        (m) => m.userId,
      ),
    ),
    membershipsByTeamId: batchLoader<string, Membership[]>(async (teamIds) =>
      groupBy(teamIds, await em.find(Membership, { where: { teamId: In([...teamIds]) }, order: { createdAt: "ASC" } }), (m) => m.teamId),
    ),
    /** Each user's API tokens (never their secrets), newest first. */
    apiTokensByUserId: batchLoader<string, ApiToken[]>(async (userIds) =>
      groupBy(userIds, await em.find(ApiToken, { where: { userId: In([...userIds]) }, order: { createdAt: "DESC" } }), (t) => t.userId),
    ),
    apiTokenById: batchLoader<string, ApiToken | null>(async (ids) => byKey(ids, await em.findBy(ApiToken, { id: In([...ids]) }), (t) => t.id)),
    invitationById: batchLoader<string, Invitation | null>(async (ids) => byKey(ids, await em.findBy(Invitation, { id: In([...ids]) }), (i) => i.id)),
    /** Each user's invitation that can still be redeemed (at most one: a newer one supersedes the rest). */
    pendingInvitationByUserId: batchLoader<string, Invitation | null>(async (userIds) =>
      byKey(
        userIds,
        await em.findBy(Invitation, { userId: In([...userIds]), redeemedAt: IsNull(), supersededAt: IsNull(), expiresAt: MoreThan(new Date()) }),
        (i) => i.userId,
      ),
    ),
  };
}

export type IdentityLoaders = ReturnType<typeof createIdentityLoaders>;

/** The slice of a request context that identity's resolvers read. */
export interface IdentityContext {
  readonly loaders: { readonly identity: IdentityLoaders };
}
