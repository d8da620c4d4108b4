import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { EvalCase } from "@skillyard/core";
import { IsolatedGrader } from "../src/evals/isolated-grader";

const evalCase = (expect: EvalCase["expect"]): EvalCase => ({ name: "c", input: {}, expect, rubric: null, weight: 1 });

/** Grading runs the author's regular expressions; one that backtracks catastrophically must not stall the server. */
describe("isolated grading", () => {
  const grader = new IsolatedGrader(500);
  after(() => grader.close());

  test("positive control: graders run in the thread and answer as gradeOutput does", async () => {
    const grade = await grader.grade(evalCase({ jsonSubset: { mean: 1.5 }, regex: "mean" }), '{"mean": 1.5}', {
      type: "object",
      required: ["mean"],
    });
    assert.equal(grade.passed, true);
    assert.deepEqual(
      grade.results.map((r) => [r.grader, r.passed]),
      [
        ["json", true],
        ["outputs_schema", true],
        ["json_subset", true],
        ["regex", true],
      ],
    );
  });

  test("a catastrophically backtracking regex is stopped after the timeout while the event loop keeps running; the next case grades normally", async () => {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    const started = Date.now();
    try {
      const grade = await grader.grade(evalCase({ regex: "(a+)+$" }), JSON.stringify(`${"a".repeat(40)}!`), null);
      assert.equal(grade.passed, false);
      assert.match(grade.reason ?? "", /^regex: grading took over 0\.5 s and was stopped/);
    } finally {
      clearInterval(ticker);
    }
    const took = Date.now() - started;
    assert.ok(took < 5_000, `stopped after ${took} ms`);
    assert.ok(ticks >= 10, `the event loop ran meanwhile (${ticks} ticks of 20 ms)`);
    const next = await grader.grade(evalCase({ contains: "ok" }), '"ok"', null);
    assert.equal(next.passed, true);
  });
});
