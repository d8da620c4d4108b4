import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  SkillyardError,
  TOOL_PERMISSIONS,
  isValidSkillName,
  normalizeRuntime,
  parseManifest,
  parseSkillMdFrontMatter,
  resolveEntrypoint,
  splitCommand,
  type ErrorCode,
  type ManifestFieldError,
  type ManifestFiles,
  type ManifestOptions,
} from "../src";

const CORPUS = "/work/shared/corpus/anthropic-skills";

const FULL_YAML = `
name: sql-report
version: 1.4.0-beta.2
description: Builds a weekly SQL report.
author: Data Team
category: data
tags: [sql, reporting]
license: Apache-2.0
requirements:
  runtime: python3.11
  memory_mb: 512
  timeout_seconds: 120
dependencies:
  text-utils: "^2.1.0"
  csv-writer: ">=1.0.0 <3"
permissions:
  - database:read
  - filesystem:tmp
inputs:
  type: object
  properties:
    query: { type: string }
outputs:
  type: object
tests:
  command: [pytest, -q]
entrypoint: python3 -m src.report --title "Weekly report"
`;

/** A minimal valid skill.yaml plus `extra` lines appended at the top level. */
function yamlWith(extra: string, base = "name: demo\nversion: 1.0.0\ndescription: A demo.\n"): string {
  return base + extra;
}

function skillMd(frontMatter: string, body = "# Demo\n"): string {
  return `---\n${frontMatter}\n---\n${body}`;
}

function expectCode(fn: () => unknown, code: ErrorCode): SkillyardError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof SkillyardError, `expected SkillyardError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

function errorPaths(err: SkillyardError): string[] {
  const errors = err.details.errors as ManifestFieldError[];
  return errors.map((e) => e.path);
}

/** Asserts MANIFEST_INVALID naming `path` among details.errors and returns the error. */
function expectInvalid(files: ManifestFiles, path: string, options?: ManifestOptions): SkillyardError {
  const err = expectCode(() => parseManifest(files, options), "MANIFEST_INVALID");
  assert.ok(errorPaths(err).includes(path), `expected ${path} in ${JSON.stringify(err.details.errors)}`);
  return err;
}

describe("skill.yaml: valid", () => {
  it("parses a full manifest into the normalised shape", () => {
    const { manifest, warnings } = parseManifest({ skillYaml: FULL_YAML });
    assert.deepEqual(warnings, []);
    assert.deepEqual(manifest, {
      name: "sql-report",
      version: "1.4.0-beta.2",
      description: "Builds a weekly SQL report.",
      author: "Data Team",
      category: "data",
      tags: ["sql", "reporting"],
      license: "Apache-2.0",
      requirements: { runtime: { language: "python", version: "3.11" }, memoryMb: 512, timeoutSeconds: 120 },
      dependencies: [
        { name: "csv-writer", range: ">=1.0.0 <3" },
        { name: "text-utils", range: "^2.1.0" },
      ],
      permissions: ["database:read", "filesystem:tmp"],
      inputs: { type: "object", properties: { query: { type: "string" } } },
      outputs: { type: "object" },
      testCommand: ["pytest", "-q"],
      entrypoint: ["python3", "-m", "src.report", "--title", "Weekly report"],
      allowedTools: [],
      metadata: {},
      source: "skill.yaml",
    });
  });

  it("fills defaults for a minimal manifest", () => {
    const { manifest } = parseManifest({ skillYaml: yamlWith("") });
    assert.equal(manifest.category, "general");
    assert.equal(manifest.author, null);
    assert.equal(manifest.license, null);
    assert.deepEqual(manifest.requirements, { runtime: null, memoryMb: null, timeoutSeconds: null });
    assert.deepEqual(manifest.dependencies, []);
    assert.deepEqual(manifest.permissions, []);
    assert.equal(manifest.testCommand, null);
    assert.equal(manifest.entrypoint, null);
  });

  it("accepts the list form of dependencies and sorts it", () => {
    const { manifest } = parseManifest({
      skillYaml: yamlWith("dependencies:\n  - { name: zeta, range: '~1.2.0' }\n  - { name: alpha, range: '*' }\n"),
    });
    assert.deepEqual(manifest.dependencies, [
      { name: "alpha", range: "*" },
      { name: "zeta", range: "~1.2.0" },
    ]);
  });

  it("accepts an options.version equal to skill.yaml's", () => {
    assert.equal(parseManifest({ skillYaml: yamlWith("") }, { version: "1.0.0" }).manifest.version, "1.0.0");
  });
});

describe("skill.yaml: MANIFEST_INVALID with field paths", () => {
  for (const name of ["Demo", "-demo", "demo-", "de--mo", "de_mo", "de mo", "", "a".repeat(65), "démo"]) {
    it(`rejects name ${JSON.stringify(name)}`, () => {
      expectInvalid({ skillYaml: yamlWith("", `name: ${JSON.stringify(name)}\nversion: 1.0.0\ndescription: d\n`) }, "/name");
    });
  }

  it("isValidSkillName agrees with the schema", () => {
    for (const ok of ["a", "1", "pdf", "web-artifacts-builder", "a1-b2", "a".repeat(64)]) assert.ok(isValidSkillName(ok), ok);
    for (const bad of ["", "-a", "a-", "a--b", "A", "a_b", "a".repeat(65)]) assert.ok(!isValidSkillName(bad), bad);
  });

  for (const version of ["v1.0.0", "1.0", "=1.0.0", " 1.0.0", "1.0.0 ", "01.0.0", "1.0.0.0", "latest", "1.0.0+build.1"]) {
    it(`rejects version ${JSON.stringify(version)}`, () => {
      const err = expectInvalid({ skillYaml: `name: demo\nversion: ${JSON.stringify(version)}\ndescription: d\n` }, "/version");
      assert.match(err.message, /\/version/);
    });
  }

  it("rejects an unquoted numeric version (YAML reads 1.0 as a number)", () => {
    expectInvalid({ skillYaml: "name: demo\nversion: 1.0\ndescription: d\n" }, "/version");
  });

  it("names each missing required field", () => {
    const err = expectCode(() => parseManifest({ skillYaml: "author: x\n" }), "MANIFEST_INVALID");
    assert.deepEqual(errorPaths(err).sort(), ["/description", "/name", "/version"]);
  });

  it("rejects memory out of range and names the field in the message", () => {
    for (const mb of [15, 16385, 512.5]) {
      const err = expectInvalid({ skillYaml: yamlWith(`requirements:\n  memory_mb: ${mb}\n`) }, "/requirements/memory_mb");
      assert.match(err.message, /\/requirements\/memory_mb/);
    }
  });

  it("rejects timeout out of range", () => {
    expectInvalid({ skillYaml: yamlWith("requirements:\n  timeout_seconds: 0\n") }, "/requirements/timeout_seconds");
    expectInvalid({ skillYaml: yamlWith("requirements:\n  timeout_seconds: 3601\n") }, "/requirements/timeout_seconds");
  });

  it("rejects unknown fields at any level", () => {
    const err = expectInvalid({ skillYaml: yamlWith("homepage: https://x\n") }, "/homepage");
    assert.match(err.message, /\/homepage/);
    expectInvalid({ skillYaml: yamlWith("requirements:\n  gpu: true\n") }, "/requirements/gpu");
    expectInvalid({ skillYaml: yamlWith("tests:\n  cmd: [x]\n") }, "/tests/cmd");
  });

  it("reports every error, not only the first", () => {
    const err = expectCode(() => parseManifest({ skillYaml: yamlWith("extra: 1\nrequirements:\n  memory_mb: 1\ntags: [Bad]\n") }), "MANIFEST_INVALID");
    assert.deepEqual(errorPaths(err).sort(), ["/extra", "/requirements/memory_mb", "/tags/0"]);
  });

  it("rejects bad dependency ranges and names", () => {
    expectInvalid({ skillYaml: yamlWith("dependencies:\n  other: not-a-range\n") }, "/dependencies/other");
    expectInvalid({ skillYaml: yamlWith("dependencies:\n  other: ''\n") }, "/dependencies/other");
    expectInvalid({ skillYaml: yamlWith("dependencies:\n  other: 1\n") }, "/dependencies/other");
    expectInvalid({ skillYaml: yamlWith("dependencies:\n  Bad--Name: ^1.0.0\n") }, "/dependencies/Bad--Name");
    expectInvalid({ skillYaml: yamlWith("dependencies:\n  - { name: other, range: nope }\n") }, "/dependencies/0/range");
    expectInvalid({ skillYaml: yamlWith("dependencies:\n  - { name: other, range: ^1.0.0 }\n  - { name: other, range: ^2.0.0 }\n") }, "/dependencies/1/name");
  });

  it("rejects bad tags", () => {
    expectInvalid({ skillYaml: yamlWith("tags: [ok, Not_Ok]\n") }, "/tags/1");
    expectInvalid({ skillYaml: yamlWith(`tags: [${"a".repeat(33)}]\n`) }, "/tags/0");
    expectInvalid({ skillYaml: yamlWith("tags: [sql, sql]\n") }, "/tags/1");
    const many = Array.from({ length: 21 }, (_, i) => `t${i}`).join(", ");
    expectInvalid({ skillYaml: yamlWith(`tags: [${many}]\n`) }, "/tags");
  });

  it("rejects a bad category and description", () => {
    expectInvalid({ skillYaml: yamlWith("category: Data Tools\n") }, "/category");
    expectInvalid({ skillYaml: "name: demo\nversion: 1.0.0\ndescription: ''\n" }, "/description");
    expectInvalid({ skillYaml: `name: demo\nversion: 1.0.0\ndescription: ${"x".repeat(1025)}\n` }, "/description");
  });

  it("rejects duplicate and malformed permissions", () => {
    expectInvalid({ skillYaml: yamlWith("permissions: [database:read, shell:exec, database:read]\n") }, "/permissions/2");
    expectInvalid({ skillYaml: yamlWith("permissions: [database]\n") }, "/permissions/0");
    expectInvalid({ skillYaml: yamlWith("permissions: [Database:Read]\n") }, "/permissions/0");
    expectInvalid({ skillYaml: yamlWith("permissions: ['a:b:c:d:e']\n") }, "/permissions/0");
  });

  it("rejects a bad tests.command", () => {
    expectInvalid({ skillYaml: yamlWith("tests:\n  command: pytest\n") }, "/tests/command");
    expectInvalid({ skillYaml: yamlWith("tests:\n  command: []\n") }, "/tests/command");
  });

  it("rejects a bad entrypoint", () => {
    for (const [value, path, message] of [
      ["''", "/entrypoint", "names no command"],
      ["'   '", "/entrypoint", "names no command"],
      ["[]", "/entrypoint", "must NOT have fewer than 1 items"],
      ["[python3, '']", "/entrypoint/1", "must NOT have fewer than 1 characters"],
      ["[python3, 3]", "/entrypoint/1", "must be string"],
      ["42", "/entrypoint", "must be string"],
      ["{ command: x }", "/entrypoint", "must be string"],
    ] as const) {
      const err = expectCode(() => parseManifest({ skillYaml: yamlWith(`entrypoint: ${value}\n`) }), "MANIFEST_INVALID");
      assert.deepEqual(err.details.errors, [{ path, message }], value);
    }
  });

  it("rejects an entrypoint string that a shell could not split, or splits into an empty word", () => {
    for (const [value, message] of [
      [`'python3 "main.py'`, "has an unbalanced double quote at character 9"],
      [`"python3 'main.py"`, "has an unbalanced single quote at character 9"],
      [`'python3 main.py \\'`, "ends with a lone backslash"],
      [`'python3 main.py | jq .'`, "uses the shell operator | at character 17; there is no shell: quote it, or run sh -c '...'"],
      [`"python3 main.py ''"`, "has an empty word (word 3); every word must be non-empty"],
    ] as const) {
      const err = expectCode(() => parseManifest({ skillYaml: yamlWith(`entrypoint: ${value}\n`) }), "MANIFEST_INVALID");
      assert.deepEqual(err.details.errors, [{ path: "/entrypoint", message }], value);
    }
  });

  it("rejects non-object inputs", () => {
    expectInvalid({ skillYaml: yamlWith("inputs: [a]\n") }, "/inputs");
  });
});

describe("entrypoint", () => {
  it("takes the string form split like a shell and the list form as is", () => {
    const entry = (value: string) => parseManifest({ skillYaml: yamlWith(`entrypoint: ${value}\n`) }).manifest.entrypoint;
    assert.deepEqual(entry("python3 -m src.stats"), ["python3", "-m", "src.stats"]);
    assert.deepEqual(entry(`'node "dist/main.js" --name "a b"'`), ["node", "dist/main.js", "--name", "a b"]);
    assert.deepEqual(entry("[python3, -c, 'print(1); print(2)']"), ["python3", "-c", "print(1); print(2)"]);
    assert.deepEqual(entry("[sh, -c, 'x | y']"), ["sh", "-c", "x | y"]);
  });

  it("is null for a SKILL.md-only package", () => {
    const { manifest } = parseManifest({ skillMd: skillMd("name: demo\ndescription: d") }, { version: "1.0.0" });
    assert.equal(manifest.entrypoint, null);
  });

  it("resolveEntrypoint answers argv or the problem", () => {
    assert.deepEqual(resolveEntrypoint("node  index.js"), { argv: ["node", "index.js"] });
    assert.deepEqual(resolveEntrypoint(["node", "index.js"]), { argv: ["node", "index.js"] });
    assert.deepEqual(resolveEntrypoint(" \t\n"), { problem: "names no command" });
    assert.deepEqual(resolveEntrypoint([]), { problem: "names no command" });
    assert.deepEqual(resolveEntrypoint(["node", ""]), { problem: "has an empty word (word 2); every word must be non-empty" });
    assert.deepEqual(resolveEntrypoint('node "x'), { problem: "has an unbalanced double quote at character 6" });
  });
});

describe("splitCommand", () => {
  for (const [text, argv] of [
    ["python3 -m src.stats", ["python3", "-m", "src.stats"]],
    ["  python3\t-m \n src.stats  ", ["python3", "-m", "src.stats"]],
    ["", []],
    ["   ", []],
    [`echo 'a b'  "c d"`, ["echo", "a b", "c d"]],
    [`echo 'it''s'`, ["echo", "its"]],
    [`echo "it's" 'say "hi"'`, ["echo", "it's", 'say "hi"']],
    [`echo a"b c"d'e f'g`, ["echo", "ab cde fg"]],
    [`echo '' ""`, ["echo", "", ""]],
    [String.raw`echo '\n \\ $HOME'`, ["echo", String.raw`\n \\ $HOME`]],
    [String.raw`echo "\" \\ \$ \` \n \a"`, ["echo", '" \\ $ ` \\n \\a']],
    [String.raw`echo a\ b \'c\" \\ \|`, ["echo", "a b", `'c"`, "\\", "|"]],
    ["echo a\\\nb", ["echo", "ab"]],
    [`echo "a\\\nb"`, ["echo", "ab"]],
    ["echo $HOME ~ *.py ${X}", ["echo", "$HOME", "~", "*.py", "${X}"]],
    [String.raw`echo "a | b" 'c; d' \&`, ["echo", "a | b", "c; d", "&"]],
  ] as const) {
    it(`${JSON.stringify(text)} → ${JSON.stringify(argv)}`, () => {
      assert.deepEqual(splitCommand(text), argv);
    });
  }

  for (const [text, message] of [
    [`echo 'a`, "The command has an unbalanced single quote at character 6."],
    [`echo "a`, "The command has an unbalanced double quote at character 6."],
    [String.raw`echo "a\"`, "The command has an unbalanced double quote at character 6."],
    [`echo 'a'"`, "The command has an unbalanced double quote at character 9."],
    ["echo a\\", "The command ends with a lone backslash."],
    ["a && b", "The command uses the shell operator & at character 3; there is no shell: quote it, or run sh -c '...'."],
    ["a > out", "The command uses the shell operator > at character 3; there is no shell: quote it, or run sh -c '...'."],
    ["echo `id`", "The command uses the shell operator ` at character 6; there is no shell: quote it, or run sh -c '...'."],
    ["python -c print(1)", "The command uses the shell operator ( at character 16; there is no shell: quote it, or run sh -c '...'."],
  ] as const) {
    it(`throws for ${JSON.stringify(text)}`, () => {
      const err = expectCode(() => splitCommand(text), "BAD_USER_INPUT");
      assert.equal(err.message, message);
    });
  }
});

describe("permissions catalogue", () => {
  const known = new Set(["database:read", "filesystem:tmp", "shell:exec"]);

  it("accepts catalogue entries and their scoped forms", () => {
    const { manifest } = parseManifest({ skillYaml: yamlWith("permissions: [database:read:analytics, filesystem:tmp]\n") }, { knownPermissions: known });
    assert.deepEqual(manifest.permissions, ["database:read:analytics", "filesystem:tmp"]);
  });

  it("refuses unknown permissions and lists them", () => {
    const err = expectCode(
      () => parseManifest({ skillYaml: yamlWith("permissions: [database:write, database:read, databases:read:x]\n") }, { knownPermissions: known }),
      "PERMISSION_UNKNOWN",
    );
    assert.deepEqual(err.details.permissions, ["database:write", "databases:read:x"]);
  });

  it("checks permissions mapped from allowed-tools too", () => {
    const err = expectCode(
      () => parseManifest({ skillMd: skillMd("name: demo\ndescription: d\nallowed-tools: Bash WebFetch") }, { version: "1.0.0", knownPermissions: known }),
      "PERMISSION_UNKNOWN",
    );
    assert.deepEqual(err.details.permissions, ["network:outbound"]);
  });
});

describe("other rejection codes", () => {
  it("MANIFEST_MISSING when there is no manifest file", () => {
    expectCode(() => parseManifest({}), "MANIFEST_MISSING");
  });

  it("DEPENDENCY_SELF", () => {
    const err = expectCode(() => parseManifest({ skillYaml: yamlWith("dependencies:\n  demo: ^1.0.0\n") }), "DEPENDENCY_SELF");
    assert.equal(err.details.name, "demo");
  });

  it("VERSION_MISMATCH when the publish call names another version", () => {
    const err = expectCode(() => parseManifest({ skillYaml: yamlWith("") }, { version: "1.0.1" }), "VERSION_MISMATCH");
    assert.deepEqual(err.details, { requested: "1.0.1", manifest: "1.0.0" });
  });
});

describe("YAML safety", () => {
  it("refuses a billion-laughs alias bomb quickly", () => {
    const levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    }
    const started = process.hrtime.bigint();
    const err = expectCode(() => parseManifest({ skillYaml: levels.join("\n") + "\n" }), "MANIFEST_YAML_INVALID");
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 500, `took ${ms} ms`);
    assert.match(err.message, /alias/i);
  });

  it("allows a few aliases", () => {
    const { manifest } = parseManifest({ skillYaml: yamlWith("inputs: &schema { type: object }\noutputs: *schema\n") });
    assert.deepEqual(manifest.outputs, { type: "object" });
  });

  it("refuses duplicate keys", () => {
    expectCode(() => parseManifest({ skillYaml: yamlWith("name: again\n") }), "MANIFEST_YAML_INVALID");
    expectCode(() => parseManifest({ skillYaml: yamlWith("requirements:\n  memory_mb: 64\n  memory_mb: 128\n") }), "MANIFEST_YAML_INVALID");
  });

  for (const [label, text] of [
    ["a sequence", "- name: demo\n"],
    ["a scalar", "just text\n"],
    ["an empty document", ""],
    ["null", "~\n"],
  ] as const) {
    it(`refuses ${label} at the top level`, () => {
      const err = expectCode(() => parseManifest({ skillYaml: text }), "MANIFEST_YAML_INVALID");
      assert.match(err.message, /mapping/);
    });
  }

  it("refuses documents over 256 KiB", () => {
    const big = yamlWith(`inputs:\n  blob: "${"x".repeat(256 * 1024)}"\n`);
    const err = expectCode(() => parseManifest({ skillYaml: big }), "MANIFEST_YAML_INVALID");
    assert.match(err.message, /larger than/);
  });

  for (const tagged of [
    "name: !!js/function 'function () { return 1 }'",
    "name: !!python/object:os.system ls",
    "name: !custom demo",
    "name: !!binary aGVsbG8=",
    "name: !!timestamp 2001-12-14",
    "name: !!set { demo }",
  ]) {
    it(`refuses the custom tag in ${JSON.stringify(tagged)}`, () => {
      expectCode(() => parseManifest({ skillYaml: `${tagged}\nversion: 1.0.0\ndescription: d\n` }), "MANIFEST_YAML_INVALID");
    });
  }

  it("accepts core-schema tags", () => {
    const { manifest } = parseManifest({ skillYaml: "name: !!str demo\nversion: !!str 1.0.0\ndescription: d\nrequirements: { memory_mb: !!int 64 }\n" });
    assert.equal(manifest.requirements.memoryMb, 64);
  });

  it("refuses pathological nesting without crashing", () => {
    const deep = yamlWith(`inputs: ${"{a: ".repeat(20000)}1${"}".repeat(20000)}\n`);
    expectCode(() => parseManifest({ skillYaml: deep }), "MANIFEST_YAML_INVALID");
  });

  it("refuses syntax errors, several documents and collection keys", () => {
    expectCode(() => parseManifest({ skillYaml: "name: [unclosed\n" }), "MANIFEST_YAML_INVALID");
    expectCode(() => parseManifest({ skillYaml: yamlWith("---\nname: other\n") }), "MANIFEST_YAML_INVALID");
    expectCode(() => parseManifest({ skillYaml: yamlWith("? [a, b]\n: 1\n") }), "MANIFEST_YAML_INVALID");
  });

  it("treats a YAML 1.1 merge key as an unknown field", () => {
    expectInvalid({ skillYaml: yamlWith("base: &b { license: MIT }\n<<: *b\n") }, "/base");
  });
});

describe("runtime normalisation", () => {
  const python311 = { language: "python", version: "3.11" };

  for (const [raw, language, expected] of [
    ["python3.11", undefined, python311],
    ["python:3.11", undefined, python311],
    ["python 3.11", undefined, python311],
    ["python-3.11", undefined, python311],
    ["3.11", "python", python311],
    ["python3.11", "python", python311],
    ["python3.12.1", undefined, { language: "python", version: "3.12.1" }],
    ["node20", undefined, { language: "node", version: "20" }],
    ["node:20", undefined, { language: "node", version: "20" }],
    ["nodejs20", undefined, { language: "node", version: "20" }],
    ["node 20.11", undefined, { language: "node", version: "20.11" }],
    ["20", "node", { language: "node", version: "20" }],
  ] as const) {
    it(`${JSON.stringify(raw)}${language ? ` + language ${language}` : ""} → ${expected.language}/${expected.version}`, () => {
      assert.deepEqual(normalizeRuntime(raw, language), expected);
    });
  }

  for (const [raw, language, path] of [
    ["python:python3.11-slim", undefined, "/requirements/runtime"],
    ["python3.11-slim", undefined, "/requirements/runtime"],
    ["python:3.11-alpine", undefined, "/requirements/runtime"],
    ["3.11", undefined, "/requirements/runtime"],
    ["ruby3.2", undefined, "/requirements/runtime"],
    ["python", undefined, "/requirements/runtime"],
    ["python::3.11", undefined, "/requirements/runtime"],
    ["3.11", "ruby", "/requirements/language"],
    ["node20", "python", "/requirements/language"],
  ] as const) {
    it(`rejects ${JSON.stringify(raw)}${language ? ` + language ${language}` : ""}`, () => {
      const err = expectCode(() => normalizeRuntime(raw, language), "MANIFEST_INVALID");
      assert.deepEqual(errorPaths(err), [path]);
    });
  }

  it("stores python3.11, python:3.11 and 3.11 + language identically in the manifest", () => {
    const runtimes = ["runtime: python3.11", "runtime: 'python:3.11'", "runtime: '3.11'\n  language: python"].map(
      (r) => parseManifest({ skillYaml: yamlWith(`requirements:\n  ${r}\n`) }).manifest.requirements.runtime,
    );
    assert.deepEqual(runtimes, [python311, python311, python311]);
  });

  it("rejects the old seed's image-tag runtime and a bare version in skill.yaml", () => {
    expectInvalid({ skillYaml: yamlWith("requirements:\n  runtime: python:python3.11-slim\n") }, "/requirements/runtime");
    expectInvalid({ skillYaml: yamlWith("requirements:\n  runtime: '3.11'\n") }, "/requirements/runtime");
    expectInvalid({ skillYaml: yamlWith("requirements:\n  runtime: python3.11\n  language: ruby\n") }, "/requirements/language");
  });
});

describe("SKILL.md", () => {
  it("parses front matter and body", () => {
    const { data, body } = parseSkillMdFrontMatter("\uFEFF---\r\nname: demo\r\ndescription: d\r\n---\r\n# Title\n---\nmore\n");
    assert.deepEqual(data, { name: "demo", description: "d" });
    assert.equal(body, "# Title\n---\nmore\n");
  });

  it("takes the version from the publish call", () => {
    const { manifest, warnings } = parseManifest(
      { skillMd: skillMd("name: demo\ndescription: Does demo things.\nlicense: MIT\nmetadata:\n  owner: team-a") },
      { version: "2.0.0" },
    );
    assert.deepEqual(warnings, []);
    assert.equal(manifest.version, "2.0.0");
    assert.equal(manifest.source, "SKILL.md");
    assert.equal(manifest.description, "Does demo things.");
    assert.equal(manifest.license, "MIT");
    assert.deepEqual(manifest.metadata, { owner: "team-a" });
    assert.equal(manifest.category, "general");
    assert.equal(manifest.requirements.runtime, null);
  });

  it("VERSION_REQUIRED without a version; MANIFEST_INVALID /version for a bad one", () => {
    const files = { skillMd: skillMd("name: demo\ndescription: d") };
    expectCode(() => parseManifest(files), "VERSION_REQUIRED");
    for (const version of ["v1.0.0", "1.0", "=1.0.0", " 1.0.0"]) expectInvalid(files, "/version", { version });
  });

  it("maps allowed-tools given as a string", () => {
    const { manifest, warnings } = parseManifest(
      { skillMd: skillMd('name: demo\ndescription: d\nallowed-tools: "Bash(git add:*), Read Write,Grep WebSearch"') },
      { version: "1.0.0" },
    );
    assert.deepEqual(manifest.allowedTools, ["Bash(git add:*)", "Read", "Write", "Grep", "WebSearch"]);
    assert.deepEqual(manifest.permissions, ["filesystem:read", "filesystem:write", "network:outbound", "shell:exec"]);
    assert.deepEqual(warnings, []);
  });

  it("maps allowed-tools given as a list", () => {
    const { manifest } = parseManifest(
      { skillMd: skillMd("name: demo\ndescription: d\nallowed-tools:\n  - Bash(git:*)\n  - Edit\n  - LS") },
      { version: "1.0.0" },
    );
    assert.deepEqual(manifest.allowedTools, ["Bash(git:*)", "Edit", "LS"]);
    assert.deepEqual(manifest.permissions, ["filesystem:read", "filesystem:write", "shell:exec"]);
  });

  it("maps every tool in TOOL_PERMISSIONS", () => {
    const tools = Object.keys(TOOL_PERMISSIONS).join(" ");
    const { manifest } = parseManifest({ skillMd: skillMd(`name: demo\ndescription: d\nallowed-tools: ${tools}`) }, { version: "1.0.0" });
    assert.deepEqual(manifest.permissions, [...new Set(Object.values(TOOL_PERMISSIONS))].sort());
  });

  it("warns about unknown tools and grants nothing for them", () => {
    const { manifest, warnings } = parseManifest(
      { skillMd: skillMd("name: demo\ndescription: d\nallowed-tools: Read Teleport mcp__github__create_issue") },
      { version: "1.0.0" },
    );
    assert.deepEqual(manifest.permissions, ["filesystem:read"]);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0], /Teleport/);
    assert.match(warnings[1], /mcp__github__create_issue/);
  });

  it("rejects malformed allowed-tools", () => {
    const md = (tools: string) => ({ skillMd: skillMd(`name: demo\ndescription: d\nallowed-tools: ${tools}`) });
    expectInvalid(md("'Bash(git:* Read'"), "/allowed-tools", { version: "1.0.0" });
    expectInvalid(md("'Read )'"), "/allowed-tools", { version: "1.0.0" });
    expectInvalid(md("[Read, '']"), "/allowed-tools/1", { version: "1.0.0" });
    expectInvalid(md("42"), "/allowed-tools", { version: "1.0.0" });
  });

  it("rejects bad names, missing fields and unknown keys", () => {
    const opts = { version: "1.0.0" };
    expectInvalid({ skillMd: skillMd("name: Demo_Skill\ndescription: d") }, "/name", opts);
    expectInvalid({ skillMd: skillMd("description: d") }, "/name", opts);
    expectInvalid({ skillMd: skillMd("name: demo") }, "/description", opts);
    const err = expectInvalid({ skillMd: skillMd("name: demo\ndescription: d\nversion: 1.0.0") }, "/version", opts);
    assert.equal(err.details.file, "SKILL.md");
    expectInvalid({ skillMd: skillMd("name: demo\ndescription: d\nmetadata: [a]") }, "/metadata", opts);
  });

  it("rejects a missing or unterminated front matter", () => {
    expectCode(() => parseManifest({ skillMd: "# Just markdown\n" }, { version: "1.0.0" }), "MANIFEST_INVALID");
    expectCode(() => parseManifest({ skillMd: "---\nname: demo\ndescription: d\n" }, { version: "1.0.0" }), "MANIFEST_INVALID");
  });

  it("applies the YAML safety rules to front matter", () => {
    expectCode(() => parseManifest({ skillMd: skillMd("name: demo\nname: demo\ndescription: d") }, { version: "1.0.0" }), "MANIFEST_YAML_INVALID");
    expectCode(() => parseManifest({ skillMd: skillMd("name: !!js/function x\ndescription: d") }, { version: "1.0.0" }), "MANIFEST_YAML_INVALID");
    expectCode(() => parseManifest({ skillMd: skillMd("- demo") }, { version: "1.0.0" }), "MANIFEST_YAML_INVALID");
  });
});

describe("skill.yaml and SKILL.md together", () => {
  const md = skillMd("name: demo\ndescription: From SKILL.md.\nlicense: MIT\nallowed-tools: Bash Read\nmetadata:\n  owner: x");

  it("merges: description from skill.yaml, permissions unioned", () => {
    const { manifest } = parseManifest({ skillYaml: yamlWith("permissions: [shell:exec, database:read]\n"), skillMd: md });
    assert.equal(manifest.source, "both");
    assert.equal(manifest.description, "A demo.");
    assert.equal(manifest.license, "MIT");
    assert.deepEqual(manifest.permissions, ["database:read", "filesystem:read", "shell:exec"]);
    assert.deepEqual(manifest.allowedTools, ["Bash", "Read"]);
    assert.deepEqual(manifest.metadata, { owner: "x" });
  });

  it("MANIFEST_MISMATCH when the names differ", () => {
    const err = expectCode(() => parseManifest({ skillYaml: yamlWith("", "name: other\nversion: 1.0.0\ndescription: d\n"), skillMd: md }), "MANIFEST_MISMATCH");
    assert.deepEqual(err.details, { field: "name", skillYaml: "other", skillMd: "demo" });
  });
});

describe("corpus: anthropic-skills", () => {
  const dirs = readdirSync(CORPUS, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();

  it("has 12 skills", () => {
    assert.equal(dirs.length, 12);
  });

  for (const dir of dirs) {
    it(`${dir}/SKILL.md parses`, () => {
      const text = readFileSync(join(CORPUS, dir, "SKILL.md"), "utf8");
      const { manifest } = parseManifest({ skillMd: text }, { version: "1.0.0" });
      assert.equal(manifest.name, dir);
      assert.equal(manifest.version, "1.0.0");
      assert.equal(manifest.source, "SKILL.md");
      assert.ok(manifest.description.length > 0);
    });
  }
});
