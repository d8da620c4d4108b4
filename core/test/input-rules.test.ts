import assert from "node:assert/strict";
import { test } from "node:test";
import { emailProblem, handleProblem, permissionDescriptionProblem, permissionNameProblem, teamNameProblem, tokenNameProblem } from "../src/input-rules";
import { parseManifest } from "../src/manifest";

test("permission names: a namespace and one to three parts; the manifest schema uses the same pattern", () => {
  for (const ok of ["database:read", "filesystem:write:tmp", "net:outbound:api:v2", "secrets:*"]) assert.equal(permissionNameProblem(ok), null, ok);
  for (const bad of ["database", "Database:read", "a:b:c:d:e", "database:", ":read", "database read"]) {
    assert.equal(permissionNameProblem(bad), `"${bad}" is not a permission name like database:read.`, bad);
  }
  const manifest = (permission: string) => `name: probe\nversion: 1.0.0\ndescription: d\nauthor: a\ncategory: c\npermissions: ["${permission}"]\n`;
  assert.doesNotThrow(() => parseManifest({ skillYaml: manifest("filesystem:write:tmp") }));
  assert.throws(() => parseManifest({ skillYaml: manifest("Database:read") }));
});

test("handles, team names, emails, token names and descriptions answer null or what is wrong", () => {
  assert.equal(handleProblem("ada-2"), null);
  assert.match(handleProblem("Ada") ?? "", /lowercase/);
  assert.match(handleProblem("a".repeat(40)) ?? "", /1-39/);
  assert.equal(teamNameProblem("data-platform"), null);
  assert.match(teamNameProblem("-data") ?? "", /team name/);
  assert.equal(emailProblem("ada@example.test"), null);
  assert.equal(emailProblem("ada@"), `"ada@" is not an email address.`);
  assert.equal(tokenNameProblem("  laptop  "), null, "names are trimmed");
  assert.equal(tokenNameProblem("   "), "A token name is 1-100 characters.");
  assert.equal(tokenNameProblem("x".repeat(101)), "A token name is 1-100 characters.");
  assert.equal(permissionDescriptionProblem(" "), "A permission needs a description.");
});
