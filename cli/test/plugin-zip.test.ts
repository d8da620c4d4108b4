import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { DEFAULT_ARCHIVE_LIMITS, SkillyardError } from "@skillyard/core";
import { ZipFile } from "yazl";
import { unpackZip } from "../src/plugin-zip";

interface Entry {
  path: string;
  content?: string;
  mode?: number;
  directory?: boolean;
}

/**
 * A zip written by yazl. yazl refuses unsafe names, so an entry may carry a placeholder name of the
 * same length that is swapped for the raw name in the finished bytes (local and central headers).
 */
function zip(entries: Entry[], rename: Record<string, string> = {}): Promise<Buffer> {
  const file = new ZipFile();
  for (const e of entries) {
    if (e.directory) file.addEmptyDirectory(e.path, { mode: e.mode });
    else file.addBuffer(Buffer.from(e.content ?? ""), e.path, { mode: e.mode });
  }
  file.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    file.outputStream.on("data", (c: Buffer) => chunks.push(c));
    file.outputStream.on("error", reject);
    file.outputStream.on("end", () => {
      let bytes = Buffer.concat(chunks);
      for (const [from, to] of Object.entries(rename)) {
        assert.equal(from.length, to.length);
        bytes = Buffer.from(bytes.toString("latin1").split(from).join(to), "latin1");
      }
      resolve(bytes);
    });
  });
}

/** The plugin archive reader: only regular files and folders, inside the destination, nothing written when refused. */
describe("unpackZip", () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "skillyard-plugin-zip-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  let n = 0;
  const dest = () => path.join(scratch, `out-${n++}`);

  test("writes files and folders with the archive's bytes, 0755 for executables and 0644 otherwise", async () => {
    const out = dest();
    const files = await unpackZip(
      await zip([
        { path: ".claude-plugin/plugin.json", content: '{"name":"guard"}\n' },
        { path: "hooks", directory: true },
        { path: "hooks/policy.sh", content: "#!/bin/sh\nexit 0\n", mode: 0o100755 },
        { path: "hooks/rules.tsv", content: "a\tb\tc\n", mode: 0o100600 },
      ]),
      DEFAULT_ARCHIVE_LIMITS,
      out,
    );
    assert.deepEqual(
      files.map((f) => [f.path, f.mode.toString(8)]),
      [
        [".claude-plugin/plugin.json", "644"],
        ["hooks/policy.sh", "755"],
        ["hooks/rules.tsv", "644"],
      ],
    );
    assert.equal(readFileSync(path.join(out, "hooks", "policy.sh"), "utf8"), "#!/bin/sh\nexit 0\n");
    assert.equal(statSync(path.join(out, "hooks", "policy.sh")).mode & 0o777, 0o755);
    assert.equal(statSync(path.join(out, "hooks", "rules.tsv")).mode & 0o777, 0o644);
    assert.equal(statSync(path.join(out, "hooks")).mode & 0o777, 0o755);
  });

  const refusals: { name: string; entries: Entry[]; rename?: Record<string, string>; code: string }[] = [
    { name: "a '..' path", entries: [{ path: "ok.txt" }, { path: "xx/evil.txt" }], rename: { "xx/evil.txt": "../evil.txt" }, code: "PACKAGE_INVALID_PATH" },
    { name: "an absolute path", entries: [{ path: "Xetc-evil" }], rename: { "Xetc-evil": "/etc-evil" }, code: "PACKAGE_INVALID_PATH" },
    { name: "a backslash", entries: [{ path: "a_b.txt" }], rename: { "a_b.txt": "a\\b.txt" }, code: "PACKAGE_INVALID_PATH" },
    { name: "a symbolic link", entries: [{ path: "ok.txt" }, { path: "link", content: "/etc/passwd", mode: 0o120777 }], code: "PACKAGE_LINK" },
    { name: "a device", entries: [{ path: "dev", mode: 0o020666 }], code: "PACKAGE_SPECIAL_FILE" },
    { name: "a path given twice", entries: [{ path: "a.txt" }, { path: "b.txt" }], rename: { "b.txt": "a.txt" }, code: "PACKAGE_DUPLICATE_ENTRY" },
    { name: "paths that differ only in case", entries: [{ path: "Read.md" }, { path: "read.md" }], code: "PACKAGE_CASE_COLLISION" },
  ];
  for (const r of refusals) {
    test(`refuses ${r.name} (${r.code}) and writes nothing`, async () => {
      const out = dest();
      await assert.rejects(unpackZip(await zip(r.entries, r.rename), DEFAULT_ARCHIVE_LIMITS, out), (err: unknown) => {
        assert.ok(err instanceof SkillyardError, String(err));
        assert.equal(err.code, r.code);
        return true;
      });
      assert.equal(existsSync(out), false);
    });
  }

  test("refuses more entries or more unpacked bytes than the limits, before writing", async () => {
    const archive = await zip([{ path: "a.txt", content: "x".repeat(100) }, { path: "b.txt" }]);
    const out = dest();
    await assert.rejects(unpackZip(archive, { ...DEFAULT_ARCHIVE_LIMITS, maxEntries: 1 }, out), { code: "PACKAGE_TOO_MANY_ENTRIES" });
    await assert.rejects(unpackZip(archive, { ...DEFAULT_ARCHIVE_LIMITS, maxUnpackedBytes: 99 }, out), { code: "PACKAGE_UNPACKED_TOO_LARGE" });
    assert.equal(existsSync(out), false);
  });

  test("refuses bytes that are not a zip as PACKAGE_CORRUPT", async () => {
    const out = dest();
    await assert.rejects(unpackZip(Buffer.from("not a zip at all, just text"), DEFAULT_ARCHIVE_LIMITS, out), { code: "PACKAGE_CORRUPT" });
    assert.equal(existsSync(out), false);
  });
});
