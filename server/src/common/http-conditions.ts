/**
 * True when an `If-None-Match` header names `etag` or is `*`: the client's copy is current (a 304).
 * Weak comparison, as RFC 9110 §13.1.2 asks: `W/"x"` matches `"x"`.
 */
export function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header
    .split(",")
    .map((t) => t.trim().replace(/^W\//, ""))
    .some((t) => t === etag || t === "*");
}
