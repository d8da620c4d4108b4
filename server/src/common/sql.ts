/** Escapes `\`, `%` and `_` so user text matches literally inside a LIKE / ILIKE pattern (default escape `\`). */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
