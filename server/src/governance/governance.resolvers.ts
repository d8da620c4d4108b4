import { expectGlobalId } from "../common/global-id";
import { AuditResolver } from "./audit.resolver";
import { FileChangeResolver, ReviewDecisionResolver, ReviewedVersionResolver, ReviewRequestResolver } from "./review.resolver";
import { WEBHOOK_RESOLVERS } from "../webhooks/webhook.resolver";

/** Every resolver class of the governance subgraph; features register theirs here. */
export const GOVERNANCE_RESOLVERS = [AuditResolver, ReviewRequestResolver, ReviewDecisionResolver, FileChangeResolver, ReviewedVersionResolver, ...WEBHOOK_RESOLVERS] as const;

/** Catalog's SkillVersion arrives as `{ id }` (a global id); the review fields need only its uuid. */
export const governanceReferenceResolvers = {
  SkillVersion: { __resolveReference: (ref: { id: string }) => ({ id: expectGlobalId(ref.id, "SkillVersion") }) },
};
