import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { applyPatch } from "diff";
import { MAX_PATCH_FILE_BYTES, textOf, unifiedPatch } from "../src/governance/file-patch";

const numbered = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`).join("\n") + "\n";

describe("file patches (review file diffs)", () => {
  test("textOf: UTF-8 text up to 256 KiB; NUL in the first 8 KiB, invalid UTF-8 or more bytes are not text", () => {
    assert.equal(textOf(Buffer.from("héllo\n")), "héllo\n");
    assert.equal(textOf(Buffer.from("a\0b")), null);
    assert.equal(textOf(Buffer.concat([Buffer.alloc(8 * 1024 - 1, "a"), Buffer.from([0])])), null, "NUL at the last sniffed byte");
    // A NUL past the first 8 KiB is still valid UTF-8 text (git looks at the same window).
    assert.equal(textOf(Buffer.concat([Buffer.alloc(8 * 1024, "a"), Buffer.from([0])]))?.length, 8 * 1024 + 1);
    assert.equal(textOf(Buffer.from([0x63, 0x61, 0x66, 0xe9])), null, "latin-1 é");
    assert.equal(textOf(Buffer.alloc(MAX_PATCH_FILE_BYTES, "a"))?.length, MAX_PATCH_FILE_BYTES);
    assert.equal(textOf(Buffer.alloc(MAX_PATCH_FILE_BYTES + 1, "a")), null);
  });

  test("patches apply: a small edit keeps 3 lines of context, a file rewritten beyond the edit limit becomes one whole-file hunk", () => {
    const before = numbered("line ", 40);
    const edited = before.replace("line 5\n", "line five\n").replace("line 30\n", "");
    const small = unifiedPatch("a.txt", before, edited);
    assert.equal(applyPatch(before, small), edited);
    assert.equal((small.match(/^@@ /gm) ?? []).length, 2, small);
    assert.ok(!small.includes(" line 0\n") && small.includes(" line 2\n") && !small.includes(" line 1\n"), "exactly three lines of context");

    // Unrelated 3000-line files: over the edit limit, still a correct patch, computed fast.
    const a = numbered("a", 3000);
    const b = numbered("b", 3000).slice(0, -1);
    const started = Date.now();
    const whole = unifiedPatch("big.txt", a, b);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    assert.match(whole, /^--- a\/big\.txt\n\+\+\+ b\/big\.txt\n@@ -1,3000 \+1,3000 @@\n/);
    assert.ok(whole.endsWith("+b2999\n\\ No newline at end of file\n"));
    assert.equal(applyPatch(a, whole), b);

    assert.equal(applyPatch("", unifiedPatch("new.txt", null, "x\ny")), "x\ny");
    assert.equal(applyPatch("x\n", unifiedPatch("gone.txt", "x\n", null)), "");
  });
});
