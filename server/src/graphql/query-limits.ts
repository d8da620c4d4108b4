import type { ApolloServerPlugin } from "@apollo/server";
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  getNamedType,
  getNullableType,
  GraphQLError,
  type GraphQLSchema,
  isCompositeType,
  isInterfaceType,
  isListType,
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

/** How many items a list that is not a connection is assumed to hold (it has no `first` to read). */
export const LIST_SIZE_ESTIMATE = DEFAULT_PAGE_SIZE;

function intArgument(value: ValueNode | undefined, variables: Record<string, unknown>): number | null {
  if (!value) return null;
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) {
    const v = variables[value.name.value];
    return typeof v === "number" ? v : null;
  }
  return null;
}

/** The length of a list argument, literal or from a variable (federation's `_entities(representations:)`). */
function listLength(value: ValueNode | undefined, variables: Record<string, unknown>): number | null {
  if (!value) return null;
  if (value.kind === Kind.LIST) return value.values.length;
  if (value.kind === Kind.VARIABLE) {
    const v = variables[value.name.value];
    return Array.isArray(v) ? v.length : null;
  }
  return null;
}

/**
 * Depth counts nested fields; cost counts every field once per item it may be resolved for: a
 * connection multiplies its children by `first` (or the default page size), `_entities` by its
 * number of representations, and any other list by LIST_SIZE_ESTIMATE; aliases counts aliased
 * fields. Each fragment is measured once, so fragments that spread one another many times cost
 * their full expansion in the result but not in the time taken to measure. Introspection fields are
 * free so tools can still load the schema. Works on unvalidated documents (unknown fields count 1).
 */
export function measureOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
): OperationMeasure {
  const measured = new Map<string, OperationMeasure>();
  const walk = (selectionSet: SelectionSetNode, parent: GraphQLCompositeType, visiting: ReadonlySet<string>): OperationMeasure => {
    let depth = 0;
    let cost = 0;
    let aliases = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith("__")) continue;
        if (selection.alias) aliases++;
        const field: GraphQLField<unknown, unknown> | undefined =
          isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
        const named = field ? getNamedType(field.type) : undefined;
        let child: OperationMeasure = { depth: 0, cost: 0, aliases: 0 };
        if (selection.selectionSet && named && isCompositeType(named)) child = walk(selection.selectionSet, named, visiting);
        const argument = (name: string) => selection.arguments?.find((a) => a.name.value === name)?.value;
        depth = Math.max(depth, 1 + child.depth);
        aliases += child.aliases;
        if (named?.name.endsWith("Connection")) {
          cost += 1 + Math.max(1, intArgument(argument("first"), variables) ?? DEFAULT_PAGE_SIZE) * child.cost;
        } else if (field && isListType(getNullableType(field.type)) && !(parent.name.endsWith("Connection") && selection.name.value === "edges")) {
          // (A connection's edges are already multiplied by its `first`.)
          const items = selection.name.value === "_entities" ? (listLength(argument("representations"), variables) ?? LIST_SIZE_ESTIMATE) : LIST_SIZE_ESTIMATE;
          cost += Math.max(1, items) * (1 + child.cost);
        } else {
          cost += 1 + child.cost;
        }
      } else {
        const name = selection.kind === Kind.FRAGMENT_SPREAD ? selection.name.value : null;
        // A fragment spread inside itself is a validation error; here it only must not recurse forever.
        if (name !== null && visiting.has(name)) continue;
        const fragment = name !== null ? fragments[name] : undefined;
        const typeName = selection.kind === Kind.INLINE_FRAGMENT ? selection.typeCondition?.name.value : fragment?.typeCondition.name.value;
        const target = typeName ? schema.getType(typeName) : parent;
        const set = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : fragment?.selectionSet;
        if (!set || !target || !isCompositeType(target)) continue;
        let inner = name !== null ? measured.get(name) : undefined;
        if (!inner) {
          inner = walk(set, target, name !== null ? new Set([...visiting, name]) : visiting);
          if (name !== null) measured.set(name, inner);
        }
        depth = Math.max(depth, inner.depth);
        cost += inner.cost;
        aliases += inner.aliases;
      }
    }
    return { depth, cost, aliases };
  };
  const root =
    operation.operation === "query" ? schema.getQueryType() : operation.operation === "mutation" ? schema.getMutationType() : schema.getSubscriptionType();
  return root ? walk(operation.selectionSet, root, new Set()) : { depth: 0, cost: 0, aliases: 0 };
}

function limitError(code: ErrorCode, message: string, details: Record<string, number>): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...details, http: { status: 400 } } });
}

/** Throws QUERY_TOO_DEEP, TOO_MANY_ALIASES or QUERY_TOO_COMPLEX when the operation is over a limit. */
export function assertWithinLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  limits: QueryLimits,
): void {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
  const m = measureOperation(schema, operation, fragments, variables);
  if (m.depth > limits.maxDepth) {
    throw limitError("QUERY_TOO_DEEP", `The query is ${m.depth} levels deep; the limit is ${limits.maxDepth}.`, { depth: m.depth, maxDepth: limits.maxDepth });
  }
  if (m.aliases > limits.maxAliases) {
    throw limitError("TOO_MANY_ALIASES", `The query uses ${m.aliases} aliases; the limit is ${limits.maxAliases}.`, {
      aliases: m.aliases,
      maxAliases: limits.maxAliases,
    });
  }
  if (m.cost > limits.maxCost) {
    throw limitError("QUERY_TOO_COMPLEX", `The query's estimated cost is ${m.cost}; the limit is ${limits.maxCost}. Ask for smaller pages.`, {
      cost: m.cost,
      maxCost: limits.maxCost,
    });
  }
}

/** The error for a document whose operation cannot be picked. */
export function operationResolutionError(operationName: string | null | undefined): GraphQLError {
  return new GraphQLError(operationName ? `Unknown operation named "${operationName}".` : "The document has several operations: name one with operationName.", {
    extensions: { code: "OPERATION_RESOLUTION_FAILURE", http: { status: 400 } },
  });
}

/** Refuses unresolvable operations, and operations over the depth, cost or alias limits, before anything executes. */
export function queryLimitsPlugin(limits: QueryLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          // Apollo Server leaves this to the executor, which would fail with a code outside our catalogue.
          if (!operation) throw operationResolutionError(request.operationName);
          assertWithinLimits(schema, document, operation, request.variables ?? {}, limits);
        },
      };
    },
  };
}
