import type { ByteRange } from "./blob-store";

/** What a download's `Range` asks for: the whole blob (no range, or one this server ignores), a range, or none it can serve (416). */
export type RangeRequest = { kind: "whole" } | { kind: "range"; range: ByteRange } | { kind: "unsatisfiable" };

const WHOLE: RangeRequest = { kind: "whole" };
const UNSATISFIABLE: RangeRequest = { kind: "unsatisfiable" };

/**
 * Reads `Range` and `If-Range` of a GET for a blob of `size` bytes whose strong ETag is `etag`
 * (RFC 9110 §14). Choices, all permitted by the RFC:
 * - one range only: a header with several (`bytes=0-9,20-29`) gets the whole blob (200), never a
 *   multipart body, so a request for many small ranges costs no more than a plain download;
 * - a header that does not parse, or names another unit, is ignored (200);
 * - `If-Range` applies the range only when it is exactly `etag` (strong comparison); a date or another
 *   ETag gets the whole blob, since there is no Last-Modified to compare a date with.
 * Unsatisfiable (416): a first byte at or past the end, or a suffix of zero bytes.
 */
export function requestedRange(range: string | undefined, ifRange: string | undefined, etag: string, size: number): RangeRequest {
  if (range === undefined) return WHOLE;
  if (ifRange !== undefined && ifRange.trim() !== etag) return WHOLE;
  const set = /^bytes=(.*)$/i.exec(range.trim());
  if (!set) return WHOLE;
  const specs = set[1]
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (specs.length !== 1) return WHOLE;
  const spec = /^(\d*)-(\d*)$/.exec(specs[0]);
  if (!spec || (spec[1] === "" && spec[2] === "")) return WHOLE;
  if (spec[1] === "") {
    // A suffix: the last N bytes (all of them when N is past the start).
    const suffix = Number(spec[2]);
    if (suffix === 0) return UNSATISFIABLE;
    return { kind: "range", range: { start: Math.max(size - suffix, 0), end: size - 1 } };
  }
  const start = Number(spec[1]);
  const last = spec[2] === "" ? Infinity : Number(spec[2]);
  if (last < start) return WHOLE;
  if (start >= size) return UNSATISFIABLE;
  return { kind: "range", range: { start, end: Math.min(last, size - 1) } };
}
