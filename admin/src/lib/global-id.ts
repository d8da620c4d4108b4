/**
 * The server's opaque global ids: base64url of "<Type>:<uuid>" (server/src/common/global-id.ts).
 * Most ids reach the console already global; a few arrive as the raw uuid inside JSON the server
 * stores as written (review reasons, audit events' before/after), and need encoding to be linked.
 */
export type GlobalIdType = "Skill" | "SkillVersion" | "TestRun" | "EvalRun";

function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64url(id: string): string | null {
  try {
    const binary = atob(id.replaceAll("-", "+").replaceAll("_", "/"));
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
  } catch {
    return null;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The global id of `type` for a raw uuid, or `value` itself when it already is one of that type. */
export function toGlobalId(type: GlobalIdType, value: string): string {
  if (!UUID.test(value) && fromBase64url(value)?.startsWith(`${type}:`)) return value;
  return base64url(`${type}:${value}`);
}
