import { SkillyardError } from "@skillyard/core";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type NodeTypeName =
  "Skill" | "SkillVersion" | "User" | "Team" | "Rating" | "Permission" | "TestRun" | "EvalRun" | "QualityReview" | "PlatformUpdate" | "GroupMapping";

/** Opaque global ids (`base64url("Skill:<uuid>")`) so `node(id)` knows which table to read. */
export function toGlobalId(type: NodeTypeName, id: string): string {
  return Buffer.from(`${type}:${id}`, "utf8").toString("base64url");
}

export function fromGlobalId(globalId: string): { type: string; id: string } {
  const decoded = Buffer.from(globalId, "base64url").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) throw new SkillyardError("BAD_USER_INPUT", `"${globalId}" is not a valid id.`);
  return { type: decoded.slice(0, colon), id: decoded.slice(colon + 1) };
}

/** Decodes a global id that must be of the given type and wrap a uuid. */
export function expectGlobalId(globalId: string, type: NodeTypeName): string {
  const decoded = fromGlobalId(globalId);
  if (decoded.type !== type || (type !== "Permission" && !UUID.test(decoded.id))) {
    throw new SkillyardError("BAD_USER_INPUT", `"${globalId}" is not a ${type} id.`);
  }
  return decoded.id;
}
