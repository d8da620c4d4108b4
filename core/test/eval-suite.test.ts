import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EVAL_SUITE_LIMITS, EVAL_SUITE_PATH, ERROR_CODES, SkillyardError, parseEvalSuite, type EvalSuite, type ManifestFieldError } from "../src";

/** The example from the issue, comments included. */
const ISSUE_EXAMPLE = `entrypoint: "python3 -m src.stats"     # optional; default: the manifest's entrypoint
min_score: 0.8                         # optional; default from server config
cases:
  - name: mean-of-two-rows
    input: {csv: "a\\n1\\n2\\n"}          # JSON written to the entry point's stdin
    expect:
      json_subset: {mean: 1.5}
  - name: summary-wording
    input: {csv: "a\\n1\\n2\\n"}
    rubric: "States the mean and the row count; no invented columns."
    weight: 2
`;

/** A suite of one case with `lines` as that case's further fields (indented by the caller's 4 spaces). */
function oneCase(lines: string, name = "only"): string {
  return `cases:\n  - name: ${name}\n    input: {}\n${lines}`;
}

function invalid(text: string): { err: SkillyardError; errors: ManifestFieldError[] } {
  let caught: unknown;
  try {
    parseEvalSuite(text);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof SkillyardError, `expected EVAL_SUITE_INVALID, got ${String(caught)}`);
  assert.equal(caught.code, "EVAL_SUITE_INVALID", caught.message);
  return { err: caught, errors: caught.details.errors as ManifestFieldError[] };
}

/** Asserts EVAL_SUITE_INVALID with exactly these paths (in this order). */
function expectPaths(text: string, paths: string[]): ManifestFieldError[] {
  const { errors } = invalid(text);
  assert.deepEqual(
    errors.map((e) => e.path),
    paths,
    JSON.stringify(errors),
  );
  return errors;
}

/** Asserts EVAL_SUITE_INVALID with one error, at `path`, whose message matches `message`. */
function expectOne(text: string, path: string, message: RegExp): void {
  const [error] = expectPaths(text, [path]);
  assert.match(error.message, message);
}

describe("parseEvalSuite: valid suites", () => {
  it("parses the issue's example", () => {
    const expected: EvalSuite = {
      entrypoint: ["python3", "-m", "src.stats"],
      minScore: 0.8,
      cases: [
        { name: "mean-of-two-rows", input: { csv: "a\n1\n2\n" }, expect: { jsonSubset: { mean: 1.5 } }, rubric: null, weight: 1 },
        {
          name: "summary-wording",
          input: { csv: "a\n1\n2\n" },
          expect: null,
          rubric: "States the mean and the row count; no invented columns.",
          weight: 2,
        },
      ],
    };
    assert.deepEqual(parseEvalSuite(ISSUE_EXAMPLE), expected);
  });

  it("fills defaults: no entrypoint, no min_score, weight 1", () => {
    const suite = parseEvalSuite(oneCase("    expect: {contains: ok}\n"));
    assert.deepEqual(suite, { entrypoint: null, minScore: null, cases: [{ name: "only", input: {}, expect: { contains: "ok" }, rubric: null, weight: 1 }] });
  });

  it("maps every grader key to its camelCase field, defaulting tolerance to 0", () => {
    const suite = parseEvalSuite(
      oneCase(`    expect:
      equals: {mean: 1.5, rows: [1, 2]}
      json_subset: {mean: 1.5}
      contains: "1.5"
      regex: '"mean":\\s*1\\.5'
      json_schema: {type: object, required: [mean]}
      number: {path: $.mean, value: 1.5}
    rubric: Explains the mean.
    weight: 0.5
`),
    );
    assert.deepEqual(suite.cases[0], {
      name: "only",
      input: {},
      expect: {
        equals: { mean: 1.5, rows: [1, 2] },
        jsonSubset: { mean: 1.5 },
        contains: "1.5",
        regex: '"mean":\\s*1\\.5',
        jsonSchema: { type: "object", required: ["mean"] },
        number: { path: "$.mean", value: 1.5, tolerance: 0 },
      },
      rubric: "Explains the mean.",
      weight: 0.5,
    });
  });

  it("keeps equals: null (expecting JSON null) and a number tolerance", () => {
    const suite = parseEvalSuite(oneCase("    expect:\n      equals: null\n      number: {path: a, value: 2, tolerance: 0.01}\n"));
    assert.deepEqual(suite.cases[0].expect, { equals: null, number: { path: "a", value: 2, tolerance: 0.01 } });
    assert.ok(Object.hasOwn(suite.cases[0].expect ?? {}, "equals"));
  });

  it("takes any JSON value as input", () => {
    const inputs = ["[1, two]", "42", "text", "null", "{a: {b: [true, null]}}"].map(
      (input) => parseEvalSuite(`cases:\n  - {name: c, input: ${input}, rubric: r}\n`).cases[0].input,
    );
    assert.deepEqual(inputs, [[1, "two"], 42, "text", null, { a: { b: [true, null] } }]);
  });

  it("takes the entrypoint as a list, and min_score at both ends of its range", () => {
    const suite = parseEvalSuite(`entrypoint: [node, dist/main.js, --flag=a b]\nmin_score: 0\n${oneCase("    rubric: r\n")}`);
    assert.deepEqual(suite.entrypoint, ["node", "dist/main.js", "--flag=a b"]);
    assert.equal(suite.minScore, 0);
    assert.equal(parseEvalSuite(`min_score: 1\n${oneCase("    rubric: r\n")}`).minScore, 1);
  });

  it("splits a quoted entrypoint string like a shell", () => {
    const suite = parseEvalSuite(`entrypoint: python3 -c 'import sys; print(1)' "a b"\n${oneCase("    rubric: r\n")}`);
    assert.deepEqual(suite.entrypoint, ["python3", "-c", "import sys; print(1)", "a b"]);
  });

  it("accepts the limits themselves", () => {
    const cases = Array.from({ length: EVAL_SUITE_LIMITS.maxCases }, (_, i) => `  - {name: c${i}, input: {}, rubric: r}`).join("\n");
    assert.equal(parseEvalSuite(`cases:\n${cases}\n`).cases.length, 200);
    const rubric = "x".repeat(EVAL_SUITE_LIMITS.maxRubricChars);
    const suite = parseEvalSuite(oneCase(`    rubric: ${rubric}\n    weight: ${EVAL_SUITE_LIMITS.maxWeight}\n`, "a".repeat(64)));
    assert.equal(suite.cases[0].weight, 100);
    // {"s":"…"} is 8 bytes of JSON around the string.
    const input = "y".repeat(EVAL_SUITE_LIMITS.maxInputBytes - 8);
    assert.equal(parseEvalSuite(`cases:\n  - {name: c, input: {s: ${input}}, rubric: r}\n`).cases.length, 1);
  });

  it("exports the path and limits", () => {
    assert.equal(EVAL_SUITE_PATH, "evals/suite.yaml");
    assert.deepEqual(EVAL_SUITE_LIMITS, { maxBytes: 262144, maxCases: 200, maxInputBytes: 65536, maxRubricChars: 4000, maxWeight: 100 });
    assert.equal(ERROR_CODES.EVAL_SUITE_INVALID.status, 400);
  });
});

describe("parseEvalSuite: EVAL_SUITE_INVALID with field paths", () => {
  it("names the first problem and the count in the message, and every problem in details.errors", () => {
    const { err, errors } = invalid(`extra: 1
min_score: 1.5
cases:
  - name: Bad Name
    input: {}
  - name: ok
    input: {}
    expect: {regex: "("}
`);
    assert.equal(err.status, 400);
    assert.deepEqual(errors, [
      { path: "/cases/0", message: "needs expect, rubric or both" },
      { path: "/cases/0/name", message: 'must match pattern "^[a-z0-9][a-z0-9._-]*$"' },
      { path: "/cases/1/expect/regex", message: "is not a valid regular expression: /(/: Unterminated group" },
      { path: "/extra", message: "is not an allowed field" },
      { path: "/min_score", message: "must be <= 1" },
    ]);
    assert.equal(err.message, "evals/suite.yaml has 5 problems; the first: /cases/0 needs expect, rubric or both");
    assert.deepEqual(Object.keys(err.details), ["errors"]);
  });

  it("says 1 problem for one", () => {
    assert.equal(invalid(`cases: []\n`).err.message, "evals/suite.yaml has 1 problem; the first: /cases must NOT have fewer than 1 items");
  });

  it("orders errors by path, case indexes numerically", () => {
    const cases = Array.from({ length: 11 }, (_, i) => `  - {name: c${i}, input: {}${i === 2 || i === 10 ? "" : ", rubric: r"}}`).join("\n");
    expectPaths(`cases:\n${cases}\n`, ["/cases/2", "/cases/10"]);
  });

  it("requires cases, non-empty and at most maxCases", () => {
    expectOne("min_score: 0.5\n", "/cases", /is required/);
    expectOne("cases: []\n", "/cases", /fewer than 1 items/);
    expectOne("cases: {a: 1}\n", "/cases", /must be array/);
    const cases = Array.from({ length: 201 }, (_, i) => `  - {name: c${i}, input: {}, rubric: r}`).join("\n");
    expectOne(`cases:\n${cases}\n`, "/cases", /more than 200 items/);
  });

  it("rejects unknown keys at every level", () => {
    expectOne(`entry_point: x\n${oneCase("    rubric: r\n")}`, "/entry_point", /is not an allowed field/);
    expectOne(oneCase("    rubric: r\n    expected: {}\n"), "/cases/0/expected", /is not an allowed field/);
    expectOne(oneCase("    expect: {contains: a, json-subset: {}}\n"), "/cases/0/expect/json-subset", /is not an allowed field/);
    expectOne(oneCase("    expect: {number: {path: a, value: 1, tol: 1}}\n"), "/cases/0/expect/number/tol", /is not an allowed field/);
  });

  it("rejects a top level that is not a mapping", () => {
    for (const text of ["", "- a\n", "just text\n", "~\n"]) expectOne(text, "", /^must be a mapping with a cases list$/);
  });

  it("checks case names: required, pattern, length, unique", () => {
    expectOne("cases:\n  - {input: {}, rubric: r}\n", "/cases/0/name", /is required/);
    for (const name of ["Upper", "-dash-first", ".dot", "has space", "'a/b'", "''", "é"]) {
      expectOne(oneCase("    rubric: r\n", name), "/cases/0/name", /^must match pattern "\^\[a-z0-9\]\[a-z0-9._-\]\*\$"$/);
    }
    expectOne(oneCase("    rubric: r\n", "a".repeat(65)), "/cases/0/name", /more than 64 characters/);
    expectOne(oneCase("    rubric: r\n", "42"), "/cases/0/name", /must be string/);
    const errors = expectPaths(
      "cases:\n  - {name: a.b_c-1, input: 1, rubric: r}\n  - {name: x, input: 1, rubric: r}\n  - {name: a.b_c-1, input: 2, rubric: r}\n",
      ["/cases/2/name"],
    );
    assert.equal(errors[0].message, "repeats the name of case 0");
  });

  it("checks inputs: required, JSON only, bounded size", () => {
    expectOne("cases:\n  - {name: c, rubric: r}\n", "/cases/0/input", /is required/);
    const [nan] = expectPaths("cases:\n  - {name: c, rubric: r, input: {a: [1, .nan]}}\n", ["/cases/0/input/a/1"]);
    assert.equal(nan.message, "is not a JSON value (NaN or infinity)");
    expectOne("cases:\n  - {name: c, rubric: r, input: {a/b: -.inf}}\n", "/cases/0/input/a~1b", /not a JSON value/);
    const input = "y".repeat(EVAL_SUITE_LIMITS.maxInputBytes - 7);
    const [big] = expectPaths(`cases:\n  - {name: c, input: {s: ${input}}, rubric: r}\n`, ["/cases/0/input"]);
    assert.equal(big.message, "is 65537 bytes as JSON; the limit is 65536");
    // Bytes, not characters: 'é' is two bytes of UTF-8.
    expectOne(`cases:\n  - {name: c, input: {s: ${"é".repeat(33000)}}, rubric: r}\n`, "/cases/0/input", /66008 bytes/);
  });

  it("needs expect or rubric, and an expect that names a grader", () => {
    expectOne(oneCase(""), "/cases/0", /^needs expect, rubric or both$/);
    expectOne(
      oneCase("    expect: {}\n"),
      "/cases/0/expect",
      /^names no grader; use one or more of equals, json_subset, contains, regex, json_schema, number$/,
    );
    expectOne(oneCase("    expect: [contains]\n"), "/cases/0/expect", /must be object/);
    expectOne(oneCase("    expect: null\n"), "/cases/0/expect", /must be object/);
    expectPaths(oneCase("    expect: {contain: x}\n"), ["/cases/0/expect", "/cases/0/expect/contain"]);
  });

  it("checks contains and regex", () => {
    expectOne(oneCase("    expect: {contains: 42}\n"), "/cases/0/expect/contains", /must be string/);
    expectOne(oneCase("    expect: {contains: ''}\n"), "/cases/0/expect/contains", /fewer than 1 characters/);
    expectOne(oneCase("    expect: {regex: ''}\n"), "/cases/0/expect/regex", /fewer than 1 characters/);
    expectOne(oneCase("    expect: {regex: [a]}\n"), "/cases/0/expect/regex", /must be string/);
    expectOne(oneCase("    expect: {regex: 'a{2,1}'}\n"), "/cases/0/expect/regex", /^is not a valid regular expression: .*numbers out of order/);
    // Flags are not part of the format: a /.../i literal is a pattern that must match slashes.
    assert.equal(parseEvalSuite(oneCase("    expect: {regex: '/mean/i'}\n")).cases[0].expect?.regex, "/mean/i");
  });

  it("checks json_schema: an object that compiles leniently", () => {
    expectOne(oneCase("    expect: {json_schema: true}\n"), "/cases/0/expect/json_schema", /must be object/);
    expectOne(
      oneCase("    expect: {json_schema: {type: integr}}\n"),
      "/cases/0/expect/json_schema",
      /^does not compile: schema is invalid: data\/type must be equal to one of the allowed values/,
    );
    expectOne(
      oneCase("    expect: {json_schema: {$ref: 'https://example.com/s.json'}}\n"),
      "/cases/0/expect/json_schema",
      /^does not compile: can't resolve reference/,
    );
    expectOne(
      oneCase("    expect: {json_schema: {properties: {a: {pattern: '('}}}}\n"),
      "/cases/0/expect/json_schema",
      /^does not compile: .*Unterminated group/,
    );
    // Unknown keywords and formats are the author's business: accepted.
    const suite = parseEvalSuite(oneCase("    expect: {json_schema: {type: object, x-ui: wide, properties: {at: {type: string, format: date-time}}}}\n"));
    assert.deepEqual(suite.cases[0].expect?.jsonSchema, { type: "object", "x-ui": "wide", properties: { at: { type: "string", format: "date-time" } } });
  });

  it("checks number: path and value required, path well-formed, tolerance >= 0", () => {
    expectOne(oneCase("    expect: {number: {path: a}}\n"), "/cases/0/expect/number/value", /is required/);
    expectOne(oneCase("    expect: {number: {value: 1}}\n"), "/cases/0/expect/number/path", /is required/);
    expectOne(oneCase("    expect: {number: {path: a, value: '1'}}\n"), "/cases/0/expect/number/value", /must be number/);
    expectOne(oneCase("    expect: {number: {path: a, value: .nan}}\n"), "/cases/0/expect/number/value", /must be number/);
    expectOne(oneCase("    expect: {number: {path: a, value: 1, tolerance: -0.1}}\n"), "/cases/0/expect/number/tolerance", /must be >= 0/);
    expectOne(oneCase("    expect: {number: 1.5}\n"), "/cases/0/expect/number", /must be object/);
    for (const path of ["a..b", "a.", "a[", "a[x]", "a[01]", "$.", ".a", "a]"]) {
      expectOne(
        oneCase(`    expect: {number: {path: '${path}', value: 1}}\n`),
        "/cases/0/expect/number/path",
        /^is not a path such as stats.values\[0\] or \$.mean$/,
      );
    }
  });

  it("checks equals and json_subset hold JSON", () => {
    expectOne(oneCase("    expect: {equals: {a: .inf}}\n"), "/cases/0/expect/equals/a", /not a JSON value/);
    expectOne(oneCase("    expect: {json_subset: [.nan]}\n"), "/cases/0/expect/json_subset/0", /not a JSON value/);
  });

  it("checks rubric and weight", () => {
    expectOne(oneCase("    rubric: ''\n"), "/cases/0/rubric", /fewer than 1 characters/);
    expectOne(oneCase("    rubric: '   '\n"), "/cases/0/rubric", /^is blank$/);
    expectOne(oneCase("    rubric: [a]\n"), "/cases/0/rubric", /must be string/);
    expectOne(oneCase(`    rubric: ${"x".repeat(4001)}\n`), "/cases/0/rubric", /more than 4000 characters/);
    expectOne(oneCase("    rubric: r\n    weight: 0\n"), "/cases/0/weight", /must be > 0/);
    expectOne(oneCase("    rubric: r\n    weight: -1\n"), "/cases/0/weight", /must be > 0/);
    expectOne(oneCase("    rubric: r\n    weight: 100.5\n"), "/cases/0/weight", /must be <= 100/);
    expectOne(oneCase("    rubric: r\n    weight: '2'\n"), "/cases/0/weight", /must be number/);
    expectOne(oneCase("    rubric: r\n    weight: .inf\n"), "/cases/0/weight", /must be number/);
  });

  it("checks min_score", () => {
    for (const value of ["-0.1", "1.01", "'0.8'", ".nan"]) expectOne(`min_score: ${value}\n${oneCase("    rubric: r\n")}`, "/min_score", /must be/);
  });

  it("checks the entrypoint with the manifest's rules", () => {
    const suite = (entrypoint: string) => `entrypoint: ${entrypoint}\n${oneCase("    rubric: r\n")}`;
    expectOne(suite("''"), "/entrypoint", /^names no command$/);
    expectOne(suite("' '"), "/entrypoint", /^names no command$/);
    expectOne(suite(`'python3 "main.py'`), "/entrypoint", /^has an unbalanced double quote at character 9$/);
    expectOne(suite(`"python3 'main.py"`), "/entrypoint", /^has an unbalanced single quote at character 9$/);
    expectOne(suite("'python3 main.py > out.json'"), "/entrypoint", /^uses the shell operator > at character 17/);
    expectOne(suite(`"python3 ''"`), "/entrypoint", /^has an empty word \(word 2\)/);
    expectOne(suite("[]"), "/entrypoint", /fewer than 1 items/);
    expectOne(suite("[python3, '']"), "/entrypoint/1", /fewer than 1 characters/);
    expectOne(suite("7"), "/entrypoint", /must be string/);
  });
});

describe("parseEvalSuite: YAML safety", () => {
  it("reports invalid YAML at path '' with the parser's message", () => {
    const { err, errors } = invalid("cases: [unclosed\n");
    assert.equal(errors.length, 1);
    assert.equal(errors[0].path, "");
    assert.match(errors[0].message, /^Flow sequence in block collection must be sufficiently indented and end with a \]/);
    // The summary keeps the parser's first line only, without the code frame.
    assert.equal(
      err.message,
      "evals/suite.yaml has 1 problem; the first: / Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1",
    );
  });

  it("refuses a billion-laughs alias bomb quickly", () => {
    const levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (let i = 1; i < 10; i++) {
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(", ")}]`,
      );
    }
    const started = process.hrtime.bigint();
    const [error] = expectPaths(levels.join("\n") + "\n", [""]);
    assert.ok(Number(process.hrtime.bigint() - started) / 1e6 < 500);
    assert.match(error.message, /alias/i);
  });

  it("allows a few aliases", () => {
    const suite = parseEvalSuite("cases:\n  - {name: a, input: &in {csv: x}, rubric: r}\n  - {name: b, input: *in, rubric: r}\n");
    assert.deepEqual(suite.cases[1].input, { csv: "x" });
  });

  it("refuses documents over maxBytes", () => {
    const big = oneCase(`    rubric: r\n# ${"x".repeat(EVAL_SUITE_LIMITS.maxBytes)}\n`);
    expectOne(big, "", /^the YAML document is larger than 262144 bytes$/);
  });

  it("refuses duplicate keys, custom tags and collection keys", () => {
    expectPaths(oneCase("    rubric: r\n    rubric: s\n"), [""]);
    expectPaths(oneCase("    rubric: !!js/function 'function () {}'\n"), [""]);
    expectPaths(oneCase("    rubric: !!binary aGVsbG8=\n"), [""]);
    expectPaths(oneCase("    rubric: r\n    ? [a]\n    : 1\n"), [""]);
  });
});
