import { AuditResolver } from "./audit.resolver";

/** Every resolver class of the governance subgraph; features register theirs here. */
export const GOVERNANCE_RESOLVERS = [AuditResolver] as const;

export const governanceReferenceResolvers = {};
