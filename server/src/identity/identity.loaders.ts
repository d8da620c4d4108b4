import DataLoader from "dataloader";
import { In, IsNull, MoreThan, type DataSource } from "typeorm";
import { byKey, groupBy } from "../common/loader-utils";
import { ApiToken } from "./api-token.entity";
import { Invitation } from "./invitation.entity";
import { Membership } from "./membership.entity";
import { Team } from "./team.entity";
import { User } from "./user.entity";

/** Per-request loaders for people, teams, memberships and credentials. */
export function createIdentityLoaders(dataSource: DataSource) {
  const em = dataSource.manager;
  return {
    userById: new DataLoader<string, User | null>(async (ids) => byKey(ids, await em.findBy(User, { id: In([...ids]) }), (u) => u.id)),
    teamById: new DataLoader<string, Team | null>(async (ids) => byKey(ids, await em.findBy(Team, { id: In([...ids]) }), (t) => t.id)),
    membershipsByUserId: new DataLoader<string, Membership[]>(async (userIds) =>
      groupBy(userIds, await em.find(Membership, { where: { userId: In([...userIds]) }, order: { createdAt: "ASC" } }), (m) => m.userId),
    ),
    membershipsByTeamId: new DataLoader<string, Membership[]>(async (teamIds) =>
      groupBy(teamIds, await em.find(Membership, { where: { teamId: In([...teamIds]) }, order: { createdAt: "ASC" } }), (m) => m.teamId),
    ),
    /** Each user's API tokens (never their secrets), newest first. */
    apiTokensByUserId: new DataLoader<string, ApiToken[]>(async (userIds) =>
      groupBy(userIds, await em.find(ApiToken, { where: { userId: In([...userIds]) }, order: { createdAt: "DESC" } }), (t) => t.userId),
    ),
    apiTokenById: new DataLoader<string, ApiToken | null>(async (ids) => byKey(ids, await em.findBy(ApiToken, { id: In([...ids]) }), (t) => t.id)),
    invitationById: new DataLoader<string, Invitation | null>(async (ids) => byKey(ids, await em.findBy(Invitation, { id: In([...ids]) }), (i) => i.id)),
    /** Each user's invitation that can still be redeemed (at most one: a newer one supersedes the rest). */
    pendingInvitationByUserId: new DataLoader<string, Invitation | null>(async (userIds) =>
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
