import assert from "node:assert/strict";
import path from "node:path";
import { describe, test } from "node:test";
import { folderIn } from "../src/commands/install";
import { CliError } from "../src/errors";

/**
 * The second guard of `install`: whatever names get past the skill-name rule, a folder it creates,
 * replaces or removes is a direct child of the install folder.
 */
describe("install's folder guard", () => {
  const root = path.resolve("/srv/project/skills");
  const refuse = (problem: string) => new CliError("BAD_RESPONSE", problem);

  test("a plain name, and the staging and aside names built from it, are direct children", () => {
    assert.equal(folderIn(root, "pdf-extract", refuse), path.join(root, "pdf-extract"));
    assert.equal(folderIn(root, ".pdf-extract.incoming-0a1b2c", refuse), path.join(root, ".pdf-extract.incoming-0a1b2c"));
    assert.equal(folderIn(root, ".pdf-extract.previous-0a1b2c", refuse), path.join(root, ".pdf-extract.previous-0a1b2c"));
  });

  for (const entry of ["..", ".", "", "../outside", "/srv/project/outside", "/srv/project/skills/x", "a/b", "a/..", "x/", "./x", "a\\..\\..\\b/../.."]) {
    test(`${JSON.stringify(entry)} is refused`, () => {
      assert.throws(
        () => folderIn(root, entry, refuse),
        (err: unknown) =>
          err instanceof CliError && err.code === "BAD_RESPONSE" && err.message === `${JSON.stringify(entry)} is not a folder name inside ${root}`,
      );
    });
  }
});
