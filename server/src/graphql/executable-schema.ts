import { mergeSchemas } from "@graphql-tools/schema";
import { MapperKind, mapSchema } from "@graphql-tools/utils";
import { defaultFieldResolver, GraphQLSchema, type GraphQLFieldResolver } from "graphql";
import { type NodeTypeName, toGlobalId } from "../common/global-id";
import type { RequestContext } from "./request-context";
import type { BuiltSubgraph, SubgraphName } from "./subgraphs";

/** The federation directives type-graphql writes on entity types; they mean nothing to a single schema. */
const FEDERATION_DIRECTIVES = ["key", "shareable"];
const FEDERATION_DIRECTIVE_DEFINITIONS = `
  directive @key(fields: String!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
  directive @shareable repeatable on OBJECT | FIELD_DEFINITION
`;

/**
 * The subgraph that owns each entity: its reference resolver answers the whole object, which its
 * own fields read. Every other subgraph sees the entity as a reference `{ id }`.
 */
export const ENTITY_OWNERS = {
  Skill: "catalog",
  SkillVersion: "catalog",
  Team: "community",
  User: "community",
  TestRun: "testing",
  EvalRun: "evals",
} as const satisfies Record<string, SubgraphName>;
type EntityName = keyof typeof ENTITY_OWNERS;

/** A reference one subgraph hands out for another's entity: a plain `{ id }` (or `{ __typename, id }`), nothing else. */
function isReference(value: unknown): value is { id: string } {
  if (value === null || typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.keys(value).every((key) => key === "id" || key === "__typename") && "id" in value;
}

type ResolveReference = (ref: { id: string }, ctx: RequestContext) => unknown;

/**
 * A reference's global id. Subgraphs hand out references holding either the raw uuid or the global
 * id already (each stub's `id` resolver turns the first into the second for the gateway).
 */
function referenceGlobalId(entity: string, ref: { id: string }): string {
  return Buffer.from(ref.id, "base64url").toString("utf8").startsWith(`${entity}:`) ? ref.id : toGlobalId(entity as NodeTypeName, ref.id);
}

/**
 * The schema `/graphql` executes: every subgraph's type-graphql schema (the same resolver instances
 * the subgraphs run) merged into one, so a request is parsed, validated and executed once instead
 * of being planned by a gateway and executed again per subgraph.
 *
 * Invariants (server/test/executable-schema.test.ts):
 * - its API schema equals the committed supergraph's, so clients cannot tell the two apart;
 * - an entity's fields that its owner defines run the owner's resolvers (a field several subgraphs
 *   declare, such as `id`, is the owner's), and never see a bare reference: when the parent is one (a
 *   field of another subgraph returned `{ id }`), the owner's reference resolver, with its
 *   visibility check, is asked for the object first, once per reference object, as the gateway's
 *   `_entities` call did. A reference the viewer may not see resolves its fields to null.
 * Fields a subgraph adds to another's entity read only `id`, which a full object has too.
 */
export function buildExecutableSchema(subgraphs: readonly BuiltSubgraph[]): GraphQLSchema {
  const merged = mergeSchemas({ schemas: subgraphs.map((s) => s.resolverSchema), typeDefs: [FEDERATION_DIRECTIVE_DEFINITIONS] });
  const owned = new Map<string, { fields: Map<string, GraphQLFieldResolver<unknown, RequestContext>>; resolve: ResolveReference }>();
  for (const [entity, owner] of Object.entries(ENTITY_OWNERS) as [EntityName, SubgraphName][]) {
    const subgraph = subgraphs.find((s) => s.definition.name === owner);
    const reference = subgraph?.definition.referenceResolvers[entity];
    const type = subgraph?.resolverSchema.getType(entity);
    if (!subgraph || !reference || !type || !("getFields" in type)) throw new Error(`${owner} does not own ${entity}: update ENTITY_OWNERS`);
    // The owner's resolvers, not whichever subgraph's copy of a shared field (`id`) the merge kept.
    const fields = new Map(
      Object.entries(type.getFields()).map(([name, f]) => [name, (f.resolve ?? defaultFieldResolver) as GraphQLFieldResolver<unknown, RequestContext>]),
    );
    owned.set(entity, { fields, resolve: (ref, ctx) => reference.__resolveReference({ id: referenceGlobalId(entity, ref) }, ctx) });
  }
  // One resolution per reference object and request: every field of the entity shares it.
  const resolved = new WeakMap<object, Promise<unknown>>();
  const withOwner = mapSchema(merged, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => {
      const owner = owned.get(typeName);
      const original = owner?.fields.get(fieldName);
      if (!owner || !original) return field;
      // A reference carries its id; an object answers through the owner's resolver.
      if (fieldName === "id")
        return {
          ...field,
          resolve: (parent, args, ctx, info) => (isReference(parent) ? referenceGlobalId(typeName, parent) : original(parent, args, ctx, info)),
        };
      return {
        ...field,
        resolve: async (parent, args, ctx, info) => {
          if (!isReference(parent)) return original(parent, args, ctx, info);
          let entity = resolved.get(parent);
          if (!entity) resolved.set(parent, (entity = Promise.resolve(owner.resolve(parent, ctx))));
          const object = await entity;
          return object === null || object === undefined ? null : original(object, args, ctx, info);
        },
      };
    },
  });
  const config = withOwner.toConfig();
  return new GraphQLSchema({ ...config, directives: config.directives.filter((d) => !FEDERATION_DIRECTIVES.includes(d.name)) });
}
