import { SkillyardError } from "@skillyard/core";

/** RFC 7643/7644 schema URNs. */
export const SCIM = {
  user: "urn:ietf:params:scim:schemas:core:2.0:User",
  group: "urn:ietf:params:scim:schemas:core:2.0:Group",
  list: "urn:ietf:params:scim:api:messages:2.0:ListResponse",
  patch: "urn:ietf:params:scim:api:messages:2.0:PatchOp",
  error: "urn:ietf:params:scim:api:messages:2.0:Error",
  serviceProviderConfig: "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
} as const;

export const SCIM_CONTENT_TYPE = "application/scim+json";
/** Most resources in one list response. */
export const MAX_COUNT = 200;

export type JsonObject = Record<string, unknown>;

export const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

export function invalidValue(detail: string): SkillyardError {
  return new SkillyardError("SCIM_INVALID_VALUE", detail, { scimType: "invalidValue" });
}

/** `attribute eq "value"`: the one filter form provisioning clients send to find a resource. */
export interface EqualityFilter {
  attribute: string;
  value: string;
}

/**
 * Parses a filter of the form `attribute eq "value"` (attribute names case-insensitive, as RFC 7644
 * says), for one of `attributes`; SCIM_INVALID_FILTER for anything else.
 */
export function parseFilter(raw: string | null, attributes: readonly string[]): EqualityFilter | null {
  if (raw === null || raw.trim() === "") return null;
  const match = /^\s*([A-Za-z][\w.]*)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i.exec(raw);
  const attribute = match ? attributes.find((a) => a.toLowerCase() === match[1].toLowerCase()) : undefined;
  if (!match || !attribute) {
    throw new SkillyardError("SCIM_INVALID_FILTER", `Skillyard filters on ${attributes.map((a) => `${a} eq "…"`).join(" or ")} only.`, {
      scimType: "invalidFilter",
    });
  }
  return { attribute, value: JSON.parse(`"${match[2]}"`) as string };
}

/** startIndex (1-based) and count of a list request, within bounds. */
export function listWindow(startIndex: string | null, count: string | null): { startIndex: number; count: number } {
  const start = startIndex === null ? 1 : Number(startIndex);
  const size = count === null ? MAX_COUNT : Number(count);
  if (!Number.isInteger(start) || !Number.isInteger(size)) throw invalidValue("startIndex and count are whole numbers.");
  return { startIndex: Math.max(1, start), count: Math.min(Math.max(0, size), MAX_COUNT) };
}

export function listResponse(resources: unknown[], totalResults: number, startIndex: number): JsonObject {
  return { schemas: [SCIM.list], totalResults, startIndex, itemsPerPage: resources.length, Resources: resources };
}

/** SCIM booleans as clients send them: true/false, or "True"/"False" (Entra ID). */
export function scimBoolean(value: unknown, attribute: string): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "string" && /^(true|false)$/i.test(value)) return value.toLowerCase() === "true";
  throw invalidValue(`${attribute} must be true or false.`);
}

export function optionalText(value: unknown, attribute: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "string") throw invalidValue(`${attribute} must be a string.`);
  return value.trim() === "" ? null : value.trim();
}

export interface PatchOperation {
  op: "add" | "replace" | "remove";
  /** Lower-cased path, or null for a value object of attributes. */
  path: string | null;
  /** The path as sent (a member filter keeps its value's case). */
  rawPath: string | null;
  value: unknown;
}

/** The Operations of a PatchOp request, ops lower-cased (Entra ID sends "Replace"). */
export function patchOperations(body: unknown): PatchOperation[] {
  if (!isObject(body) || !Array.isArray(body.Operations))
    throw new SkillyardError("SCIM_INVALID_VALUE", "A PATCH body has Operations.", { scimType: "invalidSyntax" });
  return body.Operations.map((raw: unknown) => {
    const op = isObject(raw) && typeof raw.op === "string" ? raw.op.toLowerCase() : "";
    if (op !== "add" && op !== "replace" && op !== "remove") {
      throw new SkillyardError("SCIM_INVALID_VALUE", `Unknown PATCH op ${JSON.stringify(isObject(raw) ? raw.op : raw)}.`, { scimType: "invalidSyntax" });
    }
    const path = isObject(raw) && typeof raw.path === "string" && raw.path.trim() !== "" ? raw.path.trim() : null;
    return { op, path: path?.toLowerCase() ?? null, rawPath: path, value: (raw as JsonObject).value };
  });
}

/** `members[value eq "id"]` → the id; null for any other path. */
export function memberFilterValue(rawPath: string | null): string | null {
  const match = rawPath ? /^members\[\s*value\s+eq\s+"([^"]*)"\s*\]$/i.exec(rawPath) : null;
  return match ? match[1] : null;
}
