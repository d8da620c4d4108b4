import { buildSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLSchemaModule } from "@apollo/subgraph/dist/schema-helper";
import { printSchemaWithDirectives } from "@graphql-tools/utils";
import { type GraphQLSchema, parse } from "graphql";
import { createPubSub } from "@graphql-yoga/subscription";
import { buildSchema, type ContainerType, createResolversMap, type NonEmptyArray } from "type-graphql";
import { assertEveryOperationDeclaresAccess, checkedSubscribe } from "../identity/access";
import { CATALOG_RESOLVERS, catalogReferenceResolvers } from "../catalog/catalog.resolver";
import { COMMUNITY_RESOLVERS, communityReferenceResolvers } from "../community/community.resolver";
import { EVALS_RESOLVERS, evalsReferenceResolvers } from "../evals/evals.resolver";
import { SkillEvalsType } from "../evals/evals.types";
import { DISTRIBUTION_RESOLVERS, distributionReferenceResolvers } from "../distribution/distribution.resolver";
import { SkillVersionPluginType } from "../distribution/distribution.types";
import { GOVERNANCE_RESOLVERS, governanceReferenceResolvers } from "../governance/governance.resolvers";
import { IDENTITY_RESOLVERS, identityReferenceResolvers } from "../identity/identity.resolver";
import { SSO_RESOLVERS } from "../sso/group-mapping.resolver";
import { TESTING_RESOLVERS, testingReferenceResolvers } from "../testing/testing.resolver";
import { USAGE_RESOLVERS, usageReferenceResolvers } from "../usage/usage.resolver";
import { SkillUsageType } from "../usage/usage.types";
import { WEBHOOK_RESOLVERS } from "../webhooks/webhook.resolver";
import type { RequestContext, SubscriptionContext } from "./request-context";

const FEDERATION_LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])`;

export type SubgraphName = "catalog" | "community" | "testing" | "evals" | "governance" | "distribution" | "usage";

/** A federation entity's entry point: `{ id }` in, the object (or null when the viewer may not see it) out. */
type ReferenceResolvers = Record<string, { __resolveReference(ref: { id: string }, ctx: RequestContext): unknown }>;

export interface SubgraphDefinition {
  name: SubgraphName;
  /** Path on the subgraph listener (SUBGRAPH_PORT) where a company router reaches it. */
  path: string;
  // type-graphql takes resolver classes of any shape
  resolvers: NonEmptyArray<Function>;
  referenceResolvers: ReferenceResolvers;
  /** Entity types this subgraph only extends with fields (no field of its own returns them), which the schema must still contain. */
  extendedTypes?: Function[];
}

/**
 * The subgraphs. `catalog` owns skills, versions, dependencies, permissions, channels, search and
 * publishing; `community` owns users, teams, tokens, group mappings, ratings and installs, and extends Skill and
 * SkillVersion with ratings and downloads; `testing` owns test runs and their live output and
 * extends SkillVersion with them; `evals` owns eval runs, their cases and live output, and extends
 * SkillVersion with them and Skill with its drift; `governance` owns the audit trail, reviews and webhooks;
 * `distribution` owns what reaches Claude Code (marketplaces, plugin archives, required skills, the
 * runtime policy, managed settings) and extends SkillVersion with its plugin; `usage` owns what
 * Claude Code's telemetry says (usage reports, tiers, quality reviews) and extends Skill with them.
 */
export const SUBGRAPHS: readonly SubgraphDefinition[] = [
  { name: "catalog", path: "/subgraphs/catalog/graphql", resolvers: [...CATALOG_RESOLVERS], referenceResolvers: catalogReferenceResolvers },
  {
    name: "community",
    path: "/subgraphs/community/graphql",
    resolvers: [...COMMUNITY_RESOLVERS, ...IDENTITY_RESOLVERS, ...SSO_RESOLVERS],
    referenceResolvers: { ...communityReferenceResolvers, ...identityReferenceResolvers },
  },
  { name: "testing", path: "/subgraphs/testing/graphql", resolvers: [...TESTING_RESOLVERS], referenceResolvers: testingReferenceResolvers },
  {
    name: "evals",
    path: "/subgraphs/evals/graphql",
    resolvers: [...EVALS_RESOLVERS],
    referenceResolvers: evalsReferenceResolvers,
    extendedTypes: [SkillEvalsType],
  },
  {
    name: "governance",
    path: "/subgraphs/governance/graphql",
    resolvers: [...GOVERNANCE_RESOLVERS, ...WEBHOOK_RESOLVERS],
    referenceResolvers: governanceReferenceResolvers,
  },
  {
    name: "distribution",
    path: "/subgraphs/distribution/graphql",
    resolvers: [...DISTRIBUTION_RESOLVERS],
    referenceResolvers: distributionReferenceResolvers,
    extendedTypes: [SkillVersionPluginType],
  },
  {
    name: "usage",
    path: "/subgraphs/usage/graphql",
    resolvers: [...USAGE_RESOLVERS],
    referenceResolvers: usageReferenceResolvers,
    extendedTypes: [SkillUsageType],
  },
];

/** How resolvers meet their collaborators: instances from the composition root, and subscription sources. */
export interface SubgraphWiring {
  container: ContainerType;
  /** `Subscription.<field>` → its subscribe function (type-graphql's decorator only declares the field). */
  subscriptions: Partial<Record<string, (root: unknown, args: Record<string, unknown>, ctx: SubscriptionContext) => Promise<AsyncIterable<unknown>>>>;
}

/** For printing SDL only (npm run schema:compose): nothing is executed, so nothing is wired. */
const UNWIRED: SubgraphWiring = {
  container: {
    get(someClass: Function) {
      throw new Error(`${someClass.name} is not wired: this schema was built for its SDL only`);
    },
  },
  subscriptions: {},
};

export interface BuiltSubgraph {
  definition: SubgraphDefinition;
  /** The subgraph SDL with federation directives, as checked into schema/<name>.graphql. */
  sdl: string;
  /** The federated subgraph (with `_entities` and `_service`), served to a company router. */
  schema: GraphQLSchema;
  /** type-graphql's schema of the same resolvers, before federation: what the one executable schema merges. */
  resolverSchema: GraphQLSchema;
}

/** type-graphql builds the types; @apollo/subgraph adds _entities/_service and reference resolvers. */
export async function buildSubgraph(definition: SubgraphDefinition, wiring: SubgraphWiring = UNWIRED): Promise<BuiltSubgraph> {
  assertEveryOperationDeclaresAccess(definition.resolvers);
  // type-graphql insists on a pubSub for schemas with subscriptions; ours come from `wiring.subscriptions`.
  const typeSchema = await buildSchema({
    resolvers: definition.resolvers,
    orphanedTypes: definition.extendedTypes,
    container: wiring.container,
    skipCheck: true,
    validate: false,
    pubSub: createPubSub(),
  });
  const sdl = `${FEDERATION_LINK}\n\n${printSchemaWithDirectives(typeSchema)}\n`;
  // type-graphql and Apollo type the same runtime resolver-map shape differently; bridge once here.
  const resolvers = { ...createResolversMap(typeSchema) } as unknown as Record<string, Record<string, unknown>>;
  for (const [typeName, reference] of Object.entries(definition.referenceResolvers)) {
    resolvers[typeName] = { ...resolvers[typeName], __resolveReference: reference.__resolveReference };
  }
  const subscription = resolvers.Subscription as Record<string, Record<string, unknown>> | undefined;
  for (const field of Object.keys(subscription ?? {})) {
    const subscribe = wiring.subscriptions[field];
    if (subscribe) subscription![field] = { ...subscription![field], subscribe: checkedSubscribe(definition.resolvers, field, subscribe) };
  }
  const schema = buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: resolvers as unknown as GraphQLSchemaModule["resolvers"] });
  return { definition, sdl, schema, resolverSchema: typeSchema };
}

/** One after the other: type-graphql keeps its build options in a process-wide context while it builds. */
export async function buildSubgraphs(wiring?: SubgraphWiring): Promise<BuiltSubgraph[]> {
  const built: BuiltSubgraph[] = [];
  for (const definition of SUBGRAPHS) built.push(await buildSubgraph(definition, wiring));
  return built;
}
