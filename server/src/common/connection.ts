import { ArgsType, type ClassType, Directive, Field, Int, ObjectType } from "type-graphql";
import { SkillyardError } from "@skillyard/core";

/** A value type every subgraph defines identically, hence shareable. */
@ObjectType()
@Directive("@shareable")
export class PageInfo {
  @Field()
  hasNextPage: boolean;

  @Field()
  hasPreviousPage: boolean;

  @Field(() => String, { nullable: true })
  startCursor: string | null;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}

/** `first` / `after` of every Relay connection field. */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, description: "Page size (default 20, at most 100)." })
  first: number | null;

  @Field(() => String, { nullable: true, description: "Cursor of the last edge of the previous page." })
  after: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  totalCount: number | null;
}

/** A connection whose count stops at a cap: `totalCount` is then the cap, a lower bound. */
export interface CappedConnection<T> extends Connection<T> {
  totalCountIsCapped: boolean;
}

export interface ConnectionOptions {
  /**
   * Counting stops past this many items: the type gets `totalCountIsCapped`, and its resolvers
   * answer a CappedConnection.
   */
  countCap?: number;
}

/** Builds `XConnection` / `XEdge` GraphQL types for a node type (Relay connection spec). */
export function connectionTypes<T extends object>(name: string, nodeType: ClassType<T>, { countCap }: ConnectionOptions = {}) {
  @ObjectType(`${name}Edge`)
  class EdgeType {
    @Field()
    cursor: string;

    @Field(() => nodeType)
    node: T;
  }

  @ObjectType(`${name}Connection`)
  class ConnectionType {
    @Field(() => [EdgeType])
    edges: EdgeType[];

    @Field(() => PageInfo)
    pageInfo: PageInfo;

    @Field(() => Int, {
      nullable: true,
      description:
        countCap === undefined
          ? "Total number of items, when cheap to count."
          : `Total number of items, when cheap to count; counting stops past ${countCap.toLocaleString("en")}: totalCount is then ${countCap.toLocaleString("en")} and totalCountIsCapped true.`,
    })
    totalCount: number | null;

    totalCountIsCapped?: boolean;
  }
  // Declared only where the count is capped: every other connection's totalCount is exact.
  if (countCap !== undefined) {
    Field(() => Boolean, {
      description: `True when more than ${countCap.toLocaleString("en")} items match: totalCount is then a lower bound (show it as "${countCap.toLocaleString("en")}+").`,
    })(ConnectionType.prototype, "totalCountIsCapped");
  }
  return { EdgeType, ConnectionType };
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw new SkillyardError("BAD_USER_INPUT", `"first" must be between 0 and ${MAX_PAGE_SIZE}.`, { argument: "first" });
  }
  return first;
}

/** Cursors are opaque to clients: base64url JSON with a kind tag so a cursor from another list is refused. */
export function encodeCursor(kind: string, value: unknown): string {
  return Buffer.from(JSON.stringify([kind, value]), "utf8").toString("base64url");
}

export function decodeCursor<T>(kind: string, cursor: string, isValue: (v: unknown) => v is T): T {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed[0] === kind && isValue(parsed[1])) return parsed[1];
  } catch {
    // fall through to the error below
  }
  throw new SkillyardError("BAD_USER_INPUT", `"after" is not a cursor from this list.`, { argument: "after" });
}

const isOffset = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v >= 0;

/** Pages an already-loaded, already-ordered list (used for per-parent lists loaded in one batch). */
export function connectionFromArray<T>(kind: string, items: readonly T[], args: { first?: number | null; after?: string | null }): Connection<T> {
  const size = pageSize(args.first);
  const start = args.after ? decodeCursor(kind, args.after, isOffset) + 1 : 0;
  const slice = items.slice(start, start + size);
  const edges = slice.map((node, i) => ({ cursor: encodeCursor(kind, start + i), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: start + size < items.length,
      hasPreviousPage: start > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: items.length,
  };
}
