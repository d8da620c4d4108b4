import { buildSubgraphSchema } from "@apollo/subgraph";
import type { GraphQLSchemaModule } from "@apollo/subgraph/dist/schema-helper";
import { printSchemaWithDirectives } from "@graphql-tools/utils";
import { type GraphQLSchema, parse } from "graphql";
import { createPubSub } from "@graphql-yoga/subscription";
import { buildSchema, createResolversMap, type NonEmptyArray } from "type-graphql";
import { CATALOG_RESOLVERS, catalogReferenceResolvers } from "../catalog/catalog.resolver";
import { COMMUNITY_RESOLVERS, communityReferenceResolvers } from "../community/community.resolver";
import { IDENTITY_RESOLVERS } from "../identity/identity.resolver";
import { PermissionAdminResolver } from "../catalog/permission.resolver";
import type { RequestContext } from "../common/request-context";
import { TESTING_RESOLVERS, testingReferenceResolvers } from "../testing/testing.resolver";
import { GOVERNANCE_RESOLVERS, governanceReferenceResolvers } from "../governance/governance.resolvers";

const FEDERATION_LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])`;

export interface SubgraphDefinition {
  name: "catalog" | "community" | "testing" | "governance";
  /** Path relative to PUBLIC_URL where the subgraph is served for a company supergraph. */
  path: string;
  // type-graphql takes resolver classes of any shape
  resolvers: NonEmptyArray<Function>;
  referenceResolvers: Record<string, { __resolveReference: (ref: { id: string }, ctx: RequestContext) => unknown }>;
}

/**
 * The subgraphs. `catalog` owns skills, versions, dependencies, permissions, search and
 * publishing; `community` owns users, teams, reviews and installs, and extends Skill/SkillVersion
 * with ratings and downloads; `testing` owns test runs (and their live-output subscription) and
 * extends SkillVersion with them; `governance` owns the audit trail, reviews and webhooks.
 */
export const SUBGRAPHS: readonly SubgraphDefinition[] = [
  {
    name: "catalog",
    path: "/subgraphs/catalog/graphql",
    resolvers: [...CATALOG_RESOLVERS, PermissionAdminResolver],
    referenceResolvers: catalogReferenceResolvers,
  },
  {
    name: "community",
    path: "/subgraphs/community/graphql",
    resolvers: [...COMMUNITY_RESOLVERS, ...IDENTITY_RESOLVERS],
    referenceResolvers: communityReferenceResolvers,
  },
  { name: "testing", path: "/subgraphs/testing/graphql", resolvers: [...TESTING_RESOLVERS], referenceResolvers: testingReferenceResolvers },
  { name: "governance", path: "/subgraphs/governance/graphql", resolvers: [...GOVERNANCE_RESOLVERS], referenceResolvers: governanceReferenceResolvers },
];

export interface BuiltSubgraph {
  definition: SubgraphDefinition;
  /** The subgraph SDL with federation directives, as checked into schema/<name>.graphql. */
  sdl: string;
  schema: GraphQLSchema;
}

/** type-graphql builds the types; @apollo/subgraph adds _entities/_service and reference resolvers. */
export async function buildSubgraph(definition: SubgraphDefinition): Promise<BuiltSubgraph> {
  // type-graphql insists on a pubSub for schemas with subscriptions; ours use their own `subscribe`
  // (TestRunEventHub, fed by PostgreSQL LISTEN/NOTIFY), so this one only satisfies the check.
  const typeSchema = await buildSchema({ resolvers: definition.resolvers, skipCheck: true, validate: false, pubSub: createPubSub() });
  const sdl = `${FEDERATION_LINK}\n\n${printSchemaWithDirectives(typeSchema)}\n`;
  // type-graphql and Apollo type the same runtime resolver-map shape differently; bridge once here.
  const resolvers = { ...createResolversMap(typeSchema) } as unknown as Record<string, Record<string, unknown>>;
  for (const [typeName, reference] of Object.entries(definition.referenceResolvers)) {
    resolvers[typeName] = { ...resolvers[typeName], __resolveReference: reference.__resolveReference };
  }
  const schema = buildSubgraphSchema({ typeDefs: parse(sdl), resolvers: resolvers as unknown as GraphQLSchemaModule["resolvers"] });
  return { definition, sdl, schema };
}

export function buildSubgraphs(): Promise<BuiltSubgraph[]> {
  return Promise.all(SUBGRAPHS.map(buildSubgraph));
}
