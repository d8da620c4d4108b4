/**
 * Deterministic grading of one eval case's output (see eval-suite.ts for the suite format): the
 * output must be JSON, must satisfy the manifest's outputs schema when there is one, and must meet
 * each expectation the case lists. Rubric cases additionally get a judge's score; caseScore and
 * suiteScore combine the two. Everything here is pure and synchronous.
 *
 * Regular expressions and JSON Schemas come from the suite's author and run against the skill's
 * output, both in the author's control: a catastrophically backtracking `regex` (or schema `pattern`)
 * blocks the calling thread, so callers should grade where that cannot stall other work.
 */
import Ajv, { type ValidateFunction } from "ajv";
import type { EvalCase } from "./eval-suite";
import { toFieldErrors } from "./manifest";

export type GraderName = "json" | "outputs_schema" | "equals" | "json_subset" | "contains" | "regex" | "json_schema" | "number";

export interface GraderResult {
  grader: GraderName;
  passed: boolean;
  /** Why the grader failed, short (at most MAX_MESSAGE_CHARS); null when it passed. */
  message: string | null;
}

export interface OutputGrade {
  /** The output parsed as JSON; undefined when it is not JSON. */
  parsed: unknown;
  /** `json` first; when it failed, nothing else. Then `outputs_schema` (if a schema was given), then one per expectation. */
  results: GraderResult[];
  /** Every result passed. */
  passed: boolean;
  /** The first failure as `<grader>: <message>`; null when passed. */
  reason: string | null;
}

/** A grader message's limit; `<grader>: ` in front keeps a reason within 300 characters. */
const MAX_MESSAGE_CHARS = 280;
/** How much of an output (or of a value in it) a message quotes. */
const EXCERPT_CHARS = 80;

// ---------------------------------------------------------------------------------------------
// Small helpers

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `text` cut to at most `max` characters, ending in … when cut (never splitting a surrogate pair). */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** A JSON rendering of `value` for a message, clipped; never throws (deep values are named, not rendered). */
function excerpt(value: unknown): string {
  try {
    return clip(JSON.stringify(value) ?? String(value), EXCERPT_CHARS);
  } catch {
    return "(a value too deep to show)";
  }
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

function result(grader: GraderName, failure: string | null): GraderResult {
  return { grader, passed: failure === null, message: failure === null ? null : clip(failure, MAX_MESSAGE_CHARS) };
}

// ---------------------------------------------------------------------------------------------
// Authors' JSON Schemas

/**
 * The Ajv for authors' schemas (evals `json_schema`, the manifest's `outputs`): strict:false so unknown
 * keywords and formats are ignored rather than refused, no logging of what is ignored. Invariant: it
 * holds no author's schema by id or in its cache (see compileAuthorSchema), so one author's `$id` never
 * collides with another's and only the WeakMap below keeps a compiled schema alive.
 */
const lenientAjv = new Ajv({ strict: false, allErrors: true, logger: false });

/** A compiled author schema, or why it does not compile. */
export type CompiledSchema = { validate: ValidateFunction } | { problem: string };

const compiledSchemas = new WeakMap<object, CompiledSchema>();

/**
 * Compiles an author's schema once per schema object (cached in a WeakMap keyed by it, so pass the
 * same object for every case). Internal to core: used by parseEvalSuite and the graders.
 */
export function compileAuthorSchema(schema: Record<string, unknown>): CompiledSchema {
  const cached = compiledSchemas.get(schema);
  if (cached !== undefined) return cached;
  // Compiled without its top-level $id, a schema is registered under "" only (which the next compile
  // overwrites; `$ref: "#"` resolves through it while compiling), and removeSchema then drops just the
  // cache entry. Given an $id, ajv would refuse a second schema with it, and removeSchema would delete
  // whatever is registered under it, a meta-schema included. Relative refs lose that base; none can load anyway.
  const { $id: _id, ...copy } = schema;
  let compiled: CompiledSchema;
  try {
    compiled = { validate: lenientAjv.compile(copy) };
  } catch (err) {
    compiled = { problem: clip(err instanceof Error ? err.message : String(err), 200) };
  } finally {
    lenientAjv.removeSchema(copy);
  }
  compiledSchemas.set(schema, compiled);
  return compiled;
}

/** Null when `value` satisfies `schema`, else a compact list such as "/mean must be number; /rows is required". */
function schemaFailure(schema: Record<string, unknown>, value: unknown, what: string): string | null {
  const compiled = compileAuthorSchema(schema);
  if ("problem" in compiled) return `${what} does not compile: ${compiled.problem}`;
  try {
    if (compiled.validate(value)) return null;
  } catch (err) {
    // A recursive schema ($ref) descends as deep as the output does.
    if (err instanceof RangeError) return "the output is nested too deeply to validate";
    throw err;
  }
  const errors = toFieldErrors(compiled.validate.errors ?? []);
  return errors.map((e) => `${e.path || "/"} ${e.message}`).join("; ") || "does not match";
}

// ---------------------------------------------------------------------------------------------
// JSON paths

const ARRAY_INDEX_RE = /^(?:0|[1-9]\d*)$/;
const PATH_RE = /^(?:[^.[\]]+|\[(?:0|[1-9]\d*)\])(?:\.[^.[\]]+|\[(?:0|[1-9]\d*)\])*$/;
const PATH_SEGMENT_RE = /[^.[\]]+|\[(\d+)\]/g;

/**
 * The segments of a path such as `stats.values[0]`, `$.mean`, `$[2].name` or `$` (the whole value),
 * or null when the path is malformed (empty segment, unclosed bracket, non-numeric index). Internal to
 * core: parseEvalSuite checks `number.path` with it.
 */
export function parseJsonPath(path: string): string[] | null {
  let rest = path;
  if (rest === "$") return [];
  if (rest.startsWith("$.")) {
    rest = rest.slice(2);
    if (rest === "") return null;
  } else if (rest.startsWith("$[")) {
    rest = rest.slice(1);
  }
  if (rest === "") return [];
  if (!PATH_RE.test(rest)) return null;
  return [...rest.matchAll(PATH_SEGMENT_RE)].map((m) => m[1] ?? m[0]);
}

/**
 * Looks a dotted path up in a JSON value. An optional leading `$.` (or `$`) is the value itself;
 * a numeric segment (`values.0`) or `[n]` (`values[0]`) indexes an array, and on an object names the
 * key. Keys containing `.`, `[` or `]` cannot be addressed. A malformed path finds nothing.
 */
export function jsonPath(value: unknown, path: string): { found: boolean; value: unknown } {
  const segments = parseJsonPath(path);
  if (segments === null) return { found: false, value: undefined };
  let current = value;
  for (const segment of segments) {
    if (Array.isArray(current) && ARRAY_INDEX_RE.test(segment) && Number(segment) < current.length) {
      current = current[Number(segment)];
    } else if (isObject(current) && Object.hasOwn(current, segment)) {
      current = current[segment];
    } else {
      return { found: false, value: undefined };
    }
  }
  return { found: true, value: current };
}

// ---------------------------------------------------------------------------------------------
// Structural comparison

interface Difference {
  /** JSON pointer into the output. */
  path: string;
  problem: string;
}

/**
 * Where `actual` first fails to match `expected`, or null. Arrays match element-wise with the same
 * length and scalars with ===; an expected object's keys must all be present with matching values, and
 * unless `subset`, `actual` may have no other keys. Recursion follows `expected` (bounded by the suite's
 * YAML), never deeper, so a deeply nested output cannot exhaust the stack.
 */
function firstDifference(expected: unknown, actual: unknown, subset: boolean, path = ""): Difference | null {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return { path, problem: `expected an array, got ${excerpt(actual)}` };
    if (actual.length !== expected.length) return { path, problem: `expected ${expected.length} items, got ${actual.length}` };
    for (let i = 0; i < expected.length; i++) {
      const difference = firstDifference(expected[i], actual[i], subset, `${path}/${i}`);
      if (difference !== null) return difference;
    }
    return null;
  }
  if (isObject(expected)) {
    if (!isObject(actual)) return { path, problem: `expected an object, got ${excerpt(actual)}` };
    for (const key of Object.keys(expected)) {
      const at = `${path}/${escapePointer(key)}`;
      if (!Object.hasOwn(actual, key)) return { path: at, problem: "is missing" };
      const difference = firstDifference(expected[key], actual[key], subset, at);
      if (difference !== null) return difference;
    }
    const extra = subset ? undefined : Object.keys(actual).find((key) => !Object.hasOwn(expected, key));
    return extra === undefined ? null : { path: `${path}/${escapePointer(extra)}`, problem: "is not expected" };
  }
  return expected === actual ? null : { path, problem: `expected ${excerpt(expected)}, got ${excerpt(actual)}` };
}

function differenceFailure(expected: unknown, actual: unknown, subset: boolean): string | null {
  const difference = firstDifference(expected, actual, subset);
  if (difference === null) return null;
  return difference.path === "" ? difference.problem : `at ${difference.path}: ${difference.problem}`;
}

// ---------------------------------------------------------------------------------------------
// Graders

function numberFailure(parsed: unknown, expected: { path: string; value: number; tolerance: number }): string | null {
  const { found, value } = jsonPath(parsed, expected.path);
  if (!found) return `${expected.path} is not in the output`;
  if (typeof value !== "number") return `expected ${expected.path} to be a number, got ${excerpt(value)}`;
  if (Math.abs(value - expected.value) <= expected.tolerance) return null;
  return `expected ${expected.path} ${expected.value} ± ${expected.tolerance}, got ${value}`;
}

function regexFailure(source: string, text: string): string | null {
  let re: RegExp;
  try {
    re = new RegExp(source); // parseEvalSuite refuses a regex that does not compile; a hand-made case may not
  } catch (err) {
    return `not a valid regular expression: ${clip(err instanceof Error ? err.message : String(err), 120)}`;
  }
  return re.test(text) ? null : `output does not match /${clip(source, EXCERPT_CHARS)}/; it starts ${excerpt(text)}`;
}

/** Parses trimmed stdout; the failure message names the parser's complaint (or that there was no output). */
function parseOutput(text: string): { parsed: unknown } | { failure: string } {
  if (text === "") return { failure: "output is not valid JSON: it is empty" };
  try {
    return { parsed: JSON.parse(text) };
  } catch (err) {
    return { failure: `output is not valid JSON: ${clip(err instanceof Error ? err.message : String(err), 120)}` };
  }
}

/**
 * Grades one case's stdout. The trimmed stdout must parse as JSON (else only the failed `json` result
 * is reported); then, when `outputsSchema` is given, it must satisfy it; then each expectation of the
 * case runs: `equals` and `json_subset` on the parsed value, `contains` and `regex` on the trimmed text,
 * `json_schema` and `number` on the parsed value. A rubric-only case gets just the first two checks.
 */
export function gradeOutput(evalCase: EvalCase, stdout: string, outputsSchema: Record<string, unknown> | null): OutputGrade {
  const text = stdout.trim();
  const output = parseOutput(text);
  if ("failure" in output) {
    const failed = result("json", output.failure);
    return { parsed: undefined, results: [failed], passed: false, reason: `json: ${failed.message}` };
  }
  const { parsed } = output;
  const results: GraderResult[] = [result("json", null)];
  if (outputsSchema !== null) results.push(result("outputs_schema", schemaFailure(outputsSchema, parsed, "the manifest's outputs schema")));
  const expect = evalCase.expect ?? {};
  if (expect.equals !== undefined) results.push(result("equals", differenceFailure(expect.equals, parsed, false)));
  if (expect.jsonSubset !== undefined) results.push(result("json_subset", differenceFailure(expect.jsonSubset, parsed, true)));
  if (expect.contains !== undefined) {
    const needle = expect.contains;
    results.push(result("contains", text.includes(needle) ? null : `output does not contain ${excerpt(needle)}; it starts ${excerpt(text)}`));
  }
  if (expect.regex !== undefined) results.push(result("regex", regexFailure(expect.regex, text)));
  if (expect.jsonSchema !== undefined) results.push(result("json_schema", schemaFailure(expect.jsonSchema, parsed, "the case's json_schema")));
  if (expect.number !== undefined) results.push(result("number", numberFailure(parsed, expect.number)));
  const failed = results.find((r) => !r.passed);
  return { parsed, results, passed: failed === undefined, reason: failed === undefined ? null : `${failed.grader}: ${failed.message}` };
}

/**
 * A case's score in [0, 1], or null for "not scored": 0 when the output failed any grader (a rubric is
 * then not consulted); otherwise the judge's score for a rubric case (null while there is none), and 1
 * for a case without a rubric (judgeScore is ignored). Throws a RangeError for a judge score outside [0, 1].
 */
export function caseScore(grade: OutputGrade, evalCase: EvalCase, judgeScore: number | null): number | null {
  if (!grade.passed) return 0;
  if (evalCase.rubric === null) return 1;
  if (judgeScore !== null && !(judgeScore >= 0 && judgeScore <= 1)) {
    throw new RangeError(`A judge score must be between 0 and 1, not ${judgeScore}.`);
  }
  return judgeScore;
}

/** The weighted mean score of the scored cases (score !== null), or null when none is scored. Weights are positive. */
export function suiteScore(cases: readonly { weight: number; score: number | null }[]): number | null {
  let weighted = 0;
  let total = 0;
  for (const { weight, score } of cases) {
    if (score === null) continue;
    weighted += weight * score;
    total += weight;
  }
  return total > 0 ? weighted / total : null;
}
