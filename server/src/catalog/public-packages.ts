import type { VisibleBlob } from "./visibility";

/** How many public digests one process remembers (a few dozen bytes each). */
const MAX_REMEMBERED = 10_000;

/**
 * Package digests that some public version has, with their size, remembered by this process for
 * good: nothing can make such an answer wrong later. Public statuses lead only to public statuses
 * (`TRANSITIONS` in version-status.ts), a version is never deleted, and its digest and size never
 * change (the `skill_version_immutable` trigger). Anything else (hidden, unknown) is asked every
 * time, since it may become visible at any moment. Authentication is not part of the answer: callers
 * still check the token of every request.
 */
export class PublicPackages {
  private readonly sizes = new Map<string, number>();

  /** The remembered answer for a public package, or `ask()`'s (the viewer's visibility policy), remembered when public. */
  async visibleBlob(sha256: string, ask: () => Promise<VisibleBlob | null>): Promise<VisibleBlob | null> {
    const size = this.sizes.get(sha256);
    if (size !== undefined) return { size, public: true };
    const answer = await ask();
    if (answer?.public) {
      // The oldest goes first: a popular package that is dropped costs one query to come back.
      if (this.sizes.size >= MAX_REMEMBERED) this.sizes.delete(this.sizes.keys().next().value as string);
      this.sizes.set(sha256, answer.size);
    }
    return answer;
  }
}
