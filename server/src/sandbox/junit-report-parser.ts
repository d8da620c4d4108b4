import { XMLParser, XMLValidator } from "fast-xml-parser";
import type { TestCaseResult } from "./types";

/** A report that is not JUnit XML we can read (the runner then judges the run without it). */
export class JunitReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JunitReportError";
  }
}

const MAX_MESSAGE_CHARS = 1000;
const MAX_NESTING = 64;
const OUTCOME_TAGS = new Set(["failure", "error", "skipped"]);

type XmlNode = Record<string, unknown>;

/**
 * Reads the JUnit XML written by pytest (`--junitxml`), Node's test runner (`--test-reporter=junit`)
 * or any tool following the common shape: every `testcase` element anywhere under `testsuites` /
 * `testsuite` is one test; a `failure` or `error` child makes it failed, a `skipped` child skipped.
 * The text comes from the sandbox, so it is treated as hostile: no DOCTYPE, bounded nesting.
 */
export class JunitReportParser {
  private readonly parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@_",
    parseAttributeValue: false,
    parseTagValue: false,
    processEntities: true,
    // Decodes numeric references too (pytest writes newlines in messages as &#10;); entity
    // declarations cannot add any, since a DOCTYPE is refused before parsing.
    htmlEntities: true,
    isArray: (tagName, _path, _isLeaf, isAttribute) => !isAttribute && (tagName === "testcase" || tagName === "testsuite" || OUTCOME_TAGS.has(tagName)),
  });

  parse(xml: string): TestCaseResult[] {
    if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new JunitReportError("the test report declares a DOCTYPE");
    const valid = XMLValidator.validate(xml);
    if (valid !== true) throw new JunitReportError(`the test report is not well-formed XML (${valid.err.msg}, line ${valid.err.line})`);
    let root: unknown;
    try {
      root = this.parser.parse(xml);
    } catch (error) {
      // e.g. entity expansion limits: still the author's report, never an infrastructure failure.
      throw new JunitReportError(`the test report could not be parsed (${error instanceof Error ? error.message : String(error)})`);
    }
    if (!isNode(root) || (!("testsuites" in root) && !("testsuite" in root))) {
      throw new JunitReportError("the test report has no <testsuites> or <testsuite> element");
    }
    const tests: TestCaseResult[] = [];
    collect(root, tests, 0);
    return tests;
  }
}

function collect(node: XmlNode, into: TestCaseResult[], depth: number): void {
  if (depth > MAX_NESTING) throw new JunitReportError("the test report nests too deeply");
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("@_") || key === "#text") continue;
    for (const child of Array.isArray(value) ? value : [value]) {
      if (!isNode(child)) continue;
      if (key === "testcase") into.push(toTestCase(child));
      else collect(child, into, depth + 1);
    }
  }
}

function toTestCase(node: XmlNode): TestCaseResult {
  const failure = first(node.failure) ?? first(node.error);
  const skipped = first(node.skipped);
  const status = failure !== undefined ? "failed" : skipped !== undefined ? "skipped" : "passed";
  const detail = failure ?? skipped;
  return {
    name: attribute(node, "name") ?? "(unnamed)",
    classname: attribute(node, "classname") ?? "",
    status,
    message: detail === undefined ? null : messageOf(detail),
    durationMs: durationOf(attribute(node, "time")),
  };
}

function first(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

function attribute(node: XmlNode, name: string): string | undefined {
  const value = node[`@_${name}`];
  return typeof value === "string" ? value : undefined;
}

function messageOf(detail: unknown): string | null {
  let text: string | undefined;
  if (typeof detail === "string") text = detail;
  else if (isNode(detail)) {
    text = attribute(detail, "message");
    const body = detail["#text"];
    if ((text === undefined || text === "") && typeof body === "string") text = body.trim().split("\n", 1)[0];
  }
  if (text === undefined || text === "") return null;
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

function durationOf(seconds: string | undefined): number | null {
  if (seconds === undefined) return null;
  const value = Number(seconds);
  return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : null;
}

function isNode(value: unknown): value is XmlNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
