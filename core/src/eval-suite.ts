/**
 * The eval-suite format: `evals/suite.yaml` in a skill package lists cases, each an input written as
 * JSON to the skill's entry point (its stdin) and what the output (its stdout) must satisfy: exact
 * expectations graded deterministically (eval-grading.ts), a rubric for a judge, or both.
 *
 * ```yaml
 * entrypoint: "python3 -m src.stats"   # optional; default: the manifest's entrypoint
 * min_score: 0.8                       # optional; default from server config
 * cases:
 *   - name: mean-of-two-rows
 *     input: {csv: "a\n1\n2\n"}
 *     expect:
 *       json_subset: {mean: 1.5}
 *   - name: summary-wording
 *     input: {csv: "a\n1\n2\n"}
 *     rubric: "States the mean and the row count; no invented columns."
 *     weight: 2
 * ```
 */
import Ajv from "ajv";
import { SkillyardError } from "./errors";
import { compileAuthorSchema, parseJsonPath } from "./eval-grading";
import { SKILL_YAML_SCHEMA, readUntrustedYaml, resolveEntrypoint, toFieldErrors, type ManifestFieldError } from "./manifest";

export const EVAL_SUITE_PATH = "evals/suite.yaml";

export const EVAL_SUITE_LIMITS = Object.freeze({
  /** Of evals/suite.yaml, in UTF-8. */
  maxBytes: 256 * 1024,
  maxCases: 200,
  /** Of a case's input as JSON (the bytes written to stdin), in UTF-8. */
  maxInputBytes: 64 * 1024,
  maxRubricChars: 4000,
  maxWeight: 100,
});

export interface EvalNumberExpectation {
  /** A jsonPath path into the output, such as `stats.values[0]` or `$.mean`. */
  path: string;
  value: number;
  /** The largest accepted |actual - value|; >= 0, default 0. */
  tolerance: number;
}

/** At least one key is set; `equals: null` (expecting JSON null) counts as set. */
export interface EvalExpectations {
  equals?: unknown;
  jsonSubset?: unknown;
  contains?: string;
  /** Compiles as a JavaScript RegExp (no flags). */
  regex?: string;
  /** Compiles with a lenient Ajv (unknown keywords and formats ignored). */
  jsonSchema?: Record<string, unknown>;
  number?: EvalNumberExpectation;
}

/** Invariant: `expect` or `rubric` (or both) is not null. */
export interface EvalCase {
  /** Unique in its suite. */
  name: string;
  /** Any JSON value (no NaN or infinity), at most EVAL_SUITE_LIMITS.maxInputBytes as JSON. */
  input: unknown;
  expect: EvalExpectations | null;
  rubric: string | null;
  /** In (0, EVAL_SUITE_LIMITS.maxWeight]; default 1. */
  weight: number;
}

export interface EvalSuite {
  /** The suite's own entry point (a non-empty argv of non-empty words); null means the manifest's. */
  entrypoint: string[] | null;
  /** In [0, 1]; null means the server's default. */
  minScore: number | null;
  /** At least one, at most EVAL_SUITE_LIMITS.maxCases. */
  cases: EvalCase[];
}

// ---------------------------------------------------------------------------------------------
// Schema: shapes, types and ranges. What a schema cannot say is checked by semanticErrors below.

const GRADER_KEYS = ["equals", "json_subset", "contains", "regex", "json_schema", "number"] as const;

const CASE_NAME_PATTERN = "^[a-z0-9][a-z0-9._-]*$";

const EXPECT_SCHEMA = {
  type: "object",
  additionalProperties: false,
  properties: {
    equals: {},
    json_subset: {},
    contains: { type: "string", minLength: 1 },
    regex: { type: "string", minLength: 1 },
    json_schema: { type: "object" },
    number: {
      type: "object",
      additionalProperties: false,
      required: ["path", "value"],
      properties: {
        path: { type: "string", minLength: 1 },
        value: { type: "number" },
        tolerance: { type: "number", minimum: 0 },
      },
    },
  },
} as const;

const CASE_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["name", "input"],
  properties: {
    name: { type: "string", maxLength: 64, pattern: CASE_NAME_PATTERN }, // the pattern needs a first character
    input: {},
    expect: EXPECT_SCHEMA,
    rubric: { type: "string", minLength: 1, maxLength: EVAL_SUITE_LIMITS.maxRubricChars }, // and not blank: caseErrors
    weight: { type: "number", exclusiveMinimum: 0, maximum: EVAL_SUITE_LIMITS.maxWeight },
  },
} as const;

const EVAL_SUITE_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["cases"],
  properties: {
    entrypoint: SKILL_YAML_SCHEMA.properties.entrypoint,
    min_score: { type: "number", minimum: 0, maximum: 1 },
    cases: { type: "array", minItems: 1, maxItems: EVAL_SUITE_LIMITS.maxCases, items: CASE_SCHEMA },
  },
} as const;

interface ExpectDoc {
  equals?: unknown;
  json_subset?: unknown;
  contains?: string;
  regex?: string;
  json_schema?: Record<string, unknown>;
  number?: { path: string; value: number; tolerance?: number };
}

interface CaseDoc {
  name: string;
  input: unknown;
  expect?: ExpectDoc;
  rubric?: string;
  weight?: number;
}

interface SuiteDoc {
  entrypoint?: string | string[];
  min_score?: number;
  cases: CaseDoc[];
}

// Strict like the manifest's Ajv: the suite schema is ours, so any sloppiness in it is a bug.
const ajv = new Ajv({ allErrors: true, strict: true });
const validateSuiteSchema = ajv.compile<SuiteDoc>(EVAL_SUITE_SCHEMA);

// ---------------------------------------------------------------------------------------------
// Checks a schema cannot express

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The JSON pointer (relative to `value`) of the first number JSON cannot carry (NaN, ±infinity: YAML
 * `.nan`, `.inf`), or null. Iterative, so depth is no concern; YAML yields no other non-JSON values.
 */
function nonJsonNumberAt(value: unknown): string | null {
  const stack: [unknown, string][] = [[value, ""]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [current, at] = item;
    if (typeof current === "number" && !Number.isFinite(current)) return at;
    if (Array.isArray(current)) current.forEach((v, i) => stack.push([v, `${at}/${i}`]));
    else if (isObject(current)) for (const [k, v] of Object.entries(current)) stack.push([v, `${at}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`]);
  }
  return null;
}

/** Errors for a value that must be JSON: its non-JSON number, if any. */
function jsonValueErrors(value: unknown, path: string): ManifestFieldError[] {
  const at = nonJsonNumberAt(value);
  return at === null ? [] : [{ path: path + at, message: "is not a JSON value (NaN or infinity)" }];
}

function inputSizeErrors(input: unknown, path: string): ManifestFieldError[] {
  let bytes: number;
  try {
    bytes = Buffer.byteLength(JSON.stringify(input) ?? "", "utf8");
  } catch {
    return [{ path, message: "is nested too deeply to write as JSON" }];
  }
  const max = EVAL_SUITE_LIMITS.maxInputBytes;
  return bytes > max ? [{ path, message: `is ${bytes} bytes as JSON; the limit is ${max}` }] : [];
}

/** `isClean(path)`: the schema found nothing wrong at or below `path`, so a further check adds news, not noise. */
type CleanCheck = (path: string) => boolean;

function expectErrors(expect: JsonObject, path: string, isClean: CleanCheck): ManifestFieldError[] {
  const errors: ManifestFieldError[] = [];
  if (!GRADER_KEYS.some((key) => Object.hasOwn(expect, key))) {
    errors.push({ path, message: `names no grader; use one or more of ${GRADER_KEYS.join(", ")}` });
  }
  if (Object.hasOwn(expect, "equals")) errors.push(...jsonValueErrors(expect.equals, `${path}/equals`));
  if (Object.hasOwn(expect, "json_subset")) errors.push(...jsonValueErrors(expect.json_subset, `${path}/json_subset`));
  if (typeof expect.regex === "string" && isClean(`${path}/regex`)) {
    try {
      new RegExp(expect.regex);
    } catch (err) {
      const reason = err instanceof Error ? err.message.replace(/^Invalid regular expression: /, "") : String(err);
      errors.push({ path: `${path}/regex`, message: `is not a valid regular expression: ${reason}` });
    }
  }
  if (isObject(expect.json_schema) && isClean(`${path}/json_schema`)) {
    const compiled = compileAuthorSchema(expect.json_schema);
    if ("problem" in compiled) errors.push({ path: `${path}/json_schema`, message: `does not compile: ${compiled.problem}` });
  }
  const number = expect.number;
  if (isObject(number) && typeof number.path === "string" && isClean(`${path}/number/path`) && parseJsonPath(number.path) === null) {
    errors.push({ path: `${path}/number/path`, message: "is not a path such as stats.values[0] or $.mean" });
  }
  return errors;
}

/** Checks of case `index` beyond the schema; `names` maps each name seen so far to its case index. */
function caseErrors(evalCase: unknown, index: number, names: Map<string, number>, isClean: CleanCheck): ManifestFieldError[] {
  if (!isObject(evalCase)) return []; // the schema says so
  const path = `/cases/${index}`;
  const errors: ManifestFieldError[] = [];
  if (typeof evalCase.name === "string" && isClean(`${path}/name`)) {
    const first = names.get(evalCase.name);
    if (first !== undefined) errors.push({ path: `${path}/name`, message: `repeats the name of case ${first}` });
    else names.set(evalCase.name, index);
  }
  if (typeof evalCase.rubric === "string" && isClean(`${path}/rubric`) && evalCase.rubric.trim() === "") {
    errors.push({ path: `${path}/rubric`, message: "is blank" });
  }
  if (!Object.hasOwn(evalCase, "expect") && !Object.hasOwn(evalCase, "rubric")) {
    errors.push({ path, message: "needs expect, rubric or both" });
  }
  if (Object.hasOwn(evalCase, "input")) {
    errors.push(...jsonValueErrors(evalCase.input, `${path}/input`), ...inputSizeErrors(evalCase.input, `${path}/input`));
  }
  if (isObject(evalCase.expect)) errors.push(...expectErrors(evalCase.expect, `${path}/expect`, isClean));
  return errors;
}

/**
 * Every problem the schema cannot see (bad command line, repeated name, regex or schema that does not
 * compile, ...). Runs on the raw document even when the schema failed, so one report lists everything;
 * it looks only at values of the right type, and skips fields the schema already faulted.
 */
function semanticErrors(data: unknown, schemaErrors: readonly ManifestFieldError[]): ManifestFieldError[] {
  const isClean: CleanCheck = (path) => !schemaErrors.some((e) => e.path === path || e.path.startsWith(`${path}/`));
  if (!isObject(data)) return [];
  const errors: ManifestFieldError[] = [];
  if (typeof data.entrypoint === "string" && isClean("/entrypoint")) {
    const outcome = resolveEntrypoint(data.entrypoint);
    if ("problem" in outcome) errors.push({ path: "/entrypoint", message: outcome.problem });
  }
  if (Array.isArray(data.cases)) {
    const names = new Map<string, number>();
    data.cases.forEach((evalCase: unknown, index) => errors.push(...caseErrors(evalCase, index, names, isClean)));
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Errors

/** Orders JSON pointers segment by segment, numeric segments numerically (/cases/2 before /cases/10). */
function comparePointers(a: string, b: string): number {
  const left = a.split("/");
  const right = b.split("/");
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    if (left[i] === right[i]) continue;
    const numeric = /^\d+$/.test(left[i]) && /^\d+$/.test(right[i]);
    if (numeric) return Number(left[i]) - Number(right[i]);
    return left[i] < right[i] ? -1 : 1;
  }
  return left.length - right.length;
}

function suiteInvalid(errors: ManifestFieldError[]): SkillyardError {
  const sorted = [...errors].sort((x, y) => comparePointers(x.path, y.path)); // stable: schema errors first per path
  if (sorted.length === 0) sorted.push({ path: "", message: "is invalid" });
  const [first] = sorted;
  // A YAML parser message goes on with a code frame after "line 1, column 17:"; the summary keeps one line.
  const firstLine = `${first.path || "/"} ${first.message}`.split("\n")[0].replace(/:$/, "");
  const count = sorted.length === 1 ? "1 problem" : `${sorted.length} problems`;
  return new SkillyardError("EVAL_SUITE_INVALID", `${EVAL_SUITE_PATH} has ${count}; the first: ${firstLine}`, { errors: sorted });
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** Argv of an entry point the checks above accepted, so resolving it again cannot fail. */
function acceptedArgv(entrypoint: string | string[]): string[] {
  const outcome = resolveEntrypoint(entrypoint);
  if ("problem" in outcome) throw new Error(`entrypoint passed validation but ${outcome.problem}`);
  return outcome.argv;
}

function toExpectations(doc: ExpectDoc): EvalExpectations {
  const expect: EvalExpectations = {};
  // YAML yields no undefined, so `!== undefined` means "the key is present" (equals: null included).
  if (doc.equals !== undefined) expect.equals = doc.equals;
  if (doc.json_subset !== undefined) expect.jsonSubset = doc.json_subset;
  if (doc.contains !== undefined) expect.contains = doc.contains;
  if (doc.regex !== undefined) expect.regex = doc.regex;
  // The same object that compileAuthorSchema cached while validating, so grading does not compile it again.
  if (doc.json_schema !== undefined) expect.jsonSchema = doc.json_schema;
  if (doc.number !== undefined) expect.number = { path: doc.number.path, value: doc.number.value, tolerance: doc.number.tolerance ?? 0 };
  return expect;
}

function toCase(doc: CaseDoc): EvalCase {
  return {
    name: doc.name,
    input: doc.input,
    expect: doc.expect === undefined ? null : toExpectations(doc.expect),
    rubric: doc.rubric ?? null,
    weight: doc.weight ?? 1,
  };
}

/**
 * Parses and validates evals/suite.yaml (see the module comment), with the manifest's YAML safety
 * rules (size limit EVAL_SUITE_LIMITS.maxBytes, bounded aliases, core schema). Throws
 * EVAL_SUITE_INVALID listing every problem in `details.errors` as `{path, message}`, `path` a JSON
 * pointer ("" for the document, e.g. when it is not valid YAML).
 */
export function parseEvalSuite(text: string): EvalSuite {
  const yaml = readUntrustedYaml(text, EVAL_SUITE_LIMITS.maxBytes);
  if ("problem" in yaml) throw suiteInvalid([{ path: "", message: yaml.problem }]);
  const data = yaml.value;
  if (!isObject(data)) throw suiteInvalid([{ path: "", message: "must be a mapping with a cases list" }]);
  const valid = validateSuiteSchema(data);
  const schemaErrors = valid ? [] : toFieldErrors(validateSuiteSchema.errors ?? []);
  const errors = [...schemaErrors, ...semanticErrors(data, schemaErrors)];
  if (!valid || errors.length > 0) throw suiteInvalid(errors);
  return {
    entrypoint: data.entrypoint === undefined ? null : acceptedArgv(data.entrypoint),
    minScore: data.min_score ?? null,
    cases: data.cases.map(toCase),
  };
}
