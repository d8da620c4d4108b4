import Ajv, { type ErrorObject } from "ajv";
import { valid as validSemver, validRange } from "semver";
import { isScalar, parseDocument, visit } from "yaml";
import { PERMISSION_NAME_PATTERN } from "./input-rules";
import { SkillyardError } from "./errors";

export type RuntimeLanguage = "python" | "node";

export interface Runtime {
  language: RuntimeLanguage;
  version: string;
}

export interface SkillManifest {
  name: string;
  version: string;
  description: string;
  author: string | null;
  category: string;
  tags: string[];
  license: string | null;
  requirements: { runtime: Runtime | null; memoryMb: number | null; timeoutSeconds: number | null };
  /** Sorted by name. */
  dependencies: { name: string; range: string }[];
  /** Sorted and unique; includes the permissions implied by SKILL.md `allowed-tools`. */
  permissions: string[];
  inputs: Record<string, unknown> | null;
  outputs: Record<string, unknown> | null;
  testCommand: string[] | null;
  /**
   * The command that reads JSON on stdin and writes the result as JSON on stdout: the program that
   * `inputs` and `outputs` describe (its stdin must satisfy `inputs`, its stdout `outputs`). Run from
   * the package root, without a shell. From skill.yaml `entrypoint`, given there as a string (split
   * like a shell would, see splitCommand) or as a list; null when absent and for SKILL.md-only packages.
   * Invariant: when not null, a non-empty array of non-empty strings.
   */
  entrypoint: string[] | null;
  /** From SKILL.md `allowed-tools`, in the order given. */
  allowedTools: string[];
  metadata: Record<string, unknown>;
  source: "skill.yaml" | "SKILL.md" | "both";
}

/** File contents as UTF-8 text. */
export interface ManifestFiles {
  skillYaml?: string;
  skillMd?: string;
}

export interface ManifestOptions {
  /** The version named in the publish call; required for a SKILL.md-only package. */
  version?: string;
  /** The permission catalogue; when given, every permission must be in it (or be a scoped form of an entry). */
  knownPermissions?: ReadonlySet<string>;
}

export interface ManifestResult {
  manifest: SkillManifest;
  warnings: string[];
}

export interface ManifestFieldError {
  path: string;
  message: string;
}

export const MAX_MANIFEST_YAML_BYTES = 256 * 1024;
const MAX_YAML_ALIASES = 100;
/** Longer than skill.yaml's 1024 because a corpus skill (claude-api) uses 1068 characters. */
const MAX_SKILL_MD_DESCRIPTION = 4096;

const NAME_PATTERN = "^[a-z0-9]+(?:-[a-z0-9]+)*$";
const NAME_RE = new RegExp(NAME_PATTERN);

export const TOOL_PERMISSIONS: Readonly<Record<string, string>> = Object.freeze({
  Bash: "shell:exec",
  Write: "filesystem:write",
  Edit: "filesystem:write",
  MultiEdit: "filesystem:write",
  NotebookEdit: "filesystem:write",
  Read: "filesystem:read",
  Glob: "filesystem:read",
  Grep: "filesystem:read",
  LS: "filesystem:read",
  WebFetch: "network:outbound",
  WebSearch: "network:outbound",
});

export function isValidSkillName(name: string): boolean {
  return name.length >= 1 && name.length <= 64 && NAME_RE.test(name);
}

/** Strict semver 2.0 in its canonical form: no `v`/`=` prefix, no spaces (and, as `semver.clean` drops it, no build metadata). */
function isStrictSemver(version: string): boolean {
  return validSemver(version, { loose: false }) === version;
}

// ---------------------------------------------------------------------------------------------
// Schemas

const nameSchema = { type: "string", minLength: 1, maxLength: 64, pattern: NAME_PATTERN } as const;

/** `entrypoint` in skill.yaml and evals/suite.yaml: a command line or an argv list; resolveEntrypoint checks the string form. */
const entrypointSchema = {
  if: { type: "array" },
  then: { type: "array", minItems: 1, items: { type: "string", minLength: 1 } },
  else: { type: "string" },
} as const;

export const SKILL_YAML_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["name", "version", "description"],
  properties: {
    name: nameSchema,
    version: { type: "string", format: "strict-semver" },
    description: { type: "string", minLength: 1, maxLength: 1024, pattern: "\\S" },
    author: { type: "string", minLength: 1 },
    category: nameSchema,
    tags: {
      type: "array",
      maxItems: 20,
      uniqueItems: true,
      items: { type: "string", minLength: 1, maxLength: 32, pattern: NAME_PATTERN },
    },
    license: { type: "string", minLength: 1 },
    requirements: {
      type: "object",
      additionalProperties: false,
      properties: {
        runtime: { type: "string", minLength: 1 },
        language: { type: "string", enum: ["python", "node"] },
        memory_mb: { type: "integer", minimum: 16, maximum: 16384 },
        timeout_seconds: { type: "integer", minimum: 1, maximum: 3600 },
      },
    },
    dependencies: {
      // Map form `{name: range}` or list form `[{name, range}]`.
      if: { type: "array" },
      then: {
        type: "array",
        items: {
          type: "object",
          additionalProperties: false,
          required: ["name", "range"],
          properties: { name: nameSchema, range: { type: "string", format: "semver-range" } },
        },
      },
      else: {
        type: "object",
        propertyNames: nameSchema,
        additionalProperties: { type: "string", format: "semver-range" },
      },
    },
    permissions: {
      type: "array",
      uniqueItems: true,
      items: { type: "string", maxLength: 128, pattern: PERMISSION_NAME_PATTERN },
    },
    inputs: { type: "object" },
    outputs: { type: "object" },
    tests: {
      type: "object",
      additionalProperties: false,
      properties: {
        command: { type: "array", minItems: 1, items: { type: "string", minLength: 1 } },
      },
    },
    entrypoint: entrypointSchema,
  },
} as const;

export const SKILL_MD_FRONT_MATTER_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["name", "description"],
  properties: {
    name: nameSchema,
    description: { type: "string", minLength: 1, maxLength: MAX_SKILL_MD_DESCRIPTION, pattern: "\\S" },
    license: { type: "string", minLength: 1 },
    "allowed-tools": {
      if: { type: "array" },
      then: { type: "array", items: { type: "string", minLength: 1 } },
      else: { type: "string" },
    },
    metadata: { type: "object" },
  },
} as const;

interface SkillYamlDoc {
  name: string;
  version: string;
  description: string;
  author?: string;
  category?: string;
  tags?: string[];
  license?: string;
  requirements?: { runtime?: string; language?: RuntimeLanguage; memory_mb?: number; timeout_seconds?: number };
  dependencies?: Record<string, string> | { name: string; range: string }[];
  permissions?: string[];
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  tests?: { command?: string[] };
  entrypoint?: string | string[];
}

interface SkillMdDoc {
  name: string;
  description: string;
  license?: string;
  "allowed-tools"?: string | string[];
  metadata?: Record<string, unknown>;
}

const FORMAT_MESSAGES: Record<string, string> = {
  "strict-semver": "must be a strict semver 2.0 version such as 1.2.3",
  "semver-range": "must be a valid semver range such as ^1.2.0",
};

const ajv = new Ajv({ allErrors: true, strict: true });
ajv.addFormat("strict-semver", { type: "string", validate: isStrictSemver });
ajv.addFormat("semver-range", { type: "string", validate: (r: string) => r.trim() !== "" && validRange(r) !== null });
const validateSkillYamlSchema = ajv.compile<SkillYamlDoc>(SKILL_YAML_SCHEMA);
const validateSkillMdSchema = ajv.compile<SkillMdDoc>(SKILL_MD_FRONT_MATTER_SCHEMA);

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * Turns ajv errors into one `{path, message}` per problem, `path` a JSON pointer to the offending
 * field (a missing or unknown key is named in the path, not in the message). Wrapper keywords
 * (`if`, `propertyNames`) are dropped because their nested errors say what is wrong.
 */
export function toFieldErrors(errors: readonly ErrorObject[]): ManifestFieldError[] {
  const out: ManifestFieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    let path = e.instancePath;
    let message = e.message ?? "is invalid";
    switch (e.keyword) {
      case "if":
      case "propertyNames":
        continue; // wrappers; the nested error says what is wrong
      case "required":
        path += `/${escapePointer(String(e.params.missingProperty))}`;
        message = "is required";
        break;
      case "additionalProperties":
        path += `/${escapePointer(String(e.params.additionalProperty))}`;
        message = "is not an allowed field";
        break;
      case "uniqueItems": {
        // ajv's i/j order depends on the item type; point at the later (repeated) item.
        const [first, repeat] = [Number(e.params.i), Number(e.params.j)].sort((x, y) => x - y);
        path += `/${repeat}`;
        message = `repeats item ${first}`;
        break;
      }
      case "format":
        message = FORMAT_MESSAGES[String(e.params.format)] ?? message;
        break;
    }
    // Errors inside `propertyNames` are about a map key, not the map.
    if (e.propertyName !== undefined) {
      path += `/${escapePointer(e.propertyName)}`;
      message = `is not a valid name (${message})`;
    }
    const key = `${path}\0${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ path, message });
    }
  }
  return out;
}

function invalid(file: string | null, errors: ManifestFieldError[]): SkillyardError {
  const [first] = errors;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
  const where = file === null ? "The manifest" : file;
  return new SkillyardError(
    "MANIFEST_INVALID",
    `${where} is invalid: ${first.path || "/"} ${first.message}${more}`,
    file === null ? { errors } : { file, errors },
  );
}

// ---------------------------------------------------------------------------------------------
// YAML

function yamlInvalid(file: string, message: string): SkillyardError {
  return new SkillyardError("MANIFEST_YAML_INVALID", `${file}: ${message}`, { file });
}

/** The result of readUntrustedYaml: the document as plain JS data, or why it was refused. */
export type YamlOutcome = { value: unknown } | { problem: string };

/**
 * Parses untrusted YAML without throwing: at most `maxBytes` of UTF-8, one document, core schema only
 * (no custom, unresolved or YAML 1.1 tags), unique plain-scalar keys and at most MAX_YAML_ALIASES alias
 * expansions (billion laughs). The value holds only objects, arrays, strings, numbers, booleans and null.
 */
export function readUntrustedYaml(text: string, maxBytes: number): YamlOutcome {
  if (Buffer.byteLength(text, "utf8") > maxBytes) {
    return { problem: `the YAML document is larger than ${maxBytes} bytes` };
  }
  const doc = parseDocument(text, {
    schema: "core",
    prettyErrors: true,
    uniqueKeys: true,
    strict: true,
    resolveKnownTags: false, // keeps !!binary, !!set, !!timestamp etc. out of the core schema
    logLevel: "error", // warnings are refused below rather than logged; "silent" would also hide errors
  });
  // Warnings include unresolved tags such as `!!js/function` or local `!tags`: refuse them all.
  const [problem] = [...doc.errors, ...doc.warnings];
  if (problem !== undefined) return { problem: problem.message };
  let collectionKey = false;
  visit(doc, {
    Pair(_, pair) {
      if (!isScalar(pair.key) || pair.key.value === null) {
        collectionKey = true;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (collectionKey) return { problem: "mapping keys must be plain scalars" };
  try {
    return { value: doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) };
  } catch (err) {
    // yaml throws a ReferenceError when aliases expand past maxAliasCount (billion laughs).
    return { problem: err instanceof Error ? err.message : "the YAML document cannot be read" };
  }
}

/** Parses untrusted YAML (see readUntrustedYaml) that must be a mapping; MANIFEST_YAML_INVALID otherwise. */
function parseYamlMapping(text: string, file: string): Record<string, unknown> {
  const outcome = readUntrustedYaml(text, MAX_MANIFEST_YAML_BYTES);
  if ("problem" in outcome) throw yamlInvalid(file, outcome.problem);
  const { value } = outcome;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw yamlInvalid(file, "the top level must be a mapping");
  }
  return value as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Entry point

/** Unquoted, these mean something to a shell that an entry point (run without one) cannot honour. */
const SHELL_OPERATORS = new Set(["|", "&", ";", "<", ">", "(", ")", "`"]);
const WORD_SEPARATORS = new Set([" ", "\t", "\n", "\r"]);
/** Inside double quotes a backslash escapes only these (POSIX); before anything else it is literal. */
const DOUBLE_QUOTE_ESCAPES = new Set(['"', "\\", "$", "`", "\n"]);

type SplitOutcome = { words: string[] } | { problem: string };

/**
 * The shell word-splitting of splitCommand, reporting a problem instead of throwing. A word exists once
 * any character or quote of it is seen, so `''` is an (empty) word.
 */
function splitWords(text: string): SplitOutcome {
  const words: string[] = [];
  let word = "";
  let started = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return { problem: `has an unbalanced single quote at character ${i + 1}` };
      word += text.slice(i + 1, end);
      started = true;
      i = end;
    } else if (ch === '"') {
      const open = i;
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === "\\" && i + 1 < text.length && DOUBLE_QUOTE_ESCAPES.has(text[i + 1])) {
          i++;
          if (text[i] !== "\n") word += text[i]; // backslash-newline joins lines
        } else {
          word += text[i];
        }
      }
      if (i >= text.length) return { problem: `has an unbalanced double quote at character ${open + 1}` };
      started = true;
    } else if (ch === "\\") {
      if (i + 1 >= text.length) return { problem: "ends with a lone backslash" };
      i++;
      if (text[i] !== "\n") {
        word += text[i]; // backslash-newline joins lines; any other escaped character is literal
        started = true;
      }
    } else if (WORD_SEPARATORS.has(ch)) {
      if (started) words.push(word);
      word = "";
      started = false;
    } else if (SHELL_OPERATORS.has(ch)) {
      return { problem: `uses the shell operator ${ch} at character ${i + 1}; there is no shell: quote it, or run sh -c '...'` };
    } else {
      word += ch;
      started = true;
    }
  }
  if (started) words.push(word);
  return { words };
}

/**
 * Splits a command line into argv the way a POSIX shell splits words: blanks separate words; '...'
 * keeps everything literally; "..." keeps everything but lets a backslash escape " \ $ ` and newline;
 * an unquoted backslash makes the next character literal (backslash-newline joins lines). Nothing is
 * expanded ($HOME, *, ~ stay as written). Throws BAD_USER_INPUT for an unbalanced quote, a trailing
 * lone backslash, or an unquoted shell operator (| & ; < > ( ) `), which would silently become an argument.
 */
export function splitCommand(text: string): string[] {
  const outcome = splitWords(text);
  if ("problem" in outcome) throw new SkillyardError("BAD_USER_INPUT", `The command ${outcome.problem}.`);
  return outcome.words;
}

/** The result of resolveEntrypoint: argv, or a problem phrased to follow the field's path. */
export type EntrypointOutcome = { argv: string[] } | { problem: string };

/**
 * Resolves an `entrypoint` (skill.yaml or evals/suite.yaml) to argv: a string is split with
 * splitCommand's rules, a list is taken as is. Invariant of a resolved argv: at least one word, and
 * no word empty (so `''` is refused in the string form as an empty word is in the list form).
 */
export function resolveEntrypoint(value: string | readonly string[]): EntrypointOutcome {
  let argv: string[];
  if (typeof value === "string") {
    const split = splitWords(value);
    if ("problem" in split) return split;
    argv = split.words;
  } else {
    argv = [...value];
  }
  if (argv.length === 0) return { problem: "names no command" };
  const empty = argv.findIndex((word) => word === "");
  if (empty >= 0) return { problem: `has an empty word (word ${empty + 1}); every word must be non-empty` };
  return { argv };
}

// ---------------------------------------------------------------------------------------------
// Runtime

type RuntimeOutcome = { runtime: Runtime } | { error: ManifestFieldError };

const LANGUAGE_ALIASES: Readonly<Record<string, RuntimeLanguage>> = {
  python: "python",
  node: "node",
  nodejs: "node",
};
const VERSION_PART = "(?:0|[1-9]\\d*)(?:\\.(?:0|[1-9]\\d*)){0,2}";
const BARE_VERSION_RE = new RegExp(`^${VERSION_PART}$`);
// One optional separator between language and version; anything else (image tags, suffixes) is refused.
const LANGUAGE_VERSION_RE = new RegExp(`^([a-z]+)[ :-]?(${VERSION_PART})$`, "i");

function resolveRuntime(raw: string, language?: string): RuntimeOutcome {
  const runtimePath = "/requirements/runtime";
  if (language !== undefined && language !== "python" && language !== "node") {
    return { error: { path: "/requirements/language", message: `must be "python" or "node", not "${language}"` } };
  }
  const declared: RuntimeLanguage | undefined = language;
  if (BARE_VERSION_RE.test(raw)) {
    if (declared === undefined) {
      return {
        error: { path: runtimePath, message: `"${raw}" names no language; write e.g. python${raw} or set requirements.language` },
      };
    }
    return { runtime: { language: declared, version: raw } };
  }
  const match = LANGUAGE_VERSION_RE.exec(raw);
  if (match === null) {
    return { error: { path: runtimePath, message: `"${raw}" is not a runtime such as python3.11 or node20` } };
  }
  const alias = match[1].toLowerCase();
  const named = Object.hasOwn(LANGUAGE_ALIASES, alias) ? LANGUAGE_ALIASES[alias] : undefined;
  if (named === undefined) {
    return { error: { path: runtimePath, message: `unknown language "${match[1]}"; expected python or node` } };
  }
  if (declared !== undefined && declared !== named) {
    return { error: { path: "/requirements/language", message: `"${declared}" contradicts runtime "${raw}"` } };
  }
  return { runtime: { language: named, version: match[2] } };
}

export function normalizeRuntime(raw: string, language?: string): Runtime {
  const outcome = resolveRuntime(raw, language);
  if ("error" in outcome) throw invalid(null, [outcome.error]);
  return outcome.runtime;
}

// ---------------------------------------------------------------------------------------------
// SKILL.md

const FRONT_MATTER_OPEN_RE = /^---[ \t]*\r?\n/;

export function parseSkillMdFrontMatter(text: string): { data: Record<string, unknown>; body: string } {
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const open = FRONT_MATTER_OPEN_RE.exec(source);
  if (open === null) {
    throw invalid("SKILL.md", [{ path: "", message: "must start with YAML front matter between --- lines" }]);
  }
  const close = /^---[ \t]*(?:\r?\n|$)/gm;
  close.lastIndex = open[0].length;
  const end = close.exec(source);
  if (end === null) {
    throw invalid("SKILL.md", [{ path: "", message: "the front matter has no closing --- line" }]);
  }
  const data = parseYamlMapping(source.slice(open[0].length, end.index), "SKILL.md");
  return { data, body: source.slice(end.index + end[0].length) };
}

const TOOL_RE = /^[A-Za-z][A-Za-z0-9_.-]*(?:\([^()]*\))?$/;

/** Splits `Bash(git add:*), Read Write` on spaces/commas outside parentheses. */
function splitToolList(list: string): string[] | null {
  const tokens: string[] = [];
  let current = "";
  let depth = 0;
  for (const ch of list) {
    if (ch === "(") depth++;
    if (ch === ")" && --depth < 0) return null;
    if (depth === 0 && /[\s,]/.test(ch)) {
      if (current !== "") tokens.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  if (depth !== 0) return null;
  if (current !== "") tokens.push(current);
  return tokens;
}

interface SkillMdPart {
  name: string;
  description: string;
  license: string | null;
  allowedTools: string[];
  permissions: string[];
  metadata: Record<string, unknown>;
  warnings: string[];
}

function readSkillMd(text: string): SkillMdPart {
  const { data } = parseSkillMdFrontMatter(text);
  if (!validateSkillMdSchema(data)) throw invalid("SKILL.md", toFieldErrors(validateSkillMdSchema.errors ?? []));
  const raw = data["allowed-tools"];
  const errors: ManifestFieldError[] = [];
  let tools: string[] = [];
  if (Array.isArray(raw)) {
    tools = raw.map((t) => t.trim());
  } else if (raw !== undefined) {
    const split = splitToolList(raw);
    if (split === null) errors.push({ path: "/allowed-tools", message: "has unbalanced parentheses" });
    else tools = split;
  }
  tools.forEach((tool, i) => {
    if (!TOOL_RE.test(tool)) {
      errors.push({ path: Array.isArray(raw) ? `/allowed-tools/${i}` : "/allowed-tools", message: `"${tool}" is not a tool name` });
    }
  });
  if (errors.length > 0) throw invalid("SKILL.md", errors);

  const allowedTools = [...new Set(tools)];
  const permissions = new Set<string>();
  const warnings: string[] = [];
  for (const tool of allowedTools) {
    const base = tool.split("(")[0];
    if (Object.hasOwn(TOOL_PERMISSIONS, base)) permissions.add(TOOL_PERMISSIONS[base]);
    else warnings.push(`SKILL.md: unknown tool "${tool}" in allowed-tools grants no permission`);
  }
  return {
    name: data.name,
    description: data.description,
    license: data.license ?? null,
    allowedTools,
    permissions: [...permissions],
    metadata: data.metadata ?? {},
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// skill.yaml

interface SkillYamlPart {
  doc: SkillYamlDoc;
  runtime: Runtime | null;
  entrypoint: string[] | null;
  dependencies: { name: string; range: string }[];
}

function readSkillYaml(text: string): SkillYamlPart {
  const data = parseYamlMapping(text, "skill.yaml");
  if (!validateSkillYamlSchema(data)) throw invalid("skill.yaml", toFieldErrors(validateSkillYamlSchema.errors ?? []));
  const errors: ManifestFieldError[] = [];

  let runtime: Runtime | null = null;
  const req = data.requirements;
  if (req?.runtime !== undefined) {
    const outcome = resolveRuntime(req.runtime, req.language);
    if ("error" in outcome) errors.push(outcome.error);
    else runtime = outcome.runtime;
  }

  let entrypoint: string[] | null = null;
  if (data.entrypoint !== undefined) {
    const outcome = resolveEntrypoint(data.entrypoint);
    if ("problem" in outcome) errors.push({ path: "/entrypoint", message: outcome.problem });
    else entrypoint = outcome.argv;
  }

  const deps = data.dependencies ?? {};
  const dependencies = Array.isArray(deps)
    ? deps.map((d) => ({ name: d.name, range: d.range }))
    : Object.entries(deps).map(([name, range]) => ({ name, range }));
  if (Array.isArray(deps)) {
    const seen = new Set<string>();
    deps.forEach((d, i) => {
      if (seen.has(d.name)) errors.push({ path: `/dependencies/${i}/name`, message: `repeats dependency "${d.name}"` });
      seen.add(d.name);
    });
  }
  if (errors.length > 0) throw invalid("skill.yaml", errors);

  if (dependencies.some((d) => d.name === data.name)) {
    throw new SkillyardError("DEPENDENCY_SELF", `Skill "${data.name}" cannot depend on itself.`, { name: data.name });
  }
  dependencies.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { doc: data, runtime, entrypoint, dependencies };
}

// ---------------------------------------------------------------------------------------------
// Both

function resolveVersion(yamlVersion: string | null, requested: string | undefined): string {
  const given = requested === undefined || requested === "" ? undefined : requested;
  if (yamlVersion !== null) {
    if (given !== undefined && given !== yamlVersion) {
      throw new SkillyardError("VERSION_MISMATCH", `The publish call names version ${given} but skill.yaml says ${yamlVersion}.`, {
        requested: given,
        manifest: yamlVersion,
      });
    }
    return yamlVersion;
  }
  if (given === undefined) {
    throw new SkillyardError("VERSION_REQUIRED", "A package with only SKILL.md needs the version in the publish call.");
  }
  if (!isStrictSemver(given)) throw invalid(null, [{ path: "/version", message: FORMAT_MESSAGES["strict-semver"] }]);
  return given;
}

function isKnownPermission(permission: string, known: ReadonlySet<string>): boolean {
  if (known.has(permission)) return true;
  for (const entry of known) {
    if (permission.startsWith(`${entry}:`)) return true;
  }
  return false;
}

export function parseManifest(files: ManifestFiles, options: ManifestOptions = {}): ManifestResult {
  const yamlPart = files.skillYaml === undefined ? null : readSkillYaml(files.skillYaml);
  const mdPart = files.skillMd === undefined ? null : readSkillMd(files.skillMd);
  // skill.yaml wins for the shared fields.
  const primary = yamlPart?.doc ?? mdPart;
  if (primary === null) {
    throw new SkillyardError("MANIFEST_MISSING", "The package has neither skill.yaml nor SKILL.md at its root.");
  }
  if (yamlPart !== null && mdPart !== null && yamlPart.doc.name !== mdPart.name) {
    throw new SkillyardError("MANIFEST_MISMATCH", `skill.yaml names the skill "${yamlPart.doc.name}" but SKILL.md names it "${mdPart.name}".`, {
      field: "name",
      skillYaml: yamlPart.doc.name,
      skillMd: mdPart.name,
    });
  }
  const version = resolveVersion(yamlPart?.doc.version ?? null, options.version);

  const doc = yamlPart?.doc;
  const permissions = [...new Set([...(doc?.permissions ?? []), ...(mdPart?.permissions ?? [])])].sort();
  if (options.knownPermissions !== undefined) {
    const known = options.knownPermissions;
    const unknown = permissions.filter((p) => !isKnownPermission(p, known));
    if (unknown.length > 0) {
      throw new SkillyardError("PERMISSION_UNKNOWN", `Unknown permission(s): ${unknown.join(", ")}.`, { permissions: unknown });
    }
  }

  const manifest: SkillManifest = {
    name: primary.name,
    version,
    description: primary.description,
    author: doc?.author ?? null,
    category: doc?.category ?? "general",
    tags: doc?.tags ?? [],
    license: doc?.license ?? mdPart?.license ?? null,
    requirements: {
      runtime: yamlPart?.runtime ?? null,
      memoryMb: doc?.requirements?.memory_mb ?? null,
      timeoutSeconds: doc?.requirements?.timeout_seconds ?? null,
    },
    dependencies: yamlPart?.dependencies ?? [],
    permissions,
    inputs: doc?.inputs ?? null,
    outputs: doc?.outputs ?? null,
    testCommand: doc?.tests?.command ?? null,
    entrypoint: yamlPart?.entrypoint ?? null,
    allowedTools: mdPart?.allowedTools ?? [],
    metadata: mdPart?.metadata ?? {},
    source: yamlPart !== null && mdPart !== null ? "both" : yamlPart !== null ? "skill.yaml" : "SKILL.md",
  };
  return { manifest, warnings: mdPart?.warnings ?? [] };
}
