import type { ApolloServerPlugin } from "@apollo/server";
import {
  type FragmentDefinitionNode,
  getNamedType,
  GraphQLError,
  type GraphQLSchema,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type ValueNode,
} from "graphql";
import { DEFAULT_PAGE_SIZE } from "../common/connection";
import type { ErrorCode } from "@skillyard/core";

export interface QueryLimits {
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
}

export interface OperationMeasure {
  depth: number;
  cost: number;
  aliases: number;
}

function intArgument(value: ValueNode | undefined, variables: Record<string, unknown>): number | null {
  if (!value) return null;
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) {
    const v = variables[value.name.value];
    return typeof v === "number" ? v : null;
  }
  return null;
}

/**
 * Depth counts nested fields; cost counts every field once per item it may be resolved for, where a
 * connection multiplies its children by `first` (or the default page size); aliases counts aliased
 * fields. Introspection fields are free so tools can still load the schema.
 */
export function measureOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
): OperationMeasure {
  let aliases = 0;
  const walk = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, visiting: Set<string>): { depth: number; cost: number } => {
    let depth = 0;
    let cost = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith("__")) continue;
        if (selection.alias) aliases++;
        const field: GraphQLField<unknown, unknown> | undefined =
          isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
        const named = field ? getNamedType(field.type) : undefined;
        let childDepth = 0;
        let childCost = 0;
        if (selection.selectionSet && named && isCompositeType(named)) {
          ({ depth: childDepth, cost: childCost } = walk(selection.selectionSet, named, visiting));
        }
        const isConnection = named?.name.endsWith("Connection") ?? false;
        const first = intArgument(selection.arguments?.find((a) => a.name.value === "first")?.value, variables);
        const multiplier = isConnection ? Math.max(1, first ?? DEFAULT_PAGE_SIZE) : 1;
        depth = Math.max(depth, 1 + childDepth);
        cost += 1 + multiplier * childCost;
      } else {
        const typeName = selection.kind === Kind.INLINE_FRAGMENT ? selection.typeCondition?.name.value : fragments[selection.name.value]?.typeCondition.name.value;
        const target = typeName ? schema.getType(typeName) : parent;
        const set = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragments[selection.name.value]?.selectionSet;
        if (!set || !target || !isCompositeType(target)) continue;
        // A fragment spread inside itself is a validation error already; the guard only keeps us finite.
        const key = selection.kind === Kind.FRAGMENT_SPREAD ? selection.name.value : "";
        if (key && visiting.has(key)) continue;
        const inner = walk(set, target, key ? new Set([...visiting, key]) : visiting);
        depth = Math.max(depth, inner.depth);
        cost += inner.cost;
      }
    }
    return { depth, cost };
  };
  const root = operation.operation === "query" ? schema.getQueryType() : operation.operation === "mutation" ? schema.getMutationType() : schema.getSubscriptionType();
  const { depth, cost } = root ? walk(operation.selectionSet, root, new Set()) : { depth: 0, cost: 0 };
  return { depth, cost, aliases };
}

function limitError(code: ErrorCode, message: string, details: Record<string, number>): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...details, http: { status: 400 } } });
}

/** Refuses unresolvable operations, and operations over the depth, cost or alias limits, before anything executes. */
export function queryLimitsPlugin(limits: QueryLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          // Apollo Server leaves this to the executor; the gateway would fail with a code outside our catalogue.
          if (!operation) {
            throw new GraphQLError(
              request.operationName ? `Unknown operation named "${request.operationName}".` : "The document has several operations: name one with operationName.",
              { extensions: { code: "OPERATION_RESOLUTION_FAILURE", http: { status: 400 } } },
            );
          }
          const fragments: Record<string, FragmentDefinitionNode> = {};
          for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
          const m = measureOperation(schema, operation, fragments, request.variables ?? {});
          if (m.depth > limits.maxDepth) {
            throw limitError("QUERY_TOO_DEEP", `The query is ${m.depth} levels deep; the limit is ${limits.maxDepth}.`, { depth: m.depth, maxDepth: limits.maxDepth });
          }
          if (m.aliases > limits.maxAliases) {
            throw limitError("TOO_MANY_ALIASES", `The query uses ${m.aliases} aliases; the limit is ${limits.maxAliases}.`, { aliases: m.aliases, maxAliases: limits.maxAliases });
          }
          if (m.cost > limits.maxCost) {
            throw limitError("QUERY_TOO_COMPLEX", `The query's estimated cost is ${m.cost}; the limit is ${limits.maxCost}. Ask for smaller pages.`, { cost: m.cost, maxCost: limits.maxCost });
          }
        },
      };
    },
  };
}
