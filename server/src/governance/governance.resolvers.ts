import { expectGlobalId } from "../common/global-id";
import { AuditResolver } from "./audit.resolver";
import type { GovernanceContext } from "./governance.context";
import { FileChangeResolver, ReviewDecisionResolver, ReviewedVersionResolver, ReviewerCredentialResolver, ReviewRequestResolver } from "./review.resolver";

/** Every resolver class of the governance domain. */
export const GOVERNANCE_RESOLVERS = [
  AuditResolver,
  ReviewRequestResolver,
  ReviewDecisionResolver,
  ReviewerCredentialResolver,
  FileChangeResolver,
  ReviewedVersionResolver,
] as const;

/** Catalog's SkillVersion arrives as `{ id }` (a global id); its review fields are for those who may see the version. */
export const governanceReferenceResolvers = {
  SkillVersion: {
    __resolveReference: async (ref: { id: string }, ctx: GovernanceContext): Promise<{ id: string } | null> => {
      const version = await ctx.visibility.versionOrNull(await ctx.loaders.catalog.versionById.load(expectGlobalId(ref.id, "SkillVersion")));
      return version ? { id: version.id } : null;
    },
  },
};
