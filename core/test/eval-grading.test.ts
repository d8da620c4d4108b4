import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { caseScore, gradeOutput, jsonPath, parseEvalSuite, suiteScore, type EvalCase, type EvalExpectations, type OutputGrade } from "../src";
import { compileAuthorSchema } from "../src/eval-grading";

function caseWith(expect: EvalExpectations | null, rubric: string | null = null, weight = 1): EvalCase {
  return { name: "c", input: {}, expect, rubric, weight };
}

/** Grades `stdout` against one expectation and answers that grader's result (the last one). */
function grade(expect: EvalExpectations, stdout: string): { passed: boolean; message: string | null; grade: OutputGrade } {
  const graded = gradeOutput(caseWith(expect), stdout, null);
  const last = graded.results[graded.results.length - 1];
  assert.equal(graded.passed, last.passed);
  return { passed: last.passed, message: last.message, grade: graded };
}

const STATS = JSON.stringify({ mean: 1.5, rows: 2, stats: { values: [1, 2], label: "a\nb" }, "odd/key": true });

describe("jsonPath", () => {
  const value = { mean: 1.5, stats: { values: [10, [20, 21]], "0": "zero" }, list: [{ name: "x" }], nothing: null };

  for (const [path, expected] of [
    ["mean", 1.5],
    ["$.mean", 1.5],
    ["stats.values[0]", 10],
    ["stats.values.0", 10],
    ["stats.values[1][1]", 21],
    ["$.stats.values[1].0", 20],
    ["list[0].name", "x"],
    ["$.list[0].name", "x"],
    ["stats.0", "zero"],
    ["stats[0]", "zero"],
    ["nothing", null],
  ] as const) {
    it(`finds ${path}`, () => {
      assert.deepEqual(jsonPath(value, path), { found: true, value: expected });
    });
  }

  it("answers the whole value for $ and the empty path, and indexes a top-level array", () => {
    assert.deepEqual(jsonPath(value, "$"), { found: true, value });
    assert.deepEqual(jsonPath(value, ""), { found: true, value });
    assert.deepEqual(jsonPath([5, 6], "$[1]"), { found: true, value: 6 });
    assert.deepEqual(jsonPath([5, 6], "[1]"), { found: true, value: 6 });
  });

  for (const path of [
    "median",
    "stats.values[2]",
    "stats.values.-1",
    "stats.values.01",
    "mean.x",
    "nothing.x",
    "list.name",
    "a..b",
    "a[",
    "$.",
    "toString",
    "__proto__",
  ]) {
    it(`does not find ${JSON.stringify(path)}`, () => {
      assert.deepEqual(jsonPath(value, path), { found: false, value: undefined });
    });
  }
});

describe("gradeOutput: json", () => {
  it("fails output that is not JSON and runs nothing else", () => {
    const graded = gradeOutput(caseWith({ contains: "mean" }), "mean is 1.5\n", { type: "object" });
    assert.equal(graded.parsed, undefined);
    assert.equal(graded.passed, false);
    assert.deepEqual(graded.results, [
      { grader: "json", passed: false, message: `output is not valid JSON: Unexpected token 'm', "mean is 1.5" is not valid JSON` },
    ]);
    assert.equal(graded.reason, `json: output is not valid JSON: Unexpected token 'm', "mean is 1.5" is not valid JSON`);
  });

  it("fails empty output", () => {
    const graded = gradeOutput(caseWith(null, "r"), " \n\t", null);
    assert.deepEqual(graded.results, [{ grader: "json", passed: false, message: "output is not valid JSON: it is empty" }]);
  });

  it("fails truncated JSON", () => {
    const graded = gradeOutput(caseWith(null, "r"), '{"mean": 1.', null);
    assert.equal(graded.passed, false);
    assert.match(graded.reason ?? "", /^json: output is not valid JSON: /);
  });

  it("trims surrounding whitespace and passes a rubric-only case on JSON alone", () => {
    const graded = gradeOutput(caseWith(null, "r"), `\n  ${STATS}  \n\n`, null);
    assert.deepEqual(graded, { parsed: JSON.parse(STATS), results: [{ grader: "json", passed: true, message: null }], passed: true, reason: null });
  });

  it("takes any JSON value, null included", () => {
    assert.equal(gradeOutput(caseWith({ equals: null }), "null", null).passed, true);
    assert.equal(gradeOutput(caseWith({ equals: null }), "0", null).passed, false);
  });
});

describe("gradeOutput: outputs_schema", () => {
  const outputs = { type: "object", required: ["mean", "rows"], properties: { mean: { type: "number" }, rows: { type: "integer" } } };

  it("passes output that satisfies the manifest's outputs schema", () => {
    const graded = gradeOutput(caseWith({ jsonSubset: { mean: 1.5 } }), STATS, outputs);
    assert.deepEqual(
      graded.results.map((r) => [r.grader, r.passed]),
      [
        ["json", true],
        ["outputs_schema", true],
        ["json_subset", true],
      ],
    );
    assert.equal(graded.passed, true);
  });

  it("fails output that does not, with the reason, even when every expectation passes", () => {
    const graded = gradeOutput(caseWith({ contains: "mean" }), '{"mean": "1.5"}', outputs);
    assert.equal(graded.passed, false);
    assert.deepEqual(graded.results[1], { grader: "outputs_schema", passed: false, message: "/rows is required; /mean must be number" });
    assert.deepEqual(graded.results[2], { grader: "contains", passed: true, message: null });
    assert.equal(graded.reason, "outputs_schema: /rows is required; /mean must be number");
    assert.equal(caseScore(graded, caseWith({ contains: "mean" }), null), 0);
  });

  it("fails every case when the manifest's outputs schema does not compile", () => {
    const graded = gradeOutput(caseWith(null, "r"), "{}", { type: "objet" });
    assert.equal(graded.passed, false);
    assert.match(graded.reason ?? "", /^outputs_schema: the manifest's outputs schema does not compile: schema is invalid/);
  });

  it("ignores unknown keywords and formats", () => {
    const lenient = { type: "object", "x-label": "Stats", properties: { at: { type: "string", format: "date-time" } } };
    assert.equal(gradeOutput(caseWith(null, "r"), '{"at": "not a date"}', lenient).passed, true);
  });
});

describe("gradeOutput: equals", () => {
  it("passes a deep-equal value whatever its key order", () => {
    const expected = { "odd/key": true, stats: { label: "a\nb", values: [1, 2] }, rows: 2, mean: 1.5 };
    const { passed, message } = grade({ equals: expected }, STATS);
    assert.deepEqual([passed, message], [true, null]);
  });

  it("fails a differing value, naming where", () => {
    assert.equal(grade({ equals: { mean: 1.5, rows: 3 } }, '{"mean": 1.5, "rows": 2}').message, "at /rows: expected 3, got 2");
    assert.equal(grade({ equals: { mean: 1.5 } }, '{"mean": 1.5, "rows": 2}').message, "at /rows: is not expected");
    assert.equal(grade({ equals: { mean: 1.5, rows: 2 } }, '{"mean": 1.5}').message, "at /rows: is missing");
    assert.equal(grade({ equals: [1, 2] }, "[1, 2, 3]").message, "expected 2 items, got 3");
    assert.equal(grade({ equals: [1, 2] }, "[2, 1]").message, "at /0: expected 1, got 2");
    assert.equal(grade({ equals: "1" }, "1").message, 'expected "1", got 1');
    assert.equal(grade({ equals: { a: { "b/c": null } } }, '{"a": {"b/c": false}}').message, "at /a/b~1c: expected null, got false");
    assert.equal(grade({ equals: { a: 1 } }, "[1]").message, "expected an object, got [1]");
    assert.equal(grade({ equals: [1] }, '{"0": 1}').message, 'expected an array, got {"0":1}');
  });
});

describe("gradeOutput: json_subset", () => {
  it("passes when every expected key matches, recursively, extra keys allowed", () => {
    assert.equal(grade({ jsonSubset: { mean: 1.5 } }, STATS).passed, true);
    assert.equal(grade({ jsonSubset: { stats: { values: [1, 2] } } }, STATS).passed, true);
    assert.equal(grade({ jsonSubset: { list: [{ id: 1 }] } }, '{"list": [{"id": 1, "extra": 2}]}').passed, true);
    assert.equal(grade({ jsonSubset: {} }, "{}").passed, true);
    assert.equal(grade({ jsonSubset: 3 }, "3").passed, true);
  });

  it("fails a missing key, a different scalar, or an array of another length", () => {
    assert.equal(grade({ jsonSubset: { mean: 2 } }, STATS).message, "at /mean: expected 2, got 1.5");
    assert.equal(grade({ jsonSubset: { median: 1 } }, STATS).message, "at /median: is missing");
    assert.equal(grade({ jsonSubset: { stats: { values: [1] } } }, STATS).message, "at /stats/values: expected 1 items, got 2");
    assert.equal(grade({ jsonSubset: { stats: { values: [1, 3] } } }, STATS).message, "at /stats/values/1: expected 3, got 2");
    assert.equal(grade({ jsonSubset: { mean: 1.5 } }, "[1.5]").message, "expected an object, got [1.5]");
    assert.equal(grade({ jsonSubset: { toString: 1 } }, "{}").message, "at /toString: is missing");
  });
});

describe("gradeOutput: contains and regex", () => {
  it("contains looks for the string in the trimmed raw text", () => {
    assert.equal(grade({ contains: '"rows":2' }, `  ${STATS}\n`).passed, true);
    // The raw text, not the parsed value: JSON escapes are seen as written.
    assert.equal(grade({ contains: "a\\nb" }, STATS).passed, true);
    assert.equal(grade({ contains: '"rows": 2' }, '{"rows":2}').message, 'output does not contain "\\"rows\\": 2"; it starts "{\\"rows\\":2}"');
  });

  it("regex tests the trimmed raw text", () => {
    assert.equal(grade({ regex: '^\\{"mean":1\\.5,' }, `\n${STATS}`).passed, true);
    assert.equal(grade({ regex: '"rows":\\s*[0-9]+' }, STATS).passed, true);
    assert.equal(grade({ regex: "\\}$" }, `${STATS}\n\n`).passed, true);
    assert.equal(grade({ regex: "MEAN" }, '{"mean":1}').message, 'output does not match /MEAN/; it starts "{\\"mean\\":1}"');
  });

  it("regex reports a pattern that does not compile (parseEvalSuite refuses those)", () => {
    assert.equal(grade({ regex: "(" }, "{}").message, "not a valid regular expression: Invalid regular expression: /(/: Unterminated group");
  });
});

describe("gradeOutput: json_schema", () => {
  const schema = { type: "object", required: ["mean"], properties: { mean: { type: "number", minimum: 0 } }, additionalProperties: false };

  it("passes a valid output and fails an invalid one with every ajv error", () => {
    assert.equal(grade({ jsonSchema: schema }, '{"mean": 1.5}').passed, true);
    assert.equal(grade({ jsonSchema: schema }, '{"mean": -1, "rows": 2}').message, "/rows is not an allowed field; /mean must be >= 0");
    assert.equal(grade({ jsonSchema: schema }, "{}").message, "/mean is required");
    assert.equal(grade({ jsonSchema: schema }, "[]").message, "/ must be object");
  });

  it("compiles each schema object once", () => {
    const first = compileAuthorSchema(schema);
    assert.ok("validate" in first);
    assert.equal(compileAuthorSchema(schema), first);
    assert.notEqual(compileAuthorSchema({ ...schema }), first);
  });

  it("grades with the schema object parseEvalSuite compiled", () => {
    const suite = parseEvalSuite("cases:\n  - name: c\n    input: {}\n    expect: {json_schema: {type: array}}\n");
    const compiled = compileAuthorSchema(suite.cases[0].expect?.jsonSchema ?? {});
    assert.ok("validate" in compiled);
    assert.equal(compileAuthorSchema(suite.cases[0].expect?.jsonSchema ?? {}), compiled);
    assert.equal(gradeOutput(suite.cases[0], "[1]", null).passed, true);
  });

  it("keeps authors' $ids apart, even one that names the meta-schema", () => {
    const a = { $id: "https://example.com/stats", type: "object", required: ["a"] };
    const b = { $id: "https://example.com/stats", type: "object", required: ["b"] };
    assert.equal(grade({ jsonSchema: a }, '{"a": 1}').passed, true);
    assert.equal(grade({ jsonSchema: b }, '{"a": 1}').message, "/b is required");
    const meta = { $id: "http://json-schema.org/draft-07/schema", type: "string" };
    assert.equal(grade({ jsonSchema: meta }, '"x"').passed, true);
    assert.equal(grade({ jsonSchema: { type: "integer" } }, "1.5").message, "/ must be integer");
    assert.equal(grade({ jsonSchema: { type: "nope" } }, "1").passed, false);
  });

  it("fails, without crashing, a recursive schema on output nested deeper than the stack", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const recursive = { type: "array", items: { $ref: "#" } };
    assert.equal(grade({ jsonSchema: recursive }, "[[[]]]").passed, true);
    assert.equal(grade({ jsonSchema: recursive }, deep).message, "the output is nested too deeply to validate");
    assert.equal(grade({ equals: { a: 1 } }, deep).message, "expected an object, got (a value too deep to show)");
    assert.equal(grade({ jsonSubset: [[[1]]] }, deep).message, "at /0/0/0: expected 1, got (a value too deep to show)");
  });
});

describe("gradeOutput: number", () => {
  it("passes a number at the path within tolerance", () => {
    assert.equal(grade({ number: { path: "mean", value: 1.5, tolerance: 0 } }, STATS).passed, true);
    assert.equal(grade({ number: { path: "$.stats.values[1]", value: 2.1, tolerance: 0.1 + 1e-12 } }, STATS).passed, true);
    assert.equal(grade({ number: { path: "rows", value: 2.5, tolerance: 0.5 } }, STATS).passed, true);
  });

  it("fails a number outside the tolerance, a missing path, or a non-number", () => {
    assert.equal(grade({ number: { path: "mean", value: 1.5, tolerance: 0 } }, '{"mean": 2}').message, "expected mean 1.5 ± 0, got 2");
    assert.equal(grade({ number: { path: "rows", value: 2.5, tolerance: 0.49 } }, STATS).message, "expected rows 2.5 ± 0.49, got 2");
    assert.equal(grade({ number: { path: "median", value: 1, tolerance: 0 } }, STATS).message, "median is not in the output");
    assert.equal(grade({ number: { path: "mean", value: 1.5, tolerance: 0 } }, '{"mean": "1.5"}').message, 'expected mean to be a number, got "1.5"');
  });
});

describe("gradeOutput: several graders", () => {
  it("runs every expectation in a fixed order, passing only when all pass, reason from the first failure", () => {
    const expect: EvalExpectations = {
      number: { path: "mean", value: 1.5, tolerance: 0 },
      jsonSchema: { type: "object" },
      regex: "rows",
      contains: "median",
      jsonSubset: { rows: 3 },
      equals: JSON.parse(STATS),
    };
    const graded = gradeOutput(caseWith(expect), STATS, { type: "object" });
    assert.deepEqual(
      graded.results.map((r) => [r.grader, r.passed]),
      [
        ["json", true],
        ["outputs_schema", true],
        ["equals", true],
        ["json_subset", false],
        ["contains", false],
        ["regex", true],
        ["json_schema", true],
        ["number", true],
      ],
    );
    assert.equal(graded.passed, false);
    assert.equal(graded.reason, "json_subset: at /rows: expected 3, got 2");
  });

  it("keeps messages and reasons within 300 characters, however long the output or expectation", () => {
    const long = JSON.stringify({ text: "z".repeat(10_000) });
    const graded = gradeOutput(caseWith({ contains: "y".repeat(5000), regex: `^${"q".repeat(5000)}`, equals: { text: "w".repeat(5000) } }), long, null);
    assert.equal(graded.passed, false);
    for (const r of graded.results) assert.ok((r.message ?? "").length <= 300, `${r.grader}: ${r.message?.length}`);
    assert.ok((graded.reason ?? "").length <= 300);
    assert.match(graded.results[1].message ?? "", /^at \/text: expected "w{60,}…, got "z{60,}…$/);
    const notJson = gradeOutput(caseWith(null, "r"), `x${"y".repeat(10_000)}`, null);
    assert.ok((notJson.reason ?? "").length <= 300);
    const schema = { type: "object", properties: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`field${i}`, { type: "string" }])) };
    const manyErrors = gradeOutput(
      caseWith({ jsonSchema: schema }),
      JSON.stringify(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`field${i}`, i]))),
      null,
    );
    assert.equal(manyErrors.results[1].message?.length, 280);
    assert.ok(manyErrors.results[1].message?.endsWith("…"));
  });
});

describe("caseScore", () => {
  const passed = gradeOutput(caseWith({ contains: "{" }), "{}", null);
  const failed = gradeOutput(caseWith({ contains: "x" }), "{}", null);

  it("is 0 for output that failed a grader, whatever the judge said", () => {
    assert.equal(caseScore(failed, caseWith({ contains: "x" }), null), 0);
    assert.equal(caseScore(failed, caseWith({ contains: "x" }, "rubric"), 1), 0);
  });

  it("is the judge's score for a rubric case, null while unjudged", () => {
    assert.equal(caseScore(passed, caseWith(null, "rubric"), 0.75), 0.75);
    assert.equal(caseScore(passed, caseWith({ contains: "{" }, "rubric"), 0), 0);
    assert.equal(caseScore(passed, caseWith(null, "rubric"), null), null);
  });

  it("is 1 for a passing case without a rubric, ignoring a judge score", () => {
    assert.equal(caseScore(passed, caseWith({ contains: "{" }), null), 1);
    assert.equal(caseScore(passed, caseWith({ contains: "{" }), 0.2), 1);
  });

  it("refuses a judge score outside [0, 1]", () => {
    for (const bad of [-0.1, 1.1, Number.NaN]) assert.throws(() => caseScore(passed, caseWith(null, "rubric"), bad), RangeError);
  });
});

describe("suiteScore", () => {
  it("is the weighted mean of the scored cases", () => {
    assert.equal(
      suiteScore([
        { weight: 1, score: 1 },
        { weight: 2, score: 0.5 },
      ]),
      2 / 3,
    );
    assert.equal(
      suiteScore([
        { weight: 1, score: 0 },
        { weight: 3, score: 1 },
        { weight: 100, score: null },
      ]),
      0.75,
    );
    assert.equal(suiteScore([{ weight: 0.5, score: 0.4 }]), 0.4);
  });

  it("is null when no case is scored", () => {
    assert.equal(suiteScore([]), null);
    assert.equal(suiteScore([{ weight: 2, score: null }]), null);
  });

  it("scores the issue's example end to end", () => {
    const suite = parseEvalSuite(
      "cases:\n  - {name: mean, input: {}, expect: {json_subset: {mean: 1.5}}}\n  - {name: words, input: {}, rubric: States the mean., weight: 2}\n",
    );
    const [mean, words] = suite.cases;
    const meanScore = caseScore(gradeOutput(mean, '{"mean": 1.5, "rows": 2}', null), mean, null);
    const wordsScore = caseScore(gradeOutput(words, '{"summary": "mean 1.5"}', null), words, 0.5);
    assert.equal(
      suiteScore([
        { weight: mean.weight, score: meanScore },
        { weight: words.weight, score: wordsScore },
      ]),
      2 / 3,
    );
    const wrong = caseScore(gradeOutput(mean, '{"mean": 2}', null), mean, null);
    assert.equal(
      suiteScore([
        { weight: mean.weight, score: wrong },
        { weight: words.weight, score: wordsScore },
      ]),
      1 / 3,
    );
  });
});
